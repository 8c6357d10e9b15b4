#include "typed_params.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <string>

namespace pmc {

namespace {

// The largest whole numbers a JS number carries exactly, per libvirt type.
constexpr double kMaxInt = 2147483647.0;           // INT_MAX
constexpr double kMaxULLong = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER

double WholeNumber(Napi::Env env, Napi::Value v, const std::string& label, double max) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, label + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < 0 || d > max) {
    throw Napi::RangeError::New(
        env, label + " must be a whole number from 0 to " + std::to_string(static_cast<unsigned long long>(max)));
  }
  return d;
}

// A C string for libvirt: an embedded NUL would silently cut the value short.
std::string CString(Napi::Env env, Napi::Value v, const std::string& label, const char* expected) {
  if (!v.IsString()) throw Napi::TypeError::New(env, label + " must be " + expected);
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos) throw Napi::TypeError::New(env, label + " must not contain NUL characters");
  return s;
}

}  // namespace

std::unique_ptr<TypedParams> TypedParams::FromEntries(Napi::Value value) {
  Napi::Env env = value.Env();
  if (!value.IsArray()) throw Napi::TypeError::New(env, "params must be an array of [field, type, value] entries");
  Napi::Array entries = value.As<Napi::Array>();
  auto out = std::make_unique<TypedParams>();
  for (uint32_t i = 0; i < entries.Length(); i++) {
    Napi::Value item = entries.Get(i);
    if (!item.IsArray() || item.As<Napi::Array>().Length() < 3) {
      throw Napi::TypeError::New(env, "params[" + std::to_string(i) + "] must be a [field, type, value] entry");
    }
    Napi::Array entry = item.As<Napi::Array>();
    std::string field = CString(env, entry.Get(0u), "params[" + std::to_string(i) + "] field", "a string");
    // libvirt copies the field into a fixed buffer (VIR_TYPED_PARAM_FIELD_LENGTH, NUL included).
    if (field.empty() || field.size() >= VIR_TYPED_PARAM_FIELD_LENGTH) {
      throw Napi::RangeError::New(env, "typed parameter field '" + field + "' must be 1 to " +
                                           std::to_string(VIR_TYPED_PARAM_FIELD_LENGTH - 1) + " bytes");
    }
    Napi::Value typeValue = entry.Get(1u);
    std::string type = typeValue.IsString() ? typeValue.As<Napi::String>().Utf8Value() : "";
    Napi::Value v = entry.Get(2u);
    // Errors name the caller's key when it gave one (e.g. `bandwidth (bandwidth)`), else libvirt's field.
    Napi::Value labelValue = entry.Get(3u);
    std::string label = labelValue.IsString() ? labelValue.As<Napi::String>().Utf8Value() + " (" + field + ")" : field;
    int rc = 0;
    if (type == "string") {
      rc = virTypedParamsAddString(&out->params_, &out->count_, &out->max_, field.c_str(),
                                   CString(env, v, label, "a string").c_str());
    } else if (type == "string-list") {
      if (!v.IsArray()) throw Napi::TypeError::New(env, label + " must be an array of strings");
      Napi::Array list = v.As<Napi::Array>();
      for (uint32_t k = 0; k < list.Length() && rc == 0; k++) {
        std::string s = CString(env, list.Get(k), label, "an array of strings");
        rc = virTypedParamsAddString(&out->params_, &out->count_, &out->max_, field.c_str(), s.c_str());
      }
    } else if (type == "int") {
      rc = virTypedParamsAddInt(&out->params_, &out->count_, &out->max_, field.c_str(),
                                static_cast<int>(WholeNumber(env, v, label, kMaxInt)));
    } else if (type == "ullong") {
      rc = virTypedParamsAddULLong(&out->params_, &out->count_, &out->max_, field.c_str(),
                                   static_cast<unsigned long long>(WholeNumber(env, v, label, kMaxULLong)));
    } else {
      throw Napi::TypeError::New(env, "unknown typed parameter type for " + label + ": '" + type +
                                          "' (expected string, string-list, int or ullong)");
    }
    // -1: libvirt could not grow the array (out of memory); its message is in virGetLastError.
    if (rc < 0) throw Napi::Error::New(env, "could not pack typed parameter " + label);
  }
  return out;
}

Napi::Value TypedParams::ToEntries(Napi::Env env) const {
  Napi::Array out = Napi::Array::New(env, count_);
  for (int i = 0; i < count_; i++) {
    const virTypedParameter& p = params_[i];
    Napi::Array entry = Napi::Array::New(env, 3);
    entry.Set(0u, Napi::String::New(env, p.field));
    switch (p.type) {
      case VIR_TYPED_PARAM_INT:
        entry.Set(1u, Napi::String::New(env, "int"));
        entry.Set(2u, Napi::Number::New(env, p.value.i));
        break;
      case VIR_TYPED_PARAM_ULLONG:
        entry.Set(1u, Napi::String::New(env, "ullong"));
        entry.Set(2u, Napi::Number::New(env, static_cast<double>(p.value.ul)));
        break;
      case VIR_TYPED_PARAM_STRING:
        entry.Set(1u, Napi::String::New(env, "string"));
        entry.Set(2u, Napi::String::New(env, p.value.s ? p.value.s : ""));
        break;
      default:  // FromEntries packs no other type
        entry.Set(1u, Napi::Number::New(env, p.type));
        break;
    }
    out.Set(static_cast<uint32_t>(i), entry);
  }
  return out;
}

Napi::Value PackTypedParamsJs(const Napi::CallbackInfo& info) {
  return TypedParams::FromEntries(info[0])->ToEntries(info.Env());
}

Data TypedParamsToData(virTypedParameterPtr params, int count) {
  Data out = Data::Object();
  for (int i = 0; i < count; i++) {
    const virTypedParameter& p = params[i];
    switch (p.type) {
      case VIR_TYPED_PARAM_INT: out.Set(p.field, Data::Number(p.value.i)); break;
      case VIR_TYPED_PARAM_UINT: out.Set(p.field, Data::Number(p.value.ui)); break;
      case VIR_TYPED_PARAM_LLONG: out.Set(p.field, Data::Number(static_cast<double>(p.value.l))); break;
      case VIR_TYPED_PARAM_ULLONG: out.Set(p.field, Data::Number(static_cast<double>(p.value.ul))); break;
      case VIR_TYPED_PARAM_DOUBLE: out.Set(p.field, Data::Number(p.value.d)); break;
      case VIR_TYPED_PARAM_BOOLEAN: out.Set(p.field, Data::Bool(p.value.b != 0)); break;
      case VIR_TYPED_PARAM_STRING: out.Set(p.field, Data::String(p.value.s ? p.value.s : "")); break;
      default: break;
    }
  }
  return out;
}

}  // namespace pmc
