// The XML core: a parsed libxml2 document, shared by reference count so that
// JS objects, check runners and other threads can hold it independently. No
// Node-API here: usable from any thread.
#pragma once

#include <libxml/tree.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace pmc::xml {

using Doc = std::shared_ptr<xmlDoc>;

constexpr size_t kDefaultMaxBytes = 16 * 1024 * 1024;

// Once per process, on the main thread, before any other call (libxml2 2.9
// wants xmlInitParser before threads use it): also installs the entity loader
// that refuses every external load made by our parses.
void InitLibxml();

// Parses `text` (UTF-8) without network access, DTD loading or entity
// substitution. A document with a DTD (<!DOCTYPE …>, hence any entity
// declaration) is refused with kForbidden where the DTD starts, before any
// declaration is read. `name` names the document in error messages. Throws XmlFailure.
Doc Parse(std::string_view text, const std::string& name, size_t maxBytes = kDefaultMaxBytes);

// The node's line in its document, also past 65535 (xmlGetLineNo stops there
// for elements); -1 if unknown.
long LineOf(xmlNodePtr node);

// The node as XML text (a document: with its XML declaration).
std::string Serialize(xmlNodePtr node);

}  // namespace pmc::xml
