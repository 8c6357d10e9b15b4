// Reference-counted libvirt handles for queued work: each operation holds its
// own virXxxRef, so closing a connection or dropping a wrapper while a call is
// in flight cannot free what the call is using. The last reference may be
// dropped on the JS thread (a finished call's handles) and may be a round trip
// to the daemon: those releases go through ReleaseOffJsThread.
#pragma once

#include <libvirt/libvirt.h>

#include <memory>
#include <vector>

#include "release_queue.h"

namespace pmc {

using ConnHandle = std::shared_ptr<virConnect>;
using DomainHandle = std::shared_ptr<virDomain>;

// Drops one reference; the last one closes the connection (a round trip on remote ones).
inline void CloseConnOffJsThread(virConnectPtr conn) {
  ReleaseOffJsThread([conn] { virConnectClose(conn); });
}

// Drops one reference; the last one may be its connection's last (see above).
inline void FreeDomainOffJsThread(virDomainPtr dom) {
  ReleaseOffJsThread([dom] { virDomainFree(dom); });
}

inline ConnHandle RetainConn(virConnectPtr conn) {
  virConnectRef(conn);
  return ConnHandle(conn, [](virConnectPtr c) { CloseConnOffJsThread(c); });
}

inline DomainHandle RetainDomain(virDomainPtr dom) {
  virDomainRef(dom);
  return DomainHandle(dom, [](virDomainPtr d) { FreeDomainOffJsThread(d); });
}

// Domains a call returns, owned until the JS thread wraps them; freed if it never does.
struct DomainSlot {
  std::vector<virDomainPtr> domains;
  ~DomainSlot() {
    for (virDomainPtr d : domains) FreeDomainOffJsThread(d);
  }
  std::vector<virDomainPtr> Take() { return std::move(domains); }
};

}  // namespace pmc
