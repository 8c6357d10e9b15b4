#include "js_check_list.h"

#include "args.h"
#include "pmc_last_error.h"

namespace pmc {

namespace {

virPMCSeverity SeverityArg(const Napi::CallbackInfo& info, size_t i) {
  int severity = virPMCSeverityFromName(StringArg(info, i, "severity").c_str());
  if (severity < 0) throw Napi::RangeError::New(info.Env(), LastPmcError("bad severity").message);
  return static_cast<virPMCSeverity>(severity);
}

}  // namespace

Napi::Function CheckList::Init(Napi::Env env) {
  return DefineClass(env, "CheckList",
                     {
                         InstanceMethod<&CheckList::AddJs>("addJs"),
                         InstanceMethod<&CheckList::AddXml>("addXml"),
                         InstanceMethod<&CheckList::AddPlugin>("addPlugin"),
                         InstanceMethod<&CheckList::SetFacts>("setFacts"),
                         InstanceMethod<&CheckList::Complete>("complete"),
                         InstanceMethod<&CheckList::CompleteBatch>("completeBatch"),
                         InstanceMethod<&CheckList::Count>("count"),
                     });
}

CheckListData::CheckListData() : list_(virPMCCheckListNew()) {}

// The last holder is the JS object or a run that outlived it, after its end.
CheckListData::~CheckListData() {
  // A worker that reaches one of its native checks later finds nothing.
  checks::NativeCheckRefs::Global().Forget(nativeRefs_);
  virPMCCheckListFree(list_);
}

CheckList::CheckList(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<CheckList>(info), data_(std::make_shared<CheckListData>()) {
  if (data_->list_ == nullptr) throw PmcErrorToJs(info.Env(), LastPmcError("out of memory"));
}

virPMCCheckPtr CheckList::NewCheck(const Napi::CallbackInfo& info) {
  if (data_->running_) throw Napi::Error::New(info.Env(), "a running check list cannot change");
  data_->strings_.push_back(StringArg(info, 0, "name"));
  const char* name = data_->strings_.back().c_str();
  data_->strings_.push_back(OptionalStringArg(info, 1, "description"));
  const char* description = data_->strings_.back().c_str();
  virPMCSeverity severity = SeverityArg(info, 2);
  data_->strings_.push_back(StringArg(info, 3, "origin"));
  const char* origin = data_->strings_.back().c_str();
  data_->checks_.push_back(virPMCCheck{name, description, severity, nullptr, nullptr, 0, origin});
  return &data_->checks_.back();
}

// addJs(name, description, severity, origin) → index of the check in the list.
Napi::Value CheckList::AddJs(const Napi::CallbackInfo& info) {
  virPMCCheckPtr check = NewCheck(info);
  auto index = static_cast<uint32_t>(data_->list_->count);
  data_->jsChecks_.push_back(JsCheck{data_.get(), index});
  check->run = RunJsCheck;
  check->opaque = &data_->jsChecks_.back();
  if (virPMCCheckListAdd(data_->list_, check) < 0) {
    data_->jsChecks_.pop_back();
    data_->checks_.pop_back();
    throw PmcErrorToJs(info.Env(), LastPmcError("cannot add the check"));
  }
  std::lock_guard<std::mutex> lock(data_->mutex_);
  data_->pending_.push_back(nullptr);
  return Napi::Number::New(info.Env(), index);
}

Napi::Value CheckList::Count(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(data_->list_->count));
}

bool CheckListData::BeginRun(GuardedTsfn dispatcher) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) return false;
  running_ = true;
  dispatcher_ = dispatcher;
  return true;
}

void CheckListData::EndRun() {
  std::vector<virPMCResultPtr> abandoned;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_ = false;
    dispatcher_ = GuardedTsfn();
    queued_.clear();
    for (auto& result : pending_) {
      if (result != nullptr) abandoned.push_back(result);
      result = nullptr;
    }
  }
  // Checks that timed out or were cancelled and never settled: the runner has
  // moved on and ignores these answers, but needs them to free the run.
  for (virPMCResultPtr result : abandoned) {
    virPMCResultComplete(result, VIR_PMC_STATUS_ERROR, "abandoned after the run ended", nullptr);
  }
}

