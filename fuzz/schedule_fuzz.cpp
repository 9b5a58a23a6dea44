// fuzz/schedule_fuzz.cpp — libFuzzer target: any bytes as a schedule file. The bytes go through
// what `relaysim replay` does with a file: parse (one JSON value, nesting bounded), validate against
// the schema's rules (reports/schedule.cpp), then, when the schedule names a bundled scenario,
// replay its choices strictly on that scenario and variant and render the trace. Every bad input
// must end as a ScheduleError / ScenarioError / UsageError naming the file; anything else escaping
// (an internal fault, a library exception) or any sanitizer report is a finding.
// Seeds: scenarios/regressions/*.schedule.json and fuzz/corpus/schedule/ (scripts/fuzz.sh).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "cli/common.h"
#include "reports/schedule.h"
#include "reports/text_trace.h"
#include "scenarios/spec.h"
#include "sim/choice.h"

namespace {

// The bundled scenarios, loaded once: a schedule may name any of them (the only files it reads).
std::map<std::string, cli::Loaded>& bundled() {
  static std::map<std::string, cli::Loaded> all = [] {
    std::map<std::string, cli::Loaded> m;
    if (!std::filesystem::is_directory("scenarios")) return m;
    for (auto& e : std::filesystem::recursive_directory_iterator("scenarios"))
      if (e.path().extension() == ".toml") {
        try {
          m.emplace(e.path().string(), cli::load(e.path().string(), ""));
        } catch (const std::exception&) {
        }
      }
    return m;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  bundled();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    reports::Schedule sch = reports::schedule_from_text(text, "fuzz.json");
    auto it = bundled().find(sch.scenario);
    if (it == bundled().end()) return 0;
    // The schedule's variant of that scenario (as `relaysim replay` loads it).
    cli::Loaded l = cli::load(sch.scenario, sch.variant);
    if (l.spec.model != sch.model) return 0;
    std::unique_ptr<sim::Workload> w;
    auto s = cli::make_sim(l, w);
    sim::ReplaySource src(sch.choices, true);
    sim::ExecResult r = s->run(src, sim::RunOptions{true});
    cli::rethrow_if_error(r);  // an exception from model code: a finding
    (void)reports::render_text_trace(*s, r);
    (void)reports::schedule_to_json(sch, s.get()).dump(1);
  } catch (const reports::ScheduleError& e) {
    if (std::string(e.what()).rfind("fuzz.json", 0) != 0) __builtin_trap();  // every error names the file
  } catch (const scenario::ScenarioError&) {
  } catch (const cli::UsageError&) {
  }
  return 0;
}
