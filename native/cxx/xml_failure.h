// Errors of the XML core (parsing and XPath), as plain C++ so that the core can
// run on any thread; js_xml_convert.cc (native/addon) turns them into JS XmlErrors.
#pragma once

#include <libxml/xmlerror.h>

#include <stdexcept>
#include <string>

#include "error_codes.h"  // `code`: one of xml::k*

namespace pmc::xml {

class XmlFailure : public std::runtime_error {
 public:
  XmlFailure(const char* code, const std::string& message) : std::runtime_error(message), code(code) {}

  const char* code;
  // Parse errors: where, in the document named `file` (0 when unknown).
  std::string file;
  int line = 0;
  int column = 0;
  // XPath errors: the expression.
  std::string expression;
};

// While alive, libxml2 errors raised on this thread are captured here instead
// of reaching stderr; the previous handlers of the thread (libvirt's, or none)
// come back on destruction. libxml2 keeps these handlers per thread.
class LibxmlErrorCapture {
 public:
  LibxmlErrorCapture();
  ~LibxmlErrorCapture();
  LibxmlErrorCapture(const LibxmlErrorCapture&) = delete;
  LibxmlErrorCapture& operator=(const LibxmlErrorCapture&) = delete;

  bool HasError() const { return hasError_; }
  // The first error (later ones are usually consequences of it); failing
  // that, the first line a libxml2 path printed through the generic handler.
  const std::string& Message() const { return hasError_ ? message_ : genericMessage_; }
  int Line() const { return line_; }
  int Column() const { return column_; }
  // XPath errors: the character offset in the expression where it failed.
  int Offset() const { return offset_; }

 private:
  static void OnStructured(void* self, xmlErrorPtr error);
  static void OnGeneric(void* self, const char* format, ...);

  void* oldStructured_;
  void* oldStructuredContext_;
  void* oldGeneric_;
  void* oldGenericContext_;
  bool hasError_ = false;
  std::string message_;
  std::string genericMessage_;
  int line_ = 0;
  int column_ = 0;
  int offset_ = 0;
};

}  // namespace pmc::xml
