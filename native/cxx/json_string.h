// A string as a JSON string literal: the one escaper of the native code (the
// JSON `details` of check results).
#pragma once

#include <string>

namespace pmc {

std::string JsonString(const std::string& s);

}  // namespace pmc
