// Connection: looking up, listing, defining and creating domains; each
// domain is wrapped as a Domain that keeps its connection alive.
#include "connection.h"

#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "domain.h"
#include "operation.h"

namespace pmc {

namespace {

// Keeps the connection's JS object alive until a queued call has settled.
using ObjectHold = std::shared_ptr<Napi::ObjectReference>;

ObjectHold Hold(Napi::Object object) { return std::make_shared<Napi::ObjectReference>(Napi::Persistent(object)); }

}  // namespace

Napi::Value Connection::WrapDomains(Napi::Env env, DomainSlot& slot, bool single) {
  std::vector<virDomainPtr> domains = slot.Take();
  if (single) return Domain::Wrap(env, domains.at(0), Value());
  Napi::Array out = Napi::Array::New(env, domains.size());
  for (size_t i = 0; i < domains.size(); i++) out.Set(i, Domain::Wrap(env, domains[i], Value()));
  return out;
}

#define PMC_DOMAIN_CALL(ENV, what, expr)      \
  auto slot = std::make_shared<DomainSlot>(); \
  ObjectHold self = Hold(Value());            \
  return Call(                                \
      ENV, what,                              \
      [=](Data&) {                            \
        virDomainPtr dom = (expr);            \
        if (dom == nullptr) return false;     \
        slot->domains.push_back(dom);         \
        return true;                          \
      },                                      \
      [this, slot, self](Napi::Env env, Data&) { return WrapDomains(env, *slot, true); });

Napi::Value Connection::LookupDomainByName(const Napi::CallbackInfo& info) {
  std::string name = StringArg(info, 0, "name");
  PMC_REQUIRE_OPEN(info.Env());
  PMC_DOMAIN_CALL(info.Env(), "could not find the domain", virDomainLookupByName(conn.get(), name.c_str()));
}

Napi::Value Connection::LookupDomainByUUID(const Napi::CallbackInfo& info) {
  std::string uuid = StringArg(info, 0, "uuid");
  PMC_REQUIRE_OPEN(info.Env());
  PMC_DOMAIN_CALL(info.Env(), "could not find the domain", virDomainLookupByUUIDString(conn.get(), uuid.c_str()));
}

Napi::Value Connection::LookupDomainByID(const Napi::CallbackInfo& info) {
  int id = static_cast<int>(IntegerArg(info, 0, "id", 0, INT32_MAX));
  PMC_REQUIRE_OPEN(info.Env());
  PMC_DOMAIN_CALL(info.Env(), "could not find the domain", virDomainLookupByID(conn.get(), id));
}

Napi::Value Connection::DefineDomain(const Napi::CallbackInfo& info) {
  std::string xml = StringArg(info, 0, "xml");
  unsigned int flags = FlagsArg(info, 1);
  PMC_REQUIRE_OPEN(info.Env());
  PMC_DOMAIN_CALL(info.Env(), "could not define the domain", virDomainDefineXMLFlags(conn.get(), xml.c_str(), flags));
}

Napi::Value Connection::CreateDomain(const Napi::CallbackInfo& info) {
  std::string xml = StringArg(info, 0, "xml");
  unsigned int flags = FlagsArg(info, 1);
  PMC_REQUIRE_OPEN(info.Env());
  PMC_DOMAIN_CALL(info.Env(), "could not create the domain", virDomainCreateXML(conn.get(), xml.c_str(), flags));
}

Napi::Value Connection::ListAllDomains(const Napi::CallbackInfo& info) {
  unsigned int flags = FlagsArg(info, 0);
  PMC_REQUIRE_OPEN(info.Env());
  auto slot = std::make_shared<DomainSlot>();
  ObjectHold self = Hold(Value());
  return Call(
      info.Env(), "could not list the domains",
      [conn, flags, slot](Data&) {
        virDomainPtr* domains = nullptr;
        int n = virConnectListAllDomains(conn.get(), &domains, flags);
        if (n < 0) return false;
        slot->domains.assign(domains, domains + n);
        free(domains);
        return true;
      },
      [this, slot, self](Napi::Env env, Data&) { return WrapDomains(env, *slot, false); });
}

}  // namespace pmc
