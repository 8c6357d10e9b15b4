// Connection: facts about the host (hostname, versions, capabilities, node
// and NUMA memory, CPU comparison), each one libvirt call off the JS thread.
#include "connection.h"

#include <libvirt/virterror.h>

#include <string>
#include <vector>

#include "args.h"
#include "operation.h"

namespace pmc {

Napi::Value Connection::StringCall(const Napi::CallbackInfo& info, const char* what, char* (*fn)(virConnectPtr)) {
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), what, [conn, fn](Data& out) { return StringResult(fn(conn.get()), out); });
}

Napi::Value Connection::VersionCall(const Napi::CallbackInfo& info, const char* what,
                                    int (*fn)(virConnectPtr, unsigned long*)) {
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), what, [conn, fn](Data& out) {
    unsigned long version = 0;
    if (fn(conn.get(), &version) < 0) return false;
    out = Data::Number(static_cast<double>(version));
    return true;
  });
}

Napi::Value Connection::IsAlive(const Napi::CallbackInfo& info) {
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not tell whether the connection is alive",
              [conn](Data& out) { return BoolResult(virConnectIsAlive(conn.get()), out); });
}

Napi::Value Connection::GetHostname(const Napi::CallbackInfo& info) {
  return StringCall(info, "could not get the hostname", virConnectGetHostname);
}

Napi::Value Connection::GetURI(const Napi::CallbackInfo& info) {
  return StringCall(info, "could not get the URI", virConnectGetURI);
}

Napi::Value Connection::GetType(const Napi::CallbackInfo& info) {
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not get the driver type", [conn](Data& out) {
    const char* type = virConnectGetType(conn.get());
    if (type == nullptr) return false;
    out = Data::String(type);
    return true;
  });
}

Napi::Value Connection::GetVersion(const Napi::CallbackInfo& info) {
  return VersionCall(info, "could not get the hypervisor version", virConnectGetVersion);
}

Napi::Value Connection::GetLibVersion(const Napi::CallbackInfo& info) {
  return VersionCall(info, "could not get the libvirt version", virConnectGetLibVersion);
}

Napi::Value Connection::GetCapabilities(const Napi::CallbackInfo& info) {
  return StringCall(info, "could not get the capabilities", virConnectGetCapabilities);
}

Napi::Value Connection::GetDomainCapabilities(const Napi::CallbackInfo& info) {
  std::string emulator = OptionalStringArg(info, 0, "emulator");
  std::string arch = OptionalStringArg(info, 1, "arch");
  std::string machine = OptionalStringArg(info, 2, "machine");
  std::string virttype = OptionalStringArg(info, 3, "virttype");
  unsigned int flags = FlagsArg(info, 4);
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not get the domain capabilities",
              [conn, emulator, arch, machine, virttype, flags](Data& out) {
                return StringResult(virConnectGetDomainCapabilities(conn.get(), OrNull(emulator), OrNull(arch),
                                                                    OrNull(machine), OrNull(virttype), flags),
                                    out);
              });
}

Napi::Value Connection::GetNodeInfo(const Napi::CallbackInfo& info) {
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not get the node info", [conn](Data& out) {
    virNodeInfo node;
    if (virNodeGetInfo(conn.get(), &node) < 0) return false;
    out = Data::Object();
    out.Set("model", Data::String(node.model));
    out.Set("memoryKiB", Data::Number(static_cast<double>(node.memory)));
    out.Set("cpus", Data::Number(node.cpus));
    out.Set("mhz", Data::Number(node.mhz));
    out.Set("nodes", Data::Number(node.nodes));
    out.Set("sockets", Data::Number(node.sockets));
    out.Set("cores", Data::Number(node.cores));
    out.Set("threads", Data::Number(node.threads));
    return true;
  });
}

Napi::Value Connection::GetFreeMemory(const Napi::CallbackInfo& info) {
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not get the free memory", [conn](Data& out) {
    unsigned long long bytes = virNodeGetFreeMemory(conn.get());
    // 0 is libvirt's error return; a host with truly no free memory reads the same.
    if (bytes == 0) {
      virErrorPtr err = virGetLastError();
      if (err != nullptr && err->code != VIR_ERR_OK) return false;
    }
    out = Data::Number(static_cast<double>(bytes));
    return true;
  });
}

