// tests/model/relay_fence_test.cpp — relay's smp_mb() in relay_switch_subbuf (kernel/relay.c) is a
// fence of the memory model in the relay model (issue 13), not only a trace note: under tso and
// lkmm every switch of a recorded run issues Fence::Mb right after its note (under sc the trace
// keeps the note alone, as before), and the relay quickstart stays clean under tso and lkmm.
#include <gtest/gtest.h>

#include <string>

#include "model/registry.h"
#include "scenarios/spec.h"
#include "sim/choice.h"
#include "sim/explorer.h"
#include "sim/sim.h"

namespace {

TEST(RelayFence, EverySwitchIssuesTheFullBarrierAfterItsNote) {
  const scenario::Spec spec = scenario::load_file(std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/relay/quickstart.toml");
  for (sim::MemoryModel mm : {sim::MemoryModel::Sc, sim::MemoryModel::Tso, sim::MemoryModel::Lkmm}) {
    SCOPED_TRACE(std::string(sim::memory_model_name(mm)));
    model::Prepared p = model::prepare(spec, "", {});
    sim::Sim::Config cfg = model::engine_config(spec);
    cfg.memory_model = mm;
    sim::Sim s(cfg);
    auto w = p.factory();
    s.load(*w);
    sim::ReplaySource zeros({}, false);
    s.run(zeros, sim::RunOptions{true});
    int switches = 0, fenced = 0;
    const auto& t = s.trace();
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t[i].op != sim::Op::Note || s.note_text(static_cast<std::uint32_t>(t[i].extra)) != "smp_mb() in relay_switch_subbuf")
        continue;
      ++switches;
      fenced += i + 1 < t.size() && t[i + 1].op == sim::Op::Fence && t[i + 1].value == static_cast<std::uint64_t>(sim::Fence::Mb);
    }
    EXPECT_GT(switches, 0);
    EXPECT_EQ(fenced, mm == sim::MemoryModel::Sc ? 0 : switches);
  }
}

TEST(RelayFence, QuickstartIsCleanUnderTsoAndLkmm) {
  const scenario::Spec spec = scenario::load_file(std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/relay/quickstart.toml");
  for (sim::MemoryModel mm : {sim::MemoryModel::Tso, sim::MemoryModel::Lkmm}) {
    SCOPED_TRACE(std::string(sim::memory_model_name(mm)));
    model::Prepared p = model::prepare(spec, "", {});
    sim::Sim::Config cfg = model::engine_config(spec);
    cfg.memory_model = mm;
    sim::ExploreConfig ec;
    ec.executions = 3000;
    ec.seed = 7;
    sim::ExploreResult r = sim::explore(p.factory, cfg, ec);
    EXPECT_FALSE(r.first.has_value()) << r.first->violation.message;
  }
}

}  // namespace
