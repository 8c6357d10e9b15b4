#include "js_gate.h"

#include <memory>
#include <string>

#include "check_file.h"
#include "external_checks.h"
#include "operation.h"
#include "run_facts.h"

namespace pmc {

namespace {

const char* StatusName(int status) {
  switch (status) {
    case VIR_PMC_STATUS_PASS: return "pass";
    case VIR_PMC_STATUS_FAIL: return "fail";
    default: return "error";
  }
}

}  // namespace

Napi::Value RunCheckFileOnDomainJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<const checks::CheckFile> file = CheckFileOf(env, info[0]);
  if (!info[1].IsString()) throw Napi::TypeError::New(env, "the domain XML must be a string");
  auto facts = std::make_shared<checks::RunFacts>();
  facts->Set("domain", info[1].As<Napi::String>().Utf8Value(), "");
  return Call(
      env, "could not run the check file",
      [file, facts](Data& out) {
        out = Data::Array();
        for (const auto& check : file->checks) {
          // A fact other than $domain is unavailable here: RunXmlCheck decides such a check as an error.
          checks::CheckOutcome outcome = checks::RunXmlCheck(*check, *facts);
          Data entry = Data::Object();
          entry.Set("name", Data::String(check->name));
          entry.Set("severity", Data::String(SeverityName(check->severity)));
          entry.Set("status", Data::String(StatusName(outcome.status)));
          entry.Set("message", Data::String(outcome.message));
          out.Push(std::move(entry));
        }
        return true;
      },
      nullptr, Operation::Thread::Dedicated);
}

}  // namespace pmc
