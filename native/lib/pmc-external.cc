// pmc-external.h's entry points: plugins and XML check files loaded into a
// virPMCCheckList from C, with the facts they read fetched by the library
// itself (the addon gets them from TS instead). Only for libvirt-pmc: the
// addon has its own face of the same loaders (native/addon/external_checks.cc).
#include "pmc-external.h"

#include <fcntl.h>
#include <libxml/entities.h>
#include <libxml/xmlmemory.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <libvirt/virterror.h>

#include "check_file.h"
#include "checks_schema.h"
#include "load_error.h"
#include "plugin_loader.h"
#include "pmc-extend.h"
#include "xml_failure.h"
#include "xml_parser.h"
#include "xpath_eval.h"

namespace pmc::lib {

namespace {

// What a list carries for the checks it loaded (its hooks' opaque).
struct ListExtension {
  std::mutex mutex;
  std::deque<virPMCCheck> checks;  // the structs the list points at: stable addresses
  std::deque<std::string> origins;
  std::set<std::string> facts;  // what the loaded checks read
  std::vector<uintptr_t> ids;   // their entries in the registry
};

// A run's facts: what the list's prepare hook hands the run
// (virPMCResultRunData), freed with the run.
using RunFactsHolder = std::shared_ptr<const checks::RunFacts>;

// A loaded check's references. A worker copies them under the registry's
// lock, by id (the check's opaque), so a check whose list was freed after an
// abandoned run finds nothing rather than freed memory.
struct CheckRef {
  std::shared_ptr<ListExtension> list;
  std::shared_ptr<const checks::CheckFile> file;  // an XML check: file and check set
  checks::XmlCheck* xml = nullptr;
  std::shared_ptr<const checks::Plugin> plugin;  // a plugin check: plugin and check set
  virPMCCheckPtr check = nullptr;
};

std::mutex g_refsMutex;
std::map<uintptr_t, CheckRef> g_refs;
uintptr_t g_nextRef = 1;

bool Lookup(void* opaque, CheckRef* out) {
  std::lock_guard<std::mutex> lock(g_refsMutex);
  auto found = g_refs.find(reinterpret_cast<uintptr_t>(opaque));
  if (found == g_refs.end()) return false;
  *out = found->second;
  return true;
}

// The facts of the run `result` belongs to, or null.
const checks::RunFacts* FactsOfRun(virPMCResultPtr result) {
  auto* holder = static_cast<RunFactsHolder*>(virPMCResultRunData(result));
  return holder != nullptr ? holder->get() : nullptr;
}

int ListGone(virPMCResultPtr result) {
  virPMCResultSet(result, VIR_PMC_STATUS_ERROR, "the check list is gone", nullptr);
  return VIR_PMC_RUN_DONE;
}

int RunXml(virDomainPtr, virConnectPtr, void* opaque, virPMCResultPtr result) {
  CheckRef ref;
  if (!Lookup(opaque, &ref)) return ListGone(result);
  const checks::RunFacts* facts = FactsOfRun(result);
  if (facts == nullptr) {
    virPMCResultSet(result, VIR_PMC_STATUS_ERROR, "the run's facts were not fetched", nullptr);
    return VIR_PMC_RUN_DONE;
  }
  checks::CheckOutcome outcome = checks::RunXmlCheck(*ref.xml, *facts);
  virPMCResultSet(result, outcome.status, outcome.message.c_str(),
                  outcome.details.empty() ? nullptr : outcome.details.c_str());
  return VIR_PMC_RUN_DONE;
}

// The trampoline: the plugin's own run, with host->fact answering from this run.
int RunPlugin(virDomainPtr domain, virConnectPtr dconn, void* opaque, virPMCResultPtr result) {
  CheckRef ref;
  if (!Lookup(opaque, &ref)) return ListGone(result);
  checks::PluginFactsScope scope(FactsOfRun(result));
  return ref.check->run(domain, dconn, ref.check->opaque, result);
}

// ---- the facts, fetched with libvirt before each run ----

std::string LibvirtReason(const char* what) {
  virErrorPtr err = virGetLastError();
  return std::string(what) + ": " +
         (err != nullptr && err->message != nullptr ? err->message : "libvirt gave no reason");
}

// Text libvirt allocated, or the reason it failed.
void SetOwned(checks::RunFacts& facts, const char* name, char* text, const char* call) {
  if (text == nullptr) {
    facts.Set(name, "", LibvirtReason(call));
    return;
  }
  facts.Set(name, text, "");
  free(text);
}

// Element text, escaped by libxml2 itself (<, >, &, " and CR); empty if it runs out of memory.
std::string XmlEscape(const std::string& s) {
  xmlChar* escaped = xmlEncodeSpecialChars(nullptr, reinterpret_cast<const xmlChar*>(s.c_str()));
  if (escaped == nullptr) return "";
  std::string out(reinterpret_cast<const char*>(escaped));
  xmlFree(escaped);
  return out;
}

// As src/pmc/native-facts.ts spells it.
void SetNode(checks::RunFacts& facts, const char* name, virConnectPtr conn) {
  virNodeInfo n;
  if (virNodeGetInfo(conn, &n) < 0) {
    facts.Set(name, "", LibvirtReason("virNodeGetInfo"));
    return;
  }
  std::string model(n.model, strnlen(n.model, sizeof n.model));
  facts.Set(name,
            "<node><model>" + XmlEscape(model) + "</model><memory unit='KiB'>" + std::to_string(n.memory) +
                "</memory><cpus>" + std::to_string(n.cpus) + "</cpus><mhz>" + std::to_string(n.mhz) + "</mhz><nodes>" +
                std::to_string(n.nodes) + "</nodes><sockets>" + std::to_string(n.sockets) + "</sockets><cores>" +
                std::to_string(n.cores) + "</cores><threads>" + std::to_string(n.threads) + "</threads></node>",
            "");
}

void SetFreeMemory(checks::RunFacts& facts, const char* name, virConnectPtr conn) {
  virResetLastError();
  unsigned long long bytes = virNodeGetFreeMemory(conn);
  if (bytes == 0 && virGetLastError() != nullptr) {
    facts.Set(name, "", LibvirtReason("virNodeGetFreeMemory"));
    return;
  }
  facts.Set(name, std::to_string(bytes / 1024), "");
}

// The guest's emulator, arch, machine and virt type, from its XML, for
// virConnectGetDomainCapabilities on the destination.
void SetDomainCapabilities(checks::RunFacts& facts, const char* name, virConnectPtr dconn,
                           const std::string& domainXml) {
  std::string target[4];  // emulator, arch, machine, virttype
  static const char* const kPaths[4] = {"string(/domain/devices/emulator)", "string(/domain/os/type/@arch)",
                                        "string(/domain/os/type/@machine)", "string(/domain/@type)"};
  try {
    xml::Doc doc = xml::Parse(domainXml, "$domain");
    for (int i = 0; i < 4; i++) {
      auto compiled = xml::CompiledXPath::Compile(kPaths[i]);
      target[i] = xml::Evaluate(*compiled, doc, nullptr, {}, xml::Want::String).string;
    }
  } catch (const xml::XmlFailure& e) {
    facts.Set(name, "", std::string("the domain's XML does not parse: ") + e.what());
    return;
  }
  auto orNull = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
  SetOwned(facts, name,
           virConnectGetDomainCapabilities(dconn, orNull(target[0]), orNull(target[1]), orNull(target[2]),
                                           orNull(target[3]), 0),
           "virConnectGetDomainCapabilities");
}

std::shared_ptr<const checks::RunFacts> FetchFacts(const std::set<std::string>& wanted, virDomainPtr domain,
                                                   virConnectPtr dconn) {
  auto facts = std::make_shared<checks::RunFacts>();
  virConnectPtr sconn = domain != nullptr ? virDomainGetConnect(domain) : nullptr;
  std::string domainXml;
  bool needDomain = wanted.count("domain") || wanted.count("dstDomCaps");
  if (needDomain && domain != nullptr) {
    char* text = virDomainGetXMLDesc(domain, VIR_DOMAIN_XML_MIGRATABLE);
    if (text != nullptr) domainXml = text;
    SetOwned(*facts, "domain", text, "virDomainGetXMLDesc");
  }
  for (const std::string& fact : wanted) {
    const char* n = fact.c_str();
    bool src = fact.rfind("src", 0) == 0;
    virConnectPtr conn = src ? sconn : dconn;
    if (fact == "domain") {
      if (domain == nullptr) facts->Set(n, "", "the run has no domain");
    } else if (fact == "options") {
      facts->Set(n, "", "$options is not available to C callers of libvirt-pmc 1.0");
    } else if (conn == nullptr) {
      facts->Set(n, "", src ? "the run has no domain" : "the run has no destination connection");
    } else if (fact == "srcCaps" || fact == "dstCaps") {
      SetOwned(*facts, n, virConnectGetCapabilities(conn), "virConnectGetCapabilities");
    } else if (fact == "dstDomCaps") {
      if (domain == nullptr) {
        facts->Set(n, "", "the run has no domain");
      } else if (domainXml.empty()) {
        facts->Set(n, "", "the domain's XML is unavailable");
      } else {
        SetDomainCapabilities(*facts, n, dconn, domainXml);
      }
    } else if (fact == "srcNode" || fact == "dstNode") {
      SetNode(*facts, n, conn);
    } else if (fact == "srcHostname" || fact == "dstHostname") {
      SetOwned(*facts, n, virConnectGetHostname(conn), "virConnectGetHostname");
    } else if (fact == "srcFreeMemory" || fact == "dstFreeMemory") {
      SetFreeMemory(*facts, n, conn);
    }
  }
  return facts;
}

// ---- the list's hooks ----

// Fetches this run's facts; null (the checks then say the facts were not
// fetched) only when out of memory.
void* Prepare(void* opaque, virDomainPtr domain, virConnectPtr dconn) {
  auto& list = *static_cast<std::shared_ptr<ListExtension>*>(opaque);
  xml::InitLibxml();  // a plugin's $dstDomCaps parses the domain's XML
  std::set<std::string> wanted;
  {
    std::lock_guard<std::mutex> lock(list->mutex);
    wanted = list->facts;
  }
  try {
    return new RunFactsHolder(FetchFacts(wanted, domain, dconn));
  } catch (...) {
    return nullptr;
  }
}

void ReleaseRun(void* runData) { delete static_cast<RunFactsHolder*>(runData); }

void FreeExtension(void* opaque) {
  auto* holder = static_cast<std::shared_ptr<ListExtension>*>(opaque);
  {
    std::lock_guard<std::mutex> lock(g_refsMutex);
    for (uintptr_t id : (*holder)->ids) g_refs.erase(id);
  }
  delete holder;  // the last owner unless an abandoned worker still runs a check
}

const virPMCCheckListHooks kHooks = {Prepare, ReleaseRun, FreeExtension};

// The list's extension, made on first use.
std::shared_ptr<ListExtension> ExtensionOf(virPMCCheckListPtr list) {
  if (void* data = virPMCCheckListHookData(list)) return *static_cast<std::shared_ptr<ListExtension>*>(data);
  auto* holder = new std::shared_ptr<ListExtension>(std::make_shared<ListExtension>());
  if (virPMCCheckListSetHooks(list, &kHooks, holder) < 0) {
    delete holder;
    return nullptr;
  }
  return *holder;
}

// One check to add: the struct, and the references its run needs.
struct Pending {
  virPMCCheck check;
  CheckRef ref;
};

// Adds all or, on a duplicate name, none. Returns the count or -1.
int AddAll(virPMCCheckListPtr list, std::vector<Pending> pending, const std::string& origin,
           const std::vector<std::string>& facts) {
  for (const Pending& p : pending) {
    if (virPMCCheckListFind(list, p.check.name) != nullptr) {
      virPMCReportError(VIR_PMC_ERR_DUPLICATE_CHECK, "duplicate check name %s", p.check.name);
      return -1;
    }
  }
  std::shared_ptr<ListExtension> ext = ExtensionOf(list);
  if (!ext) return -1;
  std::lock_guard<std::mutex> extLock(ext->mutex);
  ext->origins.push_back(origin);
  for (const std::string& f : facts) ext->facts.insert(f);
  int added = 0;
  for (Pending& p : pending) {
    uintptr_t id;
    {
      std::lock_guard<std::mutex> lock(g_refsMutex);
      id = g_nextRef++;
      p.ref.list = ext;
      g_refs.emplace(id, p.ref);
    }
    ext->ids.push_back(id);
    p.check.opaque = reinterpret_cast<void*>(id);
    p.check.origin = ext->origins.back().c_str();
    ext->checks.push_back(p.check);
    // Only out of memory can fail here: names and checks were validated.
    if (virPMCCheckListAdd(list, &ext->checks.back()) < 0) return -1;
    added++;
  }
  return added;
}

// Called from a catch (...) block: the reason of a failed load, for
// virPMCGetLastError, in the loader's own words where it has them.
int ReportLoadFailure(virPMCErrorNumber code, const char* path) {
  try {
    throw;
  } catch (const checks::LoadError& e) {
    virPMCReportError(code, "%s", e.what());
  } catch (const std::bad_alloc&) {
    virPMCReportError(VIR_PMC_ERR_NO_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    virPMCReportError(code, "%s: %s", path, e.what());
  } catch (...) {
    virPMCReportError(code, "%s: unknown failure", path);
  }
  return -1;
}

bool CheckArgs(virPMCCheckListPtr list, const char* path, unsigned int flags) {
  virPMCResetLastError();
  if (list == nullptr || path == nullptr) {
    virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "%s is NULL", list == nullptr ? "the check list" : "the path");
    return false;
  }
  if (flags != 0) {
    virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "unsupported flags 0x%x", flags);
    return false;
  }
  return true;
}

// Reads at most max + 1 bytes: enough for the loader to say it is too large.
bool ReadBounded(const char* path, size_t max, std::string* text) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    virPMCReportError(VIR_PMC_ERR_CHECK_FILE, "%s: %s", path,
                      errno == ENOENT || errno == ENOTDIR ? "no such file" : std::strerror(errno));
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    virPMCReportError(VIR_PMC_ERR_CHECK_FILE, "%s: not a regular file", path);
    return false;
  }
  text->resize(max + 1);
  size_t got = 0;
  while (got < text->size()) {
    ssize_t n = read(fd, &(*text)[got], text->size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      virPMCReportError(VIR_PMC_ERR_CHECK_FILE, "%s: cannot be read: %s", path, std::strerror(err));
      return false;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  text->resize(got);
  return true;
}

}  // namespace

}  // namespace pmc::lib

