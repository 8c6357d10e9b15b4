// libvirt's default event loop, registered once per process before the first
// connection and driven by one native thread. It delivers keepalives, close
// callbacks and domain events without ever touching the JS thread.
#pragma once

namespace pmc {

// Idempotent and thread-safe. Returns false if libvirt refused to register it.
bool EnsureEventLoop();

}  // namespace pmc
