#include "domain.h"

#include <libvirt/virterror.h>

#include <memory>
#include <string>

#include "addon_data.h"
#include "args.h"
#include "connection.h"
#include "libvirt_error.h"
#include "operation.h"
#include "pmc.h"
#include "typed_params.h"

namespace pmc {

namespace {

// Paused reasons matter to checks (an I/O error, a migration in progress).
const char* PausedReasonName(int reason) {
  switch (reason) {
    case VIR_DOMAIN_PAUSED_USER: return "user";
    case VIR_DOMAIN_PAUSED_MIGRATION: return "migration";
    case VIR_DOMAIN_PAUSED_SAVE: return "save";
    case VIR_DOMAIN_PAUSED_DUMP: return "dump";
    case VIR_DOMAIN_PAUSED_IOERROR: return "ioerror";
    case VIR_DOMAIN_PAUSED_WATCHDOG: return "watchdog";
    case VIR_DOMAIN_PAUSED_FROM_SNAPSHOT: return "from-snapshot";
    case VIR_DOMAIN_PAUSED_SHUTTING_DOWN: return "shutting-down";
    case VIR_DOMAIN_PAUSED_SNAPSHOT: return "snapshot";
    case VIR_DOMAIN_PAUSED_CRASHED: return "crashed";
    case VIR_DOMAIN_PAUSED_STARTING_UP: return "starting-up";
    case VIR_DOMAIN_PAUSED_POSTCOPY: return "postcopy";
    case VIR_DOMAIN_PAUSED_POSTCOPY_FAILED: return "postcopy-failed";
    default: return "unknown";
  }
}

const char* JobTypeName(int type) {
  switch (type) {
    case VIR_DOMAIN_JOB_NONE: return "none";
    case VIR_DOMAIN_JOB_BOUNDED: return "bounded";
    case VIR_DOMAIN_JOB_UNBOUNDED: return "unbounded";
    case VIR_DOMAIN_JOB_COMPLETED: return "completed";
    case VIR_DOMAIN_JOB_FAILED: return "failed";
    case VIR_DOMAIN_JOB_CANCELLED: return "cancelled";
    default: return "unknown";
  }
}

Data Num(unsigned long long v) { return Data::Number(static_cast<double>(v)); }

}  // namespace

Napi::Function Domain::Init(Napi::Env env) {
  return DefineClass(env, "Domain",
                     {
                         InstanceMethod<&Domain::GetName>("getName"),
                         InstanceMethod<&Domain::GetUUIDString>("getUUIDString"),
                         InstanceMethod<&Domain::GetID>("getID"),
                         InstanceMethod<&Domain::GetConnection>("getConnection"),
                         InstanceMethod<&Domain::GetInfo>("getInfo"),
                         InstanceMethod<&Domain::GetState>("getState"),
                         InstanceMethod<&Domain::GetXMLDesc>("getXMLDesc"),
                         InstanceMethod<&Domain::IsActive>("isActive"),
                         InstanceMethod<&Domain::IsPersistent>("isPersistent"),
                         InstanceMethod<&Domain::SnapshotCount>("snapshotCount"),
                         InstanceMethod<&Domain::CreateSnapshot>("createSnapshot"),
                         InstanceMethod<&Domain::GetJobInfo>("getJobInfo"),
                         InstanceMethod<&Domain::GetJobStats>("getJobStats"),
                         InstanceMethod<&Domain::AbortJob>("abortJob"),
                         InstanceMethod<&Domain::MigrateStartPostCopy>("migrateStartPostCopy"),
                         InstanceMethod<&Domain::GetBlockJobInfo>("getBlockJobInfo"),
                         InstanceMethod<&Domain::BlockCopy>("blockCopy"),
                         InstanceMethod<&Domain::BlockJobAbort>("blockJobAbort"),
                         InstanceMethod<&Domain::StartDirtyRateCalc>("startDirtyRateCalc"),
                         InstanceMethod<&Domain::GetStats>("getStats"),
                         InstanceMethod<&Domain::Migrate3>("migrate3"),
                         InstanceMethod<&Domain::MigrateToURI3>("migrateToURI3"),
                         InstanceMethod<&Domain::Create>("create"),
                         InstanceMethod<&Domain::Destroy>("destroy"),
                         InstanceMethod<&Domain::Undefine>("undefine"),
                         InstanceMethod<&Domain::Suspend>("suspend"),
                         InstanceMethod<&Domain::Resume>("resume"),
                     });
}

Napi::Object Domain::Wrap(Napi::Env env, virDomainPtr dom, Napi::Object connection) {
  return AddonData::Get(env)->domainClass.New({Napi::External<virDomain>::New(env, dom), connection});
}

Domain::Domain(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Domain>(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsExternal() || !info[1].IsObject()) {
    throw Napi::TypeError::New(env, "domains come from a Connection's lookup methods");
  }
  dom_ = info[0].As<Napi::External<virDomain>>().Data();
  connection_ = Napi::Persistent(info[1].As<Napi::Object>());
  owner_ = Connection::Unwrap(connection_.Value());
}

Domain::~Domain() {
  // Off the JS thread: the domain may hold its connection's last reference
  // (its Connection closed before it), and that release is a round trip.
  if (dom_ != nullptr) FreeDomainOffJsThread(dom_);
}

DomainHandle Domain::Retain() const {
  if (owner_ == nullptr || !owner_->IsOpen()) return nullptr;
  return RetainDomain(dom_);
}

#define PMC_REQUIRE_DOMAIN(env) \
  DomainHandle dom = Retain();  \
  if (!dom) return RejectClosedConnection(env, "the domain's connection is closed");

// Name and UUID are cached in the handle: no libvirt round trip.
Napi::Value Domain::GetName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), virDomainGetName(dom_));
}

