// tests/scenarios/pct_reach_test.cpp — PCT reaches the bugs its two rules are for (sim/choice.h):
// a change point moves the running actor below every other, so it can hand the CPU to a spinner that
// has yielded; and interrupts fire at random interrupt points, not by priority. Each scenario below
// went unfound by PCT before the rule (1.2 M executions of two_readers_old_read_pos, 440 k of
// pre_3f9fbe9bd86c, and the scenario budgets of live_cat_reader and the tracing quickstart).
#include <gtest/gtest.h>

#include <string>

#include "model/registry.h"
#include "sim/explorer.h"

namespace {

// The first violation PCT finds within `executions` (seed 1), or "" if none.
std::string pct_finds(const std::string& rel, std::uint64_t executions) {
  auto spec = scenario::load_file(std::string(RELAYSIM_SOURCE_DIR) + "/" + rel);
  auto prepared = model::prepare(spec);
  sim::ExploreConfig ec;
  ec.strategy = sim::Strategy::Pct;
  ec.seed = 1;
  ec.executions = executions;
  ec.jobs = 1;
  auto r = sim::explore(prepared.factory, model::engine_config(spec), ec);
  EXPECT_FALSE(r.error_execution) << r.error_message;
  return r.first ? std::string(sim::property_name(r.first->violation.property)) : std::string();
}

}  // namespace

// Two readers wait (yield) for the writer, then race: only a change point inside the first
// reader's read() lets the second one in.
TEST(PctReach, AChangePointHandsTheCpuToAReaderThatYielded) {
  EXPECT_EQ(pct_finds("scenarios/relay/two_readers_old_read_pos.toml", 200), "no-duplication");
}

// The hardirq must fire inside the outermost writer's retry window, and the NMI inside the
// hardirq's: interrupts that fire by priority fire at their first chance or never.
TEST(PctReach, InterruptPointsPlaceInterruptsInsideAWindow) {
  EXPECT_EQ(pct_finds("scenarios/perf_buf/pre_3f9fbe9bd86c_nest_increment_order.toml", 2000), "order");
}
