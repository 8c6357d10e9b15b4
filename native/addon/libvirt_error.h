// A libvirt error copied on the thread of the failing call (libvirt keeps the
// last error per thread), carried to the JS thread and turned into LibvirtError.
#pragma once

#include <napi.h>

#include <string>

namespace pmc {

const char* ErrorCodeName(int code);
const char* ErrorDomainName(int domain);

struct LibvirtErrorInfo {
  bool set = false;
  int code = 0;
  int domain = 0;
  int level = 0;
  std::string message;

  // Copies virGetLastError() of the calling thread, then resets it. When the
  // failing call left none (some APIs fail silently), `fallback` is the message.
  static LibvirtErrorInfo Capture(const char* fallback);
  // An error of our own about libvirt usage (closed connection, bad argument),
  // shaped like libvirt's so callers handle one kind of error.
  static LibvirtErrorInfo Make(int code, std::string message);
};

// Builds a JS LibvirtError (the class registered by the TS layer) from `info`.
// `stackHolder`, an Error captured when the call was made, supplies the
// caller's stack: the failing call itself runs on another thread.
Napi::Error ToJsError(Napi::Env env, const LibvirtErrorInfo& info, Napi::Object stackHolder);

// A promise rejected with VIR_ERR_INVALID_CONN: the answer to a call that
// needs a connection already closed (`message` says which one).
Napi::Value RejectClosedConnection(Napi::Env env, const char* message);

}  // namespace pmc
