#include "js_xpath_expression.h"

#include "args.h"
#include "js_xml_convert.h"

namespace pmc {

Napi::Function XPathExpression::Init(Napi::Env env) {
  return DefineClass(env, "XPathExpression", {InstanceMethod<&XPathExpression::GetSource>("getSource")});
}

XPathExpression::XPathExpression(const Napi::CallbackInfo& info) : Napi::ObjectWrap<XPathExpression>(info) {
  std::string source = StringArg(info, 0, "expression");
  try {
    compiled_ = xml::CompiledXPath::Compile(source);
  } catch (const xml::XmlFailure& failure) {
    throw XmlErrorToJs(info.Env(), failure);
  }
}

Napi::Value XPathExpression::GetSource(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), compiled_->Source());
}

}  // namespace pmc
