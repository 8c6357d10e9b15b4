#include "check_file.h"

#include <libxml/relaxng.h>
#include <libxml/tree.h>

#include <cctype>
#include <set>

#include "load_error.h"
#include "xml_failure.h"

namespace pmc::checks {

namespace {

std::string Str(const xmlChar* s) { return s != nullptr ? reinterpret_cast<const char*>(s) : ""; }

std::string Attr(xmlNodePtr node, const char* name) {
  xmlChar* value = xmlGetProp(node, BAD_CAST name);
  std::string out = Str(value);
  xmlFree(value);
  return out;
}

std::string Content(xmlNodePtr node) {
  xmlChar* value = xmlNodeGetContent(node);
  std::string out = Str(value);
  xmlFree(value);
  return out;
}

// Runs of white space become one space; none at either end.
std::string Collapse(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

// An attribute the schema types as a token (an enumerated <value>): RELAX NG
// compares it with its white space collapsed, so " warning" is valid and must
// mean warning here too.
std::string TokenAttr(xmlNodePtr node, const char* name) { return Collapse(Attr(node, name)); }

bool IsElement(xmlNodePtr node, const char* name) {
  return node->type == XML_ELEMENT_NODE && xmlStrEqual(node->name, BAD_CAST name);
}

// ---- the schema: parsed once per process from the text TS hands over ----

std::mutex g_schemaMutex;
std::string g_schemaText;
xmlRelaxNGPtr g_schema = nullptr;

struct SchemaErrors {
  bool has = false;
  int line = 0;
  std::string message;
  std::string element;
};

void OnSchemaError(void* ctx, xmlErrorPtr error) {
  auto* errors = static_cast<SchemaErrors*>(ctx);
  if (error == nullptr) return;
  std::string m = Str(BAD_CAST error->message);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  // libxml2 reports the innermost cause first, then each enclosing element's
  // "failed to validate": keep the first, add the others for context.
  if (errors->has) {
    if (errors->message.find(m) == std::string::npos && errors->message.size() < 400) errors->message += "; " + m;
    return;
  }
  errors->has = true;
  // The node's line first: error->line stops at 65535, xml::LineOf does not
  // (the document is parsed with XML_PARSE_BIG_LINES).
  errors->line = error->node != nullptr ? static_cast<int>(xml::LineOf(static_cast<xmlNodePtr>(error->node))) : 0;
  if (errors->line <= 0) errors->line = error->line;
  errors->message = m;
}

bool IsAreaWhat(const std::string& name) {
  size_t dot = name.find('.');
  if (dot == 0 || dot == std::string::npos || name.back() == '.' || name.find("..") != std::string::npos) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
  }
  return true;
}

// libxml2's RELAX NG messages rarely say what is missing ("Element check
// failed to validate attributes"): name the usual mistakes ourselves.
bool Explain(const xml::Doc& doc, int* line, std::string* why) {
  xmlNodePtr root = xmlDocGetRootElement(doc.get());
  auto found = [&](xmlNodePtr node, std::string what) {
    *line = static_cast<int>(xml::LineOf(node));
    *why = std::move(what);
    return true;
  };
  if (!IsElement(root, "checks"))
    return found(root, "the root element must be <checks>, not <" + Str(root->name) + ">");
  for (xmlNodePtr node = root->children; node != nullptr; node = node->next) {
    if (node->type != XML_ELEMENT_NODE) continue;
    if (!IsElement(node, "check"))
      return found(node, "<checks> holds only <check> elements, not <" + Str(node->name) + ">");
    std::string name = Attr(node, "name");
    if (!xmlHasProp(node, BAD_CAST "name")) return found(node, "a <check> needs name=\"area.what\"");
    if (!IsAreaWhat(name)) return found(node, "the check name '" + name + "' is not of the form area.what");
    std::string severity = TokenAttr(node, "severity");
    if (virPMCSeverityFromName(severity.c_str()) < 0) {
      return found(node, "check " + name + ": severity must be critical, warning or info" +
                             (xmlHasProp(node, BAD_CAST "severity") ? ", not '" + severity + "'" : " (it has none)"));
    }
    bool hasAssert = false;
    for (xmlNodePtr child = node->children; child != nullptr; child = child->next) {
      if (child->type != XML_ELEMENT_NODE) continue;
      if (IsElement(child, "assert")) {
        hasAssert = true;
        if (Attr(child, "test").empty()) return found(child, "check " + name + ": an <assert> needs a test=\"xpath\"");
      } else if (!IsElement(child, "description")) {
        return found(child, "check " + name + ": unexpected <" + Str(child->name) +
                                "> (a check holds <description> and <assert>)");
      }
    }
    if (!hasAssert) return found(node, "check " + name + " has no <assert test=\"…\">");
  }
  return false;
}

// Validates under the lock: a validation context is per call, but the parsed
// schema is shared, and loads are rare.
void Validate(const xml::Doc& doc, const std::string& path, std::string_view schema) {
  std::lock_guard<std::mutex> lock(g_schemaMutex);
  if (g_schema == nullptr || g_schemaText != schema) {
    xml::LibxmlErrorCapture capture;
    xmlRelaxNGParserCtxtPtr pctxt = xmlRelaxNGNewMemParserCtxt(schema.data(), static_cast<int>(schema.size()));
    xmlRelaxNGPtr parsed = pctxt != nullptr ? xmlRelaxNGParse(pctxt) : nullptr;
    if (pctxt != nullptr) xmlRelaxNGFreeParserCtxt(pctxt);
    if (parsed == nullptr) {
      throw LoadError(kFileSchema, path, 0, 0, "", "the check-file schema itself does not load: " + capture.Message());
    }
    if (g_schema != nullptr) xmlRelaxNGFree(g_schema);
    g_schema = parsed;
    g_schemaText = std::string(schema);
  }
  SchemaErrors errors;
  xmlRelaxNGValidCtxtPtr vctxt = xmlRelaxNGNewValidCtxt(g_schema);
  if (vctxt == nullptr) throw LoadError(kFileSchema, path, 0, 0, "", "out of memory");
  xmlRelaxNGSetValidStructuredErrors(vctxt, OnSchemaError, &errors);
  xml::LibxmlErrorCapture capture;  // anything else libxml2 says stays off stderr
  int rc = xmlRelaxNGValidateDoc(vctxt, doc.get());
  xmlRelaxNGFreeValidCtxt(vctxt);
  if (rc != 0) {
    int line = errors.line;
    std::string why = errors.has ? errors.message : "the document does not match the schema";
    std::string plain;
    if (Explain(doc, &line, &plain)) why = plain + " (" + why + ")";
    throw LoadError(kFileSchema, path, line, 1, "", "does not match schemas/checks.rng: " + why);
  }
}

// ---- where an expression sits in the file, for error messages ----

struct Source {
  std::string_view text;
  std::string path;

