// Native check plugins (the 2010 RFC's third "possible enhancement"): shared
// libraries implementing pmc-plugin.h, loaded from a path the user names.
// No Node-API here.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pmc-plugin.h"
#include "run_facts.h"

namespace pmc::checks {

struct PluginCheck {
  std::string name;      // "<plugin>.<name>"
  virPMCCheckPtr check;  // the plugin's own, alive for the process
};

struct Plugin {
  std::string path;
  std::string name;
  std::string version;
  std::string description;
  std::vector<PluginCheck> checks;
  std::vector<std::string> facts;
};

// dlopen(RTLD_NOW | RTLD_LOCAL) of an absolute path, then virPMCPluginInit.
// Throws LoadError. The same file loaded twice gives the same Plugin; a
// loaded plugin is never unloaded.
std::shared_ptr<const Plugin> LoadPlugin(const std::string& path);

// The trampoline's half: makes `facts` what host->fact reads on this thread
// while the plugin's run function runs.
class PluginFactsScope {
 public:
  explicit PluginFactsScope(const RunFacts* facts);
  ~PluginFactsScope();
  PluginFactsScope(const PluginFactsScope&) = delete;
  PluginFactsScope& operator=(const PluginFactsScope&) = delete;

 private:
  const RunFacts* previous_;
};

}  // namespace pmc::checks
