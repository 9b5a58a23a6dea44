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

// Every schedule (the unreduced DFS, spin rule on) ends without a violation (no false deadlock).
void expect_every_schedule_clean(sim::WorkloadFactory factory, std::uint64_t at_least = 1) {
  sim::Sim::Config cfg;
  cfg.spin_wait = true;
  sim::DfsConfig plain;
  plain.reduction = false;
  auto r = sim::explore_dfs(factory, cfg, plain);
  ASSERT_TRUE(r.last().complete);
  EXPECT_GE(r.last().executions, at_least);
  EXPECT_FALSE(r.first.has_value()) << r.first->violation.message;
}

TEST(SpinWait, AnIterationThatReadAStaleValueIsNotBlocked) {
  expect_every_schedule_clean([] { return std::make_unique<StaleSpin>(); }, 3);
}

#include "reports/schedule.h"
#include "sim/dfs.h"

// The rule is the default (Sim::Config and scenarios), and off under tso and lkmm (a re-run load
// may read a newer store there without a recorded write).
TEST(SpinWait, OnByDefaultAndOnlyUnderSc) {
  EXPECT_TRUE(sim::Sim::Config{}.spin_wait);
  sim::Sim::Config c;
  EXPECT_TRUE(sim::Sim(c).config().spin_wait);
  c.memory_model = sim::MemoryModel::Tso;
  EXPECT_FALSE(sim::Sim(c).config().spin_wait);
  c.memory_model = sim::MemoryModel::Lkmm;
  EXPECT_FALSE(sim::Sim(c).config().spin_wait);
}

// A schedule records the rule only when it was on; a file without the field (every schedule
// written before the rule was the default) reads as off; anything but a boolean is refused.
TEST(SpinWait, SchedulesRecordTheRule) {
  reports::Schedule s;
  s.scenario = "x.toml";
  s.model = "toy";
  s.variant = "v";
  s.strategy = "random";
  s.spin_wait = true;
  nlohmann::json on = reports::schedule_to_json(s, nullptr);
  EXPECT_EQ(on.at("spin_wait"), true);
  EXPECT_TRUE(reports::schedule_from_json(on, "on.json").spin_wait);
  s.spin_wait = false;
  nlohmann::json off = reports::schedule_to_json(s, nullptr);
  EXPECT_FALSE(off.contains("spin_wait"));
  EXPECT_FALSE(reports::schedule_from_json(off, "off.json").spin_wait);
  on["spin_wait"] = 1;
  try {
    reports::schedule_from_json(on, "bad.json");
    ADD_FAILURE() << "spin_wait = 1 accepted";
  } catch (const reports::ScheduleError& e) {
    EXPECT_NE(std::string(e.what()).find("spin_wait"), std::string::npos) << e.what();
  }
}

// A schedule recorded with the rule on (the default) replays with it; one recorded with it off
// (as every schedule in scenarios/regressions/ was) replays with it off: each to its own hash,
// and the two differ on a scenario whose readers spin, so the recorded field is what decides.
TEST(SpinWait, ReplayUsesTheRecordedRule) {
  const std::string path = std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/relay/quickstart.toml";
  std::uint64_t hash[2] = {0, 0};
  for (bool rule : {false, true}) {
    cli::Loaded l = cli::load(path, "");
    l.config.spin_wait = rule;
    std::unique_ptr<sim::Workload> w;
    auto s = cli::make_sim(l, w);
    sim::ExecResult r = sim::rerun(*s, sim::Strategy::Random, 3, 0, 3, true);
    reports::Schedule sch = cli::make_schedule(l, path, "random", 3, 0, 3, *s, r);
    EXPECT_EQ(sch.spin_wait, rule);
    reports::Schedule back = reports::schedule_from_json(reports::schedule_to_json(sch, s.get()), "s.json");
    cli::Loaded l2 = cli::load(path, "");  // the scenario's default (on); the schedule decides
    l2.config.spin_wait = back.spin_wait;
    std::unique_ptr<sim::Workload> w2;
    auto s2 = cli::make_sim(l2, w2);
    sim::ReplaySource src(back.choices, true);
    sim::ExecResult r2 = s2->run(src, sim::RunOptions{true});
    EXPECT_FALSE(src.divergence());
    EXPECT_EQ(r2.trace_hash, r.trace_hash);
    hash[rule] = r.trace_hash;
  }
  EXPECT_NE(hash[0], hash[1]);
}

