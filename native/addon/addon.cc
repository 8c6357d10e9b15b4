// The addon's entry point: the XML part it shares with the gate's addon
// (xml_exports.h), then libvirt: silences libvirt's default error printer,
// registers the classes, and closes every connection when the environment goes away.
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <napi.h>

#include <vector>

#include "addon_data.h"
#include "cancel.h"
#include "connection.h"
#include "constants.h"
#include "domain.h"
#include "exit_guard.h"
#include "external_checks.h"
#include "js_check_list.h"
#include "js_run_pmc.h"
#include "operation.h"
#include "release_queue.h"
#include "typed_params.h"
#include "xml_exports.h"

namespace pmc {

namespace {

// libvirt prints every error to stderr unless an error function is set; ours
// are reported to JS instead.
void IgnoreError(void*, virErrorPtr) {}

void CloseAll(void* arg) {
  auto* data = static_cast<AddonData*>(arg);
  std::vector<Connection*> open(data->connections.begin(), data->connections.end());
  for (Connection* c : open) c->CloseNow();
  AbandonQueuedCalls(data);
  // No JS runs any more: the releases (these and the finalizers') may finish
  // before the process exits, for a while.
  WaitForReleases(std::chrono::seconds(2));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  if (virInitialize() < 0) throw Napi::Error::New(env, "libvirt failed to initialize");
  MarkJsThread();  // this environment's thread: releases that may wait for a daemon leave it
  virSetErrorFunc(nullptr, IgnoreError);

  AddonData* data = InitXmlExports(env, exports);
  napi_add_env_cleanup_hook(env, CloseAll, data);

  Napi::Function connection = Connection::Init(env);
  Napi::Function domain = Domain::Init(env);
  data->connectionClass = Napi::Persistent(connection);
  data->domainClass = Napi::Persistent(domain);

  Napi::Function checkList = CheckList::Init(env);
  Napi::Function cancel = Cancel::Init(env);
  data->checkListClass = Napi::Persistent(checkList);
  data->cancelClass = Napi::Persistent(cancel);

  exports.Set("Connection", connection);
  exports.Set("Domain", domain);
  exports.Set("CheckList", checkList);
  exports.Set("Cancel", cancel);
  exports.Set("runPMC", Napi::Function::New(env, RunPMC, "runPMC"));
  exports.Set("loadPlugin", Napi::Function::New(env, LoadPluginJs, "loadPlugin"));
  exports.Set("constants", Constants(env));
  exports.Set("liveDomainEventListeners",
              Napi::Function::New(env, LiveDomainEventListeners, "liveDomainEventListeners"));
  exports.Set("packTypedParams", Napi::Function::New(env, PackTypedParamsJs, "packTypedParams"));
  exports.Set("setExitGuard", Napi::Function::New(env, SetExitGuard, "setExitGuard"));
  unsigned long version = 0;
  virGetVersion(&version, nullptr, nullptr);
  exports.Set("libvirtVersion", Napi::Number::New(env, static_cast<double>(version)));
  return exports;
}

}  // namespace

}  // namespace pmc

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return pmc::Init(env, exports); }

NODE_API_MODULE(pmc, InitAddon)
