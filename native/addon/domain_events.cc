// Domain events on a Connection: registration with
// virConnectDomainEventRegisterAny (for every domain of the connection),
// delivery from libvirt's event loop thread (EnsureEventLoop) to JS through a
// thread-safe function, deregistration on off() and on close. Registering and
// deregistering talk to the daemon (an RPC on remote connections), so both are
// Operations, off the JS thread.
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <atomic>
#include <memory>
#include <string>

#include "connection.h"
#include "guarded_tsfn.h"
#include "libvirt_error.h"
#include "operation.h"
#include "typed_params.h"

namespace pmc {

namespace {

// What libvirt holds as a registration's opaque pointer. libvirt calls
// FreeListener when the registration goes away (deregistered, or its
// connection closed), on whichever thread that happens; until then the
// callbacks may run on the event loop thread.
struct DomainEventListener {
  GuardedTsfn tsfn;
};

std::atomic<int> liveListeners{0};

void FreeListener(void* opaque) {
  auto* listener = static_cast<DomainEventListener*>(opaque);
  listener->tsfn.Release();
  delete listener;
  liveListeners--;
}

const char* const kLifecycleEvents[] = {"defined", "undefined", "started",     "suspended", "resumed",
                                        "stopped", "shutdown",  "pmsuspended", "crashed"};

// Detail names per event, in the order of libvirt's VIR_DOMAIN_EVENT_<EVENT>_* enums.
const char* LifecycleDetail(int event, int detail) {
  static const char* const defined[] = {"added", "updated", "renamed", "from_snapshot"};
  static const char* const undefined[] = {"removed", "renamed"};
  static const char* const started[] = {"booted", "migrated", "restored", "from_snapshot", "wakeup"};
  static const char* const suspended[] = {"paused",        "migrated",  "ioerror",  "watchdog",       "restored",
                                          "from_snapshot", "api_error", "postcopy", "postcopy_failed"};
  static const char* const resumed[] = {"unpaused", "migrated", "from_snapshot", "postcopy", "postcopy_failed"};
  static const char* const stopped[] = {"shutdown", "destroyed", "crashed",      "migrated",
                                        "saved",    "failed",    "from_snapshot"};
  static const char* const shutdown[] = {"finished", "guest", "host"};
  static const char* const pmsuspended[] = {"memory", "disk"};
  static const char* const crashed[] = {"panicked", "crashloaded"};
#define PMC_DETAIL(table) \
  return detail >= 0 && detail < static_cast<int>(sizeof(table) / sizeof(table[0])) ? table[detail] : "unknown"
  switch (event) {
    case VIR_DOMAIN_EVENT_DEFINED: PMC_DETAIL(defined);
    case VIR_DOMAIN_EVENT_UNDEFINED: PMC_DETAIL(undefined);
    case VIR_DOMAIN_EVENT_STARTED: PMC_DETAIL(started);
    case VIR_DOMAIN_EVENT_SUSPENDED: PMC_DETAIL(suspended);
    case VIR_DOMAIN_EVENT_RESUMED: PMC_DETAIL(resumed);
    case VIR_DOMAIN_EVENT_STOPPED: PMC_DETAIL(stopped);
    case VIR_DOMAIN_EVENT_SHUTDOWN: PMC_DETAIL(shutdown);
    case VIR_DOMAIN_EVENT_PMSUSPENDED: PMC_DETAIL(pmsuspended);
    case VIR_DOMAIN_EVENT_CRASHED: PMC_DETAIL(crashed);
    default: return "unknown";
  }
#undef PMC_DETAIL
}

// On the event loop thread: copies what the event says (libvirt frees its
// arguments after the callback returns) and posts it to JS. The domain's
// name and UUID are cached in the handle: no I/O here.
void Post(void* opaque, virDomainPtr dom, Data payload) {
  auto* listener = static_cast<DomainEventListener*>(opaque);
  char uuid[VIR_UUID_STRING_BUFLEN] = "";
  virDomainGetUUIDString(dom, uuid);
  const char* name = virDomainGetName(dom);
  Data domain = Data::Object();
  domain.Set("name", Data::String(name ? name : ""));
  domain.Set("uuid", Data::String(uuid));
  payload.Set("domain", std::move(domain));
  auto shared = std::make_shared<Data>(std::move(payload));
  // napi_closing (environment gone) or a full queue: the event is dropped.
  listener->tsfn.NonBlockingCall([shared](Napi::Env env, Napi::Function fn) {
    // A throwing listener must not let a C++ exception escape into Node.
    try {
      fn.Call({shared->ToJs(env)});
    } catch (const Napi::Error&) {
    }
  });
}

int OnLifecycle(virConnectPtr, virDomainPtr dom, int event, int detail, void* opaque) {
  Data payload = Data::Object();
  bool known = event >= 0 && event < static_cast<int>(sizeof(kLifecycleEvents) / sizeof(kLifecycleEvents[0]));
  payload.Set("event", Data::String(known ? kLifecycleEvents[event] : "unknown"));
  payload.Set("detail", Data::String(LifecycleDetail(event, detail)));
  payload.Set("eventNumber", Data::Number(event));
  payload.Set("detailNumber", Data::Number(detail));
  Post(opaque, dom, std::move(payload));
  return 0;
}

void OnJobCompleted(virConnectPtr, virDomainPtr dom, virTypedParameterPtr params, int nparams, void* opaque) {
  Data payload = Data::Object();
  payload.Set("stats", TypedParamsToData(params, nparams));
  Post(opaque, dom, std::move(payload));
}

void OnMigrationIteration(virConnectPtr, virDomainPtr dom, int iteration, void* opaque) {
  Data payload = Data::Object();
  payload.Set("iteration", Data::Number(iteration));
  Post(opaque, dom, std::move(payload));
}

struct EventKind {
  const char* name;
  int id;
  virConnectDomainEventGenericCallback callback;
};

const EventKind kEventKinds[] = {
    {"lifecycle", VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(OnLifecycle)},
    {"jobCompleted", VIR_DOMAIN_EVENT_ID_JOB_COMPLETED, VIR_DOMAIN_EVENT_CALLBACK(OnJobCompleted)},
    {"migrationIteration", VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION, VIR_DOMAIN_EVENT_CALLBACK(OnMigrationIteration)},
};

}  // namespace

// registerDomainEvent(name, listener): Promise<callbackId>
Napi::Value Connection::RegisterDomainEvent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  const EventKind* kind = nullptr;
  for (const auto& k : kEventKinds) {
    if (name == k.name) kind = &k;
  }
  if (kind == nullptr) throw Napi::RangeError::New(env, "unknown domain event: " + name);
  if (!info[1].IsFunction()) throw Napi::TypeError::New(env, "listener must be a function");
  ConnHandle conn = Retain();
  if (!conn) return RejectClosedConnection(env, "the connection is closed");