Napi::Value Domain::GetUUIDString(const Napi::CallbackInfo& info) {
  char uuid[VIR_UUID_STRING_BUFLEN];
  if (virDomainGetUUIDString(dom_, uuid) < 0) throw Napi::Error::New(info.Env(), "could not format the UUID");
  return Napi::String::New(info.Env(), uuid);
}

Napi::Value Domain::GetConnection(const Napi::CallbackInfo& info) { return connection_.Value(); }

Napi::Value Domain::GetID(const Napi::CallbackInfo& info) {
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), "could not get the domain ID", [dom](Data& out) {
    unsigned int id = virDomainGetID(dom.get());
    // (unsigned)-1 is both "inactive" and "error"; only an error leaves one set.
    if (id == static_cast<unsigned int>(-1)) {
      virErrorPtr err = virGetLastError();
      if (err != nullptr && err->code != VIR_ERR_OK) return false;
      out = Data::Number(-1);
      return true;
    }
    out = Data::Number(id);
    return true;
  });
}

Napi::Value Domain::GetInfo(const Napi::CallbackInfo& info) {
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), "could not get the domain info", [dom](Data& out) {
    virDomainInfo di;
    if (virDomainGetInfo(dom.get(), &di) < 0) return false;
    out = Data::Object();
    out.Set("state", Data::String(virPMCDomainStateName(di.state)));
    out.Set("maxMemKiB", Num(di.maxMem));
    out.Set("memoryKiB", Num(di.memory));
    out.Set("vcpus", Data::Number(di.nrVirtCpu));
    out.Set("cpuTimeNs", Num(di.cpuTime));
    return true;
  });
}

Napi::Value Domain::GetState(const Napi::CallbackInfo& info) {
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), "could not get the domain state", [dom](Data& out) {
    int state = 0, reason = 0;
    if (virDomainGetState(dom.get(), &state, &reason, 0) < 0) return false;
    out = Data::Object();
    out.Set("state", Data::String(virPMCDomainStateName(state)));
    out.Set("reason", Data::Number(reason));
    out.Set("reasonName", state == VIR_DOMAIN_PAUSED ? Data::String(PausedReasonName(reason)) : Data::Null());
    return true;
  });
}

Napi::Value Domain::GetXMLDesc(const Napi::CallbackInfo& info) {
  unsigned int flags = FlagsArg(info, 0);
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), "could not get the domain XML",
              [dom, flags](Data& out) { return StringResult(virDomainGetXMLDesc(dom.get(), flags), out); });
}

Napi::Value Domain::BoolCall(const Napi::CallbackInfo& info, const char* what, int (*fn)(virDomainPtr)) {
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), what, [dom, fn](Data& out) { return BoolResult(fn(dom.get()), out); });
}

Napi::Value Domain::IsActive(const Napi::CallbackInfo& info) {
  return BoolCall(info, "could not tell whether the domain is active", virDomainIsActive);
}

Napi::Value Domain::IsPersistent(const Napi::CallbackInfo& info) {
  return BoolCall(info, "could not tell whether the domain is persistent", virDomainIsPersistent);
}

Napi::Value Domain::SnapshotCount(const Napi::CallbackInfo& info) {
  unsigned int flags = FlagsArg(info, 0);
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), "could not count the snapshots", [dom, flags](Data& out) {
    int n = virDomainSnapshotNum(dom.get(), flags);
    out = Data::Number(n);
    return n >= 0;
  });
}

