#include "check_file.h"

#include <libxml/tree.h>

#include <cctype>
#include <set>

#include "check_file_nodes.h"
#include "check_file_schema.h"
#include "load_error.h"
#include "xml_failure.h"

namespace pmc::checks {

namespace {

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
  ValidateCheckFile(doc, path, schema);

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

}  // namespace pmc::checks
