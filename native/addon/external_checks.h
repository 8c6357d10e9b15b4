// The JS face of XML check files and plugins: loading (on the JS thread, as
// both are small and local) and the opaque handles a CheckList adds checks from.
#pragma once

#include <napi.h>

#include <memory>

#include "check_file.h"
#include "plugin_loader.h"

namespace pmc {

// loadCheckFile(text, path, schemaText, maxBytes) → {handle, path, variables, checks}
Napi::Value LoadCheckFileJs(const Napi::CallbackInfo& info);
// loadPlugin(absolutePath) → {handle, path, name, version, description, facts, checks}
Napi::Value LoadPluginJs(const Napi::CallbackInfo& info);
// factSpecs() → [{name, kind, meaning}]
Napi::Value FactSpecsJs(const Napi::CallbackInfo& info);

// The handles' contents; throw a TypeError for anything else.
std::shared_ptr<const checks::CheckFile> CheckFileOf(Napi::Env env, Napi::Value handle);
std::shared_ptr<const checks::Plugin> PluginOf(Napi::Env env, Napi::Value handle);

const char* SeverityName(virPMCSeverity severity);

}  // namespace pmc
