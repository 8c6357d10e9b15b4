// A plugin (or any native code in the process) that calls exit() ends pmc
// with its status, and 0 is pmc's "allowed". While the CLI keeps the guard
// armed, an atexit handler turns such an exit into status 1 with a message.
// JS's own exits (process.exit, the end of the command) emit 'exit' first,
// where the CLI disarms it; _exit() and signals stay out of its reach.
#include "exit_guard.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

namespace pmc {

namespace {

std::atomic<bool> armed{false};
std::atomic<bool> registered{false};
// Written on the JS thread before arming; read only by the handler once armed.
char message[512];
size_t messageLength = 0;

void OnExit() {
  if (!armed.load()) return;
  ssize_t written = write(STDERR_FILENO, message, messageLength);
  (void)written;  // nothing more to do about a stderr that fails at exit
  _exit(1);
}

}  // namespace

Napi::Value SetExitGuard(const Napi::CallbackInfo& info) {
  if (!info[0].IsString()) {
    armed = false;
    return info.Env().Undefined();
  }
  std::string text = info[0].As<Napi::String>().Utf8Value();
  if (text.size() > sizeof message) text.resize(sizeof message);
  armed = false;
  memcpy(message, text.data(), text.size());
  messageLength = text.size();
  if (!registered.exchange(true) && std::atexit(OnExit) != 0) {
    registered = false;
    throw Napi::Error::New(info.Env(), "cannot register the exit guard (atexit failed)");
  }
  armed = true;
  return info.Env().Undefined();
}

}  // namespace pmc
