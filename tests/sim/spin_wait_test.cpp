// tests/sim/spin_wait_test.cpp — the spin rule (Config::spin_wait, sim.h banner): a spin
// iteration that only read shared state yields once and is not enabled again until another actor
// writes what it read; an impure iteration (it wrote) spins as before; with nobody left to write,
// the execution is stuck (deadlock) instead of spinning to the step bound. Off: schedules as before.
#include <gtest/gtest.h>

#include <optional>

#include "sim/choice.h"
#include "sim/dfs.h"
#include "sim/shared.h"
#include "sim/sim.h"
#include "tests/sim/lambda_workload.h"

using sim::ExecResult;
using sim::Property;
using testing_support::LambdaWorkload;

namespace {

struct Spin {
  std::uint64_t max_yields = 0, total_steps = 0;
  int finished = 0, deadlocks = 0, step_bounds = 0;
};

// A reader on CPU 1 spins until `flag` is set; a writer on CPU 0 does `work` stores to another
// word, then sets the flag (unless `never`). With `impure`, the reader also stores each iteration.
Spin run(bool spin_wait, bool never = false, bool impure = false, int executions = 500) {
  Spin out;
  LambdaWorkload w;
  std::optional<sim::Shared<int>> flag, other, mine;
  std::uint64_t yields = 0;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(2);
    flag.emplace(s, "flag", 0);
    other.emplace(s, "other", 0);
    mine.emplace(s, "mine", 0);
    s.add_task("writer", 0, [&] {
      for (int i = 0; i < 20; ++i) other->store(i);
      if (!never) flag->store(1);
    });
    s.add_task("reader", 1, [&] {
      while (!flag->load()) {
        if (impure) mine->store(1);
        ++yields;
        s.yield();
      }
    });
  };
  sim::Sim::Config cfg;
  cfg.spin_wait = spin_wait;
  cfg.check_enabled_sets = true;
  cfg.step_bound = 2000;
  sim::Sim s(cfg);
  s.load(w);
  for (int i = 0; i < executions; ++i) {
    yields = 0;
    sim::RandomSource src(sim::derive_seed(9, static_cast<std::uint64_t>(i)));
    ExecResult r = s.run(src);
    EXPECT_NE(r.end, ExecResult::End::Error);
    if (r.end == ExecResult::End::Finished) ++out.finished;
    if (r.violation && r.violation->property == Property::Deadlock) ++out.deadlocks;
    if (r.violation && r.violation->property == Property::StepBound) ++out.step_bounds;
    out.max_yields = std::max(out.max_yields, yields);
    out.total_steps += r.steps;
  }
  return out;
}

}  // namespace

TEST(SpinWait, APureSpinYieldsOnceUntilWhatItReadIsWritten) {
  Spin off = run(false), on = run(true);
  EXPECT_EQ(off.finished, 500);
  EXPECT_EQ(on.finished, 500);
  EXPECT_GT(off.max_yields, 3u);   // without the rule the reader spins while the writer works
  EXPECT_LE(on.max_yields, 1u);    // with it: one yield, then woken only by the flag's store
  EXPECT_LT(on.total_steps, off.total_steps);
}

TEST(SpinWait, AnIterationThatWritesSpinsAsBefore) {
  Spin on = run(true, false, true);
  EXPECT_EQ(on.finished, 500);
  EXPECT_GT(on.max_yields, 3u);
}

TEST(SpinWait, NobodyLeftToWriteIsStuckNotAStepBound) {
  Spin off = run(false, true, false, 50), on = run(true, true, false, 50);
  EXPECT_EQ(off.step_bounds, 50);
  EXPECT_EQ(on.deadlocks, 50);
}

#include <filesystem>

#include "cli/common.h"
#include "sim/explorer.h"

// Every bundled scenario under the spin rule ends as it expects (its own strategy and budget, up to
// 20 000 executions), with the enabled sets cross-checked at every step.
TEST(SpinWait, BundledScenariosEndAsTheyExpect) {
  int scenarios = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(std::string(RELAYSIM_SOURCE_DIR) + "/scenarios")) {
    if (e.path().extension() != ".toml") continue;
    SCOPED_TRACE(e.path().string());
    cli::Loaded l = cli::load(e.path().string(), "");
    l.config.spin_wait = true;
    l.config.check_enabled_sets = true;
    sim::ExploreConfig ec;
    ec.strategy = *sim::strategy_from_name(l.spec.strategy);
    ec.executions = std::min<std::uint64_t>(l.spec.executions, 20'000);
    ec.jobs = 2;
    auto r = sim::explore(l.prepared.factory, l.config, ec);
    ++scenarios;
    ASSERT_FALSE(r.error_execution) << r.error_message;
    EXPECT_TRUE(cli::as_expected(l.spec, r.first ? std::optional<sim::Violation>(r.first->violation) : std::nullopt))
        << (r.first ? r.first->violation.message : std::string("no violation in ") + std::to_string(ec.executions));
  }
  EXPECT_GE(scenarios, 20);
}

// An iteration preempted between its two reads, while another actor writes the word it read
// first: what it read is stale, so re-running it may not spin, and it must not be blocked (it
// was blocked for good, a false deadlock, until the spin rule watched running iterations too).
// Every schedule, by the unreduced DFS. Mutation: drop that watch in Sim::spin_track: fails.
class StaleSpin final : public sim::Workload {
 public:
  void build(sim::Sim& s) override {
    s.set_cpus(2);
    a_.emplace(s, "a", 0);
    b_.emplace(s, "b", 0);
    s.add_task("spinner", 0, [this, &s] {
      while (a_->load() == b_->load()) s.yield();
    });
    s.add_task("writer", 1, [this] { a_->store(1); });
  }

 private:
  std::optional<sim::Shared<int>> a_, b_;
};

TEST(SpinWait, AnIterationThatReadAStaleValueIsNotBlocked) {
  sim::WorkloadFactory factory = [] { return std::make_unique<StaleSpin>(); };
  sim::Sim::Config cfg;
  cfg.spin_wait = true;
  sim::DfsConfig plain;
  plain.reduction = false;
  auto r = sim::explore_dfs(factory, cfg, plain);
  ASSERT_TRUE(r.last().complete);
  EXPECT_GT(r.last().executions, 2u);
  EXPECT_FALSE(r.first.has_value()) << r.first->violation.message;
}