  std::string_view Line(int line) const {
    size_t start = 0;
    for (int l = 1; l < line && start != std::string_view::npos; l++) {
      start = text.find('\n', start);
      if (start != std::string_view::npos) start++;
    }
    if (start == std::string_view::npos || start > text.size()) return {};
    size_t end = text.find('\n', start);
    return text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  }

  // The column where the value of attribute `name` starts on `line`, or 1.
  int AttributeColumn(int line, const char* name) const {
    std::string_view l = Line(line);
    size_t at = l.find(std::string(name) + "=");
    if (at == std::string_view::npos) return 1;
    size_t quote = l.find_first_of("\"'", at);
    return quote == std::string_view::npos ? 1 : static_cast<int>(quote) + 2;
  }

  // Line and column of `needle` at or after the start of `line`; false if absent.
  bool Find(int line, const std::string& needle, int* outLine, int* outColumn) const {
    std::string_view first = Line(line);
    if (first.data() == nullptr) return false;
    size_t from = static_cast<size_t>(first.data() - text.data());
    size_t at = text.find(needle, from);
    if (at == std::string_view::npos) return false;
    size_t lineStart = text.rfind('\n', at);
    lineStart = lineStart == std::string_view::npos ? 0 : lineStart + 1;
    int l = line;
    for (size_t i = from; i < lineStart; i++) l += text[i] == '\n';
    *outLine = l;
    *outColumn = static_cast<int>(at - lineStart) + 1;
    return true;
  }
};

// The `$name`s an expression reads. XPath 1.0 has `$` only in variable
// references and string literals, so skipping literals is enough.
std::vector<std::string> VariablesOf(const std::string& expression) {
  std::vector<std::string> names;
  for (size_t i = 0; i < expression.size(); i++) {
    char c = expression[i];
    if (c == '"' || c == '\'') {
      size_t end = expression.find(c, i + 1);
      if (end == std::string::npos) break;  // the compiler reports it
      i = end;
    } else if (c == '$') {
      size_t j = i + 1;
      while (j < expression.size() && std::isspace(static_cast<unsigned char>(expression[j]))) j++;
      size_t start = j;
      while (j < expression.size() &&
             (std::isalnum(static_cast<unsigned char>(expression[j])) || expression[j] == '_' || expression[j] == '-' ||
              expression[j] == '.' || expression[j] == ':')) {
        j++;
      }
      names.push_back(expression.substr(start, j - start));
      i = j - 1;
    }
  }
  return names;
}

std::string KnownFacts() {
  std::string out;
  for (const FactSpec& spec : FactSpecs()) out += (out.empty() ? "$" : ", $") + std::string(spec.name);
  return out;
}

// Stand-ins of the right kind for every fact: evaluating each expression once
// at load finds what compiling cannot (unknown functions, wrong arity, a path
// into a string).
const std::vector<xml::XPathVariable>& TrialVariables(const xml::Doc& empty) {
  static std::vector<xml::XPathVariable> variables = [&] {
    std::vector<xml::XPathVariable> out;
    for (const FactSpec& spec : FactSpecs()) {
      xml::XPathVariable v;
      v.name = spec.name;
      if (spec.kind == FactKind::Xml) {
        v.kind = xml::XPathVariable::Kind::Node;
        v.node = xml::XmlNodeRef{reinterpret_cast<xmlNodePtr>(empty.get()), empty};
      } else if (spec.kind == FactKind::Number) {
        v.kind = xml::XPathVariable::Kind::Number;
      }
      out.push_back(std::move(v));
    }
    return out;
  }();
  return variables;
}

const xml::Doc& EmptyDoc() {
  static const xml::Doc doc = xml::Parse("<empty/>", "(trial)");
  return doc;
}

class Loader {
 public:
  Loader(Source source) : source_(source) {}

