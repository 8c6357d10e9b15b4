// Why a check file or a plugin was refused at load. The message always
// starts with the file (and line:column when known). Plain C++: no Node-API.
#pragma once

#include <stdexcept>
#include <string>

namespace pmc::checks {

// The JS error codes (CheckLoadError.code).
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

class LoadError : public std::runtime_error {
 public:
  LoadError(const char* code, const std::string& file, int line, int column, const std::string& check,
            const std::string& what)
      : std::runtime_error(Format(file, line, column, check, what)),
        code(code),
        file(file),
        line(line),
        column(column),
        check(check) {}

  // `message` already says where (e.g. libxml2's "file:line:column: …").
  struct Preformatted {};
  LoadError(Preformatted, const char* code, const std::string& file, int line, int column, const std::string& message)
      : std::runtime_error(message), code(code), file(file), line(line), column(column) {}

  const char* code;
  std::string file;
  int line;
  int column;
  std::string check;  // the check's name, when the error is inside one

 private:
  static std::string Format(const std::string& file, int line, int column, const std::string& check,
                            const std::string& what) {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column > 0 ? column : 1);
    out += ": ";
    if (!check.empty()) out += "check " + check + ": ";
    return out + what;
  }
};

}  // namespace pmc::checks
