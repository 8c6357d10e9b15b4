// CheckList: the C++ mirror of one virPMCCheckList, built for one run. It owns
// the virPMCCheck structs (and their strings) that the C runner reads, and the
// trampolines through which the runner calls JS checks.
#pragma once

#include <napi.h>

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "pmc.h"

namespace pmc {

class CheckList;

// The opaque of a JS check's virPMCCheck.
struct JsCheck {
  CheckList* list;
  uint32_t index;
};

class CheckList : public Napi::ObjectWrap<CheckList> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit CheckList(const Napi::CallbackInfo& info);
  ~CheckList() override;

  virPMCCheckListPtr list() const { return list_; }

  // A run starts: JS checks are dispatched through `dispatcher` (a TSFN whose
  // JS side calls check `index` and later complete(index, …)). Returns false if
  // the list is already running.
  bool BeginRun(Napi::ThreadSafeFunction dispatcher);
  void EndRun();

 private:
  // The trampoline: the runner calls it on its own thread (JS checks are not
  // VIR_PMC_CHECK_BLOCKING), so it only queues the call and returns PENDING.
  static int RunJsCheck(virDomainPtr domain, virConnectPtr dconn, void* opaque, virPMCResultPtr result);

  Napi::Value AddJs(const Napi::CallbackInfo& info);
  Napi::Value Complete(const Napi::CallbackInfo& info);
  Napi::Value CompleteBatch(const Napi::CallbackInfo& info);
  // On the JS thread: hands every queued index to the dispatcher in one call.
  void Drain(Napi::Env env, Napi::Function dispatcher);
  bool CompleteOne(uint32_t index, int status, const char* message, const char* details);
  Napi::Value Count(const Napi::CallbackInfo& info);

  virPMCCheckPtr NewCheck(const Napi::CallbackInfo& info);

  virPMCCheckListPtr list_ = nullptr;
  std::deque<virPMCCheck> checks_;     // stable addresses for the list's pointers
  std::deque<std::string> strings_;    // names, descriptions, origins
  std::deque<JsCheck> jsChecks_;

  std::mutex mutex_;                   // guards what the runner thread and JS share:
  std::vector<virPMCResultPtr> pending_;
  // Started checks not yet handed to JS. Only the first of a batch wakes the
  // JS thread: thousands of checks cost one thread-safe call, not thousands.
  std::vector<uint32_t> queued_;
  Napi::ThreadSafeFunction dispatcher_;
  bool running_ = false;
};

}  // namespace pmc
