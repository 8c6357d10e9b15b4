#include "connection.h"

#include <libvirt/virterror.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "addon_data.h"
#include "args.h"
#include "domain.h"
#include "event_loop.h"
#include "guarded_tsfn.h"
#include "libvirt_error.h"
#include "operation.h"
#include "resources.h"

namespace pmc {

struct CloseListener {
  Napi::ThreadSafeFunction tsfn;
};

namespace {

void OnConnectionClosed(virConnectPtr, int reason, void* opaque);

// Keeps the connection's JS object alive until a queued call has settled.
using ObjectHold = std::shared_ptr<Napi::ObjectReference>;

ObjectHold Hold(Napi::Object object) { return std::make_shared<Napi::ObjectReference>(Napi::Persistent(object)); }

const char* CloseReasonName(int reason) {
  switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_ERROR: return "error";
    case VIR_CONNECT_CLOSE_REASON_EOF: return "eof";
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE: return "keepalive";
    case VIR_CONNECT_CLOSE_REASON_CLIENT: return "client";
    default: return "unknown";
  }
}

// --- credentials from JS (virConnectOpenAuth) ---------------------------------------

const struct {
  int type;
  const char* name;
} kCredentialNames[] = {
    {VIR_CRED_USERNAME, "username"},         {VIR_CRED_AUTHNAME, "authname"},
    {VIR_CRED_LANGUAGE, "language"},         {VIR_CRED_CNONCE, "cnonce"},
    {VIR_CRED_PASSPHRASE, "passphrase"},     {VIR_CRED_ECHOPROMPT, "echoprompt"},
    {VIR_CRED_NOECHOPROMPT, "noechoprompt"}, {VIR_CRED_REALM, "realm"},
    {VIR_CRED_EXTERNAL, "external"},
};

int CredentialType(const std::string& name) {
  for (const auto& c : kCredentialNames) {
    if (name == c.name) return c.type;
  }
  return -1;
}

const char* CredentialName(int type) {
  for (const auto& c : kCredentialNames) {
    if (type == c.type) return c.name;
  }
  return "unknown";
}

// The JS function `(creds, reply) => void` that answers libvirt's questions,
// for the duration of one open.
struct AuthBridge {
  std::vector<int> types;
  int64_t timeoutMs = 60000;
  GuardedTsfn tsfn;
};

// One question round: the opening thread waits for `reply` from the JS thread.
struct AuthRound {
  std::mutex mutex;
  std::condition_variable cv;
  bool answered = false;
  bool ok = false;
  std::vector<std::string> answers;
};

struct Question {
  int type;
  std::string prompt, challenge, defresult;
};

// virConnectAuthCallbackPtr: called by libvirt on the thread that opens the
// connection (a dedicated one, see Open), never the JS thread. Posts the
// questions to JS and waits for the answers, at most timeoutMs; -1 (libvirt
// then fails the open as not authenticated) when JS refuses, throws, times out
// or the environment is gone.
int AskJs(virConnectCredentialPtr cred, unsigned int ncred, void* cbdata) {
  auto* auth = static_cast<AuthBridge*>(cbdata);
  auto questions = std::make_shared<std::vector<Question>>();
  for (unsigned int i = 0; i < ncred; i++) {
    questions->push_back({cred[i].type, cred[i].prompt ? cred[i].prompt : "",
                          cred[i].challenge ? cred[i].challenge : "", cred[i].defresult ? cred[i].defresult : ""});
  }
  auto round = std::make_shared<AuthRound>();
  napi_status status = auth->tsfn.NonBlockingCall([questions, round](Napi::Env env, Napi::Function fn) {
    Napi::Array creds = Napi::Array::New(env, questions->size());
    for (size_t i = 0; i < questions->size(); i++) {
      const Question& q = (*questions)[i];
      Napi::Object c = Napi::Object::New(env);
      c.Set("type", CredentialName(q.type));
      c.Set("prompt", q.prompt);
      if (!q.challenge.empty()) c.Set("challenge", q.challenge);
      if (!q.defresult.empty()) c.Set("defaultResult", q.defresult);
      creds.Set(i, c);
    }
    size_t count = questions->size();
    // reply(answers: string[]) or reply(null): a refusal.
    Napi::Function reply = Napi::Function::New(env, [round, count](const Napi::CallbackInfo& info) {
      std::lock_guard<std::mutex> lock(round->mutex);
      if (round->answered) return;
      round->answered = true;
      if (info[0].IsArray() && info[0].As<Napi::Array>().Length() == count) {
        Napi::Array answers = info[0].As<Napi::Array>();
        round->ok = true;
        for (uint32_t i = 0; i < count; i++) round->answers.push_back(answers.Get(i).ToString().Utf8Value());
      }
      round->cv.notify_all();
    });
    try {
      fn.Call({creds, reply});
    } catch (const Napi::Error&) {
      std::lock_guard<std::mutex> lock(round->mutex);
      round->answered = true;
      round->cv.notify_all();
    }
  });
  if (status != napi_ok) return -1;
  std::unique_lock<std::mutex> lock(round->mutex);
  if (!round->cv.wait_for(lock, std::chrono::milliseconds(auth->timeoutMs), [&] { return round->answered; })) {
    round->answered = true;  // a late reply is ignored
    return -1;
  }
  if (!round->ok) return -1;
  for (unsigned int i = 0; i < ncred; i++) {
    // libvirt frees each result with free().
    cred[i].result = strdup(round->answers[i].c_str());
    if (cred[i].result == nullptr) return -1;
    cred[i].resultlen = round->answers[i].size();
  }
  return 0;
}

struct OpenSpec {
  std::string uri;
  bool readonly;
  std::shared_ptr<AuthBridge> auth;
  bool keepaliveGiven;
  int keepaliveInterval;
  unsigned int keepaliveCount;
};

class OpenOperation : public Operation {
 public:
  OpenOperation(Napi::Env env, OpenSpec spec, CloseListener* closeListener)
      : Operation(env), spec_(std::move(spec)), closeListener_(closeListener) {}
  ~OpenOperation() override {
    if (conn_ != nullptr) {
      if (registered_ && virConnectUnregisterCloseCallback(conn_, OnConnectionClosed) < 0) virResetLastError();
      virConnectClose(conn_);
    }
    if (closeListener_ != nullptr) {
      closeListener_->tsfn.Release();
      delete closeListener_;
    }
  }

