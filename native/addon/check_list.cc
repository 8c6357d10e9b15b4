#include "check_list.h"

#include "args.h"

namespace pmc {

namespace {

virPMCSeverity SeverityArg(const Napi::CallbackInfo& info, size_t i) {
  std::string s = StringArg(info, i, "severity");
  if (s == "critical") return VIR_PMC_SEVERITY_CRITICAL;
  if (s == "warning") return VIR_PMC_SEVERITY_WARNING;
  if (s == "info") return VIR_PMC_SEVERITY_INFO;
  throw Napi::RangeError::New(info.Env(), "severity must be critical, warning or info, not " + s);
}

}  // namespace

Napi::Function CheckList::Init(Napi::Env env) {
  return DefineClass(env, "CheckList",
                     {
                         InstanceMethod<&CheckList::AddJs>("addJs"),
                         InstanceMethod<&CheckList::Complete>("complete"),
                         InstanceMethod<&CheckList::Count>("count"),
                     });
}

CheckList::CheckList(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CheckList>(info) {
  list_ = virPMCCheckListNew();
  if (list_ == nullptr) throw Napi::Error::New(info.Env(), "out of memory");
}

CheckList::~CheckList() {
  // A run holds a reference to this object until it ends, so none is active here.
  virPMCCheckListFree(list_);
}

virPMCCheckPtr CheckList::NewCheck(const Napi::CallbackInfo& info) {
  if (running_) throw Napi::Error::New(info.Env(), "a running check list cannot change");
  strings_.push_back(StringArg(info, 0, "name"));
  const char* name = strings_.back().c_str();
  strings_.push_back(OptionalStringArg(info, 1, "description"));
  const char* description = strings_.back().c_str();
  virPMCSeverity severity = SeverityArg(info, 2);
  strings_.push_back(StringArg(info, 3, "origin"));
  const char* origin = strings_.back().c_str();
  checks_.push_back(virPMCCheck{name, description, severity, nullptr, nullptr, 0, origin});
  return &checks_.back();
}

// addJs(name, description, severity, origin) → index of the check in the list.
Napi::Value CheckList::AddJs(const Napi::CallbackInfo& info) {
  virPMCCheckPtr check = NewCheck(info);
  auto index = static_cast<uint32_t>(list_->count);
  jsChecks_.push_back(JsCheck{this, index});
  check->run = RunJsCheck;
  check->opaque = &jsChecks_.back();
  if (virPMCCheckListAdd(list_, check) < 0) {
    jsChecks_.pop_back();
    checks_.pop_back();
    throw Napi::Error::New(info.Env(), std::string("duplicate or invalid check: ") + check->name);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.push_back(nullptr);
  return Napi::Number::New(info.Env(), index);
}

Napi::Value CheckList::Count(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(list_->count));
}

bool CheckList::BeginRun(Napi::ThreadSafeFunction dispatcher) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) return false;
  running_ = true;
  dispatcher_ = dispatcher;
  return true;
}

void CheckList::EndRun() {
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = false;
  dispatcher_ = Napi::ThreadSafeFunction();
}

int CheckList::RunJsCheck(virDomainPtr, virConnectPtr, void* opaque, virPMCResultPtr result) {
  auto* js = static_cast<JsCheck*>(opaque);
  CheckList* self = js->list;
  Napi::ThreadSafeFunction dispatcher;
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->pending_[js->index] = result;
    dispatcher = self->dispatcher_;
  }
  auto* call = new JsCheckCall{self, js->index};
  napi_status status = dispatcher.NonBlockingCall(call, [](Napi::Env env, Napi::Function fn, JsCheckCall* c) {
    uint32_t index = c->index;
    delete c;
    // The dispatcher never throws: TS catches whatever a check does.
    fn.Call({Napi::Number::New(env, index)});
  });
  if (status != napi_ok) {
    delete call;
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->pending_[js->index] = nullptr;
    }
    virPMCResultSet(result, VIR_PMC_STATUS_ERROR, "the JS environment is shutting down", nullptr);
    return VIR_PMC_RUN_DONE;
  }
  return VIR_PMC_RUN_PENDING;
}

// complete(index, status, message, details): a JS check has settled.
Napi::Value CheckList::Complete(const Napi::CallbackInfo& info) {
  auto index = static_cast<uint32_t>(IntegerArg(info, 0, "index", 0, UINT32_MAX));
  int status = static_cast<int>(IntegerArg(info, 1, "status", -1, 100));
  std::string message = OptionalStringArg(info, 2, "message");
  std::string details = OptionalStringArg(info, 3, "details");
  virPMCResultPtr result = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (index >= pending_.size()) throw Napi::RangeError::New(info.Env(), "no such check");
    result = pending_[index];
    pending_[index] = nullptr;  // exactly once
  }
  if (result != nullptr) {
    // Only takes a lock and signals the runner: fine on the JS thread.
    virPMCResultComplete(result, status, message.c_str(), details.empty() ? nullptr : details.c_str());
  }
  return Napi::Boolean::New(info.Env(), result != nullptr);
}

}  // namespace pmc
