// The gate's addon (build/Release/gate/pmc_gate.node): the part of the exports
// shared with the full addon (native/addon/xml_exports.h: XML, XPath, check
// files), and nothing of libvirt. libvirt's hook runs the gate's process on
// every incoming migration; loading libvirt and its ~55 libraries would cost
// that process about 20 ms, and the gate never calls libvirt (a hook must not:
// the daemon waits for it). It is linked with --as-needed and references no
// libvirt symbol, so libvirt is not even loaded (test/unit/gate-addon.test.ts).
#include <napi.h>

#include "addon_data.h"
#include "operation.h"
#include "xml_exports.h"

namespace pmc {

namespace {

void AbandonCalls(void* arg) { AbandonQueuedCalls(static_cast<AddonData*>(arg)); }

Napi::Object InitGate(Napi::Env env, Napi::Object exports) {
  AddonData* data = InitXmlExports(env, exports);
  napi_add_env_cleanup_hook(env, AbandonCalls, data);
  return exports;
}

}  // namespace

}  // namespace pmc

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return pmc::InitGate(env, exports); }

NODE_API_MODULE(pmc_gate, InitAddon)
