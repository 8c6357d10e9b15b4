#include "plugin_loader.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <cctype>
#include <map>
#include <mutex>
#include <set>

#include "load_error.h"

namespace pmc::checks {

namespace {

thread_local const RunFacts* tl_facts = nullptr;

const char* HostFact(const char* name) {
  if (tl_facts == nullptr || name == nullptr) return nullptr;
  return tl_facts->Text(name);
}

const virPMCPluginHost kHost = {
    VIR_PMC_PLUGIN_ABI_VERSION,
    virPMCResultSet,
    virPMCResultComplete,
    HostFact,
};

std::mutex g_mutex;
// By device and inode of the real file: the same file under another name (a
// symlink, a hard link, a second --plugin) is the same plugin.
std::map<std::pair<dev_t, ino_t>, std::shared_ptr<const Plugin>> g_loaded;

bool ValidPluginName(const char* s) {
  if (s == nullptr || !(std::islower(static_cast<unsigned char>(*s)) || std::isdigit(static_cast<unsigned char>(*s)))) {
    return false;
  }
  for (; *s; s++) {
    unsigned char c = static_cast<unsigned char>(*s);
    if (!(std::islower(c) || std::isdigit(c) || c == '_' || c == '-')) return false;
  }
  return true;
}

// Parts of [A-Za-z0-9_-]+ joined by single dots: no dot first, last or twice
// (the run's names are "<plugin>.<check>", the area.what of every check).
bool ValidCheckName(const char* s) {
  if (s == nullptr || *s == '\0' || *s == '.') return false;
  char previous = 0;
  for (; *s; s++) {
    unsigned char c = static_cast<unsigned char>(*s);
    if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.')) return false;
    if (c == '.' && previous == '.') return false;
    previous = static_cast<char>(c);
  }
  return previous != '.';
}

// As root, a plugin is code root will run: like sudo and OpenSSH with the
// files they trust, refuse it when someone else could have changed it, i.e.
// when the file, its directory or any directory above on its real path is
// owned by a user other than root or writable by group or others. One
// exception, above the file's own directory: a sticky directory (/tmp) whose
// entry on the path is root's, which nobody else can rename or remove, so a
// checkout under /tmp/<root's dir>/ is fine while a file in /tmp itself is not.
// Returns "" when it is safe, or why not.
std::string UnsafeForRoot(const std::string& real, const struct stat& file) {
  auto unsafe = [](const std::string& what, const std::string& p, const struct stat& st) -> std::string {
    if (st.st_uid != 0) return what + " " + p + " is owned by uid " + std::to_string(st.st_uid) + ", not root";
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
      char mode[8];
      snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      return what + " " + p + " is writable by " + ((st.st_mode & S_IWOTH) ? "others" : "its group") + " (mode " +
             mode + ")";
    }
    return "";
  };
  std::string why = unsafe("the file", real, file);
  if (!why.empty()) return why;
  std::string dir = real;
  bool ownDirectory = true;  // the first directory up is the file's own
  while (dir != "/") {
    size_t slash = dir.rfind('/');
    dir = slash == 0 ? "/" : dir.substr(0, slash);
    struct stat st;
    if (stat(dir.c_str(), &st) != 0) return "cannot stat the directory " + dir + ": " + std::strerror(errno);
    // The entry below was checked to be root's in the step before.
    bool stickyAbove = !ownDirectory && st.st_uid == 0 && (st.st_mode & S_ISVTX);
    if (!stickyAbove) {
      why = unsafe("the directory", dir, st);
      if (!why.empty()) return why;
    }
    ownDirectory = false;
  }
  return "";
}

std::string OrEmpty(const char* s) { return s != nullptr ? s : ""; }

// Reads what the plugin handed over; throws on anything unusable.
std::shared_ptr<Plugin> Describe(const std::string& path, const virPMCPluginInfo& info) {
  auto fail = [&](const char* code, const std::string& check, const std::string& what) {
    return LoadError(code, path, 0, 0, check, what);
  };
  if (info.abiVersion != VIR_PMC_PLUGIN_ABI_VERSION) {
    throw fail(kPluginAbi, "",
               "built for plugin ABI " + std::to_string(info.abiVersion) + ", this pmc speaks ABI " +
                   std::to_string(VIR_PMC_PLUGIN_ABI_VERSION) + " (rebuild it against pmc-plugin.h)");
  }
  if (!ValidPluginName(info.name)) {
    throw fail(kPluginInvalid, "",
               "the plugin's name must match [a-z0-9][a-z0-9_-]*, not '" + OrEmpty(info.name) + "'");
  }
  auto plugin = std::make_shared<Plugin>();
  plugin->path = path;
  plugin->name = info.name;
  plugin->version = OrEmpty(info.version);
  plugin->description = OrEmpty(info.description);
  if (info.checks == nullptr || info.checks->count == 0) throw fail(kPluginInvalid, "", "the plugin has no checks");
  if (info.checks->count > 10000 || info.checks->check == nullptr) {
    throw fail(kPluginInvalid, "", "the plugin's check list is malformed");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < info.checks->count; i++) {
    virPMCCheckPtr check = info.checks->check[i];
    if (check == nullptr) throw fail(kPluginInvalid, "", "check #" + std::to_string(i) + " is NULL (count too large?)");
    if (!ValidCheckName(check->name)) {
      throw fail(kPluginInvalid, "",
                 "check #" + std::to_string(i) +
                     ": the name must be parts of [A-Za-z0-9_-] joined by single dots, not '" + OrEmpty(check->name) +
                     "'");
    }
    std::string name = plugin->name + "." + check->name;
    if (check->run == nullptr) throw fail(kPluginInvalid, name, "the run function is NULL");
    if (check->severity < VIR_PMC_SEVERITY_CRITICAL || check->severity > VIR_PMC_SEVERITY_INFO) {
      throw fail(kPluginInvalid, name,
                 "severity " + std::to_string(static_cast<int>(check->severity)) + " is out of range");
    }
    if (!names.insert(name).second) throw fail(kDuplicate, name, "a second check of this name in the plugin");
    plugin->checks.push_back(PluginCheck{name, check});
  }
  for (const char* const* f = info.facts; f != nullptr && *f != nullptr; f++) {
    if (FindFact(*f) == nullptr)
      throw fail(kPluginInvalid, "", std::string("unknown fact '") + *f + "' in info->facts");
    plugin->facts.push_back(*f);
  }
  return plugin;
}

}  // namespace

