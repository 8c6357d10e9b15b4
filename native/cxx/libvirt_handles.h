// Reference-counted libvirt handles for queued work: each operation holds its
// own virXxxRef, so closing a connection or dropping a wrapper while a call is
// in flight cannot free what the call is using.
#pragma once

#include <libvirt/libvirt.h>

#include <memory>
#include <vector>

namespace pmc {

using ConnHandle = std::shared_ptr<virConnect>;
using DomainHandle = std::shared_ptr<virDomain>;

inline ConnHandle RetainConn(virConnectPtr conn) {
  virConnectRef(conn);
  return ConnHandle(conn, [](virConnectPtr c) { virConnectClose(c); });
}

inline DomainHandle RetainDomain(virDomainPtr dom) {
  virDomainRef(dom);
  return DomainHandle(dom, [](virDomainPtr d) { virDomainFree(d); });
}

// Domains a call returns, owned until the JS thread wraps them; freed if it never does.
struct DomainSlot {
  std::vector<virDomainPtr> domains;
  ~DomainSlot() {
    for (virDomainPtr d : domains) virDomainFree(d);
  }
  std::vector<virDomainPtr> Take() { return std::move(domains); }
};

}  // namespace pmc