int CheckList::RunJsCheck(virDomainPtr, virConnectPtr, void* opaque, virPMCResultPtr result) {
  auto* js = static_cast<JsCheck*>(opaque);
  CheckListData* self = js->data;
  GuardedTsfn dispatcher;
  bool first;
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    self->pending_[js->index] = result;
    first = self->queued_.empty();
    self->queued_.push_back(js->index);
    dispatcher = self->dispatcher_;
  }
  if (!first) return VIR_PMC_RUN_PENDING;  // the JS thread is already on its way
  std::shared_ptr<CheckListData> keep = self->shared_from_this();
  napi_status status = dispatcher.NonBlockingCall([keep](Napi::Env, Napi::Function fn) { keep->Drain(fn); });
  if (status != napi_ok) {
    // The environment is going away: nothing queued will ever reach JS.
    std::vector<uint32_t> lost;
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      lost.swap(self->queued_);
    }
    for (uint32_t index : lost) {
      self->CompleteOne(index, VIR_PMC_STATUS_ERROR, "the JS environment is shutting down", nullptr);
    }
  }
  return VIR_PMC_RUN_PENDING;
}

void CheckListData::Drain(Napi::Function dispatcher) {
  std::vector<uint32_t> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.swap(queued_);
  }
  Napi::Env env = dispatcher.Env();
  Napi::Array indices = Napi::Array::New(env, batch.size());
  for (size_t i = 0; i < batch.size(); i++) indices.Set(i, batch[i]);
  // The dispatcher never throws: TS catches whatever a check does.
  dispatcher.Call({indices});
}

bool CheckListData::CompleteOne(uint32_t index, int status, const char* message, const char* details) {
  virPMCResultPtr result = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (index >= pending_.size()) return false;
    result = pending_[index];
    pending_[index] = nullptr;  // exactly once
  }
  // Only takes the run's lock and maybe signals the runner: fine on the JS thread.
  if (result != nullptr) virPMCResultComplete(result, status, message, details);
  return result != nullptr;
}

// complete(index, status, message, details): a JS check has settled.
Napi::Value CheckList::Complete(const Napi::CallbackInfo& info) {
  auto index = static_cast<uint32_t>(IntegerArg(info, 0, "index", 0, UINT32_MAX));
  int status = static_cast<int>(IntegerArg(info, 1, "status", -1, 100));
  std::string message = OptionalStringArg(info, 2, "message");
  std::string details = OptionalStringArg(info, 3, "details");
  if (index >= data_->list_->count) throw Napi::RangeError::New(info.Env(), "no such check");
  bool first = data_->CompleteOne(index, status, message.c_str(), details.empty() ? nullptr : details.c_str());
  return Napi::Boolean::New(info.Env(), first);
}

// completeBatch(indices, statuses, messages, details): many settled checks in one call.
Napi::Value CheckList::CompleteBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  for (size_t i = 0; i < 4; i++) {
    if (!info[i].IsArray()) throw Napi::TypeError::New(env, "completeBatch takes four arrays");
  }
  Napi::Array indices = info[0].As<Napi::Array>(), statuses = info[1].As<Napi::Array>();
  Napi::Array messages = info[2].As<Napi::Array>(), details = info[3].As<Napi::Array>();
  uint32_t n = indices.Length();
  for (uint32_t i = 0; i < n; i++) {
    uint32_t index = indices.Get(i).As<Napi::Number>().Uint32Value();
    if (index >= data_->list_->count) throw Napi::RangeError::New(env, "no such check");
    int status = statuses.Get(i).As<Napi::Number>().Int32Value();
    std::string message = messages.Get(i).IsString() ? messages.Get(i).As<Napi::String>().Utf8Value() : "";
    Napi::Value d = details.Get(i);
    std::string detail = d.IsString() ? d.As<Napi::String>().Utf8Value() : "";
    data_->CompleteOne(index, status, message.c_str(), d.IsString() ? detail.c_str() : nullptr);
  }
  return env.Undefined();
}

}  // namespace pmc
