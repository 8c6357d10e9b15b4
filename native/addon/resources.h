// Networks, storage pools and volumes, and secrets are read whole in one
// off-thread call and handed to JS as plain descriptions: checks only read them.
#pragma once

#include <libvirt/libvirt.h>

#include <cstdlib>
#include <functional>
#include <utility>
#include <vector>

#include "data.h"

namespace pmc {

// Runs work(0) … work(n - 1) at once (over a wire: one round trip for all,
// not one each): on this thread and up to kMaxAtOnce - 1 threads of its own,
// each taking the next index until none is left; joined before it returns.
// A thread that cannot be started (a task limit) leaves its share to the
// others, this thread included, so the work is always done.
constexpr size_t kMaxAtOnce = 64;  // as many as the call pool: more would only queue at the daemon
void StartEach(size_t n, const std::function<void(size_t)>& work);

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
// all at once (StartEach), and frees them and the array; n < 0 (the call failed) is a failure.
// A failed description is made again on this thread, so that libvirt's last
// error (kept per thread) says why.
template <typename Ptr>
bool DescribeAllAndFree(Ptr* objects, int n, bool (*describe)(Ptr, Data&), int (*release)(Ptr), Data& out) {
  if (n < 0) return false;
  std::vector<Data> described(static_cast<size_t>(n));
  std::vector<char> ok(static_cast<size_t>(n), 0);
  StartEach(static_cast<size_t>(n), [&](size_t i) { ok[i] = describe(objects[i], described[i]) ? 1 : 0; });
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
