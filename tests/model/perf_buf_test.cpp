// tests/model/perf_buf_test.cpp — the perf ring buffer model (model/perf_buf/): both 2019
// nested-writer bugs are found by `explore` on their variants within a stated budget, replay to
// the same trace, and their schedules hold on mainline; mainline holds every bundled perf_buf
// scenario under random and PCT schedules; the exec mode answers as ring_buffer.c does in the
// cases its comments describe (a PERF_RECORD_LOST in front of the next sample that fits, the
// backward buffer's negative positions, CIRC_SPACE's free byte, paused output); bad input is one
// line naming the field.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "model/perf_buf/exec.h"
#include "model/registry.h"
#include "scenarios/spec.h"
#include "sim/choice.h"
#include "sim/explorer.h"

namespace {

using nlohmann::json;

std::string path(const std::string& f) { return std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/perf_buf/" + f; }

std::string text_of(const std::string& f) {
  std::ifstream in(path(f));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json exec(const std::string& text) { return model::perf_buf::perf_exec(json::parse(text), "x.json"); }

}  // namespace

TEST(PerfBufBugs, FoundOnTheBuggyVariantAndTheScheduleHoldsOnMainline) {
  struct Case {
    const char* file;
    std::uint64_t budget;
  } cases[] = {{"pre_1b038c6e05ff_decreased_data_head.toml", 3000}, {"pre_3f9fbe9bd86c_nest_increment_order.toml", 20000}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    auto spec = scenario::load_file(path(c.file));
    auto buggy = model::prepare(spec);
    auto cfg = model::engine_config(spec);
    sim::ExploreConfig ec;
    ec.executions = c.budget;
    ec.seed = 1;
    auto found = sim::explore(buggy.factory, cfg, ec);
    ASSERT_TRUE(found.first) << "not found in " << c.budget << " executions";
    EXPECT_EQ(found.first->violation.property, sim::Property::Order) << found.first->violation.message;
    EXPECT_NE(found.first->violation.message.find("data_head went backwards"), std::string::npos);
    std::printf("[ bug      ] %s (%s): order after %llu execution(s)\n", c.file, buggy.variant.c_str(),
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
  }
}

TEST(PerfBufBugs, MainlineHoldsEveryScenarioUnderManySchedules) {
  for (const char* f : {"quickstart.toml", "bpf_output_every_context.toml", "lost_records.toml", "overwrite_backward_snapshot.toml",
                        "pre_1b038c6e05ff_decreased_data_head.toml", "pre_3f9fbe9bd86c_nest_increment_order.toml"}) {
    SCOPED_TRACE(f);
    auto spec = scenario::load_file(path(f));
    auto fixed = model::prepare(spec, "mainline");
    for (auto strategy : {sim::Strategy::Random, sim::Strategy::Pct}) {
      sim::ExploreConfig ec;
      ec.strategy = strategy;
      ec.executions = 1500;
      auto r = sim::explore(fixed.factory, model::engine_config(spec), ec);
      EXPECT_FALSE(r.first) << r.first->violation.message;
    }
  }
}

TEST(PerfBufBugs, EveryNestingLimitHoldsAndZeroIsRefused) {
  // bpf_trace.c has 3 perf_sample_data slots per CPU: an NMI over hardirq over softirq over task is
  // refused (-EBUSY, reported to the program, so never a silent loss); with 4 slots it writes.
  for (const char* limit : {"1", "3", "4"}) {
    SCOPED_TRACE(limit);
    std::string text = text_of("bpf_output_every_context.toml");
    text.replace(text.find("nr_pages = 1"), 12, std::string("nr_pages = 1\nbpf_nest_limit = ") + limit);
    auto spec = scenario::load_string(text, "x.toml");
    sim::ExploreConfig ec;
    ec.executions = 300;
    auto r = sim::explore(model::prepare(spec).factory, model::engine_config(spec), ec);
    EXPECT_FALSE(r.first) << r.first->violation.message;
  }
  std::string text = text_of("bpf_output_every_context.toml");
  text.replace(text.find("nr_pages = 1"), 12, "nr_pages = 1\nbpf_nest_limit = 0");
  auto spec = scenario::load_string(text, "x.toml");
  EXPECT_THROW(model::prepare(spec), scenario::ScenarioError);
}

TEST(PerfBufExec, LostRecordsPrecedeTheNextSampleThatFits) {
  std::ifstream in(path("exec/lost.json"));
  json input;
  in >> input;
  json out = model::perf_buf::perf_exec(input, "lost.json");
  const json& s = out["steps"];
  EXPECT_EQ(s[2]["return"]["ret"], -28);  // no room before data_tail: -ENOSPC
  EXPECT_EQ(s[2]["state"]["buffers"][0]["lost"], 1);
  EXPECT_EQ(s[3]["return"]["lost_record"], true);  // the next output carries PERF_RECORD_LOST
  EXPECT_EQ(s[3]["return"]["lost_count"], 1);
  EXPECT_EQ(s[3]["return"]["pos"], 3024 + 24);  // after the 24-byte lost record
  EXPECT_EQ(s[3]["state"]["buffers"][0]["lost"], 0);  // local_xchg(&rb->lost, 0)
  const json& recs = s[5]["return"]["records"];
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[2]["type"], 2);  // PERF_RECORD_LOST
  EXPECT_EQ(recs[2]["lost"], 1);
  EXPECT_EQ(recs[4]["len"], 12);  // raw size: 8 bytes padded so that u32 size + data ends on a u64
  EXPECT_EQ(s[5]["state"]["buffers"][0]["data_tail"], s[5]["state"]["buffers"][0]["data_head"]);
}

TEST(PerfBufExec, CircSpaceKeepsOneByteFree) {
  // Two samples of 2040 bytes fill 4096 - 8 + ...: 2 * 2056 = 4112 > 4096; one of 2032 (record 2048)
  // twice is 4096 exactly, which CIRC_SPACE refuses (it keeps one byte free).
  json out = exec(R"({"ops": [{"op": "output", "size": 2036}, {"op": "output", "size": 2036}]})");
  EXPECT_EQ(out["steps"][0]["return"]["size"], 2048);
  EXPECT_EQ(out["steps"][1]["return"]["ret"], -28);
  json fits = exec(R"({"ops": [{"op": "output", "size": 2036}, {"op": "output", "size": 2028}]})");
  EXPECT_EQ(fits["steps"][1]["return"]["ret"], 0);
}

TEST(PerfBufExec, BackwardPositionsGoDownFromZero) {
  json out = exec(R"({"params": {"write_backward": true, "overwrite": true},
                      "ops": [{"op": "output", "size": 20}, {"op": "output", "size": 20}, {"op": "snapshot"}]})");
  EXPECT_EQ(out["steps"][0]["return"]["pos"], std::uint64_t(0) - 32);
  EXPECT_EQ(out["steps"][1]["state"]["buffers"][0]["data_head"], std::uint64_t(0) - 64);
  const json& recs = out["steps"][2]["return"]["records"];
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0]["id"], 2);  // newest first
  EXPECT_EQ(recs[1]["id"], 1);
}

