// XmlNode: one ObjectWrap per node handed to JS. It holds the owning document
// (xml::Doc), so a node outlives the XmlDocument it came from.
#pragma once

#include <napi.h>

#include "xpath_eval.h"

namespace pmc {

class XmlNode : public Napi::ObjectWrap<XmlNode> {
 public:
  static Napi::Function Init(Napi::Env env);
  static Napi::Object Wrap(Napi::Env env, xml::XmlNodeRef ref);

  explicit XmlNode(const Napi::CallbackInfo& info);

  const xml::XmlNodeRef& Ref() const { return ref_; }

 private:
  Napi::Value GetName(const Napi::CallbackInfo& info);
  Napi::Value GetType(const Napi::CallbackInfo& info);
  Napi::Value GetText(const Napi::CallbackInfo& info);
  Napi::Value GetAttr(const Napi::CallbackInfo& info);
  Napi::Value GetXml(const Napi::CallbackInfo& info);
  Napi::Value GetLine(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);

  xml::XmlNodeRef ref_;
};

}  // namespace pmc
