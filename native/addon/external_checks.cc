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

// Runs a loader; its LoadError becomes the JS error CheckLoadError is made from.
template <typename Load>
auto LoadOrThrow(Napi::Env env, Load load) {
  try {
    return load();
  } catch (const checks::LoadError& e) {
    throw ToJs(env, e);
  }
}

// A JS array with one value per item, made by `toJs`.
template <typename T, typename ToJs>
Napi::Array ArrayOf(Napi::Env env, const std::vector<T>& items, ToJs toJs) {
  Napi::Array out = Napi::Array::New(env, items.size());
  for (size_t i = 0; i < items.size(); i++) out.Set(i, toJs(items[i]));
  return out;
}

Napi::Array Strings(Napi::Env env, const std::vector<std::string>& values) {
  return ArrayOf(env, values, [env](const std::string& value) { return Napi::String::New(env, value); });
}

const char* FactKindName(checks::FactKind kind) {
  switch (kind) {
    case checks::FactKind::Xml: return "xml";
    case checks::FactKind::Number: return "number";
    case checks::FactKind::String: return "string";
  }
  return "string";
}

}  // namespace

const char* SeverityName(virPMCSeverity severity) { return virPMCSeverityName(severity); }

Napi::Value LoadCheckFileJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string text = StringArg(info, 0, "text");
  std::string path = StringArg(info, 1, "path");
  std::string schema = StringArg(info, 2, "schema");
  auto maxBytes = static_cast<size_t>(IntegerArg(info, 3, "maxBytes", 1, INT32_MAX));
  std::shared_ptr<const checks::CheckFile> file =
      LoadOrThrow(env, [&] { return checks::LoadCheckFile(text, path, schema, maxBytes); });
  Napi::Object out = Napi::Object::New(env);
  out.Set("path", file->path);
  out.Set("variables", Strings(env, file->variables));
  out.Set("checks", ArrayOf(env, file->checks, [env](const auto& check) {
            const checks::XmlCheck& c = *check;
            Napi::Object o = Napi::Object::New(env);
            o.Set("name", c.name);
            o.Set("severity", SeverityName(c.severity));
            o.Set("description", c.description);
            o.Set("line", Napi::Number::New(env, c.line));
            o.Set("variables", Strings(env, c.variables));
            return o;
          }));
  out.Set("handle", MakeHandle(env, file, kCheckFileTag));
  return out;
}

Napi::Value LoadPluginJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = StringArg(info, 0, "path");
  std::shared_ptr<const checks::Plugin> plugin = LoadOrThrow(env, [&] { return checks::LoadPlugin(path); });
  Napi::Object out = Napi::Object::New(env);
  out.Set("path", plugin->path);
  out.Set("name", plugin->name);
  out.Set("version", plugin->version);
  out.Set("description", plugin->description);
  out.Set("facts", Strings(env, plugin->facts));
  out.Set("checks", ArrayOf(env, plugin->checks, [env](const checks::PluginCheck& c) {
            Napi::Object o = Napi::Object::New(env);
            o.Set("name", c.name);
            o.Set("severity", SeverityName(c.check->severity));
            o.Set("description", c.check->description != nullptr ? c.check->description : "");
            o.Set("blocking", Napi::Boolean::New(env, (c.check->flags & VIR_PMC_CHECK_BLOCKING) != 0));
            return o;
          }));
  out.Set("handle", MakeHandle(env, plugin, kPluginTag));
  return out;
}

Napi::Value FactSpecsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return ArrayOf(env, checks::FactSpecs(), [env](const checks::FactSpec& spec) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", spec.name);
    o.Set("kind", FactKindName(spec.kind));
    o.Set("meaning", spec.meaning);
    return o;
  });
}

std::shared_ptr<const checks::CheckFile> CheckFileOf(Napi::Env env, Napi::Value handle) {
  return FromHandle<checks::CheckFile>(env, handle, kCheckFileTag, "check file");
}

std::shared_ptr<const checks::Plugin> PluginOf(Napi::Env env, Napi::Value handle) {
  return FromHandle<checks::Plugin>(env, handle, kPluginTag, "plugin");
}

}  // namespace pmc
