// schemas/checks.rng, as built into libvirt-pmc (checks_schema.cc.in).
#pragma once

namespace pmc::lib {

extern const char kChecksSchema[];

}  // namespace pmc::lib
