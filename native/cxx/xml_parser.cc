#include "xml_parser.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xpath.h>

#include <climits>
#include <mutex>

#include "xml_failure.h"

namespace pmc::xml {

namespace {

// Set while one of our parses runs on this thread: the entity loader refuses
// then, and leaves other libxml2 users in the process (libvirt) alone.
thread_local bool tl_inOurParse = false;
xmlExternalEntityLoader g_previousLoader = nullptr;

struct ParseState {
  std::string forbidden;
  int line = 0, column = 0;  // where the forbidden construct was met
};

void Forbid(void* ctx, std::string what) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  auto* state = static_cast<ParseState*>(ctxt->_private);
  if (state->forbidden.empty()) {
    state->forbidden = std::move(what);
    if (ctxt->input != nullptr) {
      state->line = ctxt->input->line;
      state->column = ctxt->input->col;
    }
  }
  xmlStopParser(ctxt);
}

std::string Str(const xmlChar* s) { return s != nullptr ? reinterpret_cast<const char*>(s) : ""; }

xmlParserInputPtr RefusingLoader(const char* url, const char* id, xmlParserCtxtPtr ctxt) {
  if (!tl_inOurParse) return g_previousLoader(url, id, ctxt);
  if (ctxt != nullptr && ctxt->_private != nullptr)
    Forbid(ctxt, "external entities are not allowed ('" + Str(BAD_CAST url) + "')");
  return nullptr;
}

// Any DTD is refused where it starts, before libxml2 reads a declaration of
// it: no entity is ever declared, so none can be expanded later (xmlGetProp
// and xmlNodeGetContent expand internal entities outside libxml2's
// amplification guard). Neither check files nor libvirt's XML have a DTD.
void OnInternalSubset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  Forbid(ctx, "DTD/entity declarations are not allowed");
}

// Unreachable after the refusal above; kept so that no path declares one.
void OnEntityDecl(void* ctx, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {
  Forbid(ctx, "DTD/entity declarations are not allowed");
}

void OnUnparsedEntityDecl(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*, const xmlChar*) {
  Forbid(ctx, "DTD/entity declarations are not allowed");
}

// libxml2 keeps an element's line in 16 bits (65535 beyond); BIG_LINES saves
// the real one only for text nodes. Elements keep theirs in _private, which
// nothing else of ours or of libxml2's tree, XPath and RELAX NG code uses.
void OnStartElementNs(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri, int nbNamespaces,
                      const xmlChar** namespaces, int nbAttributes, int nbDefaulted, const xmlChar** attributes) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  xmlSAX2StartElementNs(ctx, localname, prefix, uri, nbNamespaces, namespaces, nbAttributes, nbDefaulted, attributes);
  if (ctxt->node != nullptr && ctxt->input != nullptr && ctxt->input->line >= 65535) {
    ctxt->node->_private = reinterpret_cast<void*>(static_cast<intptr_t>(ctxt->input->line));
  }
}

XmlFailure ParseFailure(const char* code, const std::string& name, int line, int column, const std::string& message) {
  std::string where = name.empty() ? "<xml>" : name;
  XmlFailure failure(code, where + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message);
  failure.file = name;
  failure.line = line;
  failure.column = column;
  return failure;
}

}  // namespace

void InitLibxml() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    g_previousLoader = xmlGetExternalEntityLoader();
    xmlSetExternalEntityLoader(RefusingLoader);
  });
}

Doc Parse(std::string_view text, const std::string& name, size_t maxBytes) {
  if (maxBytes > INT_MAX) maxBytes = INT_MAX;  // libxml2 takes an int size
  if (text.size() > maxBytes) {
    XmlFailure failure(kTooLarge, (name.empty() ? "<xml>" : name) + ": the document has " +
                                      std::to_string(text.size()) + " bytes, more than the limit of " +
                                      std::to_string(maxBytes));
    failure.file = name;
    throw failure;
  }
  if (text.empty()) throw ParseFailure(kParseError, name, 1, 1, "Document is empty");

  LibxmlErrorCapture capture;
  xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(text.data(), static_cast<int>(text.size()));
  if (ctxt == nullptr) throw ParseFailure(kParseError, name, 1, 1, "out of memory");
  // No NOENT, no DTDLOAD/DTDATTR (and any DTD is refused, see
  // OnInternalSubset); NOCDATA so that CDATA reads as text in XPath;
  // IGNORE_ENC because the text is UTF-8 whatever its declaration says (it
  // came through a JS string); BIG_LINES and OnStartElementNs so that
  // lines go past 65535 (LineOf).
  xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA |
                              XML_PARSE_IGNORE_ENC | XML_PARSE_BIG_LINES);
  ctxt->sax->entityDecl = OnEntityDecl;
  ctxt->sax->unparsedEntityDecl = OnUnparsedEntityDecl;
  ctxt->sax->internalSubset = OnInternalSubset;
  ctxt->sax->startElementNs = OnStartElementNs;
  ParseState state;
  ctxt->_private = &state;

  tl_inOurParse = true;
  xmlParseDocument(ctxt);
  tl_inOurParse = false;

  Doc doc(ctxt->myDoc, xmlFreeDoc);
  ctxt->myDoc = nullptr;
  bool wellFormed = ctxt->wellFormed != 0;
  int line = ctxt->input != nullptr ? ctxt->input->line : 0;
  int column = ctxt->input != nullptr ? ctxt->input->col : 0;
  xmlFreeParserCtxt(ctxt);

  if (!state.forbidden.empty()) {
    throw ParseFailure(kForbidden, name, state.line, state.column, "refused: " + state.forbidden);
  }
  if (!wellFormed || !doc) {
    if (capture.HasError()) throw ParseFailure(kParseError, name, capture.Line(), capture.Column(), capture.Message());
    throw ParseFailure(kParseError, name, line, column, "not well-formed");
  }
  // Numbers the elements once so that XPath sorts node-sets fast; done before
  // the document is shared, as it writes to the nodes.
  xmlXPathOrderDocElems(doc.get());
  return doc;
}

long LineOf(xmlNodePtr node) {
  if (node->type == XML_ELEMENT_NODE && node->line == 65535 && node->_private != nullptr) {
    return static_cast<long>(reinterpret_cast<intptr_t>(node->_private));
  }
  return xmlGetLineNo(node);
}

std::string Serialize(xmlNodePtr node) {
  LibxmlErrorCapture capture;
  std::unique_ptr<xmlBuffer, void (*)(xmlBufferPtr)> buffer(xmlBufferCreate(), xmlBufferFree);
  if (!buffer) return "";
  if (node->type == XML_DOCUMENT_NODE) {
    xmlChar* text = nullptr;
    int size = 0;
    // UTF-8 out, as JS strings want (the default escapes non-ASCII as &#x…;).
    xmlDocDumpMemoryEnc(reinterpret_cast<xmlDocPtr>(node), &text, &size, "UTF-8");
    std::string out = text != nullptr ? std::string(reinterpret_cast<const char*>(text), size) : "";
    xmlFree(text);
    return out;
  }
  xmlNodeDump(buffer.get(), node->doc, node, 0, 0);
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buffer.get())), xmlBufferLength(buffer.get()));
}

}  // namespace pmc::xml