TEST(PerfBufExec, PausedOutputCountsLostOnlyWithPages) {
  json out = exec(R"({"ops": [{"op": "pause"}, {"op": "output", "size": 8}, {"op": "pause", "pause": false},
                              {"op": "output", "size": 8}]})");
  EXPECT_EQ(out["steps"][1]["return"]["ret"], -28);
  EXPECT_EQ(out["steps"][1]["state"]["buffers"][0]["lost"], 1);
  EXPECT_EQ(out["steps"][3]["return"]["lost_count"], 1);
  json none = exec(R"({"params": {"nr_pages": 0}, "ops": [{"op": "output", "size": 8}]})");
  EXPECT_EQ(none["steps"][0]["return"]["ret"], -28);
  EXPECT_EQ(none["steps"][0]["state"]["buffers"][0]["lost"], 0);  // rb->nr_pages == 0: nothing counted
  EXPECT_EQ(none["steps"][0]["state"]["buffers"][0]["paused"], true);
}

TEST(PerfBufExec, WakeupEventsAndWatermarkQueueTheIrqWork) {
  json ev = exec(R"({"params": {"wakeup_events": 2}, "ops": [{"op": "output", "size": 8}, {"op": "output", "size": 8}, {"op": "poll"}, {"op": "poll"}]})");
  EXPECT_EQ(ev["steps"][0]["state"]["buffers"][0]["wakeups_queued"], 0);
  EXPECT_EQ(ev["steps"][1]["state"]["buffers"][0]["wakeups_queued"], 1);
  EXPECT_EQ(ev["steps"][2]["return"]["events"], 0x41);  // EPOLLIN | EPOLLRDNORM, then cleared
  EXPECT_EQ(ev["steps"][3]["return"]["events"], 0);
  json wm = exec(R"({"params": {"wakeup_watermark": 100}, "ops": [{"op": "output", "size": 60}, {"op": "output", "size": 60}]})");
  EXPECT_EQ(wm["steps"][0]["state"]["buffers"][0]["wakeups_queued"], 0);
  EXPECT_EQ(wm["steps"][1]["state"]["buffers"][0]["wakeups_queued"], 1);  // head 144 - 0 > 100
  EXPECT_EQ(wm["steps"][1]["state"]["buffers"][0]["wakeup"], 100);
}

