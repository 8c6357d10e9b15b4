// CheckList's native checks: XML asserts and plugin checks. Both are
// VIR_PMC_CHECK_BLOCKING C checks, so the runner calls them on its worker
// threads, with no JS involved, under its timeout.
#include "js_check_list.h"

#include "args.h"
#include "external_checks.h"
#include "pmc_last_error.h"

namespace pmc {

namespace {

using checks::NativeCheckRef;
using checks::NativeCheckRefs;

void* Register(CheckListData& data, NativeCheckRef ref) {
  uintptr_t id = NativeCheckRefs::Global().Register(std::move(ref));
  data.nativeRefs_.push_back(id);
  return reinterpret_cast<void*>(id);
}

void Unregister(CheckListData& data, void* opaque) {
  NativeCheckRefs::Global().Forget(reinterpret_cast<uintptr_t>(opaque));
  data.nativeRefs_.pop_back();
}

bool Lookup(void* opaque, NativeCheckRef* out) {
  return NativeCheckRefs::Global().Lookup(reinterpret_cast<uintptr_t>(opaque), out);
}

int ListGone(virPMCResultPtr result) {
  // The slot was decided (timed out or cancelled) before this worker got here.
  virPMCResultSet(result, VIR_PMC_STATUS_ERROR, "the check list is gone", nullptr);
  return VIR_PMC_RUN_DONE;
}

}  // namespace

uint32_t CheckList::AddNative(Napi::Env env, virPMCCheck check) {
  if (data_->running_) throw Napi::Error::New(env, "a running check list cannot change");
  data_->checks_.push_back(check);
  virPMCCheckPtr stored = &data_->checks_.back();
  auto index = static_cast<uint32_t>(data_->list_->count);
  if (virPMCCheckListAdd(data_->list_, stored) < 0) {
    data_->checks_.pop_back();
    throw PmcErrorToJs(env, LastPmcError("cannot add the check"));
  }
  std::lock_guard<std::mutex> lock(data_->mutex_);
  data_->pending_.push_back(nullptr);  // data_->pending_ is indexed like the list; native checks never use their slot
  return index;
}

uint32_t CheckList::AddRegistered(Napi::Env env, virPMCCheck check) {
  try {
    return AddNative(env, check);
  } catch (...) {
    Unregister(*data_, check.opaque);  // the list refused it: its references go too
    throw;
  }
}

// addXml(checkFileHandle, index, origin) → index of the check in the list.
Napi::Value CheckList::AddXml(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto file = CheckFileOf(env, info[0]);
  auto which = static_cast<size_t>(IntegerArg(info, 1, "index", 0, UINT32_MAX));
  if (which >= file->checks.size()) throw Napi::RangeError::New(env, "no such check in " + file->path);
  checks::XmlCheck* check = file->checks[which].get();
  data_->strings_.push_back(OptionalStringArg(info, 2, "origin"));
  const char* origin = data_->strings_.back().empty() ? "xml" : data_->strings_.back().c_str();
  void* opaque = Register(*data_, NativeCheckRef{checks::XmlRef{file, check, data_->facts_}, {}});
  virPMCCheck c{check->name.c_str(),
                check->description.c_str(),
                check->severity,
                RunXmlCheck,
                opaque,
                VIR_PMC_CHECK_BLOCKING,
                origin};
  return Napi::Number::New(env, AddRegistered(env, c));
}

// addPlugin(pluginHandle, index) → index of the check in the list.
Napi::Value CheckList::AddPlugin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto plugin = PluginOf(env, info[0]);
  auto which = static_cast<size_t>(IntegerArg(info, 1, "index", 0, UINT32_MAX));
  if (which >= plugin->checks.size()) throw Napi::RangeError::New(env, "no such check in " + plugin->path);
  const checks::PluginCheck& pc = plugin->checks[which];
  data_->strings_.push_back("plugin:" + plugin->name);
  const char* origin = data_->strings_.back().c_str();
  void* opaque = Register(*data_, NativeCheckRef{{}, checks::PluginRef{plugin, pc.check, data_->facts_}});
  // Always BLOCKING, whatever the plugin's flags say: a check on the runner's
  // own thread is out of reach of the timeout and of a cancel, so one that
  // never returns would hang the run. On a worker it is timed out and
  // abandoned like any blocking check (docs/security.md).
  virPMCCheck c{pc.name.c_str(),
                pc.check->description,
                pc.check->severity,
                RunPluginCheck,
                opaque,
                pc.check->flags | VIR_PMC_CHECK_BLOCKING,
                origin};
  return Napi::Number::New(env, AddRegistered(env, c));
}

// setFacts(values: {name: text}, errors: {name: message}): the facts native
// checks read in the next run, fetched by TS through the run's Facts.
Napi::Value CheckList::SetFacts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (data_->running_) throw Napi::Error::New(env, "a running check list cannot change");
  if (!info[0].IsObject() || !info[1].IsObject()) throw Napi::TypeError::New(env, "setFacts takes two objects");
  checks::RunFacts& facts = *data_->facts_;
  facts.Clear();
  Napi::Object values = info[0].As<Napi::Object>(), errors = info[1].As<Napi::Object>();
  Napi::Array names = values.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string name = names.Get(i).ToString().Utf8Value();
    facts.Set(name, values.Get(name).ToString().Utf8Value(), "");
  }
  names = errors.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string name = names.Get(i).ToString().Utf8Value();
    std::string message = errors.Get(name).ToString().Utf8Value();
    facts.Set(name, "", message.empty() ? "unknown error" : message);
  }
  return env.Undefined();
}

int CheckList::RunXmlCheck(virDomainPtr, virConnectPtr, void* opaque, virPMCResultPtr result) {
  // Copied under the registry's lock and held for the call: a check abandoned
  // after a timeout may outlive the list.
  NativeCheckRef ref;
  if (!Lookup(opaque, &ref)) return ListGone(result);
  checks::CheckOutcome outcome = checks::RunXmlCheck(*ref.xml.check, *ref.xml.facts);
  virPMCResultSet(result, outcome.status, outcome.message.c_str(),
                  outcome.details.empty() ? nullptr : outcome.details.c_str());
  return VIR_PMC_RUN_DONE;
}

// The trampoline: the plugin's own run, with host->fact answering from this run.
int CheckList::RunPluginCheck(virDomainPtr domain, virConnectPtr dconn, void* opaque, virPMCResultPtr result) {
  // Held for the call: a plugin check abandoned after a timeout may still
  // call host->fact after the list is gone.
  NativeCheckRef ref;
  if (!Lookup(opaque, &ref)) return ListGone(result);
  std::shared_ptr<const checks::RunFacts> facts = ref.plugin.facts;
  virPMCCheckPtr check = ref.plugin.check;
  checks::PluginFactsScope scope(facts.get());
  return check->run(domain, dconn, check->opaque, result);
}

}  // namespace pmc
