#include "run_facts.h"

#include <cstdlib>

#include "xml_failure.h"

namespace pmc::checks {

const std::vector<FactSpec>& FactSpecs() {
  static const std::vector<FactSpec> specs = {
      {"domain", FactKind::Xml, "the domain's migratable XML (VIR_DOMAIN_XML_MIGRATABLE); also the context node"},
      {"srcCaps", FactKind::Xml, "the source host's capabilities XML"},
      {"dstCaps", FactKind::Xml, "the destination host's capabilities XML"},
      {"dstDomCaps", FactKind::Xml,
       "the destination's domain capabilities for the domain's emulator, arch, machine and virt type"},
      {"srcNode", FactKind::Xml, "the source host's node info: <node><model/><memory unit='KiB'/><cpus/>…</node>"},
      {"dstNode", FactKind::Xml, "the destination host's node info, as srcNode"},
      {"options", FactKind::Xml, "the migration options: <options><live>true</live>…</options>"},
      {"srcHostname", FactKind::String, "the source host's hostname"},
      {"dstHostname", FactKind::String, "the destination host's hostname"},
      {"srcFreeMemory", FactKind::Number, "free memory on the source host, in KiB"},
      {"dstFreeMemory", FactKind::Number, "free memory on the destination host, in KiB"},
  };
  return specs;
}

const FactSpec* FindFact(const std::string& name) {
  for (const FactSpec& spec : FactSpecs()) {
    if (name == spec.name) return &spec;
  }
  return nullptr;
}

void RunFacts::Set(const std::string& name, std::string text, std::string error) {
  const FactSpec* spec = FindFact(name);
  if (spec == nullptr) return;  // TS only sends known names
  auto fact = std::make_unique<Fact>();
  fact->kind = spec->kind;
  fact->text = std::move(text);
  fact->error = std::move(error);
  facts_[name] = std::move(fact);
}

const char* RunFacts::Text(const std::string& name) const {
  auto it = facts_.find(name);
  if (it == facts_.end() || !it->second->error.empty()) return nullptr;
  return it->second->text.c_str();
}

const RunFacts::Fact* RunFacts::Available(const std::string& name, std::string* error) const {
  auto it = facts_.find(name);
  if (it == facts_.end()) {
    *error = "the fact $" + name + " was not fetched for this run";
    return nullptr;
  }
  if (!it->second->error.empty()) {
    *error = "the fact $" + name + " is unavailable: " + it->second->error;
    return nullptr;
  }
  return it->second.get();
}

xml::Doc RunFacts::Document(const std::string& name, std::string* error) const {
  const Fact* found = Available(name, error);
  if (found == nullptr) return nullptr;
  const Fact& fact = *found;
  std::call_once(fact.parsed, [&] {
    try {
      fact.doc = xml::Parse(fact.text, "$" + name);
    } catch (const xml::XmlFailure& e) {
      fact.parseError = e.what();
    }
  });
  if (!fact.doc) *error = "the fact $" + name + " does not parse: " + fact.parseError;
  return fact.doc;
}

bool RunFacts::Variable(const std::string& name, xml::XPathVariable* out, std::string* error) const {
  const Fact* found = Available(name, error);
  if (found == nullptr) return false;
  const Fact& fact = *found;
  out->name = name;
  switch (fact.kind) {
    case FactKind::String:
      out->kind = xml::XPathVariable::Kind::String;
      out->string = fact.text;
      return true;
    case FactKind::Number:
      out->kind = xml::XPathVariable::Kind::Number;
      out->number = std::strtod(fact.text.c_str(), nullptr);
      return true;
    case FactKind::Xml: {
      xml::Doc doc = Document(name, error);
      if (!doc) return false;
      out->kind = xml::XPathVariable::Kind::Node;
      out->node = xml::XmlNodeRef{reinterpret_cast<xmlNodePtr>(doc.get()), doc};
      return true;
    }
  }
  return false;
}

}  // namespace pmc::checks
