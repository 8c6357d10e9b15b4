#include "data.h"

#include <cstdlib>

namespace pmc {

Data Data::Null() {
  Data d;
  d.kind = Kind::Null;
  return d;
}

Data Data::Bool(bool value) {
  Data d;
  d.kind = Kind::Bool;
  d.boolean = value;
  return d;
}

Data Data::Number(double value) {
  Data d;
  d.kind = Kind::Number;
  d.number = value;
  return d;
}

Data Data::String(std::string value) {
  Data d;
  d.kind = Kind::String;
  d.string = std::move(value);
  return d;
}

Data Data::TakeString(char* value) {
  if (value == nullptr) return Null();
  Data d = String(value);
  free(value);
  return d;
}

Data Data::Array() {
  Data d;
  d.kind = Kind::Array;
  return d;
}

Data Data::Object() {
  Data d;
  d.kind = Kind::Object;
  return d;
}

Data& Data::Push(Data value) {
  items.push_back(std::move(value));
  return *this;
}

Data& Data::Set(std::string key, Data value) {
  fields.emplace_back(std::move(key), std::move(value));
  return *this;
}

Napi::Value Data::ToJs(Napi::Env env) const {
  switch (kind) {
    case Kind::Undefined: return env.Undefined();
    case Kind::Null: return env.Null();
    case Kind::Bool: return Napi::Boolean::New(env, boolean);
    case Kind::Number: return Napi::Number::New(env, number);
    case Kind::String: return Napi::String::New(env, string);
    case Kind::Array: {
      Napi::Array array = Napi::Array::New(env, items.size());
      for (size_t i = 0; i < items.size(); i++) array.Set(i, items[i].ToJs(env));
      return array;
    }
    case Kind::Object: {
      Napi::Object object = Napi::Object::New(env);
      for (const auto& [key, value] : fields) object.Set(key, value.ToJs(env));
      return object;
    }
  }
  return env.Undefined();
}

}  // namespace pmc