// A spinner on a held lock word (`while (lock.exchange(1)) yield();`): the failed exchange writes
// the value that was there, which nobody can tell from a read, so the iteration is pure and waits
// for the holder's release; an exchange that changes the word is a write (the iteration spins).
TEST(SpinWait, AnExchangeThatChangesNothingIsARead) {
  for (bool changes : {false, true}) {
    LambdaWorkload w;
    std::optional<sim::Shared<int>> lock, other;
    std::uint64_t yields = 0, max_yields = 0;
    w.on_build = [&](sim::Sim& s) {
      s.set_cpus(2);
      lock.emplace(s, "lock", 1);  // held by the holder from the start
      other.emplace(s, "other", 0);
      s.add_task("holder", 0, [&] {
        for (int i = 0; i < 20; ++i) other->store(i);
        lock->store(0);
      });
      s.add_task("spinner", 1, [&] {
        // changes: exchange 2 then 1 alternately, so every failed attempt changes the word
        for (int v = 1; lock->exchange(changes ? 1 + (v++ & 1) : 1);) {
          ++yields;
          s.yield();
        }
      });
    };
    sim::Sim::Config cfg;
    cfg.check_enabled_sets = true;
    cfg.step_bound = 2000;
    sim::Sim s(cfg);
    s.load(w);
    for (int i = 0; i < 300; ++i) {
      yields = 0;
      sim::RandomSource src(sim::derive_seed(5, static_cast<std::uint64_t>(i)));
      ExecResult r = s.run(src);
      ASSERT_EQ(r.end, ExecResult::End::Finished) << (r.violation ? r.violation->message : std::string("error"));
      max_yields = std::max(max_yields, yields);
    }
    if (changes) EXPECT_GT(max_yields, 3u);
    else EXPECT_LE(max_yields, 1u);
  }
}

namespace {

// A reader on CPU 2 spins until `flag` is set, then reads `data`; a writer on CPU 0 stores data
// 1, sets the flag, stores data 2; a writer on CPU 1 stores data 3 (with `late_flag`, it sets the
// flag too, after). End state: what the reader saw.
struct SpinDfs : sim::Workload {
  bool late_flag = false;
  std::optional<sim::Shared<int>> flag, data;
  int seen = -1;
  void build(sim::Sim& s) override {
    s.set_cpus(3);
    flag.emplace(s, "flag", 0);
    data.emplace(s, "data", 0);
    s.add_task("w0", 0, [this] {
      data->store(1);
      flag->store(1);
      data->store(2);
    });
    s.add_task("w1", 1, [this] {
      data->store(3);
      if (late_flag) flag->store(2);
    });
    s.add_task("reader", 2, [this, &s] {
      while (!flag->load()) s.yield();
      seen = data->load();
    });
  }
  void reset(sim::Sim&) override { seen = -1; }
  std::uint64_t end_state_hash(const sim::Sim&) const override { return static_cast<std::uint64_t>(seen + 10); }
};

}  // namespace

// The systematic search under the rule: the unreduced search, sleep sets and source-DPOR reach
// the same outcomes as the unreduced search without the rule (the rule prunes only no-op spin
// iterations), with fewer executions; a blocked spinner is re-enabled by the write to what it read
// and the reductions see that write as its enabler (otherwise the outcomes after it are lost).
TEST(SpinWait, SystematicSearchKeepsEveryOutcome) {
  for (bool late : {false, true}) {
    SCOPED_TRACE(late ? "late flag" : "one flag");
    sim::WorkloadFactory f = [late] {
      auto w = std::make_unique<SpinDfs>();
      w->late_flag = late;
      return w;
    };
    auto search = [&](bool rule, bool reduction, bool dpor) {
      sim::Sim::Config c;
      c.spin_wait = rule;
      c.check_enabled_sets = true;
      sim::DfsConfig d;
      d.reduction = reduction;
      d.dpor = dpor;
      d.collect_outcomes = true;
      return sim::explore_dfs(f, c, d);
    };
    auto base = search(false, false, false);
    ASSERT_TRUE(base.last().complete);
    ASSERT_FALSE(base.error) << *base.error;
    EXPECT_EQ(base.last().outcomes.size(), 3u);  // the reader sees 1, 2 or 3
    for (auto [reduction, dpor] : {std::pair{false, false}, std::pair{true, false}, std::pair{true, true}}) {
      SCOPED_TRACE(std::string(reduction ? (dpor ? "dpor" : "sleep sets") : "unreduced"));
      auto r = search(true, reduction, dpor);
      ASSERT_FALSE(r.error) << *r.error;
      EXPECT_TRUE(r.last().complete);
      EXPECT_EQ(r.last().outcomes, base.last().outcomes);
      EXPECT_FALSE(r.first.has_value()) << r.first->violation.message;
      EXPECT_LE(r.last().executions, base.last().executions);
    }
  }
}

// A spin loop that reads a shared word and also a ghost (state read without a step): the spin rule
// would block it on the word alone, and the ghost's change would never wake it. spin_unobserved()
// keeps such an iteration runnable. Mutation: spin_unobserved() does nothing: this deadlocks.
class GhostSpin final : public sim::Workload {
 public:
  void build(sim::Sim& s) override {
    s.set_cpus(2);
    word_.emplace(s, "word", 0);
    s.add_task("spinner", 0, [this, &s] {
      while (word_->load() == 0 && !ghost_) {
        s.spin_unobserved();
        s.yield();
      }
    });
    s.add_task("ghost-writer", 1, [this] { ghost_ = true; });
  }
  void reset(sim::Sim&) override { ghost_ = false; }

 private:
  std::optional<sim::Shared<int>> word_;
  bool ghost_ = false;
};

TEST(SpinWait, AnIterationThatDependsOnAGhostIsNotBlocked) {
  expect_every_schedule_clean([] { return std::make_unique<GhostSpin>(); });
}
