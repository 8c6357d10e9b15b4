// Cancel: a virPMCCancel that JS triggers (an AbortSignal fired, Ctrl-C).
// Triggering only sets a flag and wakes the runner: safe on the JS thread.
#pragma once

#include <napi.h>

#include <memory>

#include "pmc.h"

namespace pmc {

class Cancel : public Napi::ObjectWrap<Cancel> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Cancel(const Napi::CallbackInfo& info);
  ~Cancel() override;

  // Shared with the runs that use it, which may outlive this object.
  std::shared_ptr<virPMCCancel> handle() const { return cancel_; }

 private:
  Napi::Value Trigger(const Napi::CallbackInfo& info);
  Napi::Value IsTriggered(const Napi::CallbackInfo& info);

  std::shared_ptr<virPMCCancel> cancel_;
};

}  // namespace pmc
