#include "connection.h"

#include <libvirt/virterror.h>

#include <memory>
#include <string>

#include "addon_data.h"
#include "args.h"
#include "connection_auth.h"
#include "event_loop.h"
#include "guarded_tsfn.h"
#include "libvirt_error.h"
#include "operation.h"
#include "release_queue.h"

namespace pmc {

// Guarded: a close may still be delivered while the environment goes away
// (a connection released off the JS thread is unregistered only later).
struct CloseListener {
  GuardedTsfn tsfn;
};

namespace {

void OnConnectionClosed(virConnectPtr, int reason, void* opaque);

// Everything a connection holds in libvirt, released in this order: the close
// callback (before the listener it calls is freed), the domain events, the
// wrapper's reference. Each may be a round trip to the daemon: never on the JS thread.
void ReleaseConnection(virConnectPtr conn, CloseListener* listener, const std::set<int>& eventIds) {
  if (listener != nullptr) {
    // Fails harmlessly when libvirt already dropped the callback (after calling it).
    if (virConnectUnregisterCloseCallback(conn, OnConnectionClosed) < 0) virResetLastError();
    listener->tsfn.Release();
    delete listener;
  }
  Connection::DeregisterAllDomainEvents(conn, eventIds);
  virConnectClose(conn);
}

const char* CloseReasonName(int reason) {
  switch (reason) {
    case VIR_CONNECT_CLOSE_REASON_ERROR: return "error";
    case VIR_CONNECT_CLOSE_REASON_EOF: return "eof";
    case VIR_CONNECT_CLOSE_REASON_KEEPALIVE: return "keepalive";
    case VIR_CONNECT_CLOSE_REASON_CLIENT: return "client";
    default: return "unknown";
  }
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
    // An open whose connection was never handed to JS (its environment went away first).
    if (conn_ != nullptr) {
      virConnectPtr conn = conn_;
      CloseListener* listener = registered_ ? closeListener_ : nullptr;
      if (registered_) closeListener_ = nullptr;
      ReleaseOffJsThread([conn, listener] { ReleaseConnection(conn, listener, {}); });
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
      // No callback, no questions: never libvirt's virConnectAuthPtrDefault,
      // which prompts on the process's stdout and reads its stdin (a service
      // would block on an open pipe, --json output would carry the prompt).
      // A host that wants credentials then refuses with VIR_ERR_AUTH_FAILED.
      conn_ = virConnectOpenAuth(OrNull(spec_.uri), nullptr, flags);
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
    // on the JS thread. The open waits for it (one round trip more), so that
    // a close that comes right after the open is always reported.
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
  virConnectPtr conn = conn_;
  conn_ = nullptr;
  CloseListener* listener = closeListener_;
  closeListener_ = nullptr;
  std::set<int> ids;
  ids.swap(eventIds_);
  ReleaseOffJsThread([conn, listener, ids] { ReleaseConnection(conn, listener, ids); });
}

// --- opening and closing ---------------------------------------------------

Napi::Value Connection::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string uri = OptionalStringArg(info, 0, "uri");
  bool readonly = info.Length() > 1 && info[1].ToBoolean().Value();
  // Optional: { credentials: string[], auth: (creds, reply) => void, authTimeoutMs,
  //             keepaliveInterval, keepaliveCount } (src/binding/connection.ts validates).
  Napi::Object options = info.Length() > 2 && info[2].IsObject() ? info[2].As<Napi::Object>() : Napi::Object::New(env);
  std::shared_ptr<AuthBridge> auth = AuthBridgeFromOptions(env, options);
  bool keepaliveGiven = options.Get("keepaliveInterval").IsNumber();
  int keepaliveInterval = keepaliveGiven ? options.Get("keepaliveInterval").As<Napi::Number>().Int32Value() : 5;
  unsigned int keepaliveCount =
      options.Get("keepaliveCount").IsNumber() ? options.Get("keepaliveCount").As<Napi::Number>().Uint32Value() : 3;
  if (!EnsureEventLoop()) throw Napi::Error::New(env, "could not register libvirt's event loop");

  OpenSpec spec{uri, readonly, auth, keepaliveGiven, keepaliveInterval, keepaliveCount};
  // Optional: onClose(reason), registered as the close callback while opening.
  CloseListener* closeListener = nullptr;
  if (options.Get("onClose").IsFunction()) {
    closeListener = new CloseListener{GuardedTsfn::New(env, options.Get("onClose").As<Napi::Function>(), "pmc.close")};
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
    ReleaseConnection(conn, listener, ids);
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
  auto* listener = new CloseListener{GuardedTsfn::New(env, info[0].As<Napi::Function>(), "pmc.close")};
  listener->tsfn.Unref(env);  // a listener must not keep the process alive
  // On a remote connection this is a round trip (libvirtd registers it on its
  // side too), on the JS thread: only for a handle that no Connection.open
  // wrapped, which registers its listener while opening, off the JS thread.
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

}  // namespace pmc
