// libvirt's typed parameters: packed for migration from generic
// [field, type, value, label?] entries (the option table in src/options/ knows
// the VIR_MIGRATE_PARAM_* names; this packer knows none), and read back into
// Data for job and domain statistics.
#pragma once

#include <libvirt/libvirt.h>
#include <napi.h>

#include "data.h"

namespace pmc {

class TypedParams {
 public:
  TypedParams() = default;
  ~TypedParams() { virTypedParamsFree(params_, count_); }
  TypedParams(const TypedParams&) = delete;
  TypedParams& operator=(const TypedParams&) = delete;

  // Packs `entries`, an array of [field, type, value, label?] with type one of
  // string, string-list (one parameter per item), int, ullong. A value of the
  // wrong type is a TypeError, one out of range a RangeError, an unknown type
  // a TypeError; each names the label (or the field).
  static std::unique_ptr<TypedParams> FromEntries(Napi::Value entries);

  // The packed parameters as [field, type, value] entries, as libvirt holds them.
  Napi::Value ToEntries(Napi::Env env) const;

  virTypedParameterPtr params() const { return params_; }
  int count() const { return count_; }

 private:
  virTypedParameterPtr params_ = nullptr;
  int count_ = 0;
  int max_ = 0;
};

// packTypedParams(entries): packs and reads back, so tests see what libvirt receives.
Napi::Value PackTypedParamsJs(const Napi::CallbackInfo& info);

// {field: value}; numbers as numbers, strings as strings, booleans as booleans.
Data TypedParamsToData(virTypedParameterPtr params, int count);

}  // namespace pmc
