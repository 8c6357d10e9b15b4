// XPath 1.0 over the XML core: compile once, evaluate against a document or a
// node with named variables, into plain C++ values. No Node-API: usable from
// any thread. Each evaluation gets a fresh xmlXPathContext, so evaluations on
// different threads, even over the same document, do not share mutable state.
// One caveat from libxml2 2.9: evaluating a compiled expression writes into it
// (xmlXPathCompOpEval caches each function lookup in its step), so a compiled
// expression is evaluated by one thread at a time (check files give each run
// its own compiled copy: XmlCheck::TakeCompiled).
#pragma once

#include <libxml/tree.h>
#include <libxml/xpath.h>

#include <memory>
#include <string>
#include <vector>

#include "xml_parser.h"

namespace pmc::xml {

// An expression as error messages quote it: cut after kQuotedExpressionMax
// bytes with an ellipsis and its length, so a hostile 150 KB expression does
// not come back whole in every message.
constexpr size_t kQuotedExpressionMax = 200;
std::string QuoteExpression(const std::string& expression);

class CompiledXPath {
 public:
  // Checks the syntax; throws XmlFailure (kXPathError) naming the expression.
  static std::shared_ptr<const CompiledXPath> Compile(const std::string& expression);

  ~CompiledXPath();
  CompiledXPath(const CompiledXPath&) = delete;
  CompiledXPath& operator=(const CompiledXPath&) = delete;

  const std::string& Source() const { return source_; }
  xmlXPathCompExprPtr Get() const { return comp_; }

 private:
  CompiledXPath(std::string source, xmlXPathCompExprPtr comp) : source_(std::move(source)), comp_(comp) {}

  std::string source_;
  xmlXPathCompExprPtr comp_;
};

// A node together with the document that owns it, which it keeps alive.
struct XmlNodeRef {
  xmlNodePtr node = nullptr;
  Doc doc;
};

struct XPathVariable {
  enum class Kind { String, Number, Boolean, Node };
  std::string name;
  Kind kind = Kind::String;
  std::string string;
  double number = 0;
  bool boolean = false;
  // Kind::Node: a node, or a document's node (xmlDocPtr cast) for a document.
  XmlNodeRef node;
};

struct XPathResult {
  enum class Kind { String, Number, Boolean, Nodes };
  Kind kind = Kind::Nodes;
  std::string string;
  double number = 0;
  bool boolean = false;
  std::vector<XmlNodeRef> nodes;
};

// What the caller wants: the expression's own type, or XPath's string(),
// number() or boolean() of it.
enum class Want { Any, String, Number, Boolean };

// libxml2's operation limit (xmlXPathContext.opLimit) for one evaluation: an
// expression that walks a document again for every node (nested
// count(//node()[…]): n^k steps) stops with kXPathError after this many steps
// rather than holding its thread for hours, past any timeout. About a second
// of one core; a real check over a domain's XML takes a few thousand.
constexpr unsigned long kXPathOpLimit = 10000000;

// What several evaluations spend together (the asserts and messages of one
// check run), so that a check of many runaway asserts is bounded too.
struct XPathBudget {
  unsigned long opsLeft = kXPathOpLimit;
};

// `context` is the context node (the document node when null). Throws
// XmlFailure (kXPathError) with libxml2's message and the expression, also
// when the evaluation needs more than `budget` (or kXPathOpLimit) steps.
XPathResult Evaluate(const CompiledXPath& expression, const Doc& doc, xmlNodePtr context,
                     const std::vector<XPathVariable>& variables, Want want = Want::Any, XPathBudget* budget = nullptr);

}  // namespace pmc::xml