  std::shared_ptr<const xml::CompiledXPath> Compile(const std::string& expression, XmlCheck& check, int line,
                                                    int column) {
    std::shared_ptr<const xml::CompiledXPath> compiled;
    try {
      compiled = xml::CompiledXPath::Compile(expression);
    } catch (const xml::XmlFailure& e) {
      throw LoadError(kFileXPath, source_.path, line, column, check.name, e.what());
    }
    for (const std::string& name : VariablesOf(expression)) {
      if (FindFact(name) == nullptr) {
        throw LoadError(kFileVariable, source_.path, line, column, check.name,
                        "unknown variable $" + name + " in XPath: " + xml::QuoteExpression(expression) +
                            " (known: " + KnownFacts() + ")");
      }
      bool seen = false;
      for (const std::string& v : check.variables) seen = seen || v == name;
      if (!seen) check.variables.push_back(name);
    }
    try {
      xml::Evaluate(*compiled, EmptyDoc(), nullptr, TrialVariables(EmptyDoc()), xml::Want::String);
    } catch (const xml::XmlFailure& e) {
      throw LoadError(kFileXPath, source_.path, line, column, check.name,
                      std::string("cannot be evaluated: ") + e.what());
    }
    return compiled;
  }

  // "text {xpath} text", with {{ and }} for literal braces.
  std::vector<MessagePart> Message(const std::string& text, XmlCheck& check, int line) {
    std::vector<MessagePart> parts;
    std::string literal;
    for (size_t i = 0; i < text.size(); i++) {
      char c = text[i];
      if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
        literal += c;
        i++;
        continue;
      }
      if (c == '}') {
        throw LoadError(kFileXPath, source_.path, line, 1, check.name, "a lone } in the message (write }} for one)");
      }
      if (c != '{') {
        literal += c;
        continue;
      }
      size_t end = i + 1;
      char quote = 0;
      for (; end < text.size(); end++) {
        if (quote != 0) {
          if (text[end] == quote) quote = 0;
        } else if (text[end] == '"' || text[end] == '\'') {
          quote = text[end];
        } else if (text[end] == '}') {
          break;
        }
      }
      if (end >= text.size()) {
        throw LoadError(kFileXPath, source_.path, line, 1, check.name,
                        "an unclosed { in the message: " + xml::QuoteExpression(Collapse(text)));
      }
      std::string expression = text.substr(i + 1, end - i - 1);
      int eLine = line, eColumn = 1;
      source_.Find(line, "{" + expression + "}", &eLine, &eColumn);
      if (!literal.empty()) parts.push_back(MessagePart{literal, nullptr});
      literal.clear();
      parts.push_back(MessagePart{"", Compile(expression, check, eLine, eColumn + 1)});
      i = end;
    }
    if (!literal.empty()) parts.push_back(MessagePart{literal, nullptr});
    return parts;
  }

