// tests/scenarios/bundled_test.cpp — every bundled scenario ends as it expects within its budget,
// and every violation it finds is written as a schedule that replays to the same trace hash.
#include <gtest/gtest.h>

#include <filesystem>

#include "model/registry.h"
#include "sim/choice.h"
#include "sim/explorer.h"

namespace fs = std::filesystem;

TEST(BundledScenarios, EndAsExpectedAndViolationsReplayToTheSameHash) {
  int scenarios = 0, violations = 0;
  for (auto& e : fs::recursive_directory_iterator(std::string(RELAYSIM_SOURCE_DIR) + "/scenarios")) {
    if (e.path().extension() != ".toml") continue;
    SCOPED_TRACE(e.path().string());
    auto spec = scenario::load_file(e.path().string());
    auto prepared = model::prepare(spec);
    auto cfg = model::engine_config(spec);
    sim::ExploreConfig ec;
    ec.strategy = *sim::strategy_from_name(spec.strategy);
    ec.executions = std::min<std::uint64_t>(spec.executions, 20'000);
    ec.jobs = 2;
    auto r = sim::explore(prepared.factory, cfg, ec);
    ++scenarios;
    ASSERT_FALSE(r.error_execution) << r.error_message;
    if (spec.expect_violations.empty()) {
      if (r.first) {
        bool accepted = false;  // a known finding the scenario lists in check.accept
        for (auto& p : spec.accept_findings) accepted |= p == sim::property_name(r.first->violation.property);
        EXPECT_TRUE(accepted) << r.first->violation.message;
      }
      continue;
    }
    ASSERT_TRUE(r.first) << "expected violation not found in " << ec.executions << " executions";
    bool listed = false;
    for (auto& p : spec.expect_violations) listed |= p == sim::property_name(r.first->violation.property);
    EXPECT_TRUE(listed) << sim::property_name(r.first->violation.property) << ": " << r.first->violation.message;
    auto w = prepared.factory();
    sim::Sim s(cfg);
    s.load(*w);
    auto original = sim::rerun(s, ec.strategy, ec.seed, r.first->execution, ec.pct_depth);
    ASSERT_EQ(original.end, sim::ExecResult::End::Violation);
    EXPECT_EQ(original.violation->property, r.first->violation.property);
    sim::ReplaySource replay(s.choices(), true);
    auto again = s.run(replay, sim::RunOptions{true});
    EXPECT_EQ(again.trace_hash, original.trace_hash);
    EXPECT_FALSE(replay.divergence());
    ++violations;
  }
  EXPECT_GE(scenarios, 20);
  EXPECT_GE(violations, 10);
}