using namespace pmc;

extern "C" int virPMCCheckListAddPlugin(virPMCCheckListPtr list, const char* path, unsigned int flags) {
  if (!lib::CheckArgs(list, path, flags)) return -1;
  try {
    std::shared_ptr<const checks::Plugin> plugin = checks::LoadPlugin(path);
    std::vector<lib::Pending> pending;
    for (const checks::PluginCheck& pc : plugin->checks) {
      lib::Pending p{};
      // Always BLOCKING, as in the addon: only a worker is in reach of the
      // timeout and of a cancel.
      p.check = virPMCCheck{
          pc.name.c_str(), pc.check->description, pc.check->severity, lib::RunPlugin, nullptr, VIR_PMC_CHECK_BLOCKING,
          nullptr};
      p.ref.plugin = plugin;
      p.ref.check = pc.check;
      pending.push_back(std::move(p));
    }
    return lib::AddAll(list, std::move(pending), "plugin:" + plugin->name, plugin->facts);
  } catch (...) {
    return lib::ReportLoadFailure(VIR_PMC_ERR_PLUGIN, path);
  }
}

extern "C" int virPMCCheckListAddCheckFile(virPMCCheckListPtr list, const char* path, unsigned int flags) {
  if (!lib::CheckArgs(list, path, flags)) return -1;
  try {
    xml::InitLibxml();
    std::string text;
    if (!lib::ReadBounded(path, checks::kDefaultMaxCheckFileBytes, &text)) return -1;
    std::shared_ptr<const checks::CheckFile> file =
        checks::LoadCheckFile(text, path, lib::kChecksSchema, checks::kDefaultMaxCheckFileBytes);
    std::vector<lib::Pending> pending;
    for (const auto& xc : file->checks) {
      lib::Pending p{};
      p.check = virPMCCheck{xc->name.c_str(), xc->description.c_str(), xc->severity, lib::RunXml,
                            nullptr,          VIR_PMC_CHECK_BLOCKING,  nullptr};
      p.ref.file = file;
      p.ref.xml = xc.get();
      pending.push_back(std::move(p));
    }
    return lib::AddAll(list, std::move(pending), "xml", file->variables);
  } catch (...) {
    return lib::ReportLoadFailure(VIR_PMC_ERR_CHECK_FILE, path);
  }
}
