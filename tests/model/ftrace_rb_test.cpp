// tests/model/ftrace_rb_test.cpp — exact counters and page transitions of the tracing ring buffer
// model on sequences from kernel/trace/ring_buffer.c and map_test.c (exec examples), and every
// historical variant found within its budget, its schedule passing on mainline.
#include <gtest/gtest.h>

#include <fstream>

#include "model/ftrace_rb/exec.h"
#include "model/registry.h"
#include "scenarios/spec.h"
#include "sim/choice.h"
#include "sim/explorer.h"

namespace {

nlohmann::json run(const std::string& name) {
  const std::string path = std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/ftrace_rb/exec/" + name;
  std::ifstream in(path);
  nlohmann::json input;
  in >> input;
  return model::ftrace_rb::ftrace_rb_exec(input, path);
}
const nlohmann::json& st(const nlohmann::json& out, std::size_t i) { return out["steps"][i]["state"]; }
std::string path(const char* f) { return std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/ftrace_rb/" + f; }

}  // namespace

// Two 32-byte pages, 16-byte records: the fifth write pushes the head (rb_handle_head_page) and
// the first consume reports the two overwritten events as lost (rb_get_reader_page).
TEST(FtraceRbExec, OverwritePushesTheHeadAndTheReaderIsToldOfTheLoss) {
  auto out = run("overwrite-and-swap.json");
  EXPECT_EQ(out["steps"][2]["return"]["page"], 1);  // 2 x 16 filled page 0 exactly: the tail moved
  EXPECT_EQ(st(out, 4)["counters"]["overrun"], 2);
  EXPECT_EQ(st(out, 4)["counters"]["pages_lost"], 1);
  EXPECT_EQ(st(out, 4)["head"], 1);
  EXPECT_EQ(st(out, 4)["tail"], 0);
  EXPECT_EQ(out["steps"][5]["return"]["id"], 3);
  EXPECT_EQ(out["steps"][5]["return"]["lost"], 2);
  EXPECT_EQ(out["steps"][6]["return"]["lost"], 0);  // reported once
  EXPECT_EQ(st(out, 5)["reader"], 1);               // page 1 swapped out, the reader page went in
  EXPECT_EQ(st(out, 7)["counters"]["read"], 3);     // entries = read + overrun
  EXPECT_EQ(st(out, 7)["counters"]["entries"], 5);
}

// A nested writer's event is invisible until the outermost commit (rb_end_commit).
TEST(FtraceRbExec, OnlyTheOutermostCommitPublishes) {
  auto out = run("nested-commit.json");
  EXPECT_TRUE(out["steps"][2]["return"].is_null());
  EXPECT_EQ(st(out, 2)["counters"]["committing"], 1);
  EXPECT_EQ(out["steps"][4]["return"]["id"], 1);  // reservation order, not commit order
  EXPECT_EQ(out["steps"][5]["return"]["id"], 2);
}

// map_test.c: nested mappings count, resize is refused while mapped (-EBUSY), GET_READER moves
// the reader sub-buffer id and meta.reader.read, unmapping more than mapped is -ENODEV.
TEST(FtraceRbExec, MappingRulesAndGetReader) {
  auto out = run("mmap-get-reader.json");
  EXPECT_EQ(out["steps"][2]["return"]["ret"], -16);
  EXPECT_EQ(st(out, 1)["meta"]["mapped"], 2);
  EXPECT_EQ(st(out, 1)["meta"]["nr_subbufs"], 4);
  EXPECT_EQ(st(out, 12)["counters"]["overrun"], 4);
  EXPECT_EQ(st(out, 13)["meta"]["reader"]["id"], 3);
  EXPECT_EQ(st(out, 13)["meta"]["reader"]["read"], 32);
  EXPECT_EQ(st(out, 13)["meta"]["overrun"], 4);
  EXPECT_EQ(st(out, 13)["meta"]["reader"]["lost_events"], 0);  // cleared: the count is on the page
  bool flagged = false;
  for (auto& p : st(out, 13)["pages"])
    if (p["id"] == 3) flagged = (p["commit"].get<std::uint64_t>() & (1ull << 31)) && !(p["commit"].get<std::uint64_t>() & (1ull << 30));
  EXPECT_TRUE(flagged) << "RB_MISSED_EVENTS only: the sub-buffer is full, no room for the count";
  EXPECT_EQ(st(out, 14)["meta"]["reader"]["id"], 1);
  EXPECT_EQ(out["steps"][17]["return"]["ret"], -19);
  EXPECT_EQ(out["steps"][18]["return"]["ret"], 0);
}

TEST(FtraceRbExec, PreFixVariantLeavesLostEventsInTheMetaPage) {
  std::ifstream in(path("exec/mmap-get-reader.json"));
  nlohmann::json input;
  in >> input;
  input["params"]["variant"] = "pre-mmap-missed-events";
  auto out = model::ftrace_rb::ftrace_rb_exec(input, "x.json");
  EXPECT_EQ(st(out, 13)["meta"]["reader"]["lost_events"], 4);
  EXPECT_EQ(st(out, 14)["meta"]["reader"]["lost_events"], 4);  // stale on the next swap
}

TEST(FtraceRbExec, BadInputIsOneLineNamingTheField) {
  auto err = [](const std::string& text) {
    try {
      model::ftrace_rb::ftrace_rb_exec(nlohmann::json::parse(text), "x.json");
    } catch (const scenario::ScenarioError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(err(R"({"ops": [{"op": "write", "len": 8}, {"op": "write", "len": "big"}]})"), "x.json: ops[1].len: must be an integer, not a string");
  EXPECT_EQ(err(R"({"ops": [{"op": "commit"}]})"), "x.json: ops[0].op: commit with no open reservation");
  EXPECT_EQ(err(R"({"params": {"colour": 1}, "ops": []})"), "x.json: params.colour: unknown field");
}

TEST(FtraceRbBugs, FoundOnTheBuggyVariantAndTheScheduleHoldsOnMainline) {
  struct Case {
    const char* file;
    std::uint64_t budget;
  } cases[] = {{"pre_mmap_missed_events.toml", 5}, {"commit_overrun_warn.toml", 500}, {"every_commit_publishes.toml", 200}};
  for (auto& c : cases) {
    SCOPED_TRACE(c.file);
    auto spec = scenario::load_file(path(c.file));
    auto buggy = model::prepare(spec);
    auto cfg = model::engine_config(spec);
    sim::ExploreConfig ec;
    ec.executions = c.budget;
    ec.seed = 1;
    ec.strategy = spec.strategy == "pct" ? sim::Strategy::Pct : sim::Strategy::Random;
    auto found = sim::explore(buggy.factory, cfg, ec);
    ASSERT_TRUE(found.first) << "not found in " << c.budget << " executions";
    auto w = buggy.factory();
    sim::Sim s(cfg);
    s.load(*w);
    auto original = sim::rerun(s, ec.strategy, ec.seed, found.first->execution, ec.pct_depth);
    ASSERT_EQ(original.end, sim::ExecResult::End::Violation);
    const std::vector<std::uint32_t> choices = s.choices();
    auto fixed = model::prepare(spec, "mainline");
    auto fw = fixed.factory();
    sim::Sim fs(cfg);
    fs.load(*fw);
    sim::ReplaySource replay(choices, false);
    auto on_mainline = fs.run(replay);
    EXPECT_EQ(on_mainline.end, sim::ExecResult::End::Finished) << (on_mainline.violation ? on_mainline.violation->message : "error");
    // The same schedule, not a drift into another one: every recorded choice fitted (issue 18).
    EXPECT_EQ(replay.out_of_range(), 0u) << "the replay on mainline left the schedule";
  }
}

// ---- deferred wake-ups: rb_wakeups queues the per-CPU irq_work only for a waiting reader ----

#include <optional>

#include "model/ftrace_rb/ring.h"
#include "sim/rng.h"
#include "sim/sim.h"
#include "tests/sim/lambda_workload.h"

namespace {
using model::ftrace_rb::CpuBuffer;
using model::ftrace_rb::U64;

struct WaitOutcome {
  int finished = 0, stuck = 0, woken_by_irq_work = 0;
  U64 queued = 0;
};
// A writer on CPU 0 commits `n` events; with `waiter`, a reader on CPU 1 blocks in poll until the
// buffer is not empty (no stop: only the irq_work can wake it). Random schedules.
WaitOutcome run_waiter(int n, bool waiter, int executions) {
  WaitOutcome out;
  testing_support::LambdaWorkload w;
  std::optional<CpuBuffer> b;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(2);
    b.emplace(s, model::ftrace_rb::Params{}, model::ftrace_rb::Variant{}, "cpu0");
    b->enable_wakeups();
    s.add_task("writer", 0, [&, n] {
      const std::uint8_t body[8] = {1, 2, 3, 4, 5, 6, 7, 8};
      for (int i = 0; i < n; ++i) {
        const auto slot = b->lock_reserve(8, static_cast<U64>(i + 1));
        if (!slot.ok) continue;
        b->write_event(slot, body, 8, static_cast<U64>(i + 1));
        b->unlock_commit();
      }
    });
    if (waiter) s.add_task("reader", 1, [&] { b->wait({}); });
  };
  w.on_reset = [&](sim::Sim&) { b->reset_ghost(); };
  sim::Sim s({});
  s.load(w);
  for (int i = 0; i < executions; ++i) {
    sim::RandomSource src(sim::derive_seed(11, static_cast<U64>(i)));
    sim::ExecResult r = s.run(src);
    if (r.end == sim::ExecResult::End::Finished) ++out.finished;
    if (r.end == sim::ExecResult::End::Violation && r.violation->property == sim::Property::Deadlock) ++out.stuck;
    if (r.interrupts > 0) ++out.woken_by_irq_work;
    out.queued += b->wakeups_queued();
  }
  return out;
}
}  // namespace

TEST(FtraceRbWakeup, NoIrqWorkWithoutAWaitingReader) {
  WaitOutcome o = run_waiter(3, false, 50);
  EXPECT_EQ(o.finished, 50);
  EXPECT_EQ(o.woken_by_irq_work, 0);
  EXPECT_EQ(o.queued, 0u);
}

TEST(FtraceRbWakeup, IrqWorkWakesAWaitingReader) {
  WaitOutcome o = run_waiter(2, true, 500);
  EXPECT_EQ(o.finished, 500);              // never a lost wake-up
  EXPECT_GT(o.woken_by_irq_work, 0);       // the reader announced itself and the irq_work ran
  EXPECT_GT(o.queued, 0u);
  EXPECT_LE(o.queued, 500u * 2);           // at most one per commit (flag cleared when queued)
  // Control: nothing written, nothing wakes the reader.
  WaitOutcome none = run_waiter(0, true, 50);
  EXPECT_EQ(none.stuck, 50);
}

// tools/testing/selftests/ring-buffer/map_test.c, meta_page_check, in our words
// (scenarios/ftrace_rb/exec/map-test-meta-page-check.json; the kernel source gives the same file
// field by field, tests/kernel/ftrace_rb_kernel_test.cpp): a fresh mapping shows no entries, no
// overrun, nothing read, reader sub-buffer 0 at offset 0; GET_READER on an empty buffer keeps id 0;
// after 16 events two GET_READERs both show entries 16, overrun 0, read 16, reader sub-buffer 1.
TEST(FtraceRbExec, MapTestMetaPageCheck) {
  auto out = run("map-test-meta-page-check.json");
  const auto& m0 = st(out, 0)["meta"];
  // tracefs_cpu_map maps one page again only if meta_struct_len is above it: 80, no re-map
  EXPECT_EQ(m0["meta_struct_len"], 80);
  EXPECT_EQ(m0["meta_page_size"], 4096);
  EXPECT_EQ(m0["entries"], 0);
  EXPECT_EQ(m0["overrun"], 0);
  EXPECT_EQ(m0["read"], 0);
  EXPECT_EQ(m0["reader"]["id"], 0);
  EXPECT_EQ(m0["reader"]["read"], 0);
  EXPECT_EQ(st(out, 1)["meta"]["reader"]["id"], 0);
  for (std::size_t i : {18u, 19u}) {
    const auto& m = st(out, i)["meta"];
    EXPECT_EQ(m["entries"], 16);
    EXPECT_EQ(m["overrun"], 0);
    EXPECT_EQ(m["read"], 16);
    EXPECT_EQ(m["reader"]["id"], 1);
  }
}

// map_test.c, data_mmap, in our words (scenarios/ftrace_rb/exec/map-test-data-mmap.json): every
// sub-buffer after the meta page maps, and so does one fewer; a range running one sub-buffer past
// the end is refused (-EINVAL), a writable mapping too (-EPERM), an unaligned offset (-EINVAL); the
// mappings unmap one by one and one unmap more is -ENODEV.
TEST(FtraceRbExec, MapTestDataMmap) {
  auto out = run("map-test-data-mmap.json");
  const int want[] = {0, 0, 0, 0, 0, -22, -1, -22, 0, -19};
  for (std::size_t i = 0; i < std::size(want); ++i) EXPECT_EQ(out["steps"][i]["return"]["ret"], want[i]) << "op " << i;
  EXPECT_EQ(st(out, 5)["meta"]["mapped"], 1);
}
