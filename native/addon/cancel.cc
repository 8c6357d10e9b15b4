#include "cancel.h"

#include "pmc_last_error.h"

namespace pmc {

Napi::Function Cancel::Init(Napi::Env env) {
  return DefineClass(env, "Cancel",
                     {
                         InstanceMethod<&Cancel::Trigger>("trigger"),
                         InstanceMethod<&Cancel::IsTriggered>("isTriggered"),
                     });
}

Cancel::Cancel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Cancel>(info) {
  virPMCCancelPtr cancel = virPMCCancelNew();
  if (cancel == nullptr) throw PmcErrorToJs(info.Env(), LastPmcError("out of memory"));
  cancel_ = std::shared_ptr<virPMCCancel>(cancel, virPMCCancelFree);
}

Cancel::~Cancel() = default;

Napi::Value Cancel::Trigger(const Napi::CallbackInfo& info) {
  virPMCCancelTrigger(cancel_.get());
  return info.Env().Undefined();
}

Napi::Value Cancel::IsTriggered(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), virPMCCancelIsTriggered(cancel_.get()) != 0);
}

}  // namespace pmc
