// The registry of native checks' references (native/cxx/native_check_refs.cc)
// without Node: lists come and go while worker threads look their checks up
// and use what they found, as a runner worker reaching a check after a
// timeout decided it and the list was freed. Asserts that a worker either
// finds nothing or holds live references for its whole use, and that nothing
// is found after a list is forgotten. Exits non-zero on any failure. Built
// and run (also under ThreadSanitizer) by test/unit/native-tsan.test.ts.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "native_check_refs.h"

using namespace pmc::checks;

namespace {

constexpr int kWorkers = 6;
constexpr int kLists = 300;
constexpr int kChecksPerList = 8;

// One list's life: what the deleters of its check file and facts record.
struct ListState {
  std::atomic<bool> fileFreed{false};
  std::atomic<bool> factsFreed{false};
  std::atomic<bool> forgotten{false};  // set once Forget returned
  std::vector<uintptr_t> ids;
};

std::string CheckName(int list, int check) { return "list" + std::to_string(list) + ".check" + std::to_string(check); }

}  // namespace

int main() {
  NativeCheckRefs registry;
  std::deque<ListState> states;  // stable addresses; outlives every object it watches
  for (int l = 0; l < kLists; l++) states.emplace_back();
  std::atomic<int> published{0};  // lists whose ids workers may use
  std::atomic<bool> done{false};
  std::atomic<long> found{0}, missed{0}, failures{0};

  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; w++) {
    workers.emplace_back([&, w] {
      unsigned seed = 12345u + w;
      while (!done.load(std::memory_order_acquire)) {
        int count = published.load(std::memory_order_acquire);
        if (count == 0) continue;
        seed = seed * 1103515245u + 12345u;
        // Half the time the newest list, the one being forgotten right now.
        int l = (seed >> 4) & 1 ? count - 1 : static_cast<int>((seed >> 8) % count);
        int c = static_cast<int>((seed >> 20) % kChecksPerList);
        ListState& state = states[l];
        bool forgottenBefore = state.forgotten.load(std::memory_order_acquire);
        NativeCheckRef ref;
        if (!registry.Lookup(state.ids[c], &ref)) {
          missed++;
          continue;
        }
        found++;
        if (forgottenBefore) failures++;  // found after Forget returned
        // Use what was found, as RunXmlCheck and RunPluginCheck do, then
        // check nothing was freed under the use.
        if (ref.xml.check->name != CheckName(l, c)) failures++;
        const char* text = ref.xml.facts->Text("srcHostname");
        if (text == nullptr || std::strcmp(text, "host") != 0) failures++;
        if (std::strcmp(ref.plugin.check->name, "plugin.check") != 0) failures++;
        if (state.fileFreed.load() || state.factsFreed.load()) failures++;
      }
    });
  }

  // The lists: each registers its checks, lives a little (a run), then goes
  // away (its checks timed out, the run ended, the JS object was collected).
  static virPMCCheck pluginCheck{"plugin.check",         "",        VIR_PMC_SEVERITY_WARNING, nullptr, nullptr,
                                 VIR_PMC_CHECK_BLOCKING, "plugin:p"};
  auto plugin = std::make_shared<const Plugin>();
  std::vector<std::weak_ptr<const CheckFile>> files;
  for (int l = 0; l < kLists; l++) {
    ListState& state = states[l];
    std::shared_ptr<CheckFile> file(new CheckFile, [&state](CheckFile* f) {
      state.fileFreed = true;
      delete f;
    });
    for (int c = 0; c < kChecksPerList; c++) {
      file->checks.push_back(std::make_unique<XmlCheck>());
      file->checks.back()->name = CheckName(l, c);
    }
    std::shared_ptr<RunFacts> facts(new RunFacts, [&state](RunFacts* f) {
      state.factsFreed = true;
      delete f;
    });
    facts->Set("srcHostname", "host", "");
    for (int c = 0; c < kChecksPerList; c++) {
      state.ids.push_back(registry.Register(
          NativeCheckRef{XmlRef{file, file->checks[c].get(), facts}, PluginRef{plugin, &pluginCheck, facts}}));
    }
    files.push_back(file);
    published.store(l + 1, std::memory_order_release);
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    // The list goes away: its own references first, then the registry's.
    file.reset();
    facts.reset();
    registry.Forget(state.ids);
    state.forgotten.store(true, std::memory_order_release);
    NativeCheckRef ref;
    for (uintptr_t id : state.ids) {
      if (registry.Lookup(id, &ref)) failures++;
    }
  }
  done.store(true, std::memory_order_release);
  for (auto& t : workers) t.join();

  // Nothing kept alive once every worker let go.
  if (registry.Size() != 0) failures++;
  for (auto& weak : files) {
    if (!weak.expired()) failures++;
  }
  for (auto& state : states) {
    if (!state.fileFreed || !state.factsFreed) failures++;
  }
  std::printf("found: %s, missed: %s, failures: %ld\n", found > 0 ? "yes" : "no", missed > 0 ? "yes" : "no",
              failures.load());
  return failures == 0 && found > 0 && missed > 0 ? 0 : 1;
}
