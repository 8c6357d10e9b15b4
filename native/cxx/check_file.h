// XML check files (the 2010 RFC's second "possible enhancement"): checks
// written as XPath 1.0 asserts over the run's facts. Everything that can be
// wrong with a file is found at load: it is parsed safely, validated against
// the shipped RELAX NG schema, and every expression is compiled and
// trial-evaluated, so a bad file never fails in the middle of a migration.
// No Node-API here: a check runs on the runner's worker threads.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "pmc.h"
#include "run_facts.h"
#include "xpath_eval.h"

namespace pmc::checks {

constexpr size_t kDefaultMaxCheckFileBytes = 1024 * 1024;

// A message: literal text and `{xpath}` parts, in order.
struct MessagePart {
  std::string literal;
  std::shared_ptr<const xml::CompiledXPath> expression;  // null for literal text
};

struct XmlAssert {
  std::shared_ptr<const xml::CompiledXPath> test;
  std::vector<MessagePart> message;
  int line = 0;
};

// The compiled expressions one evaluation uses. libxml2 2.9 writes into a
// compiled expression when it evaluates it (xmlXPathCompOpEval caches each
// function lookup in the step, op->cache), so a compiled expression is not
// read-only and two threads must not evaluate one at once.
using CompiledAsserts = std::vector<XmlAssert>;

struct XmlCheck {
  std::string file;
  std::string name;
  std::string description;
  virPMCSeverity severity = VIR_PMC_SEVERITY_CRITICAL;
  int line = 0;
  CompiledAsserts asserts;             // as loaded (and trial-evaluated): never evaluated again
  std::vector<std::string> variables;  // the facts it reads, always "domain" (the context node) first

  // Each run evaluates its own copy of the asserts, taken from these idle ones
  // or compiled afresh (a few µs), and gives it back when done: concurrent
  // runs of one check never wait for each other, and a run still stuck in a
  // runaway expression after its timeout holds only its own copy.
  std::unique_ptr<CompiledAsserts> TakeCompiled();
  void GiveBack(std::unique_ptr<CompiledAsserts> compiled);

 private:
  std::mutex idleMutex_;
  std::vector<std::unique_ptr<CompiledAsserts>> idle_;
};

struct CheckFile {
  std::string path;
  std::vector<std::unique_ptr<XmlCheck>> checks;
  std::vector<std::string> variables;  // union of the checks'
};

// Throws LoadError. `schema` is the RELAX NG schema's text (schemas/checks.rng).
std::shared_ptr<const CheckFile> LoadCheckFile(std::string_view text, const std::string& path, std::string_view schema,
                                               size_t maxBytes);

struct CheckOutcome {
  int status = VIR_PMC_STATUS_ERROR;
  std::string message;
  std::string details;  // JSON
};

// Runs one check against the run's facts. Never throws.
CheckOutcome RunXmlCheck(XmlCheck& check, const RunFacts& facts);

}  // namespace pmc::checks
