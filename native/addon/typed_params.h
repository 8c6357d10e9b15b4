// libvirt's typed parameters: packed from a JS options object for migration
// (VIR_MIGRATE_PARAM_*, each an optional field), and read back into Data for
// job and domain statistics.
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

  // Packs the known migration fields of `options`; an unknown field or a
  // value of the wrong type is a TypeError naming it.
  static std::unique_ptr<TypedParams> FromMigrateOptions(Napi::Object options);

  virTypedParameterPtr params() const { return params_; }
  int count() const { return count_; }

 private:
  virTypedParameterPtr params_ = nullptr;
  int count_ = 0;
  int max_ = 0;
};

// {field: value}; numbers as numbers, strings as strings, booleans as booleans.
Data TypedParamsToData(virTypedParameterPtr params, int count);

}  // namespace pmc