PluginFactsScope::PluginFactsScope(const RunFacts* facts) : previous_(tl_facts) { tl_facts = facts; }
PluginFactsScope::~PluginFactsScope() { tl_facts = previous_; }

std::shared_ptr<const Plugin> LoadPlugin(const std::string& path) {
  // A bare name would make dlopen search the library path: only what the user names.
  if (path.empty() || path[0] != '/') {
    throw LoadError(kPluginLoad, path, 0, 0, "", "a plugin is loaded from an absolute path only");
  }
  char resolved[PATH_MAX];
  if (realpath(path.c_str(), resolved) == nullptr) {
    throw LoadError(kFileNotFound, path, 0, 0, "", "no such file");
  }
  struct stat st;
  if (stat(resolved, &st) != 0 || !S_ISREG(st.st_mode)) {
    throw LoadError(kPluginLoad, path, 0, 0, "", "not a regular file");
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  auto found = g_loaded.find({st.st_dev, st.st_ino});
  if (found != g_loaded.end()) return found->second;
  if (geteuid() == 0) {
    std::string why = UnsafeForRoot(resolved, st);
    if (!why.empty()) {
      throw LoadError(kPluginUnsafe, path, 0, 0, "", "refused to load as root: " + why + " (" + resolved + ")");
    }
  }

  dlerror();
  void* handle = dlopen(resolved, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw LoadError(kPluginLoad, path, 0, 0, "", std::string("not a loadable shared object: ") + (why ? why : "?"));
  }
  auto init = reinterpret_cast<virPMCPluginInitFunc>(dlsym(handle, VIR_PMC_PLUGIN_INIT_SYMBOL));
  if (init == nullptr) {
    dlclose(handle);
    throw LoadError(kPluginEntry, path, 0, 0, "",
                    "no entry point " VIR_PMC_PLUGIN_INIT_SYMBOL " (is it a pmc plugin? see pmc-plugin.h)");
  }
  virPMCPluginInfo info = {};
  info.host = &kHost;
  int rc = init(VIR_PMC_PLUGIN_ABI_VERSION, &info);
  if (rc != 0) {
    dlclose(handle);
    throw LoadError(kPluginAbi, path, 0, 0, "",
                    VIR_PMC_PLUGIN_INIT_SYMBOL " refused plugin ABI " + std::to_string(VIR_PMC_PLUGIN_ABI_VERSION) +
                        " (returned " + std::to_string(rc) + ")");
  }
  std::shared_ptr<Plugin> plugin;
  try {
    plugin = Describe(path, info);
  } catch (...) {
    dlclose(handle);
    throw;
  }
  g_loaded[{st.st_dev, st.st_ino}] = plugin;
  return plugin;  // `handle` stays open for the process: checks may outlive a run
}

}  // namespace pmc::checks