 protected:
  void Execute() override {
    unsigned int flags = spec_.readonly ? VIR_CONNECT_RO : 0;
    if (spec_.auth) {
      virConnectAuth auth = {spec_.auth->types.data(), static_cast<unsigned int>(spec_.auth->types.size()), AskJs,
                             spec_.auth.get()};
      conn_ = virConnectOpenAuth(OrNull(spec_.uri), &auth, flags);
      spec_.auth->tsfn.Release();  // libvirt asks only while opening
    } else {
      conn_ = virConnectOpenAuth(OrNull(spec_.uri), virConnectAuthPtrDefault, flags);
    }
    if (conn_ == nullptr) return Fail("could not open the connection");
    // Keepalive notices a dead remote daemon. By default (5 s x 3) drivers
    // without it say so, harmlessly; asked for explicitly, a refusal fails the open.
    if (virConnectSetKeepAlive(conn_, spec_.keepaliveInterval, spec_.keepaliveCount) < 0) {
      if (!spec_.keepaliveGiven) return virResetLastError();
      Fail("could not set the keepalive");
      virConnectClose(conn_);
      conn_ = nullptr;
      return;
    }
    // Registering the close callback is a call to a remote daemon: here, not
    // on the JS thread (setCloseListener), and not a round trip of its own.
    if (closeListener_ != nullptr) {
      if (virConnectRegisterCloseCallback(conn_, OnConnectionClosed, closeListener_, nullptr) < 0) {
        Fail("could not register the close callback");
        virConnectClose(conn_);
        conn_ = nullptr;
        return;
      }
      registered_ = true;
    }
  }

