// tests/kernel/ftrace_rb_kernel_test.cpp — the tracing ring buffer from the kernel's own
// kernel/trace/ring_buffer.c (Debian's linux-source-6.12, model/ftrace_rb/kernel_ring.h) against
// the model: every bundled exec file gives the same answers field by field in both sources, except
// the differences listed below with their reasons; every bundled scenario ends under the kernel
// source as its file expects, or as the listed 6.12 behaviour.
//
// Needs clang-16 and linux-source-6.12 (scripts/install-deps.sh); label `kernel`, with
// RELAYSIM_CACHE set to the build tree's kernel-cache by tests/CMakeLists.txt.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "model/ftrace_rb/exec.h"
#include "model/registry.h"
#include "scenarios/spec.h"
#include "sim/explorer.h"

namespace {

using nlohmann::json;

json input_of(const std::string& dir, const std::string& name) {
  std::ifstream in(dir + "/" + name);
  json j;
  in >> j;
  return j;
}

json run(const json& input, const std::string& name, bool kernel) {
  static const kernel::Source src{};
  return model::ftrace_rb::ftrace_rb_exec(input, name, kernel ? &src : nullptr);
}

void compare(const json& m, const json& k, const std::string& at, std::vector<std::string>& diffs) {
  if (m.type() != k.type()) {
    diffs.push_back(at + ": model " + m.dump() + ", kernel " + k.dump());
    return;
  }
  if (m.is_object()) {
    std::set<std::string> keys;
    for (auto it = m.begin(); it != m.end(); ++it) keys.insert(it.key());
    for (auto it = k.begin(); it != k.end(); ++it) keys.insert(it.key());
    for (const auto& key : keys) {
      if (at.empty() && key == "source") continue;
      if (!m.contains(key) || !k.contains(key)) {
        diffs.push_back(at + "/" + key + ": only in " + (m.contains(key) ? "model" : "kernel"));
        continue;
      }
      compare(m[key], k[key], at + "/" + key, diffs);
    }
  } else if (m.is_array()) {
    if (m.size() != k.size()) {
      diffs.push_back(at + ": " + std::to_string(m.size()) + " entries in the model, " + std::to_string(k.size()) + " in the kernel");
      return;
    }
    for (std::size_t i = 0; i < m.size(); ++i) compare(m[i], k[i], at + "/" + std::to_string(i), diffs);
  } else if (m != k) {
    diffs.push_back(at + ": model " + m.dump() + ", kernel " + k.dump());
  }
}

void agree(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    SCOPED_TRACE(f);
    const json in = input_of(dir, f);
    const json m = run(in, f, false), k = run(in, f, true);
    EXPECT_EQ(k["source"], "kernel");
    std::vector<std::string> diffs;
    compare(m, k, "", diffs);
    for (const auto& d : diffs) ADD_FAILURE() << f << d;
  }
}

}  // namespace

// No listed differences: every exec file agrees field by field (pages, counters, meta page,
// returns) between the model and 6.12's ring_buffer.c.
TEST(FtraceRbKernel, ExecFilesAgreeFieldByField) { agree(std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/ftrace_rb/exec"); }

// The six defects of issue 15, on the kernel itself (the model's tests are in
// tests/model/ftrace_rb_defects_test.cpp): the same numbers come out of ring_buffer.c.
TEST(FtraceRbKernel, TheSixDefectsAreTheKernelsBehaviour) {
  const json out = run(json::parse(R"({"params": {"subbuf_size": 64, "nr_subbufs": 2},
      "ops": [{"op": "write", "len": 8}, {"op": "write", "len": 57}, {"op": "write", "len": 56}, {"op": "map"}]})"),
                       "defects.json", true);
  EXPECT_EQ(out["steps"][0]["return"]["length"], 16);      // rb_calculate_event_length(8)
  EXPECT_EQ(out["steps"][1]["return"]["fail"], "too-big");  // 57 > max_data_size = 64 - 8
  EXPECT_EQ(out["steps"][2]["return"]["ok"], true);
  EXPECT_EQ(out["steps"][3]["state"]["meta"]["subbuf_size"], 80);  // with the 16-byte header
  const json rp = run(json::parse(R"({"params": {"subbuf_size": 32, "nr_subbufs": 3},
      "ops": [{"op": "write", "len": 12}, {"op": "write", "len": 12}, {"op": "write", "len": 12}, {"op": "read_page"}]})"),
                      "swap.json", true);
  EXPECT_EQ(rp["steps"][3]["return"]["ret"], 0);
  EXPECT_EQ(rp["steps"][3]["state"]["counters"]["read"], 2);
  EXPECT_EQ(rp["steps"][3]["state"]["pages"].back()["commit"], 0);  // swapped: an empty page came back
  EXPECT_EQ(rp["steps"][2]["state"]["counters"]["pages_touched"], 1);
}

