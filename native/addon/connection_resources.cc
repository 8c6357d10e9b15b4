// Connection: networks, storage pools and volumes, secrets: plain
// descriptions (resources.h), each fetched in one call off the JS thread.
#include "connection.h"

#include <libvirt/virterror.h>

#include <string>

#include "args.h"
#include "operation.h"
#include "resources.h"

namespace pmc {

template <typename Ptr>
Napi::Value Connection::DescribeOneCall(const Napi::CallbackInfo& info, const char* arg, const char* what,
                                        Ptr (*fetch)(virConnectPtr, const char*), bool (*describe)(Ptr, Data&),
                                        int (*release)(Ptr)) {
  std::string value = StringArg(info, 0, arg);
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), what, [conn, value, fetch, describe, release](Data& out) {
    return DescribeAndFree(fetch(conn.get(), value.c_str()), describe, release, out);
  });
}

template <typename Ptr>
Napi::Value Connection::DescribeAllCall(const Napi::CallbackInfo& info, const char* what,
                                        int (*list)(virConnectPtr, Ptr**, unsigned int), bool (*describe)(Ptr, Data&),
                                        int (*release)(Ptr)) {
  unsigned int flags = FlagsArg(info, 0);
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), what, [conn, flags, list, describe, release](Data& out) {
    Ptr* objects = nullptr;
    int n = list(conn.get(), &objects, flags);
    return DescribeAllAndFree(objects, n, describe, release, out);
  });
}

Napi::Value Connection::LookupNetworkByName(const Napi::CallbackInfo& info) {
  return DescribeOneCall(info, "name", "could not find the network", virNetworkLookupByName, DescribeNetwork,
                         virNetworkFree);
}

Napi::Value Connection::ListAllNetworks(const Napi::CallbackInfo& info) {
  return DescribeAllCall(info, "could not list the networks", virConnectListAllNetworks, DescribeNetwork,
                         virNetworkFree);
}

Napi::Value Connection::LookupStorageVolByPath(const Napi::CallbackInfo& info) {
  return DescribeOneCall(info, "path", "could not find the storage volume", virStorageVolLookupByPath, DescribeVolume,
                         virStorageVolFree);
}

Napi::Value Connection::ListAllStoragePools(const Napi::CallbackInfo& info) {
  return DescribeAllCall(info, "could not list the storage pools", virConnectListAllStoragePools, DescribePool,
                         virStoragePoolFree);
}

Napi::Value Connection::DefineStoragePool(const Napi::CallbackInfo& info) {
  std::string xml = StringArg(info, 0, "xml");
  bool start = info.Length() > 1 && info[1].ToBoolean().Value();
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not define the storage pool", [conn, xml, start](Data& out) {
    virStoragePoolPtr pool = virStoragePoolDefineXML(conn.get(), xml.c_str(), 0);
    if (pool == nullptr) return false;
    bool ok = true;
    if (start) {
      // Building fails harmlessly when the directory already exists.
      if (virStoragePoolBuild(pool, VIR_STORAGE_POOL_BUILD_NO_OVERWRITE) < 0) virResetLastError();
      ok = virStoragePoolCreate(pool, 0) == 0 && virStoragePoolSetAutostart(pool, 1) == 0;
    }
    ok = ok && DescribePool(pool, out);
    virStoragePoolFree(pool);
    return ok;
  });
}

Napi::Value Connection::CreateStorageVolume(const Napi::CallbackInfo& info) {
  std::string poolName = StringArg(info, 0, "pool");
  std::string xml = StringArg(info, 1, "xml");
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not create the storage volume", [conn, poolName, xml](Data& out) {
    virStoragePoolPtr pool = virStoragePoolLookupByName(conn.get(), poolName.c_str());
    if (pool == nullptr) return false;
    virStorageVolPtr vol = virStorageVolCreateXML(pool, xml.c_str(), 0);
    virStoragePoolFree(pool);
    return DescribeAndFree(vol, DescribeVolume, virStorageVolFree, out);
  });
}

Napi::Value Connection::DeleteStorageVolume(const Napi::CallbackInfo& info) {
  std::string path = StringArg(info, 0, "path");
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not delete the storage volume", [conn, path](Data&) {
    virStorageVolPtr vol = virStorageVolLookupByPath(conn.get(), path.c_str());
    if (vol == nullptr) return false;
    bool ok = virStorageVolDelete(vol, 0) == 0;
    virStorageVolFree(vol);
    return ok;
  });
}

Napi::Value Connection::LookupSecretByUUID(const Napi::CallbackInfo& info) {
  return DescribeOneCall(info, "uuid", "could not find the secret", virSecretLookupByUUIDString, DescribeSecret,
                         virSecretFree);
}

Napi::Value Connection::LookupSecretByUsage(const Napi::CallbackInfo& info) {
  int usageType = static_cast<int>(IntegerArg(info, 0, "usageType", 0, INT32_MAX));
  std::string usageID = StringArg(info, 1, "usageID");
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not find the secret", [conn, usageType, usageID](Data& out) {
    return DescribeAndFree(virSecretLookupByUsage(conn.get(), usageType, usageID.c_str()), DescribeSecret,
                           virSecretFree, out);
  });
}

Napi::Value Connection::DefineSecret(const Napi::CallbackInfo& info) {
  std::string xml = StringArg(info, 0, "xml");
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not define the secret", [conn, xml](Data& out) {
    return DescribeAndFree(virSecretDefineXML(conn.get(), xml.c_str(), 0), DescribeSecret, virSecretFree, out);
  });
}

}  // namespace pmc
