#include "xpath_eval.h"

#include <libxml/xpathInternals.h>

#include <algorithm>
#include <cstring>

#include "xml_failure.h"

namespace pmc::xml {

namespace {

XmlFailure XPathFailure(const std::string& expression, const LibxmlErrorCapture& capture, const char* fallback) {
  std::string message = capture.Message().empty() ? fallback : capture.Message();
  if (capture.HasError() && capture.Offset() > 0) message += " at character " + std::to_string(capture.Offset());
  XmlFailure failure(kXPathError, message + " in XPath: " + QuoteExpression(expression));
  failure.expression = expression;
  return failure;
}

XmlFailure OpLimitFailure(const std::string& expression) {
  XmlFailure failure(kXPathError, "stopped after " + std::to_string(kXPathOpLimit) +
                                      " XPath steps (a runaway expression: it walks the document again for "
                                      "every node?) in XPath: " +
                                      QuoteExpression(expression));
  failure.expression = expression;
  return failure;
}

// Variables are looked up on use rather than registered in a hash per
// evaluation; libxml2 owns (and frees) what this returns.
xmlXPathObjectPtr LookupVariable(void* data, const xmlChar* name, const xmlChar* nsUri) {
  if (nsUri != nullptr) return nullptr;
  const auto* variables = static_cast<const std::vector<XPathVariable>*>(data);
  const char* wanted = reinterpret_cast<const char*>(name);
  for (const XPathVariable& v : *variables) {
    if (v.name != wanted) continue;
    switch (v.kind) {
      case XPathVariable::Kind::String: return xmlXPathNewString(BAD_CAST v.string.c_str());
      case XPathVariable::Kind::Number: return xmlXPathNewFloat(v.number);
      case XPathVariable::Kind::Boolean: return xmlXPathNewBoolean(v.boolean ? 1 : 0);
      case XPathVariable::Kind::Node: return xmlXPathNewNodeSet(v.node.node);
    }
  }
  return nullptr;  // libxml2 reports "Undefined variable"
}

// The document that owns `node`, among those this evaluation can reach.
Doc OwnerOf(xmlNodePtr node, const Doc& doc, const std::vector<XPathVariable>& variables) {
  if (node->doc == doc.get()) return doc;
  for (const XPathVariable& v : variables) {
    if (v.kind == XPathVariable::Kind::Node && v.node.doc.get() == node->doc) return v.node.doc;
  }
  return nullptr;
}

struct ObjectFree {
  void operator()(xmlXPathObjectPtr obj) const { xmlXPathFreeObject(obj); }
};
struct ContextFree {
  void operator()(xmlXPathContextPtr ctx) const { xmlXPathFreeContext(ctx); }
};

std::string TakeXmlString(xmlChar* s) {
  std::string out = s != nullptr ? reinterpret_cast<const char*>(s) : "";
  xmlFree(s);
  return out;
}

const char* TypeName(xmlXPathObjectType type) {
  switch (type) {
    case XPATH_NODESET: return "a node-set";
    case XPATH_BOOLEAN: return "a boolean";
    case XPATH_NUMBER: return "a number";
    case XPATH_STRING: return "a string";
    default: return "an unsupported value";
  }
}

}  // namespace

std::string QuoteExpression(const std::string& expression) {
  if (expression.size() <= kQuotedExpressionMax) return expression;
  size_t cut = kQuotedExpressionMax;
  while (cut > 0 && (static_cast<unsigned char>(expression[cut]) & 0xC0) == 0x80)
    cut--;  // not inside a UTF-8 character
  return expression.substr(0, cut) + "… (" + std::to_string(expression.size()) + " bytes)";
}

std::shared_ptr<const CompiledXPath> CompiledXPath::Compile(const std::string& expression) {
  LibxmlErrorCapture capture;
  // With a context: libxml2 2.9 bounds the compiler's recursion only then
  // (XPATH_MAX_RECURSION_DEPTH, about 500 nested parentheses or predicates);
  // xmlXPathCompile() recurses until the stack overflows. A fresh context has
  // no dictionary, so the compiled form still shares nothing with a document.
  std::unique_ptr<xmlXPathContext, ContextFree> ctx(xmlXPathNewContext(nullptr));
  if (!ctx) throw XPathFailure(expression, capture, "out of memory");
  xmlXPathCompExprPtr comp = xmlXPathCtxtCompile(ctx.get(), BAD_CAST expression.c_str());
  if (comp == nullptr) throw XPathFailure(expression, capture, "Invalid expression");
  return std::shared_ptr<const CompiledXPath>(new CompiledXPath(expression, comp));
}

CompiledXPath::~CompiledXPath() { xmlXPathFreeCompExpr(comp_); }

XPathResult Evaluate(const CompiledXPath& expression, const Doc& doc, xmlNodePtr context,
                     const std::vector<XPathVariable>& variables, Want want, XPathBudget* budget) {
  unsigned long limit = budget != nullptr ? std::min(budget->opsLeft, kXPathOpLimit) : kXPathOpLimit;
  if (limit == 0) throw OpLimitFailure(expression.Source());
  LibxmlErrorCapture capture;
  std::unique_ptr<xmlXPathContext, ContextFree> ctx(xmlXPathNewContext(doc.get()));
  if (!ctx) throw XPathFailure(expression.Source(), capture, "out of memory");
  ctx->node = context != nullptr ? context : reinterpret_cast<xmlNodePtr>(doc.get());
  ctx->opLimit = limit;
  xmlXPathRegisterVariableLookup(ctx.get(), LookupVariable, const_cast<std::vector<XPathVariable>*>(&variables));

  std::unique_ptr<xmlXPathObject, ObjectFree> obj(xmlXPathCompiledEval(expression.Get(), ctx.get()));
  if (budget != nullptr) budget->opsLeft -= std::min(ctx->opCount, budget->opsLeft);
  // libxml2 sets opCount to opLimit when the limit stops it.
  if (!obj && ctx->opCount >= limit) throw OpLimitFailure(expression.Source());
  if (!obj) throw XPathFailure(expression.Source(), capture, "XPath evaluation failed");

  XPathResult result;
  switch (want) {
    case Want::String:
      result.kind = XPathResult::Kind::String;
      result.string = TakeXmlString(xmlXPathCastToString(obj.get()));
      return result;
    case Want::Number:
      result.kind = XPathResult::Kind::Number;
      result.number = xmlXPathCastToNumber(obj.get());
      return result;
    case Want::Boolean:
      result.kind = XPathResult::Kind::Boolean;
      result.boolean = xmlXPathCastToBoolean(obj.get()) != 0;
      return result;
    case Want::Any: break;
  }
  switch (obj->type) {
    case XPATH_STRING:
      result.kind = XPathResult::Kind::String;
      result.string = obj->stringval != nullptr ? reinterpret_cast<const char*>(obj->stringval) : "";
      return result;
    case XPATH_NUMBER:
      result.kind = XPathResult::Kind::Number;
      result.number = obj->floatval;
      return result;
    case XPATH_BOOLEAN:
      result.kind = XPathResult::Kind::Boolean;
      result.boolean = obj->boolval != 0;
      return result;
    case XPATH_NODESET: {
      result.kind = XPathResult::Kind::Nodes;
      xmlNodeSetPtr set = obj->nodesetval;
      int count = set != nullptr ? set->nodeNr : 0;
      result.nodes.reserve(count);
      for (int i = 0; i < count; i++) {
        xmlNodePtr node = set->nodeTab[i];
        // Namespace nodes are copies owned by the node-set, freed with it.
        if (node->type == XML_NAMESPACE_DECL) {
          XmlFailure failure(kXPathError,
                             "the result holds namespace nodes, which cannot be returned (use name() or "
                             "string() in the expression) in XPath: " +
                                 QuoteExpression(expression.Source()));
          failure.expression = expression.Source();
          throw failure;
        }
        result.nodes.push_back(XmlNodeRef{node, OwnerOf(node, doc, variables)});
      }
      return result;
    }
    default: {
      XmlFailure failure(kXPathError, std::string("the expression gave ") + TypeName(obj->type) +
                                          " in XPath: " + QuoteExpression(expression.Source()));
      failure.expression = expression.Source();
      throw failure;
    }
  }
}

}  // namespace pmc::xml
