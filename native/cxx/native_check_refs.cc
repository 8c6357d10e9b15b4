#include "native_check_refs.h"

namespace pmc::checks {

NativeCheckRefs& NativeCheckRefs::Global() {
  // Never destroyed: an abandoned worker may look its check up during exit.
  static NativeCheckRefs* registry = new NativeCheckRefs();
  return *registry;
}

uintptr_t NativeCheckRefs::Register(NativeCheckRef ref) {
  std::lock_guard<std::mutex> lock(mutex_);
  uintptr_t id = next_++;
  refs_.emplace(id, std::move(ref));
  return id;
}

bool NativeCheckRefs::Lookup(uintptr_t id, NativeCheckRef* out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = refs_.find(id);
  if (found == refs_.end()) return false;
  *out = found->second;  // copied under the lock: the entry may be erased right after
  return true;
}

void NativeCheckRefs::Forget(uintptr_t id) {
  NativeCheckRef dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = refs_.find(id);
    if (found == refs_.end()) return;
    dropped = std::move(found->second);
    refs_.erase(found);
  }
  // The last reference to a check file or facts may go here: freed outside the lock.
}

void NativeCheckRefs::Forget(const std::vector<uintptr_t>& ids) {
  std::vector<NativeCheckRef> dropped;
  dropped.reserve(ids.size());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (uintptr_t id : ids) {
      auto found = refs_.find(id);
      if (found == refs_.end()) continue;
      dropped.push_back(std::move(found->second));
      refs_.erase(found);
    }
  }
}

size_t NativeCheckRefs::Size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return refs_.size();
}

}  // namespace pmc::checks
