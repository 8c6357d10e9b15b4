// The XML core without Node: one document shared by several threads, each
// evaluating with its own compiled expressions and variables, while other
// threads parse (and get refused); and one check file's check run by all of
// them at once over one run's facts, as the runner's workers do (each run
// evaluating its own compiled copy, the facts parsed once). Exits non-zero on
// any wrong answer. Built and run by test/unit/xml-threads.test.ts, and under
// ThreadSanitizer by test/unit/native-tsan.test.ts. argv[1]: iterations per
// thread (20000; fewer under the sanitizer, which is ~10 times slower).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "check_file.h"
#include "run_facts.h"
#include "xml_failure.h"
#include "xml_parser.h"
#include "xpath_eval.h"

using namespace pmc::xml;
using pmc::checks::RunFacts;
using pmc::checks::XmlCheck;

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 20000;
  InitLibxml();
  Doc domain = Parse("<domain><devices><disk dev='vda'/><disk dev='vdb'/><hostdev/></devices></domain>", "d.xml");
  std::atomic<int> failures{0};
  // One check, as a check file's load leaves it, and one run's facts.
  XmlCheck check;
  check.name = "two-disks";
  check.variables = {"domain"};
  check.asserts.push_back({CompiledXPath::Compile("count(//disk) = 2 and $domain//hostdev"), {}, 1});
  check.asserts.push_back({CompiledXPath::Compile("count(//disk) = 3"), {{"disks: ", nullptr}}, 2});
  check.asserts.back().message.push_back({"", CompiledXPath::Compile("count(//disk)")});
  RunFacts facts;
  facts.Set("domain", "<domain><devices><disk dev='vda'/><disk dev='vdb'/><hostdev/></devices></domain>", "");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      Doc host = Parse("<host><limit>" + std::to_string(t) + "</limit></host>", "h.xml");
      auto count = CompiledXPath::Compile("count($domain//disk) + number(/host/limit)");
      auto name = CompiledXPath::Compile("string($domain//disk[2]/@dev)");
      std::vector<XPathVariable> vars(1);
      vars[0].name = "domain";
      vars[0].kind = XPathVariable::Kind::Node;
      vars[0].node = XmlNodeRef{reinterpret_cast<xmlNodePtr>(domain.get()), domain};
      for (int i = 0; i < iterations; i++) {
        if (i % 20 == 0) {
          pmc::checks::CheckOutcome outcome = pmc::checks::RunXmlCheck(check, facts);
          if (outcome.status != VIR_PMC_STATUS_FAIL || outcome.message.find("disks: 2") == std::string::npos)
            failures++;
        }
        if (Evaluate(*count, host, nullptr, vars).number != 2 + t) failures++;
        if (Evaluate(*name, host, nullptr, vars).string != "vdb") failures++;
        XPathResult nodes = Evaluate(*CompiledXPath::Compile("$domain//disk"), host, nullptr, vars);
        if (nodes.nodes.size() != 2 || nodes.nodes[0].doc != domain) failures++;
        if (i % 100 == 0) {
          try {
            Parse("<!DOCTYPE a [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><a>&e;</a>", "x.xml");
            failures++;
          } catch (const XmlFailure& f) {
            if (std::string(f.code) != kForbidden) failures++;
          }
          try {
            Evaluate(*CompiledXPath::Compile("$undefined"), host, nullptr, vars);
            failures++;
          } catch (const XmlFailure& f) {
            if (std::string(f.what()).find("Undefined variable") == std::string::npos) failures++;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::printf("failures: %d\n", failures.load());
  return failures == 0 ? 0 : 1;
}
