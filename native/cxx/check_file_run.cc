// Running a loaded check file's checks against a run's facts.
#include <string>
#include <vector>

#include "check_file.h"
#include "check_file_nodes.h"
#include "json_string.h"

namespace pmc::checks {

std::unique_ptr<CompiledAsserts> XmlCheck::TakeCompiled() {
  {
    std::lock_guard<std::mutex> lock(idleMutex_);
    if (!idle_.empty()) {
      std::unique_ptr<CompiledAsserts> compiled = std::move(idle_.back());
      idle_.pop_back();
      return compiled;
    }
  }
  // Recompiled from the sources the load compiled: cannot fail.
  auto compiled = std::make_unique<CompiledAsserts>(asserts);
  for (XmlAssert& a : *compiled) {
    a.test = xml::CompiledXPath::Compile(a.test->Source());
    for (MessagePart& part : a.message) {
      if (part.expression) part.expression = xml::CompiledXPath::Compile(part.expression->Source());
    }
  }
  return compiled;
}

void XmlCheck::GiveBack(std::unique_ptr<CompiledAsserts> compiled) {
  constexpr size_t kMaxIdle = 8;  // about the runner's workers; more are freed
  std::lock_guard<std::mutex> lock(idleMutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(compiled));
}

CheckOutcome RunXmlCheck(XmlCheck& check, const RunFacts& facts) {
  CheckOutcome out;
  try {
    std::vector<xml::XPathVariable> variables(check.variables.size());
    std::string error;
    for (size_t i = 0; i < check.variables.size(); i++) {
      if (!facts.Variable(check.variables[i], &variables[i], &error)) {
        out.message = error;
        return out;
      }
    }
    // "domain" is first: its document is the context node.
    const xml::Doc& context = variables[0].node.doc;
    std::unique_ptr<CompiledAsserts> compiled = check.TakeCompiled();
    std::vector<std::string> failed;
    std::string failedDetails;
    xml::XPathBudget budget;  // for the whole check: its thread stops soon after a timeout
    for (const XmlAssert& a : *compiled) {
      xml::XPathResult holds = xml::Evaluate(*a.test, context, nullptr, variables, xml::Want::Boolean, &budget);
      if (holds.boolean) continue;
      std::string message;
      for (const MessagePart& part : a.message) {
        message += part.expression
                       ? xml::Evaluate(*part.expression, context, nullptr, variables, xml::Want::String, &budget).string
                       : part.literal;
      }
      message = Collapse(message);
      failed.push_back(message.empty() ? "assertion failed: " + xml::QuoteExpression(a.test->Source()) : message);
      failedDetails += std::string(failedDetails.empty() ? "" : ",") + "{\"line\":" + std::to_string(a.line) +
                       ",\"test\":" + JsonString(a.test->Source()) + "}";
    }
    // Not on a throw: a copy whose evaluation failed midway is simply freed.
    check.GiveBack(std::move(compiled));
    if (failed.empty()) {
      out.status = VIR_PMC_STATUS_PASS;
      out.message = check.asserts.size() == 1 ? "the assertion holds"
                                              : "all " + std::to_string(check.asserts.size()) + " assertions hold";
      return out;
    }
    out.status = VIR_PMC_STATUS_FAIL;
    for (size_t i = 0; i < failed.size(); i++) out.message += (i ? "; " : "") + failed[i];
    out.details = "{\"file\":" + JsonString(check.file) + ",\"line\":" + std::to_string(check.line) + ",\"failed\":[" +
                  failedDetails + "]}";
  } catch (const std::exception& e) {
    out.status = VIR_PMC_STATUS_ERROR;
    out.message = e.what();
  }
  return out;
}

}  // namespace pmc::checks