  Napi::Value OnOK(Napi::Env env) override {
    virConnectPtr conn = conn_;
    conn_ = nullptr;
    Napi::Object wrapped = AddonData::Get(env)->connectionClass.New({Napi::External<virConnect>::New(env, conn)});
    if (closeListener_ != nullptr) Connection::Unwrap(wrapped)->AdoptCloseListener(closeListener_);
    closeListener_ = nullptr;
    return wrapped;
  }

 private:
  OpenSpec spec_;
  CloseListener* closeListener_;
  bool registered_ = false;
  virConnectPtr conn_ = nullptr;
};

}  // namespace

Napi::Function Connection::Init(Napi::Env env) {
  return DefineClass(env, "Connection",
                     {
                         StaticMethod<&Connection::Open>("open"),
                         InstanceMethod<&Connection::Close>("close"),
                         InstanceMethod<&Connection::IsOpenMethod>("isOpen"),
                         InstanceMethod<&Connection::SetCloseListener>("setCloseListener"),
                         InstanceMethod<&Connection::RegisterDomainEvent>("registerDomainEvent"),
                         InstanceMethod<&Connection::DeregisterDomainEvent>("deregisterDomainEvent"),
                         InstanceMethod<&Connection::IsAlive>("isAlive"),
                         InstanceMethod<&Connection::GetHostname>("getHostname"),
                         InstanceMethod<&Connection::GetURI>("getURI"),
                         InstanceMethod<&Connection::GetType>("getType"),
                         InstanceMethod<&Connection::GetVersion>("getVersion"),
                         InstanceMethod<&Connection::GetLibVersion>("getLibVersion"),
                         InstanceMethod<&Connection::GetCapabilities>("getCapabilities"),
                         InstanceMethod<&Connection::GetDomainCapabilities>("getDomainCapabilities"),
                         InstanceMethod<&Connection::GetNodeInfo>("getNodeInfo"),
                         InstanceMethod<&Connection::GetFreeMemory>("getFreeMemory"),
                         InstanceMethod<&Connection::GetFreePages>("getFreePages"),
                         InstanceMethod<&Connection::GetCellsFreeMemory>("getCellsFreeMemory"),
                         InstanceMethod<&Connection::CompareHypervisorCPU>("compareHypervisorCPU"),
                         InstanceMethod<&Connection::BaselineHypervisorCPU>("baselineHypervisorCPU"),
                         InstanceMethod<&Connection::LookupDomainByName>("lookupDomainByName"),
                         InstanceMethod<&Connection::LookupDomainByUUID>("lookupDomainByUUID"),
                         InstanceMethod<&Connection::LookupDomainByID>("lookupDomainByID"),
                         InstanceMethod<&Connection::ListAllDomains>("listAllDomains"),
                         InstanceMethod<&Connection::DefineDomain>("defineDomain"),
                         InstanceMethod<&Connection::CreateDomain>("createDomain"),
                         InstanceMethod<&Connection::LookupNetworkByName>("lookupNetworkByName"),
                         InstanceMethod<&Connection::ListAllNetworks>("listAllNetworks"),
                         InstanceMethod<&Connection::LookupStorageVolByPath>("lookupStorageVolByPath"),
                         InstanceMethod<&Connection::ListAllStoragePools>("listAllStoragePools"),
                         InstanceMethod<&Connection::DefineStoragePool>("defineStoragePool"),
                         InstanceMethod<&Connection::CreateStorageVolume>("createStorageVolume"),
                         InstanceMethod<&Connection::DeleteStorageVolume>("deleteStorageVolume"),
                         InstanceMethod<&Connection::LookupSecretByUUID>("lookupSecretByUUID"),
                         InstanceMethod<&Connection::LookupSecretByUsage>("lookupSecretByUsage"),
                         InstanceMethod<&Connection::DefineSecret>("defineSecret"),
                     });
}

