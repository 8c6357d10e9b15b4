// The C core's last error (virPMCGetLastError, pmc.h) as JS sees it: the
// reason in the message, and a stable code (ERR_PMC_DUPLICATE_CHECK, …).
#pragma once

#include <napi.h>

#include <string>

namespace pmc {

struct PmcErrorInfo {
  std::string code;     // "ERR_PMC_" + the virPMCErrorNumber's name
  std::string message;  // the core's reason, or `fallback` when it gave none
};

// Reads the calling thread's last error: call it on the thread of the failing call.
PmcErrorInfo LastPmcError(const char* fallback);

Napi::Error PmcErrorToJs(Napi::Env env, const PmcErrorInfo& info);

}  // namespace pmc
