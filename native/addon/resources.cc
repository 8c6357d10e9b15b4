#include "resources.h"

#include <libvirt/virterror.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <system_error>
#include <thread>
#include <vector>

namespace pmc {

void StartEach(size_t n, const std::function<void(size_t)>& work) {
  std::atomic<size_t> next{0};
  auto drain = [&]() {
    for (size_t i; (i = next.fetch_add(1)) < n;) work(i);
  };
  std::vector<std::thread> threads;
  for (size_t t = 1; t < std::min(n, kMaxAtOnce); t++) {
    try {
      threads.emplace_back(drain);
    } catch (const std::system_error&) {
      break;  // no more threads now: the started ones and this one do the rest
    }
  }
  drain();
  for (auto& t : threads) t.join();
}

namespace {

// Runs independent libvirt calls at once (StartEach). True when every call
// succeeded. A
// failure's reason stays on the thread that failed (libvirt's last error is
// per thread), so callers redo a failed description on their own thread.
bool AllAtOnce(const std::vector<std::function<bool()>>& calls) {
  std::vector<char> ok(calls.size(), 0);
  StartEach(calls.size(), [&](size_t i) { ok[i] = calls[i]() ? 1 : 0; });
  for (char one : ok)
    if (!one) return false;
  return true;
}

const char* PoolStateName(int state) {
  switch (state) {
    case VIR_STORAGE_POOL_INACTIVE: return "inactive";
    case VIR_STORAGE_POOL_BUILDING: return "building";
    case VIR_STORAGE_POOL_RUNNING: return "running";
    case VIR_STORAGE_POOL_DEGRADED: return "degraded";
    case VIR_STORAGE_POOL_INACCESSIBLE: return "inaccessible";
    default: return "unknown";
  }
}

const char* VolumeTypeName(int type) {
  switch (type) {
    case VIR_STORAGE_VOL_FILE: return "file";
    case VIR_STORAGE_VOL_BLOCK: return "block";
    case VIR_STORAGE_VOL_DIR: return "dir";
    case VIR_STORAGE_VOL_NETWORK: return "network";
    case VIR_STORAGE_VOL_NETDIR: return "netdir";
    case VIR_STORAGE_VOL_PLOOP: return "ploop";
    default: return "unknown";
  }
}

const char* SecretUsageName(int usage) {
  switch (usage) {
    case VIR_SECRET_USAGE_TYPE_VOLUME: return "volume";
    case VIR_SECRET_USAGE_TYPE_CEPH: return "ceph";
    case VIR_SECRET_USAGE_TYPE_ISCSI: return "iscsi";
    case VIR_SECRET_USAGE_TYPE_TLS: return "tls";
    case VIR_SECRET_USAGE_TYPE_VTPM: return "vtpm";
    default: return "none";
  }
}

Data UUIDOf(int rc, const char* uuid) { return rc == 0 ? Data::String(uuid) : Data::Null(); }

}  // namespace

bool DescribeNetwork(virNetworkPtr net, Data& out) {
  char uuid[VIR_UUID_STRING_BUFLEN];
  int active = -1;
  int persistent = -1;
  char* xml = nullptr;
  // Only some networks have a bridge (not macvtap/hostdev ones); absence is no error.
  char* bridge = nullptr;
  bool ok = AllAtOnce({
      [&]() { return (active = virNetworkIsActive(net)) >= 0; },
      [&]() { return (persistent = virNetworkIsPersistent(net)) >= 0; },
      [&]() { return (xml = virNetworkGetXMLDesc(net, 0)) != nullptr; },
      [&]() { return (bridge = virNetworkGetBridgeName(net)), true; },
  });
  if (!ok) {
    free(xml);
    free(bridge);
    // Once more on this thread, each call's result tested before the next
    // (every libvirt call resets the last error), so that it says why.
    if ((active = virNetworkIsActive(net)) < 0 || (persistent = virNetworkIsPersistent(net)) < 0 ||
        (xml = virNetworkGetXMLDesc(net, 0)) == nullptr)
      return false;
    bridge = virNetworkGetBridgeName(net);
  }
  if (bridge == nullptr) virResetLastError();
  out = Data::Object();
  out.Set("name", Data::String(virNetworkGetName(net)));
  out.Set("uuid", UUIDOf(virNetworkGetUUIDString(net, uuid), uuid));
  out.Set("active", Data::Bool(active == 1));
  out.Set("persistent", Data::Bool(persistent == 1));
  out.Set("bridge", Data::TakeString(bridge));
  out.Set("xml", Data::TakeString(xml));
  return true;
}

bool DescribePool(virStoragePoolPtr pool, Data& out) {
  char uuid[VIR_UUID_STRING_BUFLEN];
  virStoragePoolInfo info;
  int persistent = -1;
  char* xml = nullptr;
  bool ok = AllAtOnce({
      [&]() { return (persistent = virStoragePoolIsPersistent(pool)) >= 0; },
      [&]() { return virStoragePoolGetInfo(pool, &info) == 0; },
      [&]() { return (xml = virStoragePoolGetXMLDesc(pool, 0)) != nullptr; },
  });
  if (!ok) {
    free(xml);
    // Once more on this thread, each call's result tested before the next
    // (every libvirt call resets the last error), so that it says why.
    if ((persistent = virStoragePoolIsPersistent(pool)) < 0 || virStoragePoolGetInfo(pool, &info) < 0 ||
        (xml = virStoragePoolGetXMLDesc(pool, 0)) == nullptr)
      return false;
  }
  out = Data::Object();
  out.Set("name", Data::String(virStoragePoolGetName(pool)));
  out.Set("uuid", UUIDOf(virStoragePoolGetUUIDString(pool, uuid), uuid));
  out.Set("active", Data::Bool(info.state == VIR_STORAGE_POOL_RUNNING));
  out.Set("persistent", Data::Bool(persistent == 1));
  out.Set("state", Data::String(PoolStateName(info.state)));
  out.Set("capacity", Data::Number(static_cast<double>(info.capacity)));
  out.Set("allocation", Data::Number(static_cast<double>(info.allocation)));
  out.Set("available", Data::Number(static_cast<double>(info.available)));
  out.Set("xml", Data::TakeString(xml));
  return true;
}

bool DescribeVolume(virStorageVolPtr vol, Data& out) {
  virStorageVolInfo info;
  char* path = nullptr;
  // Its XML says the format libvirt found (what QEMU must open it as, when a copy lands on it).
  char* xml = nullptr;
  // Its pool is optional: a volume libvirt cannot place in one still is one.
  virStoragePoolPtr pool = nullptr;
  bool ok = AllAtOnce({
      [&]() { return virStorageVolGetInfo(vol, &info) == 0; },
      [&]() { return (path = virStorageVolGetPath(vol)) != nullptr; },
      [&]() { return (xml = virStorageVolGetXMLDesc(vol, 0)) != nullptr; },
      [&]() { return (pool = virStoragePoolLookupByVolume(vol)), true; },
  });
  if (!ok) {
    free(path);
    free(xml);
    if (pool) virStoragePoolFree(pool);
    // Once more on this thread, each call's result tested before the next, so that
    // libvirt's last error says why.
    if (virStorageVolGetInfo(vol, &info) < 0) return false;
    path = virStorageVolGetPath(vol);
    if (path == nullptr) return false;
    xml = virStorageVolGetXMLDesc(vol, 0);
    if (xml == nullptr) {
      free(path);
      return false;
    }
    pool = virStoragePoolLookupByVolume(vol);
  }
  if (pool == nullptr) virResetLastError();
  out = Data::Object();
  out.Set("name", Data::String(virStorageVolGetName(vol)));
  out.Set("key", Data::String(virStorageVolGetKey(vol)));
  out.Set("path", Data::TakeString(path));
  out.Set("pool", pool ? Data::String(virStoragePoolGetName(pool)) : Data::Null());
  if (pool) virStoragePoolFree(pool);
  out.Set("type", Data::String(VolumeTypeName(info.type)));
  out.Set("capacity", Data::Number(static_cast<double>(info.capacity)));
  out.Set("allocation", Data::Number(static_cast<double>(info.allocation)));
  out.Set("xml", Data::TakeString(xml));
  return true;
}

bool DescribeSecret(virSecretPtr secret, Data& out) {
  char uuid[VIR_UUID_STRING_BUFLEN];
  char* xml = virSecretGetXMLDesc(secret, 0);
  if (xml == nullptr) return false;
  int usage = virSecretGetUsageType(secret);
  const char* usageID = virSecretGetUsageID(secret);
  out = Data::Object();
  out.Set("uuid", UUIDOf(virSecretGetUUIDString(secret, uuid), uuid));
  out.Set("usageType", Data::String(SecretUsageName(usage)));
  out.Set("usageID", usageID ? Data::String(usageID) : Data::Null());
  out.Set("xml", Data::TakeString(xml));
  return true;
}

}  // namespace pmc