// Every bundled scenario under the kernel source ends as its file expects, except where the tree
// decides (6.12 has the fix the scenario's historical variant removes from the model) or where the
// kernel's schedules differ from the model's, each listed with its reason (README, "The tracing
// ring buffer from its own source").
TEST(FtraceRbKernel, EveryScenarioEndsAsExpectedOrAsTheListed612Behaviour) {
  const std::map<std::string, std::string> kernel_passes = {
      {"every_commit_publishes.toml", "6.12 has the committing/commits counters: the variant is a model knob"},
      {"pre_mmap_missed_events.toml", "6.12 has fe832be05a8e: GET_READER stores the missed count and clears lost_events"},
      // The kernel's writers take ~2.5x the steps per event: no-silent-loss first shows at
      // execution 21478 and 5020 (seed 1), beyond this test's 2000; the ctests
      // scenario-kernel:... run them with -n 30000 and find it (tests/CMakeLists.txt).
      {"candidate_swap_vs_commit.toml", "reached only after 2000 executions on the kernel (21478, seed 1)"},
      {"quickstart.toml", "reached only after 2000 executions on the kernel (5020, seed 1): the same race, "
                          "scenarios/regressions-kernel/ftrace_rb-quickstart.schedule.json"},
  };
  // Under PCT, rb_get_reader_page's spin on the head page (`goto spin` after a failed
  // rb_head_page_replace, kernel/trace/ring_buffer.c:5405-5451, no cpu_relax) keeps the spinning
  // reader at the higher priority while the writer holding RB_PAGE_UPDATE waits on its own CPU:
  // the kernel's busy-wait is unbounded for the strategy, not a bug on hardware (README). This
  // test runs random schedules (the ExploreConfig default) for every scenario, where a step bound
  // would still be accepted for these two; KernelRandomSchedulesRunThePctScenarios requires them
  // to pass.
  const std::map<std::string, std::string> kernel_step_bound = {
      {"commit_overrun_warn.toml", "PCT starves the writer that holds UPDATE while the reader spins"},
      {"candidate_move_tail_vs_swap.toml", "PCT starves the writer that holds UPDATE while the reader spins"},
  };
  const std::string dir = std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/ftrace_rb";
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".toml") files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 12u);
  for (const auto& f : files) {
    SCOPED_TRACE(f);
    scenario::Spec spec = scenario::load_file(dir + "/" + f);
    model::SourceOptions so;
    so.source = "kernel";
    model::Prepared p = model::prepare(spec, "", so);
    EXPECT_EQ(p.source, "kernel");
    sim::ExploreConfig cfg;
    cfg.executions = std::min<std::uint64_t>(spec.executions, 2000);
    sim::ExploreResult r = sim::explore(p.factory, model::engine_config(spec), cfg);
    ASSERT_FALSE(r.error_execution.has_value()) << r.error_message;
    if (kernel_step_bound.count(f)) {
      if (r.first) {
        EXPECT_EQ(std::string(sim::property_name(r.first->violation.property)), "step-bound") << r.first->violation.message;
      }
      continue;
    }
    const bool expect_pass = spec.expect_violations.empty() || kernel_passes.count(f);
    if (expect_pass) {
      if (r.first) {  // only a known finding the scenario accepts (check.accept) may show
        const std::string got(sim::property_name(r.first->violation.property));
        EXPECT_NE(std::find(spec.accept_findings.begin(), spec.accept_findings.end(), got), spec.accept_findings.end())
            << got << ": " << r.first->violation.message;
      }
    } else {
      ASSERT_TRUE(r.first.has_value());
      const std::string got(sim::property_name(r.first->violation.property));
      EXPECT_NE(std::find(spec.expect_violations.begin(), spec.expect_violations.end(), got), spec.expect_violations.end())
          << got << ": " << r.first->violation.message;
    }
  }
}

// The two PCT scenarios under random schedules on the kernel: no step bound (the spinning reader
// does not starve the writer), and each ends as 6.12 decides: commit_overrun_warn passes (6.12 has
// the 2025 fix: no WARN), candidate_move_tail_vs_swap passes within the budget (the move-tail
// window is not reached from the kernel: 30000 random executions, seed 1, found nothing either).
TEST(FtraceRbKernel, KernelRandomSchedulesRunThePctScenarios) {
  const std::string dir = std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/ftrace_rb";
  for (const char* f : {"commit_overrun_warn.toml", "candidate_move_tail_vs_swap.toml"}) {
    SCOPED_TRACE(f);
    scenario::Spec spec = scenario::load_file(dir + "/" + f);
    model::SourceOptions so;
    so.source = "kernel";
    model::Prepared p = model::prepare(spec, "", so);
    sim::ExploreConfig cfg;
    cfg.executions = 2000;
    cfg.strategy = sim::Strategy::Random;
    sim::ExploreResult r = sim::explore(p.factory, model::engine_config(spec), cfg);
    ASSERT_FALSE(r.error_execution.has_value()) << r.error_message;
    EXPECT_EQ(r.executions, 2000u);
    EXPECT_FALSE(r.first.has_value()) << r.first->violation.message;
  }
}
