// Reading a check file's elements, attributes and text (check_file.cc,
// check_file_schema.cc, check_file_run.cc).
#pragma once

#include <libxml/tree.h>

#include <cctype>
#include <string>

namespace pmc::checks {

inline std::string Str(const xmlChar* s) { return s != nullptr ? reinterpret_cast<const char*>(s) : ""; }

inline std::string Attr(xmlNodePtr node, const char* name) {
  xmlChar* value = xmlGetProp(node, BAD_CAST name);
  std::string out = Str(value);
  xmlFree(value);
  return out;
}

inline std::string Content(xmlNodePtr node) {
  xmlChar* value = xmlNodeGetContent(node);
  std::string out = Str(value);
  xmlFree(value);
  return out;
}

// Runs of white space become one space; none at either end.
inline std::string Collapse(const std::string& s) {
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
inline std::string TokenAttr(xmlNodePtr node, const char* name) { return Collapse(Attr(node, name)); }

inline bool IsElement(xmlNodePtr node, const char* name) {
  return node->type == XML_ELEMENT_NODE && xmlStrEqual(node->name, BAD_CAST name);
}

}  // namespace pmc::checks
