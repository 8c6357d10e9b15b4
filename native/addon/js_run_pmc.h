// runPMC: one run of a CheckList, and the migration when asked, on a native
// thread of its own. The runner waits there for JS checks (called through a
// thread-safe function), so the JS thread and libuv's pool stay free.
#pragma once

#include <napi.h>

namespace pmc {

// runPMC(domain, dconn, list, options, dispatcher, onProgress?, cancel?) → Promise<report>
Napi::Value RunPMC(const Napi::CallbackInfo& info);

}  // namespace pmc
