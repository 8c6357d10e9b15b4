#include "check_file_schema.h"

#include <libxml/relaxng.h>
#include <libxml/tree.h>

#include <cctype>
#include <mutex>

#include "check_file_nodes.h"
#include "load_error.h"
#include "pmc.h"
#include "xml_failure.h"

namespace pmc::checks {

namespace {

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

}  // namespace

// Validates under the lock: a validation context is per call, but the parsed
// schema is shared, and loads are rare.
void ValidateCheckFile(const xml::Doc& doc, const std::string& path, std::string_view schema) {
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

}  // namespace pmc::checks
