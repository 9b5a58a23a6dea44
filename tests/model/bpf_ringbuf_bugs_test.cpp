// tests/model/bpf_ringbuf_bugs_test.cpp — every historical bug of the BPF ring buffer is found
// by `explore` on its buggy variant within a stated budget, its schedule replays to the same
// trace, and the same schedule on `mainline` holds every property. Also: the exec mode's errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "model/bpf_ringbuf/exec.h"
#include "model/registry.h"
#include "scenarios/spec.h"
#include "sim/choice.h"
#include "sim/explorer.h"

namespace {

struct BugCase {
  const char* file;
  sim::Property property;
  std::uint64_t budget;  // executions within which random exploration must find it (seed 1)
};

std::string path(const char* f) { return std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/bpf_ringbuf/" + f; }

}  // namespace

TEST(BpfRingbufBugs, FoundOnTheBuggyVariantAndTheScheduleHoldsOnMainline) {
  const BugCase cases[] = {
      {"cve_2021_3489_record_larger_than_ring.toml", sim::Property::MemorySafety, 50},
      {"cve_2024_41009_overlapping_reservations.toml", sim::Property::NoCorruption, 50},
      {"spinlock_era_reentry.toml", sim::Property::Deadlock, 10},
      {"libbpf_int_overflow.toml", sim::Property::Counters, 10},
  };
  for (const BugCase& c : cases) {
    SCOPED_TRACE(c.file);
    auto spec = scenario::load_file(path(c.file));
    auto buggy = model::prepare(spec);
    auto cfg = model::engine_config(spec);
    sim::ExploreConfig ec;
    ec.executions = c.budget;
    ec.seed = 1;
    auto found = sim::explore(buggy.factory, cfg, ec);
    ASSERT_TRUE(found.first) << "not found in " << c.budget << " executions";
    EXPECT_EQ(found.first->violation.property, c.property) << found.first->violation.message;
    std::printf("[ bug      ] %s (%s): %s after %llu execution(s)\n", c.file, buggy.variant.c_str(),
                std::string(sim::property_name(c.property)).c_str(),
                static_cast<unsigned long long>(found.first->execution + 1));

    auto w = buggy.factory();
    sim::Sim s(cfg);
    s.load(*w);
    auto original = sim::rerun(s, ec.strategy, ec.seed, found.first->execution, ec.pct_depth);
    ASSERT_EQ(original.end, sim::ExecResult::End::Violation);
    const std::vector<std::uint32_t> choices = s.choices();
    sim::ReplaySource again_src(choices, true);
    auto again = s.run(again_src, sim::RunOptions{true});
    EXPECT_EQ(again.trace_hash, original.trace_hash);
    EXPECT_FALSE(again_src.divergence());

    auto fixed = model::prepare(spec, "mainline");
    auto fw = fixed.factory();
    sim::Sim fs(cfg);
    fs.load(*fw);
    sim::ReplaySource replay(choices, false);
    auto on_mainline = fs.run(replay);
    EXPECT_EQ(on_mainline.end, sim::ExecResult::End::Finished)
        << (on_mainline.violation ? on_mainline.violation->message : "internal error");
    // The same schedule, not a drift into another one: every recorded choice fitted (issue 18).
    EXPECT_EQ(replay.out_of_range(), 0u) << "the replay on mainline left the schedule";
  }
}

TEST(BpfRingbufBugs, MainlineHoldsEveryBugScenarioUnderManySchedules) {
  for (const char* f : {"cve_2021_3489_record_larger_than_ring.toml", "cve_2024_41009_overlapping_reservations.toml",
                        "spinlock_era_reentry.toml", "libbpf_int_overflow.toml"}) {
    SCOPED_TRACE(f);
    auto spec = scenario::load_file(path(f));
    auto fixed = model::prepare(spec, "mainline");
    for (auto strategy : {sim::Strategy::Random, sim::Strategy::Pct}) {
      sim::ExploreConfig ec;
      ec.strategy = strategy;
      ec.executions = 1000;
      auto r = sim::explore(fixed.factory, model::engine_config(spec), ec);
      EXPECT_FALSE(r.first) << r.first->violation.message;
    }
  }
}

TEST(BpfRingbufBugs, SpinlockEraReentryFailsTheReserveWithRqspinlock) {
  auto spec = scenario::load_file(path("spinlock_era_reentry.toml"));
  for (const char* v : {"rqspinlock-era", "mainline"}) {
    auto p = model::prepare(spec, v);
    sim::ExploreConfig ec;
    ec.executions = 500;
    auto r = sim::explore(p.factory, model::engine_config(spec), ec);
    EXPECT_FALSE(r.first) << v << ": " << r.first->violation.message;
  }
}

TEST(BpfRingbufBugs, NoWakeupLosesTheWakeupUnlessTheScenarioAllowsIt) {
  std::ifstream in(path("no_wakeup_flag_loses_wakeup.toml"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  auto spec = scenario::load_string(text, "nw.toml");
  sim::ExploreConfig ec;
  ec.executions = 200;
  auto r = sim::explore(model::prepare(spec).factory, model::engine_config(spec), ec);
  ASSERT_TRUE(r.first);
  EXPECT_EQ(r.first->violation.property, sim::Property::LostWakeup);
  text.replace(text.find("call = \"poll\""), 13, "call = \"poll\"\nlost_wakeup = \"allowed\"");
  text.replace(text.find("expect = { violation = \"lost-wakeup\" }"), 38, "expect = \"pass\"");
  auto allowed = scenario::load_string(text, "nw.toml");
  auto r2 = sim::explore(model::prepare(allowed).factory, model::engine_config(allowed), ec);
  EXPECT_FALSE(r2.first) << r2.first->violation.message;
  // Without the flag the same consumer is always woken.
  text.replace(text.find("flags = 1"), 9, "flags = 0");
  auto woken = scenario::load_string(text, "nw.toml");
  auto r3 = sim::explore(model::prepare(woken).factory, model::engine_config(woken), ec);
  EXPECT_FALSE(r3.first) << r3.first->violation.message;
}

TEST(BpfRingbufExec, BadInputIsOneLineNamingTheField) {
  auto err = [](const std::string& text) {
    try {
      model::bpf_ringbuf::ringbuf_exec(nlohmann::json::parse(text), "x.json");
    } catch (const scenario::ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(err(R"({"ops": [{"op": "reserve", "size": 8}, {"op": "reserve", "size": "big"}]})"),
            "x.json: ops[1].size: must be an integer, not a string");
  EXPECT_EQ(err(R"({"ops": [{"op": "submit", "rec": 0}]})"), "x.json: ops[0].rec: record 0 was not reserved by an earlier op");
  EXPECT_EQ(err(R"({"ops": [{"op": "frob"}]})").substr(0, 22), "x.json: ops[0].op: \"fr");
  EXPECT_EQ(err(R"({"params": {"colour": 1}, "ops": []})"), "x.json: params.colour: unknown field");
  auto out = model::bpf_ringbuf::ringbuf_exec(nlohmann::json::parse(R"({"params": {"max_entries": 12288}, "ops": []})"), "x.json");
  EXPECT_EQ(out["create"]["ret"], -22);
}
