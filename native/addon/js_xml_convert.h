// Between the XML core and JS: XmlFailure → the JS XmlError class (registered
// by the TS layer), variables and expressions from arguments, results to JS.
#pragma once

#include <napi.h>

#include <memory>
#include <vector>

#include "xml_failure.h"
#include "xpath_eval.h"

namespace pmc {

Napi::Error XmlErrorToJs(Napi::Env env, const xml::XmlFailure& failure);

// A string (compiled now) or an XPathExpression.
std::shared_ptr<const xml::CompiledXPath> ExpressionArg(const Napi::CallbackInfo& info, size_t i);
// An object of name → string | number | boolean | XmlDocument | XmlNode (the
// native ones); undefined or null for none.
std::vector<xml::XPathVariable> VariablesArg(const Napi::CallbackInfo& info, size_t i);
// 'any' (default) | 'string' | 'number' | 'boolean'.
xml::Want WantArg(const Napi::CallbackInfo& info, size_t i);

Napi::Value ResultToJs(Napi::Env env, xml::XPathResult& result);

// The shared body of XmlDocument.evaluate and XmlNode.evaluate:
// (expression, variables?, want?).
Napi::Value EvaluateFromJs(const Napi::CallbackInfo& info, const xml::Doc& doc, xmlNodePtr context);

}  // namespace pmc
