// The registry of what native checks (XML check files, plugins) read during a
// run, by id. A native check's virPMCCheck opaque is such an id, never a
// pointer into its list: the runner may decide a check (a timeout, a cancel)
// and the list may be freed while a worker is still on its way to the check.
// The worker copies the references under the registry's lock, so it either
// holds them for its whole call or finds nothing. No Node-API here.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "check_file.h"
#include "plugin_loader.h"
#include "pmc.h"
#include "run_facts.h"

namespace pmc::checks {

struct XmlRef {
  std::shared_ptr<const CheckFile> file;
  XmlCheck* check;  // owned by `file`
  std::shared_ptr<const RunFacts> facts;
};
struct PluginRef {
  std::shared_ptr<const Plugin> plugin;
  virPMCCheckPtr check;  // the plugin's own, alive for the process
  std::shared_ptr<const RunFacts> facts;
};
struct NativeCheckRef {
  XmlRef xml;        // xml.check set for an XML check
  PluginRef plugin;  // plugin.check set for a plugin check
};

class NativeCheckRefs {
 public:
  // The process's registry, which the addon's check lists use.
  static NativeCheckRefs& Global();

  // A new id (never 0, never reused) holding `ref` until forgotten.
  uintptr_t Register(NativeCheckRef ref);
  // From any thread: copies the references of `id` into `out`, or returns
  // false if it was forgotten. The copy keeps what it points to alive.
  bool Lookup(uintptr_t id, NativeCheckRef* out) const;
  // Drops the registry's references: a later Lookup finds nothing; a worker
  // that found them before keeps its copy until its call returns.
  void Forget(uintptr_t id);
  void Forget(const std::vector<uintptr_t>& ids);
  size_t Size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<uintptr_t, NativeCheckRef> refs_;
  uintptr_t next_ = 1;
};

}  // namespace pmc::checks