Connection::Connection(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Connection>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "use Connection.open(uri) to open a connection");
  }
  conn_ = info[0].As<Napi::External<virConnect>>().Data();
  AddonData::Get(info.Env())->connections.insert(this);
}

Connection::~Connection() {
  CloseNow();
  if (AddonData* data = AddonData::Get(Env())) data->connections.erase(this);
}

void Connection::CloseNow() {
  if (conn_ == nullptr) return;
  DropCloseListener();
  DeregisterAllDomainEvents(conn_, eventIds_);
  eventIds_.clear();
  virConnectClose(conn_);
  conn_ = nullptr;
}

Napi::Value Connection::WrapDomains(Napi::Env env, DomainSlot& slot, bool single) {
  std::vector<virDomainPtr> domains = slot.Take();
  if (single) return Domain::Wrap(env, domains.at(0), Value());
  Napi::Array out = Napi::Array::New(env, domains.size());
  for (size_t i = 0; i < domains.size(); i++) out.Set(i, Domain::Wrap(env, domains[i], Value()));
  return out;
}

// --- opening and closing ---------------------------------------------------

Napi::Value Connection::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string uri = OptionalStringArg(info, 0, "uri");
  bool readonly = info.Length() > 1 && info[1].ToBoolean().Value();
  // Optional: { credentials: string[], auth: (creds, reply) => void, authTimeoutMs,
  //             keepaliveInterval, keepaliveCount } (src/binding/connection.ts validates).
  Napi::Object options = info.Length() > 2 && info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
  std::shared_ptr<AuthBridge> auth;
  if (options.Get("auth").IsFunction()) {
    auth = std::make_shared<AuthBridge>();
    Napi::Value credentials = options.Get("credentials");
    if (!credentials.IsArray()) throw Napi::TypeError::New(env, "credentials must be an array of credential names");
    Napi::Array names = credentials.As<Napi::Array>();
    for (uint32_t i = 0; i < names.Length(); i++) {
      int type = CredentialType(names.Get(i).ToString().Utf8Value());
      if (type < 0) throw Napi::RangeError::New(env, "unknown credential type: " + names.Get(i).ToString().Utf8Value());
      auth->types.push_back(type);
    }
    if (auth->types.empty()) throw Napi::RangeError::New(env, "credentials must name at least one credential type");
    Napi::Value timeout = options.Get("authTimeoutMs");
    if (timeout.IsNumber()) auth->timeoutMs = timeout.As<Napi::Number>().Int64Value();
    auth->tsfn = GuardedTsfn::New(env, options.Get("auth").As<Napi::Function>(), "pmc.auth");
  }
  bool keepaliveGiven = options.Get("keepaliveInterval").IsNumber();
  int keepaliveInterval = keepaliveGiven ? options.Get("keepaliveInterval").As<Napi::Number>().Int32Value() : 5;
  unsigned int keepaliveCount =
      options.Get("keepaliveCount").IsNumber() ? options.Get("keepaliveCount").As<Napi::Number>().Uint32Value() : 3;
  if (!EnsureEventLoop()) throw Napi::Error::New(env, "could not register libvirt's event loop");

  OpenSpec spec{uri, readonly, auth, keepaliveGiven, keepaliveInterval, keepaliveCount};
  // Optional: onClose(reason), registered as the close callback while opening.
  CloseListener* closeListener = nullptr;
  if (options.Get("onClose").IsFunction()) {
    closeListener = new CloseListener{
        Napi::ThreadSafeFunction::New(env, options.Get("onClose").As<Napi::Function>(), "pmc.close", 0, 1)};
    closeListener->tsfn.Unref(env);  // a listener must not keep the process alive
  }
  // A callback that waits for JS must not hold one of the call pool's threads.
  Operation::Thread thread = auth ? Operation::Thread::Dedicated : Operation::Thread::Pool;
  return Operation::Queue(std::make_unique<OpenOperation>(env, std::move(spec), closeListener), thread);
}

