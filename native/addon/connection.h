// Connection: one ObjectWrap per virConnectPtr. Every method returns a promise
// and does its libvirt work off the JS thread; close() is idempotent, and a
// call on a closed connection rejects with VIR_ERR_INVALID_CONN.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include <set>

#include "libvirt_handles.h"

namespace pmc {

struct CloseListener;
struct Data;

class Connection : public Napi::ObjectWrap<Connection> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Connection(const Napi::CallbackInfo& info);
  ~Connection() override;

  bool IsOpen() const { return conn_ != nullptr; }
  // A new reference for queued work; nullptr when closed.
  ConnHandle Retain() const { return conn_ ? RetainConn(conn_) : nullptr; }
  // Closes without waiting: the release runs off the JS thread (cleanup hook and finalizer).
  void CloseNow();
  // Takes the close listener an open registered on its own thread (OpenOperation).
  void AdoptCloseListener(struct CloseListener* listener);
  // Before closing (domain_events.cc): a registration holds a reference to its
  // connection, so one left registered would keep the connection open. May do I/O.
  static void DeregisterAllDomainEvents(virConnectPtr conn, const std::set<int>& ids);

 private:
  static Napi::Value Open(const Napi::CallbackInfo& info);

  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value IsOpenMethod(const Napi::CallbackInfo& info);
  Napi::Value SetCloseListener(const Napi::CallbackInfo& info);
  // Domain events (domain_events.cc).
  Napi::Value RegisterDomainEvent(const Napi::CallbackInfo& info);
  Napi::Value DeregisterDomainEvent(const Napi::CallbackInfo& info);
  // Host facts (connection_host.cc).
  Napi::Value IsAlive(const Napi::CallbackInfo& info);
  Napi::Value GetHostname(const Napi::CallbackInfo& info);
  Napi::Value GetURI(const Napi::CallbackInfo& info);
  Napi::Value GetType(const Napi::CallbackInfo& info);
  Napi::Value GetVersion(const Napi::CallbackInfo& info);
  Napi::Value GetLibVersion(const Napi::CallbackInfo& info);
  Napi::Value GetCapabilities(const Napi::CallbackInfo& info);
  Napi::Value GetDomainCapabilities(const Napi::CallbackInfo& info);
  Napi::Value GetNodeInfo(const Napi::CallbackInfo& info);
  Napi::Value GetFreeMemory(const Napi::CallbackInfo& info);
  Napi::Value GetFreePages(const Napi::CallbackInfo& info);
  Napi::Value GetCellsFreeMemory(const Napi::CallbackInfo& info);
  Napi::Value CompareHypervisorCPU(const Napi::CallbackInfo& info);
  Napi::Value BaselineHypervisorCPU(const Napi::CallbackInfo& info);
  // Domains (connection_domains.cc).
  Napi::Value LookupDomainByName(const Napi::CallbackInfo& info);
  Napi::Value LookupDomainByUUID(const Napi::CallbackInfo& info);
  Napi::Value LookupDomainByID(const Napi::CallbackInfo& info);
  Napi::Value ListAllDomains(const Napi::CallbackInfo& info);
  Napi::Value DefineDomain(const Napi::CallbackInfo& info);
  Napi::Value CreateDomain(const Napi::CallbackInfo& info);
  // Networks, storage, secrets (connection_resources.cc).
  Napi::Value LookupNetworkByName(const Napi::CallbackInfo& info);
  Napi::Value ListAllNetworks(const Napi::CallbackInfo& info);
  Napi::Value LookupStorageVolByPath(const Napi::CallbackInfo& info);
  Napi::Value ListAllStoragePools(const Napi::CallbackInfo& info);
  Napi::Value DefineStoragePool(const Napi::CallbackInfo& info);
  Napi::Value CreateStorageVolume(const Napi::CallbackInfo& info);
  Napi::Value DeleteStorageVolume(const Napi::CallbackInfo& info);
  Napi::Value LookupSecretByUUID(const Napi::CallbackInfo& info);
  Napi::Value LookupSecretByUsage(const Napi::CallbackInfo& info);
  Napi::Value DefineSecret(const Napi::CallbackInfo& info);

  // A call whose result is a string libvirt allocates.
  Napi::Value StringCall(const Napi::CallbackInfo& info, const char* what, char* (*fn)(virConnectPtr));
  // A call whose result is a version number (major * 1,000,000 + minor * 1,000 + release).
  Napi::Value VersionCall(const Napi::CallbackInfo& info, const char* what, int (*fn)(virConnectPtr, unsigned long*));
  // A call that fetches one network, volume or secret by a string argument
  // (named `arg` in errors) and describes it.
  template <typename Ptr>
  Napi::Value DescribeOneCall(const Napi::CallbackInfo& info, const char* arg, const char* what,
                              Ptr (*fetch)(virConnectPtr, const char*), bool (*describe)(Ptr, Data&),
                              int (*release)(Ptr));
  // A virConnectListAll* call (flags: argument 0), every object described.
  template <typename Ptr>
  Napi::Value DescribeAllCall(const Napi::CallbackInfo& info, const char* what,
                              int (*list)(virConnectPtr, Ptr**, unsigned int), bool (*describe)(Ptr, Data&),
                              int (*release)(Ptr));
  // Wraps domains returned by a call, each keeping this connection alive.
  Napi::Value WrapDomains(Napi::Env env, DomainSlot& slot, bool single);

  // Unregisters the close callback (if any) and releases its listener, on the
  // JS thread: only when a listener is replaced. For a remote daemon it is a
  // call, so Close() does it on a worker and CloseNow() on the release thread.
  // libvirt does not always call a free callback (drivers without close
  // callbacks, like the test driver, accept the registration and forget it),
  // so the connection owns the listener, not libvirt.
  void DropCloseListener();

  virConnectPtr conn_ = nullptr;
  struct CloseListener* closeListener_ = nullptr;
  // The domain event registrations (callback IDs) made on this connection. JS thread only.
  std::set<int> eventIds_;
};

// For the Connection's call methods (connection_host.cc, connection_domains.cc,
// connection_resources.cc): `conn`, a reference for the queued call, or a
// rejection when the connection is closed.
#define PMC_REQUIRE_OPEN(env) \
  ConnHandle conn = Retain(); \
  if (!conn) return RejectClosedConnection(env, "the connection is closed");

// liveDomainEventListeners(): registrations libvirt has not freed yet (leak tests).
Napi::Value LiveDomainEventListeners(const Napi::CallbackInfo& info);

}  // namespace pmc
