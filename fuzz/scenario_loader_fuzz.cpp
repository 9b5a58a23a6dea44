// fuzz/scenario_loader_fuzz.cpp — libFuzzer target: any bytes as a scenario file. The loader and
// every model's parameter validation must answer with a scenario::ScenarioError (a one-line
// file:line:column message) or a prepared workload factory, and never crash, hang or leak.
// Build and run: cmake --workflow --preset fuzz (clang-16), then
//   build/fuzz/fuzz_scenario_loader -max_total_time=60 scenarios/   (the bundled scenarios as seeds)
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/registry.h"
#include "scenarios/spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    scenario::Spec spec = scenario::load_string(text, "fuzz.toml");
    model::Prepared prepared = model::prepare(spec);
    (void)model::engine_config(spec);
  } catch (const scenario::ScenarioError& e) {
    const std::string m = e.what();
    if (m.rfind("fuzz.toml", 0) != 0) __builtin_trap();  // every error names the file
  }
  return 0;
}
