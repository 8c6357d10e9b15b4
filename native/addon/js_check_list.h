// CheckList: the C++ mirror of one virPMCCheckList, built for one run. Its
// state (the virPMCCheck structs and their strings that the C runner reads,
// and the trampolines through which the runner calls JS checks) is shared with
// the run, so it outlives the JS object when the environment goes away first.
#pragma once

#include <napi.h>

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "check_file.h"
#include "guarded_tsfn.h"
#include "native_check_refs.h"
#include "plugin_loader.h"
#include "pmc.h"
#include "run_facts.h"

namespace pmc {

struct CheckListData;

// The opaque of a JS check's virPMCCheck.
struct JsCheck {
  CheckListData* data;
  uint32_t index;
};

struct CheckListData : std::enable_shared_from_this<CheckListData> {
  CheckListData();
  ~CheckListData();

  // A run starts: JS checks are dispatched through `dispatcher` (a TSFN whose
  // JS side calls the checks of the indices it gets and later complete(index,
  // …)). Returns false if the list is already running.
  bool BeginRun(GuardedTsfn dispatcher);
  void EndRun();
  // On the JS thread: hands every queued index to the dispatcher in one call.
  void Drain(Napi::Function dispatcher);
  bool CompleteOne(uint32_t index, int status, const char* message, const char* details);

  virPMCCheckListPtr list_ = nullptr;
  std::deque<virPMCCheck> checks_;   // stable addresses for the list's pointers
  std::deque<std::string> strings_;  // names, descriptions, origins
  std::deque<JsCheck> jsChecks_;
  // This list's native checks' ids in checks::NativeCheckRefs::Global(), their
  // opaques (never pointers into the list: a worker may reach its check after a
  // timeout or a cancel decided it and the list was freed).
  std::vector<uintptr_t> nativeRefs_;
  // Written by setFacts before a run, read by native checks during it.
  std::shared_ptr<checks::RunFacts> facts_ = std::make_shared<checks::RunFacts>();

  std::mutex mutex_;  // guards what the runner thread and JS share:
  std::vector<virPMCResultPtr> pending_;
  // Started checks not yet handed to JS. Only the first of a batch wakes the
  // JS thread: thousands of checks cost one thread-safe call, not thousands.
  std::vector<uint32_t> queued_;
  GuardedTsfn dispatcher_;
  bool running_ = false;
};

class CheckList : public Napi::ObjectWrap<CheckList> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit CheckList(const Napi::CallbackInfo& info);

  const std::shared_ptr<CheckListData>& data() const { return data_; }

 private:
  // The trampoline: the runner calls it on its own thread (JS checks are not
  // VIR_PMC_CHECK_BLOCKING), so it only queues the call and returns PENDING.
  static int RunJsCheck(virDomainPtr domain, virConnectPtr dconn, void* opaque, virPMCResultPtr result);
  static int RunXmlCheck(virDomainPtr domain, virConnectPtr dconn, void* opaque, virPMCResultPtr result);
  static int RunPluginCheck(virDomainPtr domain, virConnectPtr dconn, void* opaque, virPMCResultPtr result);

  Napi::Value AddJs(const Napi::CallbackInfo& info);
  Napi::Value AddXml(const Napi::CallbackInfo& info);
  Napi::Value AddPlugin(const Napi::CallbackInfo& info);
  Napi::Value SetFacts(const Napi::CallbackInfo& info);
  Napi::Value Complete(const Napi::CallbackInfo& info);
  Napi::Value CompleteBatch(const Napi::CallbackInfo& info);
  Napi::Value Count(const Napi::CallbackInfo& info);

  virPMCCheckPtr NewCheck(const Napi::CallbackInfo& info);
  // Adds a native check built by the caller; its index, or throws on a duplicate.
  uint32_t AddNative(Napi::Env env, virPMCCheck check);
  // AddNative for a check whose opaque was just registered: unregistered again if the list refuses it.
  uint32_t AddRegistered(Napi::Env env, virPMCCheck check);

  std::shared_ptr<CheckListData> data_;
};

}  // namespace pmc
