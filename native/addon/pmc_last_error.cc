#include "pmc_last_error.h"

#include "pmc.h"

namespace pmc {

static const char* CodeName(int code) {
  switch (code) {
    case VIR_PMC_ERR_NO_MEMORY: return "ERR_PMC_NO_MEMORY";
    case VIR_PMC_ERR_INVALID_ARG: return "ERR_PMC_INVALID_ARG";
    case VIR_PMC_ERR_INVALID_CHECK: return "ERR_PMC_INVALID_CHECK";
    case VIR_PMC_ERR_DUPLICATE_CHECK: return "ERR_PMC_DUPLICATE_CHECK";
    case VIR_PMC_ERR_SYSTEM: return "ERR_PMC_SYSTEM";
    case VIR_PMC_ERR_LIBVIRT: return "ERR_PMC_LIBVIRT";
  }
  return "ERR_PMC_UNKNOWN";
}

PmcErrorInfo LastPmcError(const char* fallback) {
  const virPMCError* err = virPMCGetLastError();
  if (err == nullptr || err->message == nullptr) return PmcErrorInfo{"ERR_PMC_UNKNOWN", fallback};
  return PmcErrorInfo{CodeName(err->code), err->message};
}

Napi::Error PmcErrorToJs(Napi::Env env, const PmcErrorInfo& info) {
  Napi::Error error = Napi::Error::New(env, info.message);
  error.Set("code", Napi::String::New(env, info.code));
  return error;
}

}  // namespace pmc
