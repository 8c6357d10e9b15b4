// The facts that native checks (XML check files, plugins) read during a run.
// TS fetches them through the run's Facts (so each is fetched once per run and
// shared with JS checks) and hands them over as text before the run; an XML
// fact is parsed at most once per run, by the first check that needs it, on
// that check's thread. No Node-API here.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "xml_parser.h"
#include "xpath_eval.h"

namespace pmc::checks {

enum class FactKind { Xml, String, Number };

struct FactSpec {
  const char* name;
  FactKind kind;
  const char* meaning;
};

// Every fact a native check may name, as `$name` in XPath or host->fact(name).
const std::vector<FactSpec>& FactSpecs();
const FactSpec* FindFact(const std::string& name);

class RunFacts {
 public:
  // Before the run, on the JS thread. `error` set: libvirt could not give it.
  void Set(const std::string& name, std::string text, std::string error);
  void Clear() { facts_.clear(); }

  // During the run, from any thread. The text (plugins), or nullptr.
  const char* Text(const std::string& name) const;
  // As an XPath variable; false with `error` set when unavailable.
  bool Variable(const std::string& name, xml::XPathVariable* out, std::string* error) const;
  // The parsed document of an XML fact; null with `error` set when unavailable.
  xml::Doc Document(const std::string& name, std::string* error) const;

 private:
  struct Fact {
    FactKind kind = FactKind::String;
    std::string text;
    std::string error;
    mutable std::once_flag parsed;
    mutable xml::Doc doc;
    mutable std::string parseError;
  };
  // The fact, or nullptr with `error` set when it was not fetched or libvirt could not give it.
  const Fact* Available(const std::string& name, std::string* error) const;

  std::map<std::string, std::unique_ptr<Fact>> facts_;
};

}  // namespace pmc::checks
