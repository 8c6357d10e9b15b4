// XPathExpression: a compiled XPath expression (syntax checked once, e.g. when
// a check file is loaded), usable with any document's or node's evaluate.
#pragma once

#include <napi.h>

#include <memory>

#include "xpath_eval.h"

namespace pmc {

class XPathExpression : public Napi::ObjectWrap<XPathExpression> {
 public:
  static Napi::Function Init(Napi::Env env);

  // new XPathExpression(source): compiles, or throws an XmlError.
  explicit XPathExpression(const Napi::CallbackInfo& info);

  const std::shared_ptr<const xml::CompiledXPath>& Compiled() const { return compiled_; }

 private:
  Napi::Value GetSource(const Napi::CallbackInfo& info);

  std::shared_ptr<const xml::CompiledXPath> compiled_;
};

}  // namespace pmc
