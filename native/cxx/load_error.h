// Why a check file or a plugin was refused at load. The message always
// starts with the file (and line:column when known). Plain C++: no Node-API.
#pragma once

#include <stdexcept>
#include <string>

#include "error_codes.h"  // `code`: one of checks::k*

namespace pmc::checks {

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
