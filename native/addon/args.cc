#include "args.h"

#include <cmath>

namespace pmc {

static Napi::Value At(const Napi::CallbackInfo& info, size_t i) {
  return i < info.Length() ? info[i] : info.Env().Undefined();
}

std::string StringArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = At(info, i);
  if (!v.IsString()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a string");
  }
  return v.As<Napi::String>().Utf8Value();
}

std::string OptionalStringArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = At(info, i);
  if (v.IsUndefined() || v.IsNull()) return "";
  return StringArg(info, i, name);
}

int64_t IntegerArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max) {
  Napi::Value v = At(info, i);
  if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(min) || d > static_cast<double>(max)) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be an integer from " + std::to_string(min) +
                                                " to " + std::to_string(max));
  }
  return static_cast<int64_t>(d);
}

unsigned int FlagsArg(const Napi::CallbackInfo& info, size_t i) {
  if (At(info, i).IsUndefined()) return 0;
  return static_cast<unsigned int>(IntegerArg(info, i, "flags", 0, UINT32_MAX));
}

std::vector<std::string> StringArrayArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = At(info, i);
  if (!v.IsArray()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be an array of strings");
  Napi::Array array = v.As<Napi::Array>();
  std::vector<std::string> out;
  for (uint32_t k = 0; k < array.Length(); k++) {
    Napi::Value item = array.Get(k);
    if (!item.IsString()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be an array of strings");
    out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

}  // namespace pmc
