// The gate's entry into check files (docs/hook.md): a hook decides from the
// incoming domain definition alone, so its check files see `$domain` and
// nothing else, and libvirt is never asked (the daemon waits for the hook).
#pragma once

#include <napi.h>

namespace pmc {

// runCheckFileOnDomain(handle, domainXml) → Promise<[{name, severity, status, message}]>,
// every check of the file in order, on a dedicated thread: a runaway expression
// never holds the JS thread, so the hook's own deadline still fires.
Napi::Value RunCheckFileOnDomainJs(const Napi::CallbackInfo& info);

}  // namespace pmc
