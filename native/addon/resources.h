// Networks, storage pools and volumes, and secrets are read whole in one
// off-thread call and handed to JS as plain descriptions: checks only read them.
#pragma once

#include <libvirt/libvirt.h>

#include <cstdlib>
#include <utility>

#include "data.h"

namespace pmc {

bool DescribeNetwork(virNetworkPtr net, Data& out);
bool DescribePool(virStoragePoolPtr pool, Data& out);
bool DescribeVolume(virStorageVolPtr vol, Data& out);
bool DescribeSecret(virSecretPtr secret, Data& out);

// Describes the object a libvirt lookup returned and frees it; nullptr (the
// lookup failed, libvirt's last error says why) is a failure.
template <typename Ptr>
bool DescribeAndFree(Ptr object, bool (*describe)(Ptr, Data&), int (*release)(Ptr), Data& out) {
  if (object == nullptr) return false;
  bool ok = describe(object, out);
  release(object);
  return ok;
}

// Describes the `n` objects a virConnectListAll* call returned into an array,
// and frees them and the array; n < 0 (the call failed) is a failure.
template <typename Ptr>
bool DescribeAllAndFree(Ptr* objects, int n, bool (*describe)(Ptr, Data&), int (*release)(Ptr), Data& out) {
  if (n < 0) return false;
  bool ok = true;
  out = Data::Array();
  for (int i = 0; i < n; i++) {
    Data one;
    if (ok && !describe(objects[i], one)) ok = false;
    if (ok) out.Push(std::move(one));
    release(objects[i]);
  }
  free(objects);
  return ok;
}

}  // namespace pmc
