#include "libvirt_error.h"

#include <libvirt/virterror.h>

#include "addon_data.h"

// Weak: the gate's addon (native/gate) links these files without libvirt, and
// none of its calls fails in libvirt; there both are null, and a failed call
// reports its own message.
#pragma weak virGetLastError
#pragma weak virResetLastError

namespace pmc {

LibvirtErrorInfo LibvirtErrorInfo::Capture(const char* fallback) {
  LibvirtErrorInfo info;
  info.set = true;
  virErrorPtr err = virGetLastError != nullptr ? virGetLastError() : nullptr;
  if (err != nullptr && err->code != VIR_ERR_OK) {
    info.code = err->code;
    info.domain = err->domain;
    info.level = err->level;
    info.message = err->message != nullptr ? err->message : fallback;
  } else {
    info.code = VIR_ERR_INTERNAL_ERROR;
    info.domain = VIR_FROM_NONE;
    info.level = VIR_ERR_ERROR;
    info.message = fallback;
  }
  if (virResetLastError != nullptr) virResetLastError();
  return info;
}

LibvirtErrorInfo LibvirtErrorInfo::Make(int code, std::string message) {
  LibvirtErrorInfo info;
  info.set = true;
  info.code = code;
  info.domain = VIR_FROM_NONE;
  info.level = VIR_ERR_ERROR;
  info.message = std::move(message);
  return info;
}

static const char* LevelName(int level) {
  switch (level) {
    case VIR_ERR_WARNING: return "warning";
    case VIR_ERR_ERROR: return "error";
    default: return "none";
  }
}

Napi::Error ToJsError(Napi::Env env, const LibvirtErrorInfo& info, Napi::Object stackHolder) {
  Napi::Object fields = Napi::Object::New(env);
  fields.Set("code", ErrorCodeName(info.code));
  fields.Set("number", info.code);
  fields.Set("domain", ErrorDomainName(info.domain));
  fields.Set("domainNumber", info.domain);
  fields.Set("level", LevelName(info.level));
  AddonData* data = AddonData::Get(env);
  Napi::Object error;
  if (data != nullptr && !data->errorClass.IsEmpty()) {
    error = data->errorClass.Value().New({Napi::String::New(env, info.message), fields});
  } else {
    // The addon used without the TS layer (no setErrorClass): a plain Error
    // with the same fields, rather than aborting the process.
    error = Napi::Error::New(env, info.message).Value();
    error.Set("name", "LibvirtError");
    for (const char* key : {"code", "number", "domain", "domainNumber", "level"}) error.Set(key, fields.Get(key));
  }
  if (!stackHolder.IsEmpty()) {
    // Keep our header line, then the frames of the call site captured earlier.
    std::string header = error.Get("name").ToString().Utf8Value() + ": " + info.message;
    Napi::Value held = stackHolder.Get("stack");
    if (held.IsString()) {
      std::string frames = held.As<Napi::String>().Utf8Value();
      size_t newline = frames.find('\n');
      error.Set("stack", header + (newline == std::string::npos ? "" : frames.substr(newline)));
    }
  }
  return Napi::Error(env, error);
}

Napi::Value RejectClosedConnection(Napi::Env env, const char* message) {
  auto deferred = Napi::Promise::Deferred::New(env);
  Napi::Object stack = Napi::Error::New(env, "").Value();
  deferred.Reject(ToJsError(env, LibvirtErrorInfo::Make(VIR_ERR_INVALID_CONN, message), stack).Value());
  return deferred.Promise();
}

}  // namespace pmc