  auto* listener = new DomainEventListener{GuardedTsfn::New(env, info[1].As<Napi::Function>(), "pmc.domainEvent")};
  listener->tsfn.Unref(env);  // a listener must not keep the process alive
  liveListeners++;
  auto id = std::make_shared<int>(-1);
  Napi::Promise promise = Call(
      env, "could not register the domain event",
      [conn, kind, listener, id](Data&) {
        *id = virConnectDomainEventRegisterAny(conn.get(), nullptr, kind->id, kind->callback, listener, FreeListener);
        if (*id >= 0) return true;
        // libvirt did not take the listener: its free callback will never run.
        FreeListener(listener);
        return false;
      },
      [this, conn, id](Napi::Env env, Data&) -> Napi::Value {
        // Closed while registering: Close deregistered the ids it knew, not this
        // one, and a registration keeps its connection alive, so it goes now.
        if (conn_ == nullptr) {
          int late = *id;
          Call(env, "could not deregister the domain event", [conn, late](Data&) {
            if (virConnectDomainEventDeregisterAny(conn.get(), late) < 0) virResetLastError();
            return true;
          });
          return Napi::Number::New(env, -1);
        }
        eventIds_.insert(*id);
        return Napi::Number::New(env, *id);
      });
  return promise;
}

// deregisterDomainEvent(callbackId): Promise<void>
Napi::Value Connection::DeregisterDomainEvent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int id = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : -1;
  ConnHandle conn = Retain();
  if (!conn || eventIds_.erase(id) == 0) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Resolve(env.Undefined());
    return deferred.Promise();
  }
  return Call(env, "could not deregister the domain event",
              [conn, id](Data&) { return virConnectDomainEventDeregisterAny(conn.get(), id) == 0; });
}

void Connection::DeregisterAllDomainEvents(virConnectPtr conn, const std::set<int>& ids) {
  for (int id : ids) {
    // Fails harmlessly when the connection already dropped them.
    if (virConnectDomainEventDeregisterAny(conn, id) < 0) virResetLastError();
  }
}

Napi::Value LiveDomainEventListeners(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), liveListeners.load());
}

}  // namespace pmc
