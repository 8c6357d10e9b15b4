#include "event_loop.h"

#include <libvirt/libvirt.h>

#include <mutex>
#include <thread>

namespace pmc {

bool EnsureEventLoop() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    if (virEventRegisterDefaultImpl() < 0) return;
    ok = true;
    // The loop lives as long as the process: libvirt offers no way to
    // unregister the default implementation, and every environment shares it.
    std::thread([] {
      for (;;) virEventRunDefaultImpl();
    }).detach();
  });
  return ok;
}

}  // namespace pmc
