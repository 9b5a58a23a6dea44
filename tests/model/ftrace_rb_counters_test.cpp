// tests/model/ftrace_rb_counters_test.cpp — rb_handle_head_page's overrun accounting when a
// nested writer finishes the head push it interrupted, on one exact interleaving.
//
// kernel/trace/ring_buffer.c: rb_handle_head_page reads `entries = rb_page_entries(next_page)`
// before its HEAD -> UPDATE cmpxchg and adds that local to overrun only afterwards. A softirq in
// between sees UPDATE, marks the new head, moves the tail onto the old head page
// (rb_tail_page_update: RB_WRITE_INTCNT, then local_cmpxchg of write/entries to index 0) and
// reserves there. The task must still add the count of the events that were overwritten, and the
// events the softirq put on the page afterwards are not lost.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "model/ftrace_rb/ring.h"
#include "sim/sim.h"

namespace {

using model::ftrace_rb::CpuBuffer;
using model::ftrace_rb::U64;

constexpr U64 kSoftirqId = 100;

// Two 32-byte sub-buffers, 4-byte bodies (8-byte records, four per page). The task writes nine
// events: 1-4 fill page 0, 5-8 page 1, and 9 crosses page 1 into page 0, which is the head.
class HeadPushWorkload final : public sim::Workload {
 public:
  void build(sim::Sim& s) override {
    s.set_cpus(1);
    model::ftrace_rb::Params p;
    p.subbuf_size = 32;
    p.nr_pages = 2;
    p.overwrite = true;
    buf = std::make_unique<CpuBuffer>(s, p, model::ftrace_rb::Variant{}, "cpu0");
    buf->on_overrun = [this](U64 id) { lost.push_back(id); };
    s.add_task("task", 0, [this] {
      for (U64 id = 1; id <= 9; ++id) write(id);
    });
    s.add_interrupt("softirq", 0, sim::Ctx::Softirq, 1, [this] {
      softirq_saw_update = buf->page_state(1).next_flag == model::ftrace_rb::kUpdate;
      write(kSoftirqId);
    });
  }
  void reset(sim::Sim&) override {
    buf->reset_ghost();
    lost.clear();
    softirq_saw_update = false;
  }
  void write(U64 id) {
    const std::uint8_t body[4] = {1, 2, 3, 4};
    const auto slot = buf->lock_reserve(4, id);
    ASSERT_TRUE(slot.ok) << "event " << id;
    buf->write_event(slot, body, 4, id);
    buf->unlock_commit();
  }

  std::unique_ptr<CpuBuffer> buf;
  std::vector<U64> lost;
  bool softirq_saw_update = false;
};

// Fires the softirq at the first scheduling point after the task's HEAD -> UPDATE cmpxchg on
// page 1's next pointer (that point is just before `overrun += entries`); otherwise never
// preempts and never fires.
class FireAfterClaim final : public sim::ChoiceSource {
 public:
  explicit FireAfterClaim(HeadPushWorkload& w) : w_(w) {}
  std::uint32_t pick(const sim::Option* options, std::uint32_t n, const sim::Sim&) override {
    const bool claimed = w_.buf->page_state(1).next_flag == model::ftrace_rb::kUpdate;
    for (std::uint32_t i = 0; i < n; ++i)
      if ((options[i].kind == sim::Option::Fire) == claimed) return i;
    return 0;
  }

 private:
  HeadPushWorkload& w_;
};

}  // namespace

TEST(FtraceRbCounters, NestedWriterFinishingTheHeadPushLeavesOverrunAtTheCountReadBeforeTheClaim) {
  HeadPushWorkload w;
  sim::Sim s(sim::Sim::Config{});
  s.load(w);
  FireAfterClaim source(w);
  const auto r = s.run(source);
  ASSERT_EQ(r.end, sim::ExecResult::End::Finished) << (r.violation ? r.violation->message : "error");
  ASSERT_TRUE(w.softirq_saw_update) << "the softirq did not interrupt the head push";

  const auto k = w.buf->counters();
  EXPECT_EQ(k.overrun, 4u);  // events 1-4, read by the task before the softirq reset page 0
  EXPECT_EQ(k.pages_lost, 1u);
  EXPECT_EQ(k.entries, 10u);
  EXPECT_EQ(k.committing, 0u);
  EXPECT_EQ(w.lost, (std::vector<U64>{1, 2, 3, 4}));

  // The softirq moved the tail onto page 0 and reserved first; the task's retry landed after it.
  EXPECT_EQ(w.buf->tail_page(), 0);
  EXPECT_EQ(w.buf->commit_page(), 0);
  EXPECT_EQ(w.buf->ghost_ids(0), (std::vector<U64>{kSoftirqId, 9}));
  EXPECT_EQ(w.buf->ghost_ids(1), (std::vector<U64>{5, 6, 7, 8}));
  const auto p0 = w.buf->page_state(0), p1 = w.buf->page_state(1);
  EXPECT_EQ(p0.entries, 2u);  // masked: the RB_WRITE_INTCNT bits of both tail updates are above
  EXPECT_EQ(p0.write, 16u);
  EXPECT_EQ(p0.commit, 16u);
  EXPECT_EQ(p1.entries, 4u);
  // Page 1 is the new head (HEAD on page 0's next), and the task put page 1's own pointer back to
  // NORMAL (UPDATE -> NORMAL, only the claimer does it).
  EXPECT_EQ(p0.next, 1u);
  EXPECT_EQ(p0.next_flag, model::ftrace_rb::kHead);
  EXPECT_EQ(p1.next_flag, model::ftrace_rb::kNormal);
}
