// Per-environment state (the addon is context-aware: each worker thread has
// its own): class constructors, the JS error classes, and the open connections
// that the cleanup hook closes when the environment goes away.
#pragma once

#include <napi.h>

#include <set>

namespace pmc {

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

  static AddonData* Get(Napi::Env env) { return env.GetInstanceData<AddonData>(); }
};

}  // namespace pmc
