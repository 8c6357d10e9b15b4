#include "js_xml_node.h"

#include <libxml/xpathInternals.h>

#include "addon_data.h"
#include "args.h"
#include "js_xml_convert.h"

namespace pmc {

namespace {

const char* TypeName(xmlElementType type) {
  switch (type) {
    case XML_ELEMENT_NODE: return "element";
    case XML_ATTRIBUTE_NODE: return "attribute";
    case XML_TEXT_NODE: return "text";
    case XML_CDATA_SECTION_NODE: return "cdata";
    case XML_ENTITY_REF_NODE: return "entity-reference";
    case XML_PI_NODE: return "processing-instruction";
    case XML_COMMENT_NODE: return "comment";
    case XML_DOCUMENT_NODE: return "document";
    default: return "other";
  }
}

Napi::String TakeString(Napi::Env env, xmlChar* s) {
  Napi::String out = Napi::String::New(env, s != nullptr ? reinterpret_cast<const char*>(s) : "");
  xmlFree(s);
  return out;
}

}  // namespace

Napi::Function XmlNode::Init(Napi::Env env) {
  return DefineClass(env, "XmlNode",
                     {
                         InstanceMethod<&XmlNode::GetName>("getName"),
                         InstanceMethod<&XmlNode::GetType>("getType"),
                         InstanceMethod<&XmlNode::GetText>("getText"),
                         InstanceMethod<&XmlNode::GetAttr>("getAttr"),
                         InstanceMethod<&XmlNode::GetXml>("getXml"),
                         InstanceMethod<&XmlNode::GetLine>("getLine"),
                         InstanceMethod<&XmlNode::Evaluate>("evaluate"),
                     });
}

Napi::Object XmlNode::Wrap(Napi::Env env, xml::XmlNodeRef ref) {
  // The constructor copies the ref synchronously, so a pointer to ours will do.
  return AddonData::Get(env)->xmlNodeClass.New({Napi::External<xml::XmlNodeRef>::New(env, &ref)});
}

XmlNode::XmlNode(const Napi::CallbackInfo& info) : Napi::ObjectWrap<XmlNode>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "XML nodes come from an XmlDocument's evaluate");
  }
  ref_ = *info[0].As<Napi::External<xml::XmlNodeRef>>().Data();
}

// The XPath name(): qualified for elements and attributes, "" for text.
Napi::Value XmlNode::GetName(const Napi::CallbackInfo& info) {
  xmlNodePtr node = ref_.node;
  switch (node->type) {
    case XML_ELEMENT_NODE:
    case XML_ATTRIBUTE_NODE:
      if (node->ns != nullptr && node->ns->prefix != nullptr) {
        return Napi::String::New(info.Env(), std::string(reinterpret_cast<const char*>(node->ns->prefix)) + ":" +
                                                 reinterpret_cast<const char*>(node->name));
      }
      return Napi::String::New(info.Env(), reinterpret_cast<const char*>(node->name));
    case XML_PI_NODE: return Napi::String::New(info.Env(), reinterpret_cast<const char*>(node->name));
    default: return Napi::String::New(info.Env(), "");
  }
}

Napi::Value XmlNode::GetType(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), TypeName(ref_.node->type));
}

// The XPath string-value.
Napi::Value XmlNode::GetText(const Napi::CallbackInfo& info) {
  return TakeString(info.Env(), xmlXPathCastNodeToString(ref_.node));
}

Napi::Value XmlNode::GetAttr(const Napi::CallbackInfo& info) {
  std::string name = StringArg(info, 0, "name");
  if (ref_.node->type != XML_ELEMENT_NODE) return info.Env().Null();
  xmlChar* value = xmlGetProp(ref_.node, BAD_CAST name.c_str());
  if (value == nullptr) return info.Env().Null();
  return TakeString(info.Env(), value);
}

Napi::Value XmlNode::GetXml(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), xml::Serialize(ref_.node));
}

Napi::Value XmlNode::GetLine(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(xml::LineOf(ref_.node)));
}

Napi::Value XmlNode::Evaluate(const Napi::CallbackInfo& info) { return EvaluateFromJs(info, ref_.doc, ref_.node); }

}  // namespace pmc
