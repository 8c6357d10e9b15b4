#include "operation.h"

#include <libxml/xmlerror.h>

#include <thread>

#include "guarded_tsfn.h"

namespace pmc {

namespace {

void IgnoreXmlError(void*, const char*, ...) {}

// libxml2 keeps its error handler per thread and prints to stderr by default;
// libvirt parses XML on our worker threads, so each of them is silenced once.
void SilenceXmlErrorsOnThisThread() {
  thread_local bool silenced = false;
  if (silenced) return;
  xmlSetGenericErrorFunc(nullptr, IgnoreXmlError);
  silenced = true;
}

}  // namespace

Operation::Operation(Napi::Env env) : deferred_(Napi::Promise::Deferred::New(env)) {
  // Capturing the stack now is what lets a rejection point at the caller.
  stack_ = Napi::Persistent(Napi::Error::New(env, "").Value());
}

Operation::~Operation() = default;

void Operation::Run() {
  SilenceXmlErrorsOnThisThread();
  Execute();
  Release();
}

void Operation::Settle(Napi::Env env) {
  // When a worker is terminated, its pending operations still complete, but
  // the environment can no longer run JS: settling the promise fails and
  // node-addon-api throws. Nobody is left to see the promise, so the failure
  // is dropped; an exception escaping a completion callback would abort the
  // whole process.
  try {
    Napi::HandleScope scope(env);
    if (error_.set) {
      deferred_.Reject(ToJsError(env, error_, stack_.Value()).Value());
      return;
    }
    try {
      deferred_.Resolve(OnOK(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  } catch (const Napi::Error&) {
  }
}

void Operation::Abandon() { stack_.SuppressDestruct(); }

Napi::Promise Operation::Queue(std::unique_ptr<Operation> owned, Thread thread) {
  Operation* op = owned.release();
  Napi::Env env = op->deferred_.Env();
  Napi::Promise promise = op->deferred_.Promise();

  if (thread == Thread::Pool) {
    napi_value name = Napi::String::New(env, "pmc.operation");
    napi_status status = napi_create_async_work(
        env, nullptr, name, [](napi_env, void* data) { static_cast<Operation*>(data)->Run(); },
        [](napi_env raw, napi_status status, void* data) {
          auto* self = static_cast<Operation*>(data);
          napi_delete_async_work(raw, self->work_);
          if (status == napi_ok || status == napi_cancelled) self->Settle(Napi::Env(raw));
          delete self;
        },
        op, &op->work_);
    if (status == napi_ok) status = napi_queue_async_work(env, op->work_);
    NAPI_THROW_IF_FAILED(env, status, promise);
    return promise;
  }

  // Dedicated: a thread of its own, reporting back through a thread-safe
  // function guarded against the environment going away first (a worker
  // terminated during a migration).
  GuardedTsfn tsfn = GuardedTsfn::New(env, Napi::Function(), "pmc.operation");
  std::thread([op, tsfn]() mutable {
    op->Run();
    napi_status status = tsfn.BlockingCall(op, [](Napi::Env env, Napi::Function, Operation* self) {
      self->Settle(env);
      delete self;
    });
    tsfn.Release();
    if (status != napi_ok) {
      op->Abandon();
      delete op;
    }
  }).detach();
  return promise;
}

namespace {

class CallOperation : public Operation {
 public:
  CallOperation(Napi::Env env, const char* what, CallBody body, CallConvert convert)
      : Operation(env), what_(what), body_(std::move(body)), convert_(std::move(convert)) {}

 protected:
  void Execute() override {
    if (!body_(out_)) Fail(what_);
  }
  void Release() override { body_ = nullptr; }
  void Abandon() override {
    Operation::Abandon();
    // `convert_` may hold JS references (a destination connection); their
    // destructors would call into the dead environment, so they are leaked.
    new CallConvert(std::move(convert_));
  }
  Napi::Value OnOK(Napi::Env env) override { return convert_ ? convert_(env, out_) : out_.ToJs(env); }

 private:
  const char* what_;
  CallBody body_;
  CallConvert convert_;
  Data out_;
};

}  // namespace

Napi::Promise Call(Napi::Env env, const char* what, CallBody body, CallConvert convert, Operation::Thread thread) {
  return Operation::Queue(std::make_unique<CallOperation>(env, what, std::move(body), std::move(convert)), thread);
}

}  // namespace pmc
