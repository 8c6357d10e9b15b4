#include "release_queue.h"

#include <atomic>
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
  std::condition_variable idle;
  std::deque<std::function<void()>> pending;
  bool releasing = false;
};

std::atomic<bool> started{false};

// Never destroyed: the detached thread may still use it while the process exits.
ReleaseQueue& Queue() {
  static ReleaseQueue* queue = [] {
    started = true;
    auto* q = new ReleaseQueue();
    std::thread([q] {
      for (;;) {
        std::function<void()> release;
        {
          std::unique_lock<std::mutex> lock(q->mutex);
          q->ready.wait(lock, [q] { return !q->pending.empty(); });
          release = std::move(q->pending.front());
          q->pending.pop_front();
          q->releasing = true;
        }
        release();
        std::lock_guard<std::mutex> lock(q->mutex);
        q->releasing = false;
        if (q->pending.empty()) q->idle.notify_all();
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

bool WaitForReleases(std::chrono::milliseconds timeout) {
  if (!started) return true;  // nothing was ever queued
  ReleaseQueue& queue = Queue();
  std::unique_lock<std::mutex> lock(queue.mutex);
  return queue.idle.wait_for(lock, timeout, [&queue] { return queue.pending.empty() && !queue.releasing; });
}

}  // namespace pmc
