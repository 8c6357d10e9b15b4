// Networks, storage pools and volumes, and secrets are read whole in one
// off-thread call and handed to JS as plain descriptions: checks only read them.
#pragma once

#include <libvirt/libvirt.h>

#include <cstdlib>
#include <thread>
#include <utility>
#include <vector>

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
// all at once (each on a thread of its own: over a wire one round trip for
// all), and frees them and the array; n < 0 (the call failed) is a failure.
// A failed description is made again on this thread, so that libvirt's last
// error (kept per thread) says why.
template <typename Ptr>
bool DescribeAllAndFree(Ptr* objects, int n, bool (*describe)(Ptr, Data&), int (*release)(Ptr), Data& out) {
  if (n < 0) return false;
  std::vector<Data> described(static_cast<size_t>(n));
  std::vector<char> ok(static_cast<size_t>(n), 0);
  {
    std::vector<std::thread> threads;
    for (int i = 1; i < n; i++) threads.emplace_back([&, i]() { ok[i] = describe(objects[i], described[i]) ? 1 : 0; });
    if (n > 0) ok[0] = describe(objects[0], described[0]) ? 1 : 0;
    for (auto& t : threads) t.join();
  }
  bool all = true;
  out = Data::Array();
  for (int i = 0; i < n; i++) {
    if (all && !ok[i] && !describe(objects[i], described[i])) all = false;
    if (all) out.Push(std::move(described[i]));
    release(objects[i]);
  }
  free(objects);
  return all;
}

}  // namespace pmc
