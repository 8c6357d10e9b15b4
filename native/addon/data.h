// A plain value tree built off the JS thread (where no napi_value may be made)
// and turned into JS values on it.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pmc {

struct Data {
  enum class Kind { Undefined, Null, Bool, Number, String, Array, Object };

  Kind kind = Kind::Undefined;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Data> items;
  std::vector<std::pair<std::string, Data>> fields;

  static Data Null();
  static Data Bool(bool value);
  static Data Number(double value);
  static Data String(std::string value);
  // Takes a string malloc'ed by libvirt and frees it.
  static Data TakeString(char* value);
  static Data Array();
  static Data Object();

  Data& Push(Data value);
  Data& Set(std::string key, Data value);

  Napi::Value ToJs(Napi::Env env) const;
};

}  // namespace pmc
