// Argument checks for native methods: a wrong argument is a TypeError thrown
// on the JS thread, before any work is queued.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

namespace pmc {

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* name);
// Undefined or null gives "" (libvirt's "use the default" for optional strings).
std::string OptionalStringArg(const Napi::CallbackInfo& info, size_t i, const char* name);
unsigned int FlagsArg(const Napi::CallbackInfo& info, size_t i);
int64_t IntegerArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max);
std::vector<std::string> StringArrayArg(const Napi::CallbackInfo& info, size_t i, const char* name);

// NULL for "", as libvirt wants for "not given".
inline const char* OrNull(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

}  // namespace pmc
