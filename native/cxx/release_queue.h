// Releases of libvirt objects that may talk to a daemon, kept off JS threads.
//
// Dropping the last reference to a remote connection is a round trip:
// virConnectClose (directly, or through virDomainFree of the last domain that
// held it) sends CONNECT_CLOSE and waits for the answer. A daemon that stopped
// answering holds the caller until keepalive gives up (15 s and more by
// default). Finalizers and cleanup hooks run on the JS thread, and a finished
// call's handles may be dropped there; they hand such releases to one
// process-wide release thread instead. Elsewhere (the call pool, libvirt's
// event loop) a release runs at once.
#pragma once

#include <chrono>
#include <functional>

namespace pmc {

// Marks the calling thread as a JS thread (each environment's, at addon init).
void MarkJsThread();

// Runs `release` now, or on the release thread when called on a JS thread.
// The release thread lives as long as the process.
void ReleaseOffJsThread(std::function<void()> release);

// Waits until every release queued so far has run, at most `timeout`; false
// when some still wait (a daemon not answering). For an environment's
// teardown, when no JS runs any more: a process must not exit while the
// release thread is inside libvirt and its TLS library (their exit-time
// destructors would run under it). Past the timeout the kernel closes the
// sockets and the daemons see EOF.
bool WaitForReleases(std::chrono::milliseconds timeout);

}  // namespace pmc
