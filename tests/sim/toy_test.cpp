// tests/sim/toy_test.cpp — the toy model of issue 8: random and PCT find the lost update, replay
// reproduces it bit for bit, the shrinker reduces it to at most 2 preemptions, and the correct
// version passes 100 000 executions.
#include <gtest/gtest.h>

#include "model/registry.h"
#include "sim/choice.h"
#include "sim/explorer.h"
#include "sim/shrink.h"

namespace {

struct Toy {
  sim::Sim::Config cfg;
  model::Prepared p;
  explicit Toy(const std::string& rel, const std::string& variant = "") {
    auto spec = scenario::load_file(std::string(RELAYSIM_SOURCE_DIR) + "/" + rel);
    cfg = model::engine_config(spec);
    p = model::prepare(spec, variant);
  }
};

}  // namespace

TEST(ToyIrqCounter, RandomAndPctFindTheLostUpdate) {
  Toy t("scenarios/toy/irq_counter.toml");
  for (auto strategy : {sim::Strategy::Random, sim::Strategy::Pct}) {
    sim::ExploreConfig ec;
    ec.strategy = strategy;
    ec.executions = 2000;
    auto r = sim::explore(t.p.factory, t.cfg, ec);
    ASSERT_TRUE(r.first) << sim::strategy_name(strategy);
    EXPECT_EQ(r.first->violation.property, sim::Property::Assertion);
    EXPECT_LT(r.first->execution, 200u) << sim::strategy_name(strategy);
  }
}

TEST(ToyIrqCounter, ReplayReproducesBitForBitAndShrinksToTwoPreemptions) {
  Toy t("scenarios/toy/irq_counter.toml");
  sim::ExploreConfig ec;
  ec.executions = 2000;
  auto found = sim::explore(t.p.factory, t.cfg, ec);
  ASSERT_TRUE(found.first);
  auto w = t.p.factory();
  sim::Sim s(t.cfg);
  s.load(*w);
  sim::ExecResult original = sim::rerun(s, ec.strategy, ec.seed, found.first->execution, 3);
  ASSERT_EQ(original.end, sim::ExecResult::End::Violation);
  auto choices = s.choices();
  auto trace = s.trace();

  sim::ReplaySource replay(choices, true);
  sim::ExecResult again = s.run(replay, sim::RunOptions{true});
  EXPECT_FALSE(replay.divergence());
  EXPECT_EQ(again.trace_hash, original.trace_hash);
  ASSERT_EQ(s.trace().size(), trace.size());
  for (std::size_t i = 0; i < trace.size(); ++i) {
    EXPECT_EQ(s.trace()[i].op, trace[i].op);
    EXPECT_EQ(s.trace()[i].actor, trace[i].actor);
    EXPECT_EQ(s.trace()[i].value, trace[i].value);
  }

  auto shrunk = sim::shrink(s, choices, sim::Property::Assertion);
  ASSERT_TRUE(shrunk.reproduced);
  EXPECT_EQ(shrunk.result.end, sim::ExecResult::End::Violation);
  EXPECT_EQ(shrunk.result.violation->property, sim::Property::Assertion);
  EXPECT_LE(shrunk.preemptions_after, 2u);
  EXPECT_LE(shrunk.preemptions_after, shrunk.preemptions_before);
  EXPECT_LE(shrunk.result.preemptions, 2u);
}

TEST(ToyIrqCounter, LockedVersionPasses100000Executions) {
  Toy t("scenarios/toy/irq_counter_locked.toml");
  sim::ExploreConfig ec;
  ec.executions = 100'000;
  ec.jobs = 2;
  auto r = sim::explore(t.p.factory, t.cfg, ec);
  EXPECT_FALSE(r.first) << r.first->violation.message;
  EXPECT_EQ(r.executions, 100'000u);
  EXPECT_GT(r.interrupts, 0u);
  EXPECT_EQ(r.distinct_end_states, 1u);
}

TEST(ToyIrqCounter, NoIrqsaveDeadlocksOnItsOwnCpu) {
  Toy t("scenarios/toy/irq_counter_deadlock.toml");
  sim::ExploreConfig ec;
  ec.executions = 2000;
  auto r = sim::explore(t.p.factory, t.cfg, ec);
  ASSERT_TRUE(r.first);
  EXPECT_EQ(r.first->violation.property, sim::Property::Deadlock);
  EXPECT_NE(r.first->violation.message.find("same CPU"), std::string::npos) << r.first->violation.message;
}

TEST(ToyRelacyWorkloads, CounterBuggyFailsFixedPassesMpscPasses) {
  {
    Toy t("scenarios/toy/toy_counter_buggy.toml");
    sim::ExploreConfig ec;
    ec.executions = 1000;
    auto r = sim::explore(t.p.factory, t.cfg, ec);
    ASSERT_TRUE(r.first);
    EXPECT_EQ(r.first->violation.property, sim::Property::Assertion);
  }
  for (const char* rel : {"scenarios/toy/toy_counter.toml", "scenarios/toy/mpsc_ring.toml"}) {
    Toy t(rel);
    sim::ExploreConfig ec;
    ec.executions = 20000;
    ec.keep_going = true;
    auto r = sim::explore(t.p.factory, t.cfg, ec);
    EXPECT_FALSE(r.first) << rel << ": " << r.first->violation.message;
    EXPECT_EQ(r.executions, 20000u);
  }
}
