#include "js_run_pmc.h"

#include <libvirt/virterror.h>

#include <memory>
#include <string>
#include <vector>

#include "addon_data.h"
#include "args.h"
#include "cancel.h"
#include "connection.h"
#include "domain.h"
#include "js_check_list.h"
#include "libvirt_error.h"
#include "operation.h"
#include "pmc-extend.h"
#include "pmc.h"
#include "pmc_last_error.h"
#include "typed_params.h"

namespace pmc {

namespace {

Data Str(const char* s) { return s ? Data::String(s) : Data::Null(); }

Data ProgressToData(virPMCProgress& p) {
  Data d = Data::Object();
  for (size_t i = 0; i < virPMCProgressFieldCount; i++) {
    const virPMCProgressField& field = virPMCProgressFields[i];
    d.Set(field.name, Data::Number(static_cast<double>(*virPMCProgressFieldOf(&p, &field))));
  }
  return d;
}

Data ReportToData(const virPMCReport& r) {
  Data out = Data::Object();
  Data checks = Data::Array();
  for (size_t i = 0; i < r.count; i++) {
    const virPMCOutcome& o = r.outcomes[i];
    Data c = Data::Object();
    c.Set("name", Str(o.name));
    c.Set("severity", Data::String(virPMCSeverityName(o.severity)));
    c.Set("status", Data::String(virPMCStatusName(o.status)));
    c.Set("message", Data::String(o.message ? o.message : ""));
    c.Set("details", Str(o.details));
    c.Set("durationMs", Data::Number(o.durationMs));
    c.Set("origin", Str(o.origin));
    checks.Push(std::move(c));
  }
  out.Set("checks", std::move(checks));
  out.Set("verdict", Data::String(virPMCVerdictName(r.verdict)));
  out.Set("cancelled", Data::Bool(r.cancelled != 0));
  out.Set("stateError", Str(r.stateError));
  Data migration = Data::Object();
  migration.Set("attempted", Data::Bool(r.migrationAttempted != 0));
  migration.Set("succeeded", Data::Bool(r.migrationSucceeded != 0));
  migration.Set("durationMs", Data::Number(r.migrationMs));
  if (r.migrationError != nullptr || r.migrationErrorCode != 0) {
    Data error = Data::Object();
    error.Set("code", Data::String(ErrorCodeName(r.migrationErrorCode)));
    error.Set("domain", Data::String(ErrorDomainName(r.migrationErrorDomain)));
    error.Set("message", Data::String(r.migrationError ? r.migrationError : "migration failed"));
    migration.Set("error", std::move(error));
  } else {
    migration.Set("error", Data::Null());
  }
  out.Set("migration", std::move(migration));
  return out;
}

struct ProgressSink {
  GuardedTsfn tsfn;
};

void OnProgress(const virPMCProgress* progress, void* opaque) {
  auto* sink = static_cast<ProgressSink*>(opaque);
  auto* copy = new virPMCProgress(*progress);
  napi_status status = sink->tsfn.NonBlockingCall(copy, [](Napi::Env env, Napi::Function fn, virPMCProgress* p) {
    Data d = ProgressToData(*p);
    delete p;
    fn.Call({d.ToJs(env)});
  });
  if (status != napi_ok) delete copy;
}

class RunOperation : public Operation {
 public:
  RunOperation(Napi::Env env, DomainHandle dom, ConnHandle dconn) : Operation(env), dom_(dom), dconn_(dconn) {}

  ~RunOperation() override { virPMCReportClear(&report_); }

  std::shared_ptr<CheckListData> list;
  Napi::ObjectReference destRef;
  GuardedTsfn dispatcher;
  std::unique_ptr<ProgressSink> progress;
  std::shared_ptr<virPMCCancel> cancel;
  bool migrate = false;
  unsigned int flags = 0, migrateFlags = 0, timeoutMs = 0, progressIntervalMs = 0;
  std::vector<std::string> skip;
  std::string dconnuri;
  std::shared_ptr<TypedParams> params;

 protected:
  void Execute() override {
    std::vector<const char*> skipPtrs;
    for (const auto& s : skip) skipPtrs.push_back(s.c_str());
    virPMCRunOptions opts = {};
    opts.flags = flags;
    opts.timeoutMs = timeoutMs;
    opts.skip = skipPtrs.data();
    opts.nskip = skipPtrs.size();
    opts.cancel = cancel.get();
    opts.progress = progress ? OnProgress : nullptr;
    opts.progressOpaque = progress.get();
    opts.progressIntervalMs = progressIntervalMs;
    opts.dconnuri = OrNull(dconnuri);
    int rc;
    if (migrate) {
      rc = virDomainMigratePMC(dom_.get(), dconn_.get(), list->list_, &opts, params ? params->params() : nullptr,
                               params ? params->count() : 0, migrateFlags, &report_);
      // A failed migration is in the report; only a bad argument is an error here.
      if (rc < 0 && !report_.migrationAttempted) FailToStart();
    } else {
      // virDomainCheckPMC runs the rehearsal when opts.flags asks for it.
      rc = virDomainCheckPMC(dom_.get(), dconn_.get(), list->list_, &opts, params ? params->params() : nullptr,
                             params ? params->count() : 0, migrateFlags, &report_);
      if (rc < 0) FailToStart();
    }
  }