Napi::Value Connection::GetFreePages(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "pageSizesKiB must be an array of numbers");
  Napi::Array sizesArg = info[0].As<Napi::Array>();
  std::vector<unsigned int> sizes;
  for (uint32_t i = 0; i < sizesArg.Length(); i++) {
    Napi::Value v = sizesArg.Get(i);
    if (!v.IsNumber()) throw Napi::TypeError::New(env, "pageSizesKiB must be an array of numbers");
    sizes.push_back(v.As<Napi::Number>().Uint32Value());
  }
  if (sizes.empty()) throw Napi::RangeError::New(env, "pageSizesKiB must name at least one page size");
  int startCell = static_cast<int>(IntegerArg(info, 1, "startCell", -1, INT32_MAX));
  unsigned int cellCount = static_cast<unsigned int>(IntegerArg(info, 2, "cellCount", 1, 1 << 16));
  PMC_REQUIRE_OPEN(env);
  return Call(env, "could not get the free pages", [conn, sizes, startCell, cellCount](Data& out) {
    std::vector<unsigned long long> counts(sizes.size() * cellCount);
    std::vector<unsigned int> pages = sizes;
    int filled = virNodeGetFreePages(conn.get(), pages.size(), pages.data(), startCell, cellCount, counts.data(), 0);
    if (filled < 0) return false;
    // libvirt fills pages.size() entries per cell, for `filled / pages.size()` cells.
    size_t cells = filled / pages.size();
    out = Data::Array();
    for (size_t c = 0; c < cells; c++) {
      Data cell = Data::Object();
      cell.Set("cell", Data::Number(startCell < 0 ? -1 : startCell + static_cast<int>(c)));
      Data free = Data::Object();
      for (size_t p = 0; p < pages.size(); p++) {
        free.Set(std::to_string(pages[p]), Data::Number(static_cast<double>(counts[c * pages.size() + p])));
      }
      cell.Set("freePages", std::move(free));
      out.Push(std::move(cell));
    }
    return true;
  });
}

Napi::Value Connection::GetCellsFreeMemory(const Napi::CallbackInfo& info) {
  int startCell = static_cast<int>(IntegerArg(info, 0, "startCell", 0, INT32_MAX));
  int maxCells = static_cast<int>(IntegerArg(info, 1, "maxCells", 1, 1 << 16));
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not get the free memory of the cells", [conn, startCell, maxCells](Data& out) {
    std::vector<unsigned long long> free(maxCells);
    int n = virNodeGetCellsFreeMemory(conn.get(), free.data(), startCell, maxCells);
    if (n < 0) return false;
    out = Data::Array();
    for (int i = 0; i < n; i++) out.Push(Data::Number(static_cast<double>(free[i])));
    return true;
  });
}

Napi::Value Connection::CompareHypervisorCPU(const Napi::CallbackInfo& info) {
  std::string emulator = OptionalStringArg(info, 0, "emulator");
  std::string arch = OptionalStringArg(info, 1, "arch");
  std::string machine = OptionalStringArg(info, 2, "machine");
  std::string virttype = OptionalStringArg(info, 3, "virttype");
  std::string xml = StringArg(info, 4, "xml");
  unsigned int flags = FlagsArg(info, 5);
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not compare the CPU",
              [conn, emulator, arch, machine, virttype, xml, flags](Data& out) {
                int result = virConnectCompareHypervisorCPU(conn.get(), OrNull(emulator), OrNull(arch), OrNull(machine),
                                                            OrNull(virttype), xml.c_str(), flags);
                if (result == VIR_CPU_COMPARE_ERROR) return false;
                out = Data::Number(result);
                return true;
              });
}

Napi::Value Connection::BaselineHypervisorCPU(const Napi::CallbackInfo& info) {
  std::string emulator = OptionalStringArg(info, 0, "emulator");
  std::string arch = OptionalStringArg(info, 1, "arch");
  std::string machine = OptionalStringArg(info, 2, "machine");
  std::string virttype = OptionalStringArg(info, 3, "virttype");
  std::vector<std::string> xmls = StringArrayArg(info, 4, "xmlCPUs");
  unsigned int flags = FlagsArg(info, 5);
  PMC_REQUIRE_OPEN(info.Env());
  return Call(info.Env(), "could not compute a baseline CPU",
              [conn, emulator, arch, machine, virttype, xmls, flags](Data& out) {
                std::vector<const char*> ptrs;
                for (const auto& x : xmls) ptrs.push_back(x.c_str());
                return StringResult(
                    virConnectBaselineHypervisorCPU(conn.get(), OrNull(emulator), OrNull(arch), OrNull(machine),
                                                    OrNull(virttype), ptrs.data(), ptrs.size(), flags),
                    out);
              });
}

}  // namespace pmc
