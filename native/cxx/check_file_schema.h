// A check file checked against the shipped RELAX NG schema
// (schemas/checks.rng), with the usual mistakes named in plain words.
#pragma once

#include <string>
#include <string_view>

#include "xml_parser.h"

namespace pmc::checks {

// Throws LoadError (kFileSchema). `schema` is the schema's text; it is parsed
// once per process and shared.
void ValidateCheckFile(const xml::Doc& doc, const std::string& path, std::string_view schema);

}  // namespace pmc::checks
