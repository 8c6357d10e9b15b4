// XmlDocument: one ObjectWrap per parsed document (a reference to the core's
// shared xml::Doc, which nodes and other threads may also hold).
#pragma once

#include <napi.h>

#include "xml_parser.h"

namespace pmc {

class XmlDocument : public Napi::ObjectWrap<XmlDocument> {
 public:
  static Napi::Function Init(Napi::Env env);

  // new XmlDocument(text, name, maxBytes): parses, or throws an XmlError.
  explicit XmlDocument(const Napi::CallbackInfo& info);

  const xml::Doc& Document() const { return doc_; }

 private:
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value GetRoot(const Napi::CallbackInfo& info);
  Napi::Value Serialize(const Napi::CallbackInfo& info);

  xml::Doc doc_;
};

}  // namespace pmc
