// The codes of the errors the Node-free core raises, as JS sees them
// (XmlError.code and CheckLoadError.code, typed in src/errors.ts;
// test/unit/errors.test.ts keeps the two lists in step). Plain C++: no Node-API.
#pragma once

namespace pmc {

namespace xml {
constexpr const char* kParseError = "ERR_PMC_XML_PARSE";
constexpr const char* kXPathError = "ERR_PMC_XPATH";
constexpr const char* kTooLarge = "ERR_PMC_XML_TOO_LARGE";
constexpr const char* kForbidden = "ERR_PMC_XML_FORBIDDEN";
}  // namespace xml

// Check files and plugins refused at load.
namespace checks {
constexpr const char* kFileNotFound = "ERR_PMC_CHECKS_NOT_FOUND";
constexpr const char* kFileParse = "ERR_PMC_CHECKS_PARSE";
constexpr const char* kFileSchema = "ERR_PMC_CHECKS_SCHEMA";
constexpr const char* kFileXPath = "ERR_PMC_CHECKS_XPATH";
constexpr const char* kFileVariable = "ERR_PMC_CHECKS_VARIABLE";
constexpr const char* kFileForbidden = "ERR_PMC_CHECKS_FORBIDDEN";
constexpr const char* kFileTooLarge = "ERR_PMC_CHECKS_TOO_LARGE";
constexpr const char* kDuplicate = "ERR_PMC_CHECKS_DUPLICATE";
constexpr const char* kPluginLoad = "ERR_PMC_PLUGIN_LOAD";
constexpr const char* kPluginEntry = "ERR_PMC_PLUGIN_ENTRY";
constexpr const char* kPluginAbi = "ERR_PMC_PLUGIN_ABI";
constexpr const char* kPluginInvalid = "ERR_PMC_PLUGIN_INVALID";
constexpr const char* kPluginUnsafe = "ERR_PMC_PLUGIN_UNSAFE";  // as root: a file others could have changed
}  // namespace checks

}  // namespace pmc
