// Domain: one ObjectWrap per virDomainPtr. It holds a reference to its
// Connection's JS object, so a live Domain keeps its connection alive.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include "libvirt_handles.h"

namespace pmc {

class Connection;

class Domain : public Napi::ObjectWrap<Domain> {
 public:
  static Napi::Function Init(Napi::Env env);
  // Takes ownership of `dom`.
  static Napi::Object Wrap(Napi::Env env, virDomainPtr dom, Napi::Object connection);

  explicit Domain(const Napi::CallbackInfo& info);
  ~Domain() override;

  // A new reference for queued work; nullptr when the connection is closed.
  DomainHandle Retain() const;
  Connection* Owner() const { return owner_; }

 private:
  Napi::Value GetName(const Napi::CallbackInfo& info);
  Napi::Value GetUUIDString(const Napi::CallbackInfo& info);
  Napi::Value GetID(const Napi::CallbackInfo& info);
  Napi::Value GetConnection(const Napi::CallbackInfo& info);
  Napi::Value GetInfo(const Napi::CallbackInfo& info);
  Napi::Value GetState(const Napi::CallbackInfo& info);
  Napi::Value GetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value IsActive(const Napi::CallbackInfo& info);
  Napi::Value IsPersistent(const Napi::CallbackInfo& info);
  Napi::Value SnapshotCount(const Napi::CallbackInfo& info);
  Napi::Value CreateSnapshot(const Napi::CallbackInfo& info);
  Napi::Value GetJobInfo(const Napi::CallbackInfo& info);
  Napi::Value GetJobStats(const Napi::CallbackInfo& info);
  Napi::Value AbortJob(const Napi::CallbackInfo& info);
  Napi::Value MigrateStartPostCopy(const Napi::CallbackInfo& info);
  Napi::Value GetBlockJobInfo(const Napi::CallbackInfo& info);
  Napi::Value BlockCopy(const Napi::CallbackInfo& info);
  Napi::Value BlockJobAbort(const Napi::CallbackInfo& info);
  Napi::Value StartDirtyRateCalc(const Napi::CallbackInfo& info);
  Napi::Value GetStats(const Napi::CallbackInfo& info);
  Napi::Value Migrate3(const Napi::CallbackInfo& info);
  Napi::Value MigrateToURI3(const Napi::CallbackInfo& info);
  Napi::Value Create(const Napi::CallbackInfo& info);
  Napi::Value Destroy(const Napi::CallbackInfo& info);
  Napi::Value Undefine(const Napi::CallbackInfo& info);
  Napi::Value Suspend(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);

  // A call whose result is libvirt's yes (1) or no (0).
  Napi::Value BoolCall(const Napi::CallbackInfo& info, const char* what, int (*fn)(virDomainPtr));
  // A call whose only result is success (0) or failure (-1).
  Napi::Value Simple(const Napi::CallbackInfo& info, const char* what, int (*fn)(virDomainPtr, unsigned int));

  virDomainPtr dom_ = nullptr;
  Connection* owner_ = nullptr;
  Napi::ObjectReference connection_;
};

}  // namespace pmc
