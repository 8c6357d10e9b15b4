#include "xml_exports.h"

#include "external_checks.h"
#include "js_gate.h"
#include "js_xml_document.h"
#include "js_xml_node.h"
#include "js_xpath_expression.h"
#include "xml_parser.h"

namespace pmc {

namespace {

Napi::Value SetErrorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "the error class must be a constructor");
  AddonData::Get(info.Env())->errorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value SetXmlErrorClass(const Napi::CallbackInfo& info) {
  if (!info[0].IsFunction()) throw Napi::TypeError::New(info.Env(), "the error class must be a constructor");
  AddonData::Get(info.Env())->xmlErrorClass = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

}  // namespace

AddonData* InitXmlExports(Napi::Env env, Napi::Object exports) {
  xml::InitLibxml();

  auto* data = new AddonData();
  env.SetInstanceData(data);
  data->setImmediate = Napi::Persistent(env.Global().Get("setImmediate").As<Napi::Function>());

  Napi::Function xmlDocument = XmlDocument::Init(env);
  Napi::Function xmlNode = XmlNode::Init(env);
  Napi::Function xpathExpression = XPathExpression::Init(env);
  data->xmlDocumentClass = Napi::Persistent(xmlDocument);
  data->xmlNodeClass = Napi::Persistent(xmlNode);
  data->xpathExpressionClass = Napi::Persistent(xpathExpression);

  exports.Set("XmlDocument", xmlDocument);
  exports.Set("XmlNode", xmlNode);
  exports.Set("XPathExpression", xpathExpression);
  exports.Set("loadCheckFile", Napi::Function::New(env, LoadCheckFileJs, "loadCheckFile"));
  exports.Set("runCheckFileOnDomain", Napi::Function::New(env, RunCheckFileOnDomainJs, "runCheckFileOnDomain"));
  exports.Set("factSpecs", Napi::Function::New(env, FactSpecsJs, "factSpecs"));
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClass, "setErrorClass"));
  exports.Set("setXmlErrorClass", Napi::Function::New(env, SetXmlErrorClass, "setXmlErrorClass"));
  return data;
}

}  // namespace pmc
