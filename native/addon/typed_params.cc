#include "typed_params.h"

#include <cmath>
#include <memory>
#include <string>

namespace pmc {

namespace {

enum class ParamType { String, StringList, Int, ULLong };

struct MigrateParam {
  const char* option;  // the TS option name
  const char* field;   // VIR_MIGRATE_PARAM_*
  ParamType type;
};

const MigrateParam kMigrateParams[] = {
    {"uri", VIR_MIGRATE_PARAM_URI, ParamType::String},
    {"destName", VIR_MIGRATE_PARAM_DEST_NAME, ParamType::String},
    {"destXml", VIR_MIGRATE_PARAM_DEST_XML, ParamType::String},
    {"persistentXml", VIR_MIGRATE_PARAM_PERSIST_XML, ParamType::String},
    {"bandwidth", VIR_MIGRATE_PARAM_BANDWIDTH, ParamType::ULLong},
    {"bandwidthPostcopy", VIR_MIGRATE_PARAM_BANDWIDTH_POSTCOPY, ParamType::ULLong},
    {"graphicsUri", VIR_MIGRATE_PARAM_GRAPHICS_URI, ParamType::String},
    {"listenAddress", VIR_MIGRATE_PARAM_LISTEN_ADDRESS, ParamType::String},
    {"migrateDisks", VIR_MIGRATE_PARAM_MIGRATE_DISKS, ParamType::StringList},
    {"disksPort", VIR_MIGRATE_PARAM_DISKS_PORT, ParamType::Int},
    {"disksUri", VIR_MIGRATE_PARAM_DISKS_URI, ParamType::String},
    {"compression", VIR_MIGRATE_PARAM_COMPRESSION, ParamType::StringList},
    {"compressionMtLevel", VIR_MIGRATE_PARAM_COMPRESSION_MT_LEVEL, ParamType::Int},
    {"compressionMtThreads", VIR_MIGRATE_PARAM_COMPRESSION_MT_THREADS, ParamType::Int},
    {"compressionMtDthreads", VIR_MIGRATE_PARAM_COMPRESSION_MT_DTHREADS, ParamType::Int},
    {"compressionXbzrleCache", VIR_MIGRATE_PARAM_COMPRESSION_XBZRLE_CACHE, ParamType::ULLong},
    {"autoConvergeInitial", VIR_MIGRATE_PARAM_AUTO_CONVERGE_INITIAL, ParamType::Int},
    {"autoConvergeIncrement", VIR_MIGRATE_PARAM_AUTO_CONVERGE_INCREMENT, ParamType::Int},
    {"parallelConnections", VIR_MIGRATE_PARAM_PARALLEL_CONNECTIONS, ParamType::Int},
    {"tlsDestination", VIR_MIGRATE_PARAM_TLS_DESTINATION, ParamType::String},
};

double WholeNumber(Napi::Env env, Napi::Value v, const char* option, double max) {
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(option) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < 0 || d > max) {
    throw Napi::RangeError::New(env, std::string(option) + " must be a whole number from 0 to " +
                                         std::to_string(static_cast<unsigned long long>(max)));
  }
  return d;
}

}  // namespace

std::unique_ptr<TypedParams> TypedParams::FromMigrateOptions(Napi::Object options) {
  Napi::Env env = options.Env();
  auto out = std::make_unique<TypedParams>();
  Napi::Array keys = options.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); i++) {
    std::string key = keys.Get(i).ToString().Utf8Value();
    Napi::Value v = options.Get(key);
    if (v.IsUndefined()) continue;
    const MigrateParam* param = nullptr;
    for (const auto& p : kMigrateParams) {
      if (key == p.option) param = &p;
    }
    if (param == nullptr) throw Napi::TypeError::New(env, "unknown migration parameter: " + key);
    int rc = 0;
    switch (param->type) {
      case ParamType::String:
        if (!v.IsString()) throw Napi::TypeError::New(env, key + " must be a string");
        rc = virTypedParamsAddString(&out->params_, &out->count_, &out->max_, param->field,
                                     v.As<Napi::String>().Utf8Value().c_str());
        break;
      case ParamType::StringList: {
        if (!v.IsArray()) throw Napi::TypeError::New(env, key + " must be an array of strings");
        Napi::Array list = v.As<Napi::Array>();
        for (uint32_t k = 0; k < list.Length() && rc == 0; k++) {
          Napi::Value item = list.Get(k);
          if (!item.IsString()) throw Napi::TypeError::New(env, key + " must be an array of strings");
          rc = virTypedParamsAddString(&out->params_, &out->count_, &out->max_, param->field,
                                       item.As<Napi::String>().Utf8Value().c_str());
        }
        break;
      }
      case ParamType::Int:
        rc = virTypedParamsAddInt(&out->params_, &out->count_, &out->max_, param->field,
                                  static_cast<int>(WholeNumber(env, v, param->option, INT32_MAX)));
        break;
      case ParamType::ULLong:
        rc = virTypedParamsAddULLong(&out->params_, &out->count_, &out->max_, param->field,
                                     static_cast<unsigned long long>(WholeNumber(env, v, param->option, 9007199254740991.0)));
        break;
    }
    if (rc < 0) throw Napi::Error::New(env, "could not pack migration parameter " + key);
  }
  return out;
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
