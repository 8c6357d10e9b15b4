#include "xml_failure.h"

#include <libxml/globals.h>
#include <libxml/xmlerror.h>

namespace pmc::xml {

namespace {

std::string Trimmed(const char* message) {
  std::string s = message != nullptr ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

LibxmlErrorCapture::LibxmlErrorCapture()
    // xmlStructuredError & co. are macros for this thread's handlers.
    : oldStructured_(reinterpret_cast<void*>(xmlStructuredError)),
      oldStructuredContext_(xmlStructuredErrorContext),
      oldGeneric_(reinterpret_cast<void*>(xmlGenericError)),
      oldGenericContext_(xmlGenericErrorContext) {
  xmlSetStructuredErrorFunc(this, &LibxmlErrorCapture::OnStructured);
  // A few libxml2 paths print through the generic handler directly.
  xmlSetGenericErrorFunc(this, &LibxmlErrorCapture::OnGeneric);
}

LibxmlErrorCapture::~LibxmlErrorCapture() {
  xmlSetStructuredErrorFunc(oldStructuredContext_, reinterpret_cast<xmlStructuredErrorFunc>(oldStructured_));
  xmlSetGenericErrorFunc(oldGenericContext_, reinterpret_cast<xmlGenericErrorFunc>(oldGeneric_));
}

void LibxmlErrorCapture::OnStructured(void* self, xmlError* error) {
  auto* capture = static_cast<LibxmlErrorCapture*>(self);
  if (capture->hasError_ || error == nullptr || error->level < XML_ERR_ERROR) return;
  capture->hasError_ = true;
  capture->message_ = Trimmed(error->message);
  capture->line_ = error->line;
  capture->column_ = error->int2;  // libxml2 puts the column of parser errors in int2
  capture->offset_ = error->int1;  // and the offset of XPath errors in int1
}

void LibxmlErrorCapture::OnGeneric(void* self, const char* format, ...) {
  auto* capture = static_cast<LibxmlErrorCapture*>(self);
  // Unformatted: a rare fallback for the message, never printed.
  if (capture->genericMessage_.empty()) capture->genericMessage_ = Trimmed(format);
}

}  // namespace pmc::xml
