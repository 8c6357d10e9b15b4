#include "external_checks.h"

#include "args.h"
#include "load_error.h"

namespace pmc {

namespace {

// Tags tell our handles apart from any other External.
constexpr napi_type_tag kCheckFileTag = {0x706d63636865636bULL, 0x66696c6500000001ULL};
constexpr napi_type_tag kPluginTag = {0x706d63636865636bULL, 0x706c7567696e0001ULL};

template <typename T>
Napi::Value MakeHandle(Napi::Env env, std::shared_ptr<const T> value, const napi_type_tag& tag) {
  auto* holder = new std::shared_ptr<const T>(std::move(value));
  auto external = Napi::External<std::shared_ptr<const T>>::New(
      env, holder, [](Napi::Env, std::shared_ptr<const T>* p) { delete p; });
  napi_status status = napi_type_tag_object(env, external, &tag);
  if (status != napi_ok) throw Napi::Error::New(env, "cannot tag a handle");
  return external;
}

template <typename T>
std::shared_ptr<const T> FromHandle(Napi::Env env, Napi::Value handle, const napi_type_tag& tag, const char* what) {
  bool ok = false;
  if (handle.IsExternal()) napi_check_object_type_tag(env, handle, &tag, &ok);
  if (!ok) throw Napi::TypeError::New(env, std::string("not a ") + what + " handle");
  return *handle.As<Napi::External<std::shared_ptr<const T>>>().Data();
}

Napi::Error ToJs(Napi::Env env, const checks::LoadError& e) {
  Napi::Error error = Napi::Error::New(env, e.what());
  error.Set("code", Napi::String::New(env, e.code));
  error.Set("file", Napi::String::New(env, e.file));
  if (e.line > 0) {
    error.Set("line", Napi::Number::New(env, e.line));
    error.Set("column", Napi::Number::New(env, e.column > 0 ? e.column : 1));
  }
  if (!e.check.empty()) error.Set("check", Napi::String::New(env, e.check));
  return error;
}

Napi::Array Strings(Napi::Env env, const std::vector<std::string>& values) {
  Napi::Array out = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); i++) out.Set(i, values[i]);
  return out;
}

}  // namespace

const char* SeverityName(virPMCSeverity severity) { return virPMCSeverityName(severity); }

Napi::Value LoadCheckFileJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string text = StringArg(info, 0, "text");
  std::string path = StringArg(info, 1, "path");
  std::string schema = StringArg(info, 2, "schema");
  auto maxBytes = static_cast<size_t>(IntegerArg(info, 3, "maxBytes", 1, INT32_MAX));
  std::shared_ptr<const checks::CheckFile> file;
  try {
    file = checks::LoadCheckFile(text, path, schema, maxBytes);
  } catch (const checks::LoadError& e) {
    throw ToJs(env, e);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("path", file->path);
  out.Set("variables", Strings(env, file->variables));
  Napi::Array list = Napi::Array::New(env, file->checks.size());
  for (size_t i = 0; i < file->checks.size(); i++) {
    const checks::XmlCheck& c = *file->checks[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", c.name);
    o.Set("severity", SeverityName(c.severity));
    o.Set("description", c.description);
    o.Set("line", Napi::Number::New(env, c.line));
    o.Set("variables", Strings(env, c.variables));
    list.Set(i, o);
  }
  out.Set("checks", list);
  out.Set("handle", MakeHandle(env, file, kCheckFileTag));
  return out;
}

Napi::Value LoadPluginJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = StringArg(info, 0, "path");
  std::shared_ptr<const checks::Plugin> plugin;
  try {
    plugin = checks::LoadPlugin(path);
  } catch (const checks::LoadError& e) {
    throw ToJs(env, e);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("path", plugin->path);
  out.Set("name", plugin->name);
  out.Set("version", plugin->version);
  out.Set("description", plugin->description);
  out.Set("facts", Strings(env, plugin->facts));
  Napi::Array list = Napi::Array::New(env, plugin->checks.size());
  for (size_t i = 0; i < plugin->checks.size(); i++) {
    const checks::PluginCheck& c = plugin->checks[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", c.name);
    o.Set("severity", SeverityName(c.check->severity));
    o.Set("description", c.check->description != nullptr ? c.check->description : "");
    o.Set("blocking", Napi::Boolean::New(env, (c.check->flags & VIR_PMC_CHECK_BLOCKING) != 0));
    list.Set(i, o);
  }
  out.Set("checks", list);
  out.Set("handle", MakeHandle(env, plugin, kPluginTag));
  return out;
}

Napi::Value FactSpecsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& specs = checks::FactSpecs();
  Napi::Array out = Napi::Array::New(env, specs.size());
  for (size_t i = 0; i < specs.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", specs[i].name);
    o.Set("kind", specs[i].kind == checks::FactKind::Xml      ? "xml"
                  : specs[i].kind == checks::FactKind::Number ? "number"
                                                              : "string");
    o.Set("meaning", specs[i].meaning);
    out.Set(i, o);
  }
  return out;
}

std::shared_ptr<const checks::CheckFile> CheckFileOf(Napi::Env env, Napi::Value handle) {
  return FromHandle<checks::CheckFile>(env, handle, kCheckFileTag, "check file");
}

std::shared_ptr<const checks::Plugin> PluginOf(Napi::Env env, Napi::Value handle) {
  return FromHandle<checks::Plugin>(env, handle, kPluginTag, "plugin");
}

}  // namespace pmc