  // On the thread of the failing call, where the core's last error is.
  void FailToStart() {
    PmcErrorInfo why = LastPmcError("no reason given");
    Fail(LibvirtErrorInfo::Make(VIR_ERR_INTERNAL_ERROR, "the check run could not start: " + why.message));
  }

  void Release() override {
    // Called on the run's thread once the runner is done with the TSFNs.
    dispatcher.Release();
    if (progress) progress->tsfn.Release();
    dom_.reset();
    dconn_.reset();
  }

  // The environment went away during the run: its JS handles are gone with it.
  void Abandon() override {
    Operation::Abandon();
    destRef.SuppressDestruct();
    list->EndRun();
  }

  Napi::Value OnOK(Napi::Env env) override {
    list->EndRun();
    Napi::Object out = ReportToData(report_).ToJs(env).As<Napi::Object>();
    if (report_.migrated != nullptr) {
      virDomainPtr moved = report_.migrated;
      report_.migrated = nullptr;  // now owned by the Domain wrapper
      out.Set("migratedDomain", Domain::Wrap(env, moved, destRef.Value()));
    }
    return out;
  }

 private:
  DomainHandle dom_;
  ConnHandle dconn_;
  virPMCReport report_ = {};
};

}  // namespace

Napi::Value RunPMC(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AddonData* data = AddonData::Get(env);
  if (!info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(data->domainClass.Value())) {
    throw Napi::TypeError::New(env, "domain must be a Domain");
  }
  if (!info[1].IsObject() || !info[1].As<Napi::Object>().InstanceOf(data->connectionClass.Value())) {
    throw Napi::TypeError::New(env, "destination must be a Connection");
  }
  if (!info[2].IsObject() || !info[2].As<Napi::Object>().InstanceOf(data->checkListClass.Value())) {
    throw Napi::TypeError::New(env, "list must be a CheckList");
  }
  if (!info[3].IsObject()) throw Napi::TypeError::New(env, "options must be an object");
  if (!info[4].IsFunction()) throw Napi::TypeError::New(env, "dispatcher must be a function");
  Napi::Object options = info[3].As<Napi::Object>();

  Domain* domain = Domain::Unwrap(info[0].As<Napi::Object>());
  Connection* dest = Connection::Unwrap(info[1].As<Napi::Object>());
  DomainHandle dom = domain->Retain();
  ConnHandle dconn = dest->Retain();
  if (!dom || !dconn) return RejectClosedConnection(env, "a connection of the run is closed");

  auto op = std::make_unique<RunOperation>(env, dom, dconn);
  op->list = CheckList::Unwrap(info[2].As<Napi::Object>())->data();
  op->destRef = Napi::Persistent(info[1].As<Napi::Object>());
  op->migrate = options.Get("migrate").ToBoolean();
  if (options.Get("sequential").ToBoolean()) op->flags |= VIR_PMC_RUN_SEQUENTIAL;
  if (options.Get("strict").ToBoolean()) op->flags |= VIR_PMC_RUN_STRICT;
  if (options.Get("rehearse").ToBoolean()) op->flags |= VIR_PMC_RUN_REHEARSE;
  if (options.Get("rehearseForce").ToBoolean()) op->flags |= VIR_PMC_RUN_REHEARSE_FORCE;
  Napi::Value timeout = options.Get("timeoutMs");
  if (timeout.IsNumber()) op->timeoutMs = timeout.As<Napi::Number>().Uint32Value();
  Napi::Value interval = options.Get("progressIntervalMs");
  if (interval.IsNumber()) op->progressIntervalMs = interval.As<Napi::Number>().Uint32Value();
  Napi::Value flags = options.Get("migrateFlags");
  if (flags.IsNumber()) op->migrateFlags = flags.As<Napi::Number>().Uint32Value();
  Napi::Value dconnuri = options.Get("dconnuri");
  if (dconnuri.IsString()) op->dconnuri = dconnuri.As<Napi::String>().Utf8Value();
  Napi::Value skip = options.Get("skip");
  if (skip.IsArray()) {
    Napi::Array arr = skip.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) op->skip.push_back(arr.Get(i).ToString().Utf8Value());
  }
  Napi::Value params = options.Get("params");
  if (!params.IsUndefined()) op->params = TypedParams::FromEntries(params);

  if (info.Length() > 5 && info[5].IsFunction()) {
    op->progress = std::make_unique<ProgressSink>();
    op->progress->tsfn = GuardedTsfn::New(env, info[5].As<Napi::Function>(), "pmc.progress");
  }
  if (info.Length() > 6 && info[6].IsObject()) {
    if (!info[6].As<Napi::Object>().InstanceOf(data->cancelClass.Value())) {
      throw Napi::TypeError::New(env, "cancel must be a Cancel");
    }
    op->cancel = Cancel::Unwrap(info[6].As<Napi::Object>())->handle();
  }

  // The dispatcher's queued calls hold the list's state, so a call still
  // queued when the run ends (a check that timed out) finds it alive.
  op->dispatcher = GuardedTsfn::New(env, info[4].As<Napi::Function>(), "pmc.check");
  if (!op->list->BeginRun(op->dispatcher)) {
    op->dispatcher.Release();
    if (op->progress) op->progress->tsfn.Release();
    throw Napi::Error::New(env, "this check list is already running");
  }
  return Operation::Queue(std::move(op), Operation::Thread::Dedicated);
}

}  // namespace pmc
