#include "release_queue.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace pmc {

namespace {

thread_local bool jsThread = false;

struct ReleaseQueue {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::function<void()>> pending;
};

// Never destroyed: the detached thread may still use it while the process exits.
ReleaseQueue& Queue() {
  static ReleaseQueue* queue = [] {
    auto* q = new ReleaseQueue();
    std::thread([q] {
      for (;;) {
        std::function<void()> release;
        {
          std::unique_lock<std::mutex> lock(q->mutex);
          q->ready.wait(lock, [q] { return !q->pending.empty(); });
          release = std::move(q->pending.front());
          q->pending.pop_front();
        }
        release();
      }
    }).detach();
    return q;
  }();
  return *queue;
}

}  // namespace

void MarkJsThread() { jsThread = true; }

void ReleaseOffJsThread(std::function<void()> release) {
  if (!jsThread) return release();
  ReleaseQueue& queue = Queue();
  {
    std::lock_guard<std::mutex> lock(queue.mutex);
    queue.pending.push_back(std::move(release));
  }
  queue.ready.notify_one();
}

}  // namespace pmc