Napi::Value Connection::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (conn_ == nullptr) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Resolve(env.Undefined());
    return deferred.Promise();
  }
  virConnectPtr conn = conn_;
  conn_ = nullptr;  // from now on, new calls reject; calls in flight hold their own reference
  std::set<int> ids;
  ids.swap(eventIds_);
  // Unregistering the close callback is a call to a remote daemon too: on the
  // worker, before the listener it may still call is released.
  CloseListener* listener = closeListener_;
  closeListener_ = nullptr;
  return Call(env, "could not close the connection", [conn, ids, listener](Data&) {
    if (listener != nullptr) {
      if (virConnectUnregisterCloseCallback(conn, OnConnectionClosed) < 0) virResetLastError();
      listener->tsfn.Release();
      delete listener;
    }
    DeregisterAllDomainEvents(conn, ids);
    virConnectClose(conn);
    return true;
  });
}

Napi::Value Connection::IsOpenMethod(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), conn_ != nullptr);
}

namespace {

// Runs on libvirt's event-loop thread, under the lock that unregistering
// takes: once DropCloseListener has unregistered, it is not running and
// will not run again, so the listener can be released.
void OnConnectionClosed(virConnectPtr, int reason, void* opaque) {
  auto* listener = static_cast<CloseListener*>(opaque);
  const char* name = CloseReasonName(reason);
  listener->tsfn.NonBlockingCall([name](Napi::Env env, Napi::Function fn) {
    // A listener that throws, or an environment going away, must not let a
    // C++ exception escape into Node (that aborts the process).
    try {
      fn.Call({Napi::String::New(env, name)});
    } catch (const Napi::Error&) {
    }
  });
}

}  // namespace

void Connection::DropCloseListener() {
  if (closeListener_ == nullptr) return;
  // Fails harmlessly when libvirt already dropped the callback (after calling
  // it) or the driver never kept it.
  if (conn_ != nullptr && virConnectUnregisterCloseCallback(conn_, OnConnectionClosed) < 0) virResetLastError();
  closeListener_->tsfn.Release();
  delete closeListener_;
  closeListener_ = nullptr;
}

void Connection::AdoptCloseListener(CloseListener* listener) {
  DropCloseListener();
  closeListener_ = listener;
}

Napi::Value Connection::SetCloseListener(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (conn_ == nullptr) throw Napi::Error::New(env, "the connection is closed");
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "listener must be a function");
  DropCloseListener();
  auto* listener =
      new CloseListener{Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "pmc.close", 0, 1)};
  listener->tsfn.Unref(env);  // a listener must not keep the process alive
  // Registration only stores the callback: no I/O, fine on the JS thread.
  // No free callback: the connection owns the listener (see DropCloseListener).
  if (virConnectRegisterCloseCallback(conn_, OnConnectionClosed, listener, nullptr) < 0) {
    LibvirtErrorInfo error = LibvirtErrorInfo::Capture("could not register the close callback");
    listener->tsfn.Release();
    delete listener;
    throw ToJsError(env, error, Napi::Error::New(env, "").Value());
  }
  closeListener_ = listener;
  return env.Undefined();
}

// --- host facts ----------------------------------------------------------------

#define PMC_REQUIRE_OPEN(env) \
  ConnHandle conn = Retain(); \
  if (!conn) return RejectClosedConnection(env, "the connection is closed");

Napi::Value Connection::StringCall(const Napi::CallbackInfo& info, const char* what, char* (*fn)(virConnectPtr)) {
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), what, [conn, fn](Data& out) { return StringResult(fn(conn.get()), out); });
}

