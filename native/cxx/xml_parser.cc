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
};

void Forbid(void* ctx, std::string what) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  auto* state = static_cast<ParseState*>(ctxt->_private);
  if (state->forbidden.empty()) state->forbidden = std::move(what);
  xmlStopParser(ctxt);
}

std::string Str(const xmlChar* s) { return s != nullptr ? reinterpret_cast<const char*>(s) : ""; }

xmlParserInputPtr RefusingLoader(const char* url, const char* id, xmlParserCtxtPtr ctxt) {
  if (!tl_inOurParse) return g_previousLoader(url, id, ctxt);
  if (ctxt != nullptr && ctxt->_private != nullptr) Forbid(ctxt, "loading '" + Str(BAD_CAST url) + "'");
  return nullptr;
}

void OnEntityDecl(void* ctx, const xmlChar* name, int type, const xmlChar* publicId, const xmlChar* systemId,
                  xmlChar* content) {
  switch (type) {
    case XML_INTERNAL_GENERAL_ENTITY:
      xmlSAX2EntityDecl(ctx, name, type, publicId, systemId, content);
      return;
    case XML_INTERNAL_PARAMETER_ENTITY:
      Forbid(ctx, "parameter entity '" + Str(name) + "'");
      return;
    default:
      Forbid(ctx, "external entity '" + Str(name) + "' (" + Str(systemId != nullptr ? systemId : publicId) + ")");
  }
}

void OnUnparsedEntityDecl(void* ctx, const xmlChar* name, const xmlChar*, const xmlChar* systemId, const xmlChar*) {
  Forbid(ctx, "external entity '" + Str(name) + "' (" + Str(systemId) + ")");
}

void OnInternalSubset(void* ctx, const xmlChar* name, const xmlChar* externalId, const xmlChar* systemId) {
  if (externalId != nullptr || systemId != nullptr) {
    Forbid(ctx, "external DTD (" + Str(systemId != nullptr ? systemId : externalId) + ")");
    return;
  }
  xmlSAX2InternalSubset(ctx, name, externalId, systemId);
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
  // No NOENT (entities stay references), no DTDLOAD/DTDATTR; NOCDATA so that
  // CDATA reads as text in XPath; IGNORE_ENC because the text is UTF-8
  // whatever its declaration says (it came through a JS string).
  xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA |
                              XML_PARSE_IGNORE_ENC);
  ctxt->sax->entityDecl = OnEntityDecl;
  ctxt->sax->unparsedEntityDecl = OnUnparsedEntityDecl;
  ctxt->sax->internalSubset = OnInternalSubset;
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
    throw ParseFailure(kForbidden, name, line, column, "refused: the document declares " + state.forbidden);
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
