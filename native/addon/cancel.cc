#include "cancel.h"

namespace pmc {

Napi::Function Cancel::Init(Napi::Env env) {
  return DefineClass(env, "Cancel",
                     {
                         InstanceMethod<&Cancel::Trigger>("trigger"),
                         InstanceMethod<&Cancel::IsTriggered>("isTriggered"),
                     });
}

Cancel::Cancel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Cancel>(info) {
  cancel_ = virPMCCancelNew();
  if (cancel_ == nullptr) throw Napi::Error::New(info.Env(), "out of memory");
}

// A run holds a reference to this object until it settles, so no runner uses it here.
Cancel::~Cancel() { virPMCCancelFree(cancel_); }

Napi::Value Cancel::Trigger(const Napi::CallbackInfo& info) {
  virPMCCancelTrigger(cancel_);
  return info.Env().Undefined();
}

Napi::Value Cancel::IsTriggered(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), virPMCCancelIsTriggered(cancel_) != 0);
}

}  // namespace pmc
