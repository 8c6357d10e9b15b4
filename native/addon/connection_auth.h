// Credentials for virConnectOpenAuth: libvirt's questions (user name,
// passphrase, ...) answered by a JS function while a connection opens.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "guarded_tsfn.h"

namespace pmc {

// The JS function `(creds, reply) => void` that answers libvirt's questions,
// for the duration of one open.
struct AuthBridge {
  std::vector<int> types;
  int64_t timeoutMs = 60000;
  GuardedTsfn tsfn;
};

// From Connection.open's options { credentials: string[], auth, authTimeoutMs }:
// the bridge, or null when there is no auth function. Throws on bad credentials.
std::shared_ptr<AuthBridge> AuthBridgeFromOptions(Napi::Env env, Napi::Object options);

// virConnectAuthCallbackPtr; cbdata is the AuthBridge.
int AskJs(virConnectCredentialPtr cred, unsigned int ncred, void* cbdata);

}  // namespace pmc
