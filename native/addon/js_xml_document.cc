#include "js_xml_document.h"

#include "args.h"
#include "js_xml_convert.h"
#include "js_xml_node.h"
#include "xml_failure.h"

namespace pmc {

Napi::Function XmlDocument::Init(Napi::Env env) {
  return DefineClass(env, "XmlDocument",
                     {
                         InstanceMethod<&XmlDocument::Evaluate>("evaluate"),
                         InstanceMethod<&XmlDocument::GetRoot>("getRoot"),
                         InstanceMethod<&XmlDocument::Serialize>("serialize"),
                     });
}

XmlDocument::XmlDocument(const Napi::CallbackInfo& info) : Napi::ObjectWrap<XmlDocument>(info) {
  std::string text = StringArg(info, 0, "text");
  std::string name = OptionalStringArg(info, 1, "name");
  auto maxBytes = static_cast<size_t>(IntegerArg(info, 2, "maxBytes", 0, INT32_MAX));
  try {
    doc_ = xml::Parse(text, name, maxBytes);
  } catch (const xml::XmlFailure& failure) {
    throw XmlErrorToJs(info.Env(), failure);
  }
}

Napi::Value XmlDocument::Evaluate(const Napi::CallbackInfo& info) { return EvaluateFromJs(info, doc_, nullptr); }

Napi::Value XmlDocument::GetRoot(const Napi::CallbackInfo& info) {
  xmlNodePtr root = xmlDocGetRootElement(doc_.get());
  if (root == nullptr) return info.Env().Null();
  return XmlNode::Wrap(info.Env(), xml::XmlNodeRef{root, doc_});
}

Napi::Value XmlDocument::Serialize(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), xml::Serialize(reinterpret_cast<xmlNodePtr>(doc_.get())));
}

}  // namespace pmc
