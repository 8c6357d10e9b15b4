#pragma once

#include <napi.h>

namespace pmc {

// {VIR_MIGRATE_LIVE: 1, …}: the libvirt constants the TS layer uses.
Napi::Object Constants(Napi::Env env);

}  // namespace pmc
