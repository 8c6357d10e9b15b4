// Per-environment state (the addon is context-aware: each worker thread has
// its own): class constructors, the JS error classes, the open connections
// that the cleanup hook closes when the environment goes away, and the queue
// its calls report back through.
#pragma once

#include <napi.h>

#include <memory>
#include <set>

namespace pmc {

class Completions;
class Connection;

struct AddonData {
  Napi::FunctionReference errorClass;
  Napi::FunctionReference connectionClass;
  Napi::FunctionReference domainClass;
  Napi::FunctionReference xmlDocumentClass;
  Napi::FunctionReference xmlNodeClass;
  Napi::FunctionReference xpathExpressionClass;
  // The TS XmlError, for parse and XPath failures.
  Napi::FunctionReference xmlErrorClass;
  Napi::FunctionReference checkListClass;
  Napi::FunctionReference cancelClass;
  std::set<Connection*> connections;
  // Where this environment's calls report back from their threads (operation.cc), made at the first call.
  std::shared_ptr<Completions> completions;
  // The native function a later turn of the loop drains them with, and Node's
  // setImmediate as it was at load (fake timers a test installs later must not hold calls).
  Napi::FunctionReference drainCompletions;
  Napi::FunctionReference setImmediate;

  static AddonData* Get(Napi::Env env) { return env.GetInstanceData<AddonData>(); }
};

}  // namespace pmc