Napi::Value Connection::VersionCall(const Napi::CallbackInfo& info, const char* what,
                                    int (*fn)(virConnectPtr, unsigned long*)) {
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), what, [conn, fn](Data& out) {
    unsigned long version = 0;
    if (fn(conn.get(), &version) < 0) return false;
    out = Data::Number(static_cast<double>(version));
    return true;
  });
}

Napi::Value Connection::IsAlive(const Napi::CallbackInfo& info) {
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not tell whether the connection is alive",
              [conn](Data& out) { return BoolResult(virConnectIsAlive(conn.get()), out); });
}

Napi::Value Connection::GetHostname(const Napi::CallbackInfo& info) {
  return StringCall(info, "could not get the hostname", virConnectGetHostname);
}

Napi::Value Connection::GetURI(const Napi::CallbackInfo& info) {
  return StringCall(info, "could not get the URI", virConnectGetURI);
}

Napi::Value Connection::GetType(const Napi::CallbackInfo& info) {
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not get the driver type", [conn](Data& out) {
    const char* type = virConnectGetType(conn.get());
    if (type == nullptr) return false;
    out = Data::String(type);
    return true;
  });
}

Napi::Value Connection::GetVersion(const Napi::CallbackInfo& info) {
  return VersionCall(info, "could not get the hypervisor version", virConnectGetVersion);
}

Napi::Value Connection::GetLibVersion(const Napi::CallbackInfo& info) {
  return VersionCall(info, "could not get the libvirt version", virConnectGetLibVersion);
}

Napi::Value Connection::GetCapabilities(const Napi::CallbackInfo& info) {
  return StringCall(info, "could not get the capabilities", virConnectGetCapabilities);
}

Napi::Value Connection::GetDomainCapabilities(const Napi::CallbackInfo& info) {
  std::string emulator = OptionalStringArg(info, 0, "emulator");
  std::string arch = OptionalStringArg(info, 1, "arch");
  std::string machine = OptionalStringArg(info, 2, "machine");
  std::string virttype = OptionalStringArg(info, 3, "virttype");
  unsigned int flags = FlagsArg(info, 4);
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not get the domain capabilities",
              [conn, emulator, arch, machine, virttype, flags](Data& out) {
                return StringResult(virConnectGetDomainCapabilities(conn.get(), OrNull(emulator), OrNull(arch),
                                                                    OrNull(machine), OrNull(virttype), flags),
                                    out);
              });
}

Napi::Value Connection::GetNodeInfo(const Napi::CallbackInfo& info) {
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not get the node info", [conn](Data& out) {
    virNodeInfo node;
    if (virNodeGetInfo(conn.get(), &node) < 0) return false;
    out = Data::Object();
    out.Set("model", Data::String(node.model));
    out.Set("memoryKiB", Data::Number(static_cast<double>(node.memory)));
    out.Set("cpus", Data::Number(node.cpus));
    out.Set("mhz", Data::Number(node.mhz));
    out.Set("nodes", Data::Number(node.nodes));
    out.Set("sockets", Data::Number(node.sockets));
    out.Set("cores", Data::Number(node.cores));
    out.Set("threads", Data::Number(node.threads));
    return true;
  });
}

Napi::Value Connection::GetFreeMemory(const Napi::CallbackInfo& info) {
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not get the free memory", [conn](Data& out) {
    unsigned long long bytes = virNodeGetFreeMemory(conn.get());
    // 0 is libvirt's error return; a host with truly no free memory reads the same.
    if (bytes == 0) {
      virErrorPtr err = virGetLastError();
      if (err != nullptr && err->code != VIR_ERR_OK) return false;
    }
    out = Data::Number(static_cast<double>(bytes));
    return true;
  });
}