Napi::Value Domain::CreateSnapshot(const Napi::CallbackInfo& info) {
  std::string xml = StringArg(info, 0, "xml");
  unsigned int flags = FlagsArg(info, 1);
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), "could not create the snapshot", [dom, xml, flags](Data& out) {
    virDomainSnapshotPtr snap = virDomainSnapshotCreateXML(dom.get(), xml.c_str(), flags);
    if (snap == nullptr) return false;
    out = Data::String(virDomainSnapshotGetName(snap));
    virDomainSnapshotFree(snap);
    return true;
  });
}

Napi::Value Domain::GetJobInfo(const Napi::CallbackInfo& info) {
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), "could not get the job info", [dom](Data& out) {
    virDomainJobInfo ji;
    if (virDomainGetJobInfo(dom.get(), &ji) < 0) return false;
    out = Data::Object();
    out.Set("type", Data::String(JobTypeName(ji.type)));
    out.Set("timeElapsed", Num(ji.timeElapsed));
    out.Set("timeRemaining", Num(ji.timeRemaining));
    out.Set("dataTotal", Num(ji.dataTotal));
    out.Set("dataProcessed", Num(ji.dataProcessed));
    out.Set("dataRemaining", Num(ji.dataRemaining));
    out.Set("memTotal", Num(ji.memTotal));
    out.Set("memProcessed", Num(ji.memProcessed));
    out.Set("memRemaining", Num(ji.memRemaining));
    out.Set("fileTotal", Num(ji.fileTotal));
    out.Set("fileProcessed", Num(ji.fileProcessed));
    out.Set("fileRemaining", Num(ji.fileRemaining));
    return true;
  });
}

Napi::Value Domain::GetJobStats(const Napi::CallbackInfo& info) {
  unsigned int flags = FlagsArg(info, 0);
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), "could not get the job statistics", [dom, flags](Data& out) {
    int type = 0;
    virTypedParameterPtr params = nullptr;
    int n = 0;
    if (virDomainGetJobStats(dom.get(), &type, &params, &n, flags) < 0) return false;
    out = Data::Object();
    out.Set("type", Data::String(JobTypeName(type)));
    out.Set("stats", TypedParamsToData(params, n));
    virTypedParamsFree(params, n);
    return true;
  });
}

Napi::Value Domain::Simple(const Napi::CallbackInfo& info, const char* what, int (*fn)(virDomainPtr, unsigned int)) {
  unsigned int flags = FlagsArg(info, 0);
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), what, [dom, flags, fn](Data&) { return fn(dom.get(), flags) == 0; });
}

Napi::Value Domain::AbortJob(const Napi::CallbackInfo& info) {
  return Simple(info, "could not abort the job", [](virDomainPtr d, unsigned int) { return virDomainAbortJob(d); });
}

Napi::Value Domain::MigrateStartPostCopy(const Napi::CallbackInfo& info) {
  return Simple(info, "could not switch the migration to post-copy", virDomainMigrateStartPostCopy);
}

Napi::Value Domain::Create(const Napi::CallbackInfo& info) {
  return Simple(info, "could not start the domain", virDomainCreateWithFlags);
}

Napi::Value Domain::Destroy(const Napi::CallbackInfo& info) {
  return Simple(info, "could not destroy the domain", virDomainDestroyFlags);
}

Napi::Value Domain::Undefine(const Napi::CallbackInfo& info) {
  return Simple(info, "could not undefine the domain", virDomainUndefineFlags);
}

Napi::Value Domain::Suspend(const Napi::CallbackInfo& info) {
  return Simple(info, "could not suspend the domain", [](virDomainPtr d, unsigned int) { return virDomainSuspend(d); });
}

Napi::Value Domain::Resume(const Napi::CallbackInfo& info) {
  return Simple(info, "could not resume the domain", [](virDomainPtr d, unsigned int) { return virDomainResume(d); });
}

Napi::Value Domain::GetBlockJobInfo(const Napi::CallbackInfo& info) {
  std::string disk = StringArg(info, 0, "disk");
  unsigned int flags = FlagsArg(info, 1);
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), "could not get the block job info", [dom, disk, flags](Data& out) {
    virDomainBlockJobInfo bi;
    int rc = virDomainGetBlockJobInfo(dom.get(), disk.c_str(), &bi, flags);
    if (rc < 0) return false;
    if (rc == 0) {
      out = Data::Null();  // no job on this disk
      return true;
    }
    out = Data::Object();
    out.Set("type", Data::Number(bi.type));
    out.Set("bandwidth", Num(bi.bandwidth));
    out.Set("cur", Num(bi.cur));
    out.Set("end", Num(bi.end));
    return true;
  });
}

