// The part of the exports both addons share: XML documents and XPath, XML
// check files, and the error classes their calls reject with. The full addon
// (addon.cc) adds libvirt to it; the gate's addon (native/gate) is this alone,
// so that the process libvirt's hook runs on every incoming migration loads
// no libvirt (docs/hook.md).
#pragma once

#include <napi.h>

#include "addon_data.h"

namespace pmc {

// Initializes libxml2, makes this environment's AddonData (its instance data,
// freed with it) and sets the shared exports on `exports`.
AddonData* InitXmlExports(Napi::Env env, Napi::Object exports);

}  // namespace pmc
