// tests/model/ftrace_rb_defects_test.cpp — the tracing ring buffer model's conformance defects
// that the comparison with kernel/trace/ring_buffer.c (Debian's linux-source-6.12, issue 15) found,
// each pinned to the kernel's behaviour with the kernel line it follows. Each test fails on the
// model as it was before its fix (the old value is named in the test).
#include <gtest/gtest.h>

#include <string>

#include "model/ftrace_rb/exec.h"
#include "model/ftrace_rb/ring.h"
#include "sim/sim.h"

namespace {

using nlohmann::json;

json exec(const std::string& text) { return model::ftrace_rb::ftrace_rb_exec(json::parse(text), "defects.json"); }
const json& ret(const json& out, std::size_t i) { return out["steps"][i]["return"]; }
const json& st(const json& out, std::size_t i) { return out["steps"][i]["state"]; }

}  // namespace

// rb_calculate_event_length (ring_buffer.c:3726-3755): an 8-byte body is 4 + 8 = 12, which
// becomes 16 (3752: room for a time extend and a padding record); above RB_MAX_SMALL_DATA (112)
// the length word array[0] adds 4 (3734). The model gave 12 and 204 for 200.
TEST(FtraceRbDefects, EventLengthIsRbCalculateEventLength) {
  using model::ftrace_rb::event_length;
  EXPECT_EQ(event_length(0), 8u);
  EXPECT_EQ(event_length(4), 8u);
  EXPECT_EQ(event_length(8), 16u);
  EXPECT_EQ(event_length(12), 16u);
  EXPECT_EQ(event_length(112), 116u);
  EXPECT_EQ(event_length(113), 124u);
  EXPECT_EQ(event_length(200), 208u);
  const json out = exec(R"({"params": {"subbuf_size": 64, "nr_subbufs": 2},
                            "ops": [{"op": "write", "len": 8}, {"op": "write", "len": 8}]})");
  EXPECT_EQ(ret(out, 0)["length"], 16);
  EXPECT_EQ(ret(out, 1)["offset"], 16);
}

// ring_buffer_lock_reserve (ring_buffer.c:4626) refuses length > max_data_size, which
// ring_buffer.c:2427 sets to the capacity minus 8. With 64 data bytes: 56 fits, 57 is NULL. The
// model accepted up to 60 (capacity minus its 4-byte header).
TEST(FtraceRbDefects, LargestEventIsSubbufSizeMinus8) {
  const json out = exec(R"({"params": {"subbuf_size": 64, "nr_subbufs": 2},
                            "ops": [{"op": "write", "len": 56}, {"op": "write", "len": 57}, {"op": "write", "len": 60}]})");
  EXPECT_EQ(ret(out, 0)["ok"], true);
  EXPECT_EQ(ret(out, 0)["length"], 60);
  EXPECT_EQ(ret(out, 1)["ok"], false);
  EXPECT_EQ(ret(out, 1)["fail"], "too-big");
  EXPECT_EQ(ret(out, 2)["fail"], "too-big");
}

// rb_setup_ids_meta_page (ring_buffer.c:7031-7032): meta->subbuf_size = rb_subbuf_size, the
// whole sub-buffer with its 16-byte header (PAGE_SIZE << order: 4096 for 4080 data bytes), and
// meta_page_size the same. The model reported the data bytes (4080).
TEST(FtraceRbDefects, MetaPageSubbufSizeCountsTheHeader) {
  const json out = exec(R"({"params": {"subbuf_size": 4080, "nr_subbufs": 2}, "ops": [{"op": "map"}]})");
  EXPECT_EQ(st(out, 0)["meta"]["subbuf_size"], 4096);
}

// ring_buffer_read_page (ring_buffer.c:6642-6702): a fully unread reader page that is not the
// commit page is swapped, not copied: the reader page comes back empty (read 0, commit 0) and
// read/read_bytes grow by its entries and size; the copy path (a partly read page) returns 0
// (6681), not the read offset, and stores the missed count (6711-6719). The model always copied
// and returned the offset it started from.
TEST(FtraceRbDefects, ReadPageSwapsAWholePageAndCopiesFromOffsetZero) {
  // Two 16-byte records fill page 0; the third moves the tail: page 0 is then not the commit page.
  const json swap = exec(R"({"params": {"subbuf_size": 32, "nr_subbufs": 3},
                             "ops": [{"op": "write", "len": 12}, {"op": "write", "len": 12}, {"op": "write", "len": 12},
                                     {"op": "read_page"}]})");
  EXPECT_EQ(ret(swap, 3)["ret"], 0);
  EXPECT_EQ(ret(swap, 3)["ids"], json::array({1, 2}));
  const json& s = st(swap, 3);
  EXPECT_EQ(s["counters"]["read"], 2);
  EXPECT_EQ(s["counters"]["read_bytes"], 32);
  const json& rp = s["pages"].back();  // the reader page comes last
  EXPECT_EQ(rp["read"], 0);
  EXPECT_EQ(rp["commit"], 0);
  // A consume first: the page is partly read, so the rest is copied and the call returns 0.
  const json copy = exec(R"({"params": {"subbuf_size": 32, "nr_subbufs": 3},
                             "ops": [{"op": "write", "len": 12}, {"op": "write", "len": 12}, {"op": "write", "len": 12},
                                     {"op": "consume"}, {"op": "read_page"}]})");
  EXPECT_EQ(ret(copy, 4)["ret"], 0);
  EXPECT_EQ(ret(copy, 4)["ids"], json::array({2}));
  EXPECT_EQ(st(copy, 4)["pages"].back()["read"], 32);
  // Overwritten events before a copy: the count is stored in the page handed out (room: 16 bytes).
  const json lost = exec(R"({"params": {"subbuf_size": 32, "nr_subbufs": 2},
                             "ops": [{"op": "write", "len": 12}, {"op": "write", "len": 12}, {"op": "write", "len": 12},
                                     {"op": "write", "len": 12}, {"op": "write", "len": 12}, {"op": "consume"},
                                     {"op": "read_page"}]})");
  EXPECT_EQ(ret(lost, 5)["lost"], 2);
  EXPECT_EQ(ret(lost, 6)["ret"], 0);
  EXPECT_EQ(ret(lost, 6)["missed"], 0);  // reported once, with the consume
}

