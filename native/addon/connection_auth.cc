#include "connection_auth.h"

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>

namespace pmc {

namespace {

const struct {
  int type;
  const char* name;
} kCredentialNames[] = {
    {VIR_CRED_USERNAME, "username"},         {VIR_CRED_AUTHNAME, "authname"},
    {VIR_CRED_LANGUAGE, "language"},         {VIR_CRED_CNONCE, "cnonce"},
    {VIR_CRED_PASSPHRASE, "passphrase"},     {VIR_CRED_ECHOPROMPT, "echoprompt"},
    {VIR_CRED_NOECHOPROMPT, "noechoprompt"}, {VIR_CRED_REALM, "realm"},
    {VIR_CRED_EXTERNAL, "external"},
};

int CredentialType(const std::string& name) {
  for (const auto& c : kCredentialNames) {
    if (name == c.name) return c.type;
  }
  return -1;
}

const char* CredentialName(int type) {
  for (const auto& c : kCredentialNames) {
    if (type == c.type) return c.name;
  }
  return "unknown";
}

// One question round: the opening thread waits for `reply` from the JS thread.
struct AuthRound {
  std::mutex mutex;
  std::condition_variable cv;
  bool answered = false;
  bool ok = false;
  std::vector<std::string> answers;
};

struct Question {
  int type;
  std::string prompt, challenge, defresult;
};

}  // namespace

std::shared_ptr<AuthBridge> AuthBridgeFromOptions(Napi::Env env, Napi::Object options) {
  std::shared_ptr<AuthBridge> auth;
  if (options.Get("auth").IsFunction()) {
    auth = std::make_shared<AuthBridge>();
    Napi::Value credentials = options.Get("credentials");
    if (!credentials.IsArray()) throw Napi::TypeError::New(env, "credentials must be an array of credential names");
    Napi::Array names = credentials.As<Napi::Array>();
    for (uint32_t i = 0; i < names.Length(); i++) {
      int type = CredentialType(names.Get(i).ToString().Utf8Value());
      if (type < 0) throw Napi::RangeError::New(env, "unknown credential type: " + names.Get(i).ToString().Utf8Value());
      auth->types.push_back(type);
    }
    if (auth->types.empty()) throw Napi::RangeError::New(env, "credentials must name at least one credential type");
    Napi::Value timeout = options.Get("authTimeoutMs");
    if (timeout.IsNumber()) auth->timeoutMs = timeout.As<Napi::Number>().Int64Value();
    auth->tsfn = GuardedTsfn::New(env, options.Get("auth").As<Napi::Function>(), "pmc.auth");
  }
  return auth;
}

// virConnectAuthCallbackPtr: called by libvirt on the thread that opens the
// connection (a dedicated one, see Open), never the JS thread. Posts the
// questions to JS and waits for the answers, at most timeoutMs; -1 (libvirt
// then fails the open as not authenticated) when JS refuses, throws, times out
// or the environment is gone.
int AskJs(virConnectCredentialPtr cred, unsigned int ncred, void* cbdata) {
  auto* auth = static_cast<AuthBridge*>(cbdata);
  auto questions = std::make_shared<std::vector<Question>>();
  for (unsigned int i = 0; i < ncred; i++) {
    questions->push_back({cred[i].type, cred[i].prompt ? cred[i].prompt : "",
                          cred[i].challenge ? cred[i].challenge : "", cred[i].defresult ? cred[i].defresult : ""});
  }
  auto round = std::make_shared<AuthRound>();
  napi_status status = auth->tsfn.NonBlockingCall([questions, round](Napi::Env env, Napi::Function fn) {
    Napi::Array creds = Napi::Array::New(env, questions->size());
    for (size_t i = 0; i < questions->size(); i++) {
      const Question& q = (*questions)[i];
      Napi::Object c = Napi::Object::New(env);
      c.Set("type", CredentialName(q.type));
      c.Set("prompt", q.prompt);
      if (!q.challenge.empty()) c.Set("challenge", q.challenge);
      if (!q.defresult.empty()) c.Set("defaultResult", q.defresult);
      creds.Set(i, c);
    }
    size_t count = questions->size();
    // reply(answers: string[]) or reply(null): a refusal.
    Napi::Function reply = Napi::Function::New(env, [round, count](const Napi::CallbackInfo& info) {
      std::lock_guard<std::mutex> lock(round->mutex);
      if (round->answered) return;
      round->answered = true;
      if (info[0].IsArray() && info[0].As<Napi::Array>().Length() == count) {
        Napi::Array answers = info[0].As<Napi::Array>();
        round->ok = true;
        for (uint32_t i = 0; i < count; i++) round->answers.push_back(answers.Get(i).ToString().Utf8Value());
      }
      round->cv.notify_all();
    });
    try {
      fn.Call({creds, reply});
    } catch (const Napi::Error&) {
      std::lock_guard<std::mutex> lock(round->mutex);
      round->answered = true;
      round->cv.notify_all();
    }
  });
  if (status != napi_ok) return -1;
  std::unique_lock<std::mutex> lock(round->mutex);
  if (!round->cv.wait_for(lock, std::chrono::milliseconds(auth->timeoutMs), [&] { return round->answered; })) {
    round->answered = true;  // a late reply is ignored
    return -1;
  }
  if (!round->ok) return -1;
  for (unsigned int i = 0; i < ncred; i++) {
    // libvirt frees each result with free().
    cred[i].result = strdup(round->answers[i].c_str());
    if (cred[i].result == nullptr) return -1;
    cred[i].resultlen = round->answers[i].size();
  }
  return 0;
}

}  // namespace pmc