Napi::Value Connection::GetFreePages(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "pageSizesKiB must be an array of numbers");
  Napi::Array sizesArg = info[0].As<Napi::Array>();
  std::vector<unsigned int> sizes;
  for (uint32_t i = 0; i < sizesArg.Length(); i++) {
    Napi::Value v = sizesArg.Get(i);
    if (!v.IsNumber()) throw Napi::TypeError::New(env, "pageSizesKiB must be an array of numbers");
    sizes.push_back(v.As<Napi::Number>().Uint32Value());
  }
  if (sizes.empty()) throw Napi::RangeError::New(env, "pageSizesKiB must name at least one page size");
  int startCell = static_cast<int>(IntegerArg(info, 1, "startCell", -1, INT32_MAX));
  unsigned int cellCount = static_cast<unsigned int>(IntegerArg(info, 2, "cellCount", 1, 1 << 16));
  PMC_REQUIRE_OPEN(env);
  return Call(env, "could not get the free pages", [conn, sizes, startCell, cellCount](Data& out) {
    std::vector<unsigned long long> counts(sizes.size() * cellCount);
    std::vector<unsigned int> pages = sizes;
    int filled = virNodeGetFreePages(conn.get(), pages.size(), pages.data(), startCell, cellCount, counts.data(), 0);
    if (filled < 0) return false;
    // libvirt fills pages.size() entries per cell, for `filled / pages.size()` cells.
    size_t cells = filled / pages.size();
    out = Data::Array();
    for (size_t c = 0; c < cells; c++) {
      Data cell = Data::Object();
      cell.Set("cell", Data::Number(startCell < 0 ? -1 : startCell + static_cast<int>(c)));
      Data free = Data::Object();
      for (size_t p = 0; p < pages.size(); p++) {
        free.Set(std::to_string(pages[p]), Data::Number(static_cast<double>(counts[c * pages.size() + p])));
      }
      cell.Set("freePages", std::move(free));
      out.Push(std::move(cell));
    }
    return true;
  });
}

Napi::Value Connection::GetCellsFreeMemory(const Napi::CallbackInfo& info) {
  int startCell = static_cast<int>(IntegerArg(info, 0, "startCell", 0, INT32_MAX));
  int maxCells = static_cast<int>(IntegerArg(info, 1, "maxCells", 1, 1 << 16));
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not get the free memory of the cells", [conn, startCell, maxCells](Data& out) {
    std::vector<unsigned long long> free(maxCells);
    int n = virNodeGetCellsFreeMemory(conn.get(), free.data(), startCell, maxCells);
    if (n < 0) return false;
    out = Data::Array();
    for (int i = 0; i < n; i++) out.Push(Data::Number(static_cast<double>(free[i])));
    return true;
  });
}

Napi::Value Connection::CompareHypervisorCPU(const Napi::CallbackInfo& info) {
  std::string emulator = OptionalStringArg(info, 0, "emulator");
  std::string arch = OptionalStringArg(info, 1, "arch");
  std::string machine = OptionalStringArg(info, 2, "machine");
  std::string virttype = OptionalStringArg(info, 3, "virttype");
  std::string xml = StringArg(info, 4, "xml");
  unsigned int flags = FlagsArg(info, 5);
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not compare the CPU",
              [conn, emulator, arch, machine, virttype, xml, flags](Data& out) {
                int result = virConnectCompareHypervisorCPU(conn.get(), OrNull(emulator), OrNull(arch), OrNull(machine),
                                                            OrNull(virttype), xml.c_str(), flags);
                if (result == VIR_CPU_COMPARE_ERROR) return false;
                out = Data::Number(result);
                return true;
              });
}