  std::unique_ptr<XmlCheck> Check(xmlNodePtr node) {
    auto check = std::make_unique<XmlCheck>();
    check->file = source_.path;
    check->name = Attr(node, "name");
    check->line = static_cast<int>(xml::LineOf(node));
    // The schema (Validate) allows only the three names, after collapsing white space.
    check->severity = static_cast<virPMCSeverity>(virPMCSeverityFromName(TokenAttr(node, "severity").c_str()));
    check->variables.push_back("domain");  // the context node of every expression
    for (xmlNodePtr child = node->children; child != nullptr; child = child->next) {
      if (IsElement(child, "description")) check->description = Collapse(Content(child));
      if (!IsElement(child, "assert")) continue;
      XmlAssert a;
      a.line = static_cast<int>(xml::LineOf(child));
      std::string test = Attr(child, "test");
      a.test = Compile(test, *check, a.line, source_.AttributeColumn(a.line, "test"));
      a.message = Message(Content(child), *check, a.line);
      check->asserts.push_back(std::move(a));
    }
    return check;
  }

 private:
  Source source_;
};

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::shared_ptr<const CheckFile> LoadCheckFile(std::string_view text, const std::string& path, std::string_view schema,
                                               size_t maxBytes) {
  xml::Doc doc;
  try {
    doc = xml::Parse(text, path, maxBytes);
  } catch (const xml::XmlFailure& e) {
    const char* code = std::string(e.code) == xml::kForbidden  ? kFileForbidden
                       : std::string(e.code) == xml::kTooLarge ? kFileTooLarge
                                                               : kFileParse;
    throw LoadError(LoadError::Preformatted{}, code, path, e.line, e.column, e.what());
  }
  Validate(doc, path, schema);

  auto file = std::make_shared<CheckFile>();
  file->path = path;
  Loader loader(Source{text, path});
  std::set<std::string> names;
  for (xmlNodePtr node = xmlDocGetRootElement(doc.get())->children; node != nullptr; node = node->next) {
    if (!IsElement(node, "check")) continue;
    std::unique_ptr<XmlCheck> check = loader.Check(node);
    if (!names.insert(check->name).second) {
      throw LoadError(kDuplicate, path, check->line, 1, check->name, "a second check of this name in the file");
    }
    for (const std::string& v : check->variables) {
      bool seen = false;
      for (const std::string& f : file->variables) seen = seen || f == v;
      if (!seen) file->variables.push_back(v);
    }
    file->checks.push_back(std::move(check));
  }
  return file;
}

std::unique_ptr<CompiledAsserts> XmlCheck::TakeCompiled() {
  {
    std::lock_guard<std::mutex> lock(idleMutex_);
    if (!idle_.empty()) {
      std::unique_ptr<CompiledAsserts> compiled = std::move(idle_.back());
      idle_.pop_back();
      return compiled;
    }
  }
  // Recompiled from the sources the load compiled: cannot fail.
  auto compiled = std::make_unique<CompiledAsserts>(asserts);
  for (XmlAssert& a : *compiled) {
    a.test = xml::CompiledXPath::Compile(a.test->Source());
    for (MessagePart& part : a.message) {
      if (part.expression) part.expression = xml::CompiledXPath::Compile(part.expression->Source());
    }
  }
  return compiled;
}

void XmlCheck::GiveBack(std::unique_ptr<CompiledAsserts> compiled) {
  constexpr size_t kMaxIdle = 8;  // about the runner's workers; more are freed
  std::lock_guard<std::mutex> lock(idleMutex_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(compiled));
}

CheckOutcome RunXmlCheck(XmlCheck& check, const RunFacts& facts) {
  CheckOutcome out;
  try {
    std::vector<xml::XPathVariable> variables(check.variables.size());
    std::string error;
    for (size_t i = 0; i < check.variables.size(); i++) {
      if (!facts.Variable(check.variables[i], &variables[i], &error)) {
        out.message = error;
        return out;
      }
    }
    // "domain" is first: its document is the context node.
    const xml::Doc& context = variables[0].node.doc;
    std::unique_ptr<CompiledAsserts> compiled = check.TakeCompiled();
    std::vector<std::string> failed;
    std::string failedDetails;
    for (const XmlAssert& a : *compiled) {
      xml::XPathResult holds = xml::Evaluate(*a.test, context, nullptr, variables, xml::Want::Boolean);
      if (holds.boolean) continue;
      std::string message;
      for (const MessagePart& part : a.message) {
        message += part.expression
                       ? xml::Evaluate(*part.expression, context, nullptr, variables, xml::Want::String).string
                       : part.literal;
      }
      message = Collapse(message);
      failed.push_back(message.empty() ? "assertion failed: " + xml::QuoteExpression(a.test->Source()) : message);
      failedDetails += std::string(failedDetails.empty() ? "" : ",") + "{\"line\":" + std::to_string(a.line) +
                       ",\"test\":" + JsonString(a.test->Source()) + "}";
    }
    // Not on a throw: a copy whose evaluation failed midway is simply freed.
    check.GiveBack(std::move(compiled));
    if (failed.empty()) {
      out.status = VIR_PMC_STATUS_PASS;
      out.message = check.asserts.size() == 1 ? "the assertion holds"
                                              : "all " + std::to_string(check.asserts.size()) + " assertions hold";
      return out;
    }
    out.status = VIR_PMC_STATUS_FAIL;
    for (size_t i = 0; i < failed.size(); i++) out.message += (i ? "; " : "") + failed[i];
    out.details = "{\"file\":" + JsonString(check.file) + ",\"line\":" + std::to_string(check.line) + ",\"failed\":[" +
                  failedDetails + "]}";
  } catch (const std::exception& e) {
    out.status = VIR_PMC_STATUS_ERROR;
    out.message = e.what();
  }
  return out;
}

}  // namespace pmc::checks
