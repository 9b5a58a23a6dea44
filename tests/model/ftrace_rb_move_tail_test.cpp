// tests/model/ftrace_rb_move_tail_test.cpp — rb_move_tail's commit-overrun rule
// (kernel/trace/ring_buffer.c:3567): an event is dropped for commit overrun only when the commit
// is still on the reader page *and behind the tail*. A writer whose tail is itself on the reader
// page (the reader swapped out the page the writer was filling) moves on to the head page. Issue
// 18: weakening the condition was caught only by a regression schedule's trace hash.
#include <gtest/gtest.h>

#include <memory>

#include "model/ftrace_rb/exec.h"
#include "model/ftrace_rb/ring.h"
#include "sim/choice.h"
#include "sim/sim.h"

namespace {

nlohmann::json run(const std::string& mode, std::vector<nlohmann::json> ops) {
  nlohmann::json in = {{"params", {{"subbuf_size", 32}, {"nr_subbufs", 2}, {"mode", mode}}}, {"ops", ops}};
  return model::ftrace_rb::ftrace_rb_exec(in, "move-tail.json");
}
nlohmann::json write(int len) { return {{"op", "write"}, {"len", len}}; }
nlohmann::json consume() { return {{"op", "consume"}}; }

}  // namespace

// One event, consumed: the reader's swap takes the page holding the tail, so tail = commit =
// reader page. The next writes fill it and cross into the head page: none is dropped, and every
// event is read back in order.
TEST(FtraceRbMoveTail, ATailOnTheReaderPageMovesToTheHeadPageWithoutACommitOverrun) {
  for (const std::string mode : {"overwrite", "no-overwrite"}) {
    SCOPED_TRACE(mode);
    auto out = run(mode, {write(12), consume(), write(12), write(12), write(12), consume(), consume(), consume(), consume()});
    ASSERT_FALSE(out.contains("violation")) << out.dump();
    const auto& s = out["steps"];
    EXPECT_EQ(s[1]["return"]["id"], 1);
    EXPECT_EQ(s[1]["state"]["tail"], s[1]["state"]["reader"]) << "the swap took the tail's page";
    EXPECT_EQ(s[3]["return"]["ok"], true);
    EXPECT_EQ(s[4]["return"]["ok"], true) << "the write that crosses the reader page's end";
    EXPECT_EQ(s[4]["return"]["fail"], "");
    EXPECT_NE(s[4]["state"]["tail"], s[4]["state"]["reader"]) << "the tail moved off the reader page";
    EXPECT_EQ(s[4]["state"]["counters"]["commit_overrun"], 0);
    EXPECT_EQ(s[5]["return"]["id"], 2);
    EXPECT_EQ(s[6]["return"]["id"], 3);
    EXPECT_EQ(s[7]["return"]["id"], 4);
    EXPECT_TRUE(s[8]["return"].is_null());
    EXPECT_EQ(s[8]["state"]["counters"]["commit_overrun"], 0);
  }
}

namespace {

using model::ftrace_rb::CpuBuffer;
using model::ftrace_rb::U64;

// scenarios/ftrace_rb/quickstart.toml's shape: a task writer on CPU 0 (10 events of 4-20 bytes), a
// hardirq nested on CPU 0 (2 events of 8 bytes, twice) and a live consumer on CPU 1, on 4
// overwrite pages of 64 bytes. The nested writers hold at most 64 bytes, so they can never lap the
// ring onto the task's uncommitted event: no commit overrun is correct under every schedule. The
// consumer's next swap rewrites the reader page's next pointer while a writer's tail may still be
// on that page (rb_move_tail then sees the pointer MOVED with commit = tail = reader page).
class WritersAndALiveReader final : public sim::Workload {
 public:
  void build(sim::Sim& s) override {
    s.set_cpus(2);
    model::ftrace_rb::Params p;
    p.subbuf_size = 64;
    p.nr_pages = 4;
    p.overwrite = true;
    buf = std::make_unique<CpuBuffer>(s, p, model::ftrace_rb::Variant{}, "cpu0");
    s.add_task("writer", 0, [this] {
      for (U64 id = 1; id <= 10; ++id) write(id, static_cast<std::uint32_t>(4 + (id * 7) % 17));
      done = true;
    });
    s.add_interrupt("hardirq", 0, sim::Ctx::Hardirq, 2, [this] {
      for (int i = 0; i < 2; ++i) write(next_irq_id++, 8);
    });
    s.add_task("reader", 1, [this, &s] {
      model::ftrace_rb::ReadEvent e;
      for (int idle = 0; idle < 2;) {
        if (buf->consume(e)) continue;
        if (done) ++idle;
        s.yield();
      }
    });
  }
  void reset(sim::Sim&) override {
    buf->reset_ghost();
    done = false;
    next_irq_id = 100;
  }
  void write(U64 id, std::uint32_t len) {
    const std::uint8_t body[20] = {};
    const auto slot = buf->lock_reserve(len, id);
    if (!slot.ok) return;  // NULL from ring_buffer_lock_reserve: nothing to commit
    if (buf->write_event(slot, body, len, id)) buf->unlock_commit();
  }
  std::unique_ptr<CpuBuffer> buf;
  bool done = false;  // ghost: the reader's loop ends two empty passes after the task finished
  U64 next_irq_id = 100;
};

}  // namespace

// Under many random and PCT schedules, no event is ever dropped for commit overrun: rb_move_tail
// drops only when the commit is on the reader page *behind the tail* (`commit_page != tail_page`).
TEST(FtraceRbMoveTail, NestedWritersThatCannotLapTheRingNeverCommitOverrun) {
  WritersAndALiveReader w;
  sim::Sim s({});
  s.load(w);
  for (std::uint64_t seed = 1; seed <= 6000; ++seed) {
    sim::RandomSource rnd(seed);
    sim::PctSource pct(seed, 3, 1500);
    auto r = seed % 2 ? s.run(rnd) : s.run(pct);
    ASSERT_FALSE(r.violation) << "seed " << seed << ": " << r.violation->message;
    ASSERT_EQ(w.buf->counters().commit_overrun, 0u) << "seed " << seed << (seed % 2 ? " random" : " pct");
  }
}