Napi::Value Domain::BlockCopy(const Napi::CallbackInfo& info) {
  std::string disk = StringArg(info, 0, "disk");
  std::string destXml = StringArg(info, 1, "destXml");
  int64_t bandwidth =
      info.Length() > 2 && !info[2].IsUndefined() ? IntegerArg(info, 2, "bandwidth", 0, INT64_MAX >> 11) : 0;
  unsigned int flags = FlagsArg(info, 3);
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), "could not start the block copy", [dom, disk, destXml, bandwidth, flags](Data&) {
    virTypedParameterPtr params = nullptr;
    int n = 0, max = 0;
    if (bandwidth > 0 && virTypedParamsAddULLong(&params, &n, &max, VIR_DOMAIN_BLOCK_COPY_BANDWIDTH, bandwidth) < 0) {
      return false;
    }
    int rc = virDomainBlockCopy(dom.get(), disk.c_str(), destXml.c_str(), params, n, flags);
    virTypedParamsFree(params, n);
    return rc == 0;
  });
}

Napi::Value Domain::BlockJobAbort(const Napi::CallbackInfo& info) {
  std::string disk = StringArg(info, 0, "disk");
  unsigned int flags = FlagsArg(info, 1);
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), "could not abort the block job",
              [dom, disk, flags](Data&) { return virDomainBlockJobAbort(dom.get(), disk.c_str(), flags) == 0; });
}

Napi::Value Domain::StartDirtyRateCalc(const Napi::CallbackInfo& info) {
  int seconds = static_cast<int>(IntegerArg(info, 0, "seconds", 1, 60));
  unsigned int flags = FlagsArg(info, 1);
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), "could not start the dirty rate calculation",
              [dom, seconds, flags](Data&) { return virDomainStartDirtyRateCalc(dom.get(), seconds, flags) == 0; });
}

Napi::Value Domain::GetStats(const Napi::CallbackInfo& info) {
  unsigned int stats = static_cast<unsigned int>(IntegerArg(info, 0, "stats", 0, UINT32_MAX));
  unsigned int flags = FlagsArg(info, 1);
  PMC_REQUIRE_DOMAIN(info.Env());
  return Call(info.Env(), "could not get the domain statistics", [dom, stats, flags](Data& out) {
    virDomainPtr doms[] = {dom.get(), nullptr};
    virDomainStatsRecordPtr* records = nullptr;
    int n = virDomainListGetStats(doms, stats, &records, flags);
    if (n < 0) return false;
    out = n > 0 ? TypedParamsToData(records[0]->params, records[0]->nparams) : Data::Object();
    virDomainStatsRecordListFree(records);
    return true;
  });
}

Napi::Value Domain::Migrate3(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonData* data = AddonData::Get(env);
  if (!info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(data->connectionClass.Value())) {
    throw Napi::TypeError::New(env, "destination must be a Connection");
  }
  Napi::Object destObject = info[0].As<Napi::Object>();
  std::shared_ptr<TypedParams> params = TypedParams::FromEntries(info[1]);
  unsigned int flags = FlagsArg(info, 2);
  Connection* dest = Connection::Unwrap(destObject);
  ConnHandle dconn = dest->Retain();
  if (!dconn) return RejectClosedConnection(env, "the destination connection is closed");
  PMC_REQUIRE_DOMAIN(env);
  auto slot = std::make_shared<DomainSlot>();
  auto destHold = std::make_shared<Napi::ObjectReference>(Napi::Persistent(destObject));
  return Call(
      env, "migration failed",
      [dom, dconn, params, flags, slot](Data&) {
        virDomainPtr moved = virDomainMigrate3(dom.get(), dconn.get(), params->params(), params->count(), flags);
        if (moved == nullptr) return false;
        slot->domains.push_back(moved);
        return true;
      },
      [slot, destHold](Napi::Env env, Data&) -> Napi::Value {
        return Domain::Wrap(env, slot->Take().at(0), destHold->Value());
      },
      Operation::Thread::Dedicated);
}

Napi::Value Domain::MigrateToURI3(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dconnuri = OptionalStringArg(info, 0, "dconnuri");
  std::shared_ptr<TypedParams> params = TypedParams::FromEntries(info[1]);
  unsigned int flags = FlagsArg(info, 2);
  PMC_REQUIRE_DOMAIN(env);
  return Call(
      env, "migration failed",
      [dom, dconnuri, params, flags](Data&) {
        return virDomainMigrateToURI3(dom.get(), OrNull(dconnuri), params->params(), params->count(), flags) == 0;
      },
      nullptr, Operation::Thread::Dedicated);
}

}  // namespace pmc