Napi::Value Connection::BaselineHypervisorCPU(const Napi::CallbackInfo& info) {
  std::string emulator = OptionalStringArg(info, 0, "emulator");
  std::string arch = OptionalStringArg(info, 1, "arch");
  std::string machine = OptionalStringArg(info, 2, "machine");
  std::string virttype = OptionalStringArg(info, 3, "virttype");
  std::vector<std::string> xmls = StringArrayArg(info, 4, "xmlCPUs");
  unsigned int flags = FlagsArg(info, 5);
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not compute a baseline CPU",
              [conn, emulator, arch, machine, virttype, xmls, flags](Data& out) {
                std::vector<const char*> ptrs;
                for (const auto& x : xmls) ptrs.push_back(x.c_str());
                return StringResult(
                    virConnectBaselineHypervisorCPU(conn.get(), OrNull(emulator), OrNull(arch), OrNull(machine),
                                                    OrNull(virttype), ptrs.data(), ptrs.size(), flags),
                    out);
              });
}

// --- domains -------------------------------------------------------------------

#define PMC_DOMAIN_CALL(ENV, what, expr)      \
  auto slot = std::make_shared<DomainSlot>(); \
  ObjectHold self = Hold(Value());            \
  return Call(                                \
      ENV, what,                              \
      [=](Data&) {                            \
        virDomainPtr dom = (expr);            \
        if (dom == nullptr) return false;     \
        slot->domains.push_back(dom);         \
        return true;                          \
      },                                      \
      [this, slot, self](Napi::Env env, Data&) { return WrapDomains(env, *slot, true); });

Napi::Value Connection::LookupDomainByName(const Napi::CallbackInfo& info) {
  std::string name = StringArg(info, 0, "name");
  PMC_REQUIRE_OPEN(info.Env());
  PMC_DOMAIN_CALL(info.Env(), "could not find the domain", virDomainLookupByName(conn.get(), name.c_str()));
}

Napi::Value Connection::LookupDomainByUUID(const Napi::CallbackInfo& info) {
  std::string uuid = StringArg(info, 0, "uuid");
  PMC_REQUIRE_OPEN(info.Env());
  PMC_DOMAIN_CALL(info.Env(), "could not find the domain", virDomainLookupByUUIDString(conn.get(), uuid.c_str()));
}

Napi::Value Connection::LookupDomainByID(const Napi::CallbackInfo& info) {
  int id = static_cast<int>(IntegerArg(info, 0, "id", 0, INT32_MAX));
  PMC_REQUIRE_OPEN(info.Env());
  PMC_DOMAIN_CALL(info.Env(), "could not find the domain", virDomainLookupByID(conn.get(), id));
}

Napi::Value Connection::DefineDomain(const Napi::CallbackInfo& info) {
  std::string xml = StringArg(info, 0, "xml");
  unsigned int flags = FlagsArg(info, 1);
  PMC_REQUIRE_OPEN(info.Env());
  PMC_DOMAIN_CALL(info.Env(), "could not define the domain", virDomainDefineXMLFlags(conn.get(), xml.c_str(), flags));
}

Napi::Value Connection::CreateDomain(const Napi::CallbackInfo& info) {
  std::string xml = StringArg(info, 0, "xml");
  unsigned int flags = FlagsArg(info, 1);
  PMC_REQUIRE_OPEN(info.Env());
  PMC_DOMAIN_CALL(info.Env(), "could not create the domain", virDomainCreateXML(conn.get(), xml.c_str(), flags));
}

Napi::Value Connection::ListAllDomains(const Napi::CallbackInfo& info) {
  unsigned int flags = FlagsArg(info, 0);
  PMC_REQUIRE_OPEN(info.Env());
  auto slot = std::make_shared<DomainSlot>();
  ObjectHold self = Hold(Value());
  return Call(
      info.Env(), "could not list the domains",
      [conn, flags, slot](Data&) {
        virDomainPtr* domains = nullptr;
        int n = virConnectListAllDomains(conn.get(), &domains, flags);
        if (n < 0) return false;
        slot->domains.assign(domains, domains + n);
        free(domains);
        return true;
      },
      [this, slot, self](Napi::Env env, Data&) { return WrapDomains(env, *slot, false); });
}

// --- networks, storage, secrets: plain descriptions, fetched in one call ----------

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