// ring_buffer_map_get_reader (ring_buffer.c:7371-7391): a new reader page closed by a crossing
// event ends at real_end (commit = real_end), the missed count is stored when at least 8 bytes
// are free, and RB_MISSED_EVENTS is local_add'ed as the int (1 << 31), sign-extended. With 32-byte
// sub-buffers and 12-byte bodies (16-byte records) two fill a page exactly (real_end 0); with
// 8-byte bodies (16) likewise; with 20-byte bodies (24) one record and 8 bytes of padding:
// real_end 24, and the count fits after it (32 - 24 = 8). The model kept the padded commit (32)
// and required more than 8 free bytes, so it stored nothing.
TEST(FtraceRbDefects, GetReaderEndsThePageAtRealEndAndStoresTheMissedCount) {
  const json out = exec(R"({"params": {"subbuf_size": 32, "nr_subbufs": 2},
                            "ops": [{"op": "map"}, {"op": "write", "len": 20}, {"op": "write", "len": 20},
                                    {"op": "write", "len": 20}, {"op": "write", "len": 20}, {"op": "get_reader"}]})");
  const json& s = st(out, 5);
  EXPECT_GT(s["counters"]["overrun"].get<int>(), 0);
  const int reader = s["reader"];
  json rp;
  for (const auto& p : s["pages"])
    if (p["index"] == reader) rp = p;
  const std::uint64_t commit = rp["commit"];
  EXPECT_EQ(commit & model::ftrace_rb::kSizeMask, 24u);
  EXPECT_NE(commit & model::ftrace_rb::kMissedStored, 0u);
  EXPECT_EQ(commit >> 32, 0xffffffffu);  // the sign-extended RB_MISSED_EVENTS
}

// rb_tail_page_update (ring_buffer.c:1510-1511): pages_touched grows only when this writer's
// cmpxchg of tail_page succeeds. The model counted before the tail check, so a writer that found
// the tail already moved by a nested writer counted too. Here a softirq interrupts the task right
// after the task's reservation crossed the end of page 0: the softirq moves the tail to page 1
// (one page touched) and the task's own tail update then finds the tail moved: still one (the
// model counted two).
namespace {
class TouchWorkload final : public sim::Workload {
 public:
  void build(sim::Sim& s) override {
    s.set_cpus(1);
    model::ftrace_rb::Params p;
    p.subbuf_size = 32;
    p.nr_pages = 3;
    buf = std::make_unique<model::ftrace_rb::CpuBuffer>(s, p, model::ftrace_rb::Variant{}, "cpu0");
    s.add_task("task", 0, [this] {
      for (std::uint64_t id = 1; id <= 3; ++id) write(id);
    });
    s.add_interrupt("softirq", 0, sim::Ctx::Softirq, 1, [this] {
      fired = true;
      write(100);
    });
  }
  void reset(sim::Sim&) override {
    buf->reset_ghost();
    fired = false;
  }
  void write(std::uint64_t id) {
    const std::uint8_t body[12] = {};
    const auto slot = buf->lock_reserve(12, id);
    ASSERT_TRUE(slot.ok);
    buf->write_event(slot, body, 12, id);
    buf->unlock_commit();
  }
  std::unique_ptr<model::ftrace_rb::CpuBuffer> buf;
  bool fired = false;
};
// Fires the softirq once page 0's write index is past its end (the task's crossing add, before
// rb_move_tail); otherwise never preempts.
class FireAfterCrossing final : public sim::ChoiceSource {
 public:
  explicit FireAfterCrossing(TouchWorkload& w) : w_(w) {}
  std::uint32_t pick(const sim::Option* options, std::uint32_t n, const sim::Sim&) override {
    const bool crossed = w_.buf->page_state(0).write > 32;
    for (std::uint32_t i = 0; i < n; ++i)
      if ((options[i].kind == sim::Option::Fire) == crossed) return i;
    return 0;
  }

 private:
  TouchWorkload& w_;
};
}  // namespace

TEST(FtraceRbDefects, PagesTouchedCountsOnlyTheWritersOwnTailMove) {
  TouchWorkload w;
  sim::Sim s(sim::Sim::Config{});
  s.load(w);
  FireAfterCrossing source(w);
  const auto r = s.run(source);
  ASSERT_EQ(r.end, sim::ExecResult::End::Finished) << (r.violation ? r.violation->message : "error");
  ASSERT_TRUE(w.fired);
  EXPECT_EQ(w.buf->tail_page(), 1);
  EXPECT_EQ(w.buf->counters().pages_touched, 1u);
}
