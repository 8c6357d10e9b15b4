#include "js_xml_convert.h"

#include <string>

#include "addon_data.h"
#include "js_xml_document.h"
#include "js_xml_node.h"
#include "js_xpath_expression.h"

namespace pmc {

Napi::Error XmlErrorToJs(Napi::Env env, const xml::XmlFailure& failure) {
  AddonData* data = AddonData::Get(env);
  Napi::Object fields = Napi::Object::New(env);
  fields.Set("code", failure.code);
  if (!failure.file.empty()) fields.Set("file", failure.file);
  if (failure.line > 0) {
    fields.Set("line", failure.line);
    fields.Set("column", failure.column);
  }
  if (!failure.expression.empty()) fields.Set("expression", failure.expression);
  if (data->xmlErrorClass.IsEmpty()) {
    Napi::Error error = Napi::Error::New(env, failure.what());
    error.Set("code", failure.code);
    return error;
  }
  Napi::Value error = data->xmlErrorClass.New({Napi::String::New(env, failure.what()), fields});
  return Napi::Error(env, error);
}

std::shared_ptr<const xml::CompiledXPath> ExpressionArg(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value v = info[i];
  if (v.IsString()) return xml::CompiledXPath::Compile(v.As<Napi::String>().Utf8Value());
  if (v.IsObject() && v.As<Napi::Object>().InstanceOf(AddonData::Get(info.Env())->xpathExpressionClass.Value())) {
    return XPathExpression::Unwrap(v.As<Napi::Object>())->Compiled();
  }
  throw Napi::TypeError::New(info.Env(), "the expression must be a string or a compiled XPath expression");
}

std::vector<xml::XPathVariable> VariablesArg(const Napi::CallbackInfo& info, size_t i) {
  std::vector<xml::XPathVariable> variables;
  Napi::Value arg = info[i];
  if (arg.IsUndefined() || arg.IsNull()) return variables;
  Napi::Env env = info.Env();
  if (!arg.IsObject()) throw Napi::TypeError::New(env, "variables must be an object");
  AddonData* data = AddonData::Get(env);
  Napi::Object object = arg.As<Napi::Object>();
  Napi::Array names = object.GetPropertyNames();
  variables.reserve(names.Length());
  for (uint32_t k = 0; k < names.Length(); k++) {
    xml::XPathVariable var;
    var.name = names.Get(k).ToString().Utf8Value();
    Napi::Value v = object.Get(var.name);
    if (v.IsString()) {
      var.kind = xml::XPathVariable::Kind::String;
      var.string = v.As<Napi::String>().Utf8Value();
    } else if (v.IsNumber()) {
      var.kind = xml::XPathVariable::Kind::Number;
      var.number = v.As<Napi::Number>().DoubleValue();
    } else if (v.IsBoolean()) {
      var.kind = xml::XPathVariable::Kind::Boolean;
      var.boolean = v.As<Napi::Boolean>().Value();
    } else if (v.IsObject() && v.As<Napi::Object>().InstanceOf(data->xmlDocumentClass.Value())) {
      var.kind = xml::XPathVariable::Kind::Node;
      const xml::Doc& doc = XmlDocument::Unwrap(v.As<Napi::Object>())->Document();
      var.node = xml::XmlNodeRef{reinterpret_cast<xmlNodePtr>(doc.get()), doc};
    } else if (v.IsObject() && v.As<Napi::Object>().InstanceOf(data->xmlNodeClass.Value())) {
      var.kind = xml::XPathVariable::Kind::Node;
      var.node = XmlNode::Unwrap(v.As<Napi::Object>())->Ref();
    } else {
      throw Napi::TypeError::New(env, "the XPath variable '" + var.name +
                                          "' must be a string, a number, a boolean, an XmlDocument or an XmlNode");
    }
    variables.push_back(std::move(var));
  }
  return variables;
}

xml::Want WantArg(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsUndefined()) return xml::Want::Any;
  std::string want = info[i].ToString().Utf8Value();
  if (want == "any") return xml::Want::Any;
  if (want == "string") return xml::Want::String;
  if (want == "number") return xml::Want::Number;
  if (want == "boolean") return xml::Want::Boolean;
  throw Napi::TypeError::New(info.Env(), "want must be 'any', 'string', 'number' or 'boolean'");
}

Napi::Value ResultToJs(Napi::Env env, xml::XPathResult& result) {
  switch (result.kind) {
    case xml::XPathResult::Kind::String: return Napi::String::New(env, result.string);
    case xml::XPathResult::Kind::Number: return Napi::Number::New(env, result.number);
    case xml::XPathResult::Kind::Boolean: return Napi::Boolean::New(env, result.boolean);
    case xml::XPathResult::Kind::Nodes: break;
  }
  Napi::Array nodes = Napi::Array::New(env, result.nodes.size());
  for (size_t k = 0; k < result.nodes.size(); k++) nodes.Set(k, XmlNode::Wrap(env, std::move(result.nodes[k])));
  return nodes;
}

Napi::Value EvaluateFromJs(const Napi::CallbackInfo& info, const xml::Doc& doc, xmlNodePtr context) {
  try {
    auto expression = ExpressionArg(info, 0);
    std::vector<xml::XPathVariable> variables = VariablesArg(info, 1);
    xml::Want want = WantArg(info, 2);
    xml::XPathResult result = xml::Evaluate(*expression, doc, context, variables, want);
    return ResultToJs(info.Env(), result);
  } catch (const xml::XmlFailure& failure) {
    throw XmlErrorToJs(info.Env(), failure);
  }
}

}  // namespace pmc
