// A thread-safe function that native threads may still hold when the
// environment goes away (a worker terminated during a migration or a check
// run). Node deletes a thread-safe function at environment teardown even while
// threads hold it, so touching it then is a use-after-free; every use here goes
// through a shared link that the function's finalizer marks dead.
#pragma once

#include <napi.h>

#include <memory>
#include <mutex>

namespace pmc {

class GuardedTsfn {
 public:
  GuardedTsfn() = default;

  // `fn` may be empty (the callbacks passed to the calls do the work).
  static GuardedTsfn New(Napi::Env env, Napi::Function fn, const char* name) {
    GuardedTsfn out;
    out.link_ = std::make_shared<Link>();
    auto* held = new std::shared_ptr<Link>(out.link_);
    out.tsfn_ = Napi::ThreadSafeFunction::New(
        env, fn, name, 0, 1, static_cast<void*>(nullptr),
        [](Napi::Env, std::shared_ptr<Link>* link, void*) {
          {
            std::lock_guard<std::mutex> lock((*link)->mutex);
            (*link)->alive = false;
          }
          delete link;
        },
        held);
    return out;
  }

  explicit operator bool() const { return link_ != nullptr; }

  // napi_closing once the environment is gone; the callback then never runs.
  template <typename Callback>
  napi_status NonBlockingCall(Callback callback) {
    if (!link_) return napi_closing;
    std::lock_guard<std::mutex> lock(link_->mutex);
    return link_->alive ? tsfn_.NonBlockingCall(callback) : napi_closing;
  }

  template <typename Data, typename Callback>
  napi_status NonBlockingCall(Data* data, Callback callback) {
    if (!link_) return napi_closing;
    std::lock_guard<std::mutex> lock(link_->mutex);
    return link_->alive ? tsfn_.NonBlockingCall(data, callback) : napi_closing;
  }

  template <typename Data, typename Callback>
  napi_status BlockingCall(Data* data, Callback callback) {
    if (!link_) return napi_closing;
    std::lock_guard<std::mutex> lock(link_->mutex);
    return link_->alive ? tsfn_.BlockingCall(data, callback) : napi_closing;
  }

  // Lets the process exit while the function lives (a listener). On the JS thread.
  void Unref(Napi::Env env) {
    if (link_) tsfn_.Unref(env);
  }

  // Keeps the process alive again while the function lives. On the JS thread.
  void Ref(Napi::Env env) {
    if (link_) tsfn_.Ref(env);
  }

  // Releases this thread's hold; a no-op after the environment is gone.
  void Release() {
    if (!link_) return;
    std::lock_guard<std::mutex> lock(link_->mutex);
    if (link_->alive) tsfn_.Release();
    link_.reset();
  }

 private:
  struct Link {
    std::mutex mutex;
    bool alive = true;
  };
  Napi::ThreadSafeFunction tsfn_;
  std::shared_ptr<Link> link_;
};

}  // namespace pmc
