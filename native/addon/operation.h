// One asynchronous libvirt call, as a baton (after sharp): Execute() runs off
// the JS thread and records libvirt's error in place; OnOK() builds the result
// on the JS thread. The promise rejects with a LibvirtError that carries the
// stack of the JS call that queued the operation.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>

#include "data.h"
#include "libvirt_error.h"

namespace pmc {

struct AddonData;
class Completions;

class Operation {
 public:
  // Pool: short calls (RPCs: I/O waits, not CPU work), on the addon's own
  // pool of up to kPoolThreads lazily started threads, not libuv's pool of 4,
  // so that many calls wait on the wire at once. Dedicated: calls that may
  // wait long (migration, a runner waiting for JS checks) get a thread of
  // their own so that they can never starve the pool.
  enum class Thread { Pool, Dedicated };
  // How many short calls may be in flight at once, process-wide (libvirt's
  // daemon works on 5 calls per client by default and queues the rest, so a
  // few connections' worth).
  static constexpr int kPoolThreads = 64;

  explicit Operation(Napi::Env env);
  virtual ~Operation();
  Operation(const Operation&) = delete;
  Operation& operator=(const Operation&) = delete;

  // Starts `op` and returns its promise; takes ownership.
  static Napi::Promise Queue(std::unique_ptr<Operation> op, Thread thread = Thread::Pool);

 protected:
  virtual void Execute() = 0;
  virtual Napi::Value OnOK(Napi::Env env) { return env.Undefined(); }
  // Called on the worker thread after Execute, to drop libvirt references
  // there rather than on the JS thread (dropping the last one may do I/O).
  virtual void Release() {}

  // The environment is gone (a terminated worker): drop JS handles without
  // touching the environment. Subclasses leak what they cannot free safely.
  virtual void Abandon();

  void Fail(const char* fallback) { error_ = LibvirtErrorInfo::Capture(fallback); }
  void Fail(LibvirtErrorInfo error) { error_ = std::move(error); }
  bool Failed() const { return error_.set; }

 private:
  void Run();
  void Settle(Napi::Env env);
  // Runs the operation on `thread`, settling it on the JS thread through a
  // thread-safe function guarded against the environment going away first.
  void Start(std::function<void(std::function<void()>)> post);

  LibvirtErrorInfo error_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference stack_;
  // Where it reports back; shared, since its thread may finish after the environment is gone.
  std::shared_ptr<Completions> completions_;

  friend class Completions;
};

// At the environment's teardown (the addon's cleanup hook): abandons the
// finished calls still waiting to be settled in a later turn of the loop.
void AbandonQueuedCalls(AddonData* data);

// An Operation made of two lambdas, for the many one-call methods:
// `body` runs off the JS thread and returns false when libvirt failed (its
// error is then copied); `convert` makes the JS value (default: Data::ToJs).
using CallBody = std::function<bool(Data& out)>;
using CallConvert = std::function<Napi::Value(Napi::Env env, Data& out)>;

Napi::Promise Call(Napi::Env env, const char* what, CallBody body, CallConvert convert = nullptr,
                   Operation::Thread thread = Operation::Thread::Pool);

// For call bodies: put libvirt's return value in `out` and say whether the
// call succeeded (when not, libvirt's last error says why).
// A string libvirt allocated, freed here; nullptr is a failure.
inline bool StringResult(char* value, Data& out) {
  out = Data::TakeString(value);
  return out.kind != Data::Kind::Null;
}
// A libvirt yes/no: 1 yes, 0 no, -1 a failure.
inline bool BoolResult(int rc, Data& out) {
  out = Data::Bool(rc == 1);
  return rc >= 0;
}

}  // namespace pmc
