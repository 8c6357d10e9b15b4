// The exit guard: an exit() that JS did not ask for (a plugin's, during a
// run) ends the process with status 1 and a message instead of its own.
#pragma once

#include <napi.h>

namespace pmc {

// setExitGuard(message: string | null): armed with the message to print, or disarmed.
Napi::Value SetExitGuard(const Napi::CallbackInfo& info);

}  // namespace pmc
