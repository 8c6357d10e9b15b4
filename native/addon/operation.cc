#include "operation.h"

#include <libxml/xmlerror.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "addon_data.h"
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

// The short calls' threads (after libvirt's own virThreadPool): a queue and
// up to Operation::kPoolThreads threads, started only when every started one
// is busy, ending after a minute idle. Process-wide (shared by worker
// threads' environments: each task settles through its own environment's
// thread-safe function) and never destroyed, since detached threads may
// still wait on it while the process exits.
class CallPool {
 public:
  static CallPool& Get() {
    static CallPool* pool = new CallPool();
    return *pool;
  }

  void Post(std::function<void()> task) {
    bool start = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(task));
      if (queue_.size() > static_cast<size_t>(idle_) && threads_ < Operation::kPoolThreads) {
        ++threads_;
        start = true;
      }
    }
    // Outside the lock: a woken or starting thread takes the task at once
    // instead of blocking on the mutex this thread still holds.
    if (start) {
      try {
        std::thread([this]() { Loop(); }).detach();
        return;
      } catch (const std::system_error&) {
        // No thread now (a task limit): give the slot back, so the pool can
        // grow again later, and leave the task to the threads running.
        std::lock_guard<std::mutex> lock(mutex_);
        if (--threads_ == 0) throw;  // nobody would ever run it
      }
    }
    wake_.notify_one();
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      ++idle_;
      bool got = wake_.wait_for(lock, std::chrono::minutes(1), [this]() { return !queue_.empty(); });
      --idle_;
      if (!got) {
        --threads_;
        return;
      }
      std::function<void()> task = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  int threads_ = 0;
  int idle_ = 0;
};

}  // namespace

// The operations of one environment that finished on their threads and wait
// for the JS thread to settle them. One thread-safe function per environment,
// not one per call: a call used to create and close one (a uv async handle and
// its references) and be settled in a callback of its own; now the calls that
// finish while the JS thread is busy are settled in one callback. Shared with
// the operations in flight: a terminated worker's environment goes away while
// its calls still run, and they must still find the (dead) queue.
class Completions {
 public:
  static std::shared_ptr<Completions> Of(Napi::Env env) {
    AddonData* data = AddonData::Get(env);
    if (!data->completions) {
      auto completions = std::make_shared<Completions>();
      completions->tsfn_ = GuardedTsfn::New(env, Napi::Function(), "pmc.operation");
      completions->tsfn_.Unref(env);  // referenced only while a call is in flight (Started)
      data->completions = completions;
    }
    return data->completions;
  }

  // On the JS thread: one more operation in flight; the loop stays alive while any is.
  void Started(Napi::Env env) {
    if (inFlight_++ == 0) tsfn_.Ref(env);
  }

  // On the operation's thread, after it ran: queues it for the JS thread. When
  // the environment is gone, it and every other operation still queued are
  // abandoned (their JS handles dropped without touching the environment).
  void Finished(Operation* op) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.push_back(op);
      if (drainQueued_) return;  // the JS thread settles it with the others
      drainQueued_ = true;
    }
    if (tsfn_.NonBlockingCall(this, [](Napi::Env env, Napi::Function, Completions* self) { self->Drain(env); }) ==
        napi_ok)
      return;
    AbandonQueued();
  }

 private:
  // At most this many calls settle in one turn of the loop. The promise
  // reactions a settle starts (the checks waiting for that fact, a model
  // parsed) run in the same turn, and a burst of 20 runs' answers settled at
  // once held the loop for up to 270 ms (bench/service.bench.mjs: the longest
  // turn 100-271 ms settling all at once, 36-59 ms four at a time; 16 at a time: 48-74 ms).
  static constexpr size_t kSettlePerTurn = 4;

  // On the JS thread: settles the oldest calls queued so far; the rest, and
  // any that finish meanwhile, in a later turn (setImmediate: timers and I/O
  // of the service get their turn in between).
  void Drain(Napi::Env env) {
    std::vector<Operation*> settling;
    bool more;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      size_t n = std::min(done_.size(), kSettlePerTurn);
      settling.assign(done_.begin(), done_.begin() + n);
      done_.erase(done_.begin(), done_.begin() + n);
      more = !done_.empty();
      drainQueued_ = more;  // a call finishing now joins the later turn's
    }
    for (Operation* op : settling) {
      op->Settle(env);
      delete op;
    }
    inFlight_ -= static_cast<int>(settling.size());
    if (more) {
      if (!DrainNextTurn(env)) AbandonQueued();  // the environment is going away
    } else if (inFlight_ == 0) {
      tsfn_.Unref(env);
    }
  }

  // False when the environment can no longer schedule it (it is going away).
  static bool DrainNextTurn(Napi::Env env) {
    AddonData* data = AddonData::Get(env);
    try {
      if (data->drainCompletions.IsEmpty()) {
        data->drainCompletions = Napi::Persistent(Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
          if (AddonData* d = AddonData::Get(info.Env()); d && d->completions) d->completions->Drain(info.Env());
        }));
      }
      data->setImmediate.Call({data->drainCompletions.Value()});
      return true;
    } catch (const Napi::Error&) {
      return false;
    }
  }

 public:
  // The environment is going away (its cleanup hook, or a later turn that
  // could not be scheduled): the calls waiting for a later turn will never be
  // settled, and are abandoned as those that finish afterwards are (Finished).
  void AbandonQueued() {
    std::vector<Operation*> orphans;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      orphans.swap(done_);
      drainQueued_ = false;
    }
    for (Operation* orphan : orphans) {
      orphan->Abandon();
      delete orphan;
    }
  }

 private:
  GuardedTsfn tsfn_;
  std::mutex mutex_;
  std::vector<Operation*> done_;
  bool drainQueued_ = false;
  int inFlight_ = 0;  // JS thread only
};

void AbandonQueuedCalls(AddonData* data) {
  if (data->completions) data->completions->AbandonQueued();
}

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

void Operation::Start(std::function<void(std::function<void()>)> post) {
  // Reports back through its environment's completion queue, which knows
  // when that environment went away first (a worker terminated during a call).
  completions_ = Completions::Of(deferred_.Env());
  completions_->Started(deferred_.Env());
  post([this]() {
    Run();
    // The JS thread may settle and delete this operation as soon as it is queued.
    std::shared_ptr<Completions> completions = completions_;
    completions->Finished(this);
  });
}

Napi::Promise Operation::Queue(std::unique_ptr<Operation> owned, Thread thread) {
  Operation* op = owned.release();
  Napi::Promise promise = op->deferred_.Promise();
  if (thread == Thread::Pool) {
    op->Start([](std::function<void()> task) { CallPool::Get().Post(std::move(task)); });
  } else {
    op->Start([](std::function<void()> task) { std::thread(std::move(task)).detach(); });
  }
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