TEST(PerfBufExec, BadInputIsOneLineNamingTheField) {
  auto err = [](const std::string& text) {
    try {
      exec(text);
    } catch (const scenario::ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(err(R"({"ops": [{"op": "output", "size": "big"}]})"), "x.json: ops[0].size: must be an integer, not a string");
  EXPECT_EQ(err(R"({"ops": [{"op": "output", "size": 8, "cpu": 1}]})").substr(0, 28), "x.json: ops[0].cpu: 1 is out");
  EXPECT_EQ(err(R"({"params": {"colour": 1}, "ops": []})"), "x.json: params.colour: unknown field");
  EXPECT_EQ(err(R"({"ops": {}})"), "x.json: ops: must be an array, not an object");
  EXPECT_EQ(exec(R"({"params": {"nr_pages": 3}, "ops": []})")["create"]["ret"], -22);
  EXPECT_EQ(exec(R"({"params": {"nr_pages": 512}, "ops": []})")["create"]["ret"], -12);
}

TEST(PerfBufScenario, BadInputNamesFileLineAndField) {
  auto err = [](const std::string& text) {
    try {
      auto spec = scenario::load_string(text, "s.toml");
      model::prepare(spec);
    } catch (const scenario::ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string head = "name = \"x\"\nmodel = \"perf_buf\"\n[[cpu]]\ncount = 2\n";
  EXPECT_NE(err(head + "[params]\nnr_pages = 3\n[[producer]]\ncpu = 0\n").find("s.toml:5"), std::string::npos);
  EXPECT_NE(err(head + "[[producer]]\ncpu = 0\n[[reader]]\ncpu = 1\nbuffer = 1\n").find("CPU 0's buffer has a program but no [[reader]]"),
            std::string::npos);
  EXPECT_NE(err(head + "[params]\noverwrite = true\nwrite_backward = true\n[[producer]]\ncpu = 0\n[[reader]]\ncpu = 1\n")
                .find("kind = \"read_simple\" needs a forward buffer"),
            std::string::npos);
  EXPECT_NE(err(head + "[[producer]]\ncpu = 0\nfires = 2\n").find("fires applies to interrupt contexts only"), std::string::npos);
  EXPECT_NE(err(head + "[[producer]]\ncpu = 0\n[[reader]]\nbuffer = 0\n[[reader]]\nbuffer = 0\n").find("already has a reader"),
            std::string::npos);
}
