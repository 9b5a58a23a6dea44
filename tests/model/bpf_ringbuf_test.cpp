// tests/model/bpf_ringbuf_test.cpp — pins the BPF ring buffer model (model/bpf_ringbuf/) to
// kernel/bpf/ringbuf.c and tools/lib/bpf/ringbuf.c on exact sequences: creation errors, record
// footprints, the largest sample, the fill count, busy records holding back later commits,
// discard, callback errors, consume_n, the wakeup rule, output/query/dynptr and overwrite mode.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "model/bpf_ringbuf/consumer.h"
#include "model/bpf_ringbuf/ringbuf.h"
#include "sim/choice.h"
#include "sim/sim.h"

using namespace model::bpf_ringbuf;
using U64 = std::uint64_t;

namespace {

/// One task on CPU 0 of a fresh Sim, no scheduling choices; rings + one libbpf ring_buffer.
struct Harness final : sim::Workload {
  Params params;
  Variant variant;
  int n_rings = 1;
  RingBuffer::Config libbpf;
  std::function<void(Harness&)> body;
  std::vector<std::unique_ptr<Ring>> rings;
  std::optional<RingBuffer> rb;
  std::vector<U64> delivered;  // positions, in delivery order
  int calls = 0, fail_at = 0, fail_ret = -1;
  U64 next_id = 1;

  void build(sim::Sim& s) override {
    for (int i = 0; i < n_rings; ++i) rings.push_back(std::make_unique<Ring>(s, params, variant, "rb" + std::to_string(i)));
    rb.emplace(s, "ring_buffer", libbpf);
    for (auto& r : rings)
      rb->add(*r, [this](int, RingApi&, U64 pos, U64, std::uint32_t) {
        delivered.push_back(pos);
        return ++calls == fail_at ? fail_ret : 0;
      });
    s.add_task("test", 0, [this] { body(*this); });
  }
  Ring& ring(int i = 0) { return *rings[static_cast<std::size_t>(i)]; }
  /// reserve + fill + submit; returns the record.
  Record put(U64 size, U64 flags = 0, int i = 0) {
    Record r = ring(i).reserve(size);
    if (r.ok) {
      std::vector<std::uint8_t> data(size, 0xab);
      ring(i).write_sample(r, 0, data.data(), size, next_id++);
      ring(i).submit(r, flags);
    }
    return r;
  }
  int consume(int fail = 0, int ret = -1) {
    calls = 0;
    fail_at = fail;
    fail_ret = ret;
    delivered.clear();
    return rb->consume();
  }
};

void run(Harness& h) {
  sim::Sim::Config cfg;
  cfg.step_bound = 10'000'000;
  cfg.stack_size = 256 * 1024;
  sim::Sim s(cfg);
  s.load(h);
  sim::ReplaySource zeros({}, false);
  sim::ExecResult r = s.run(zeros);
  ASSERT_EQ(r.end, sim::ExecResult::End::Finished) << (r.violation ? r.violation->message : "internal error");
}

Variant named(bool rq, bool pending, bool size_check, bool overwrite) {
  Variant v;
  v.rqspinlock = rq;
  v.pending_pos = pending;
  v.size_check = size_check;
  v.overwrite_supported = overwrite;
  return v;
}

}  // namespace

TEST(BpfRingbufCreate, ErrorsAsRingbufMapAlloc) {
  Variant mainline;
  Variant old = named(false, true, true, false);
  auto err = [](std::uint32_t n, U64 flags, const Variant& v, std::uint32_t key = 0) {
    Params p;
    p.max_entries = n;
    p.map_flags = flags;
    p.key_size = key;
    return Ring::validate(p, v, nullptr);
  };
  EXPECT_EQ(err(4096, 0, mainline), 0);
  EXPECT_EQ(err(1u << 24, 0, mainline), 0);
  EXPECT_EQ(err(4096, kFNumaNode, mainline), 0);
  EXPECT_EQ(err(4096, kFRbOverwrite, mainline), 0);
  EXPECT_EQ(err(4096, kFRbOverwrite, old), -kEINVAL);  // unknown before 6.19
  EXPECT_EQ(err(4096, 1, mainline), -kEINVAL);          // BPF_F_NO_PREALLOC is not a ringbuf flag
  EXPECT_EQ(err(4096, 0, mainline, 4), -kEINVAL);       // key_size
  EXPECT_EQ(err(0, 0, mainline), -kEINVAL);
  EXPECT_EQ(err(3 * 4096, 0, mainline), -kEINVAL);      // not a power of two
  EXPECT_EQ(err(2048, 0, mainline), -kEINVAL);          // not page aligned
  EXPECT_EQ(err(1u << 31, 0, mainline), -kENOMEM);      // the model's allocation limit
}

TEST(BpfRingbufSizing, FootprintsPgOffAndTheLargestSample) {
  EXPECT_EQ(footprint(0), 8u);
  EXPECT_EQ(footprint(1), 16u);
  EXPECT_EQ(footprint(8), 16u);
  EXPECT_EQ(footprint(9), 24u);
  EXPECT_EQ(footprint(16 | kBusyBit), 24u);
  EXPECT_EQ(footprint(16 | kDiscardBit), 24u);
  EXPECT_EQ(Ring::pg_off_of(0), 3u);      // one private page + consumer page + producer page
  EXPECT_EQ(Ring::pg_off_of(4096), 4u);
  Harness h;
  h.body = [](Harness& t) {
    Record big = t.ring().reserve(4081);  // footprint 4096 == size: "<= mask" never lets it fit
    EXPECT_FALSE(big.ok);
    EXPECT_EQ(big.fail, Record::Fail::NoSpace);
    Record too_big = t.ring().reserve(4089);  // footprint 4104 > size
    EXPECT_EQ(too_big.fail, Record::Fail::TooBig);
    EXPECT_EQ(t.ring().reserve(kMaxRecordSz + 1).fail, Record::Fail::TooBig);
    EXPECT_EQ(t.ring().reserve(16, 1).fail, Record::Fail::Flags);
    Record largest = t.ring().reserve(4080);  // size - 16
    ASSERT_TRUE(largest.ok);
    EXPECT_EQ(largest.len, 4088u);
    EXPECT_EQ(t.ring().state().producer_pos, 4088u);
    EXPECT_EQ(t.ring().header_at(0).len, 4080u | kBusyBit);
    EXPECT_EQ(t.ring().header_at(0).pg_off, 3u);
  };
  run(h);
}

TEST(BpfRingbufSizing, PreCve20213489AnswersNoSpaceNotTooBig) {
  Harness h;
  h.variant = named(false, false, false, false);
  h.body = [](Harness& t) { EXPECT_EQ(t.ring().reserve(4089).fail, Record::Fail::NoSpace); };
  run(h);
}

TEST(BpfRingbufSizing, FillCountOfA4096ByteRing) {
  Harness h;
  h.body = [](Harness& t) {
    int n = 0;
    while (t.put(8).ok) ++n;
    EXPECT_EQ(n, 255);  // 255 * 16 = 4080; one more would make prod - cons = 4096 > mask
    EXPECT_EQ(t.ring().state().producer_pos, 4080u);
    EXPECT_EQ(t.ring().query(kAvailData), 4080u);
    EXPECT_EQ(t.consume(), 255);
    n = 0;
    while (t.put(0).ok) ++n;  // 8-byte records
    EXPECT_EQ(n, 511);
    EXPECT_EQ(t.ring().state().producer_pos, 4080u + 511 * 8);
  };
  run(h);
}

TEST(BpfRingbufConsumer, ABusyRecordHoldsBackLaterCommitsWithoutLosingThem) {
  Harness h;
  h.body = [](Harness& t) {
    Record a = t.ring().reserve(10), b = t.ring().reserve(16);
    EXPECT_EQ(a.pos, 0u);
    EXPECT_EQ(b.pos, 24u);
    t.ring().submit(b, 0);
    EXPECT_EQ(t.consume(), 0);
    EXPECT_EQ(t.ring().state().consumer_pos, 0u);  // not stored for a busy record
    EXPECT_EQ(t.ring().map_poll(), 0x41);           // but the ring is "ready" (level-triggered)
    t.ring().submit(a, 0);
    EXPECT_EQ(t.consume(), 2);
    EXPECT_EQ(t.delivered, (std::vector<U64>{0, 24}));
    EXPECT_EQ(t.ring().state().consumer_pos, 48u);
    EXPECT_EQ(t.ring().map_poll(), 0);
  };
  run(h);
}

TEST(BpfRingbufConsumer, DiscardedRecordsAreSkippedUncountedAndConsumed) {
  Harness h;
  h.body = [](Harness& t) {
    Record a = t.ring().reserve(8), b = t.ring().reserve(8);
    t.ring().discard(a, 0);
    EXPECT_EQ(t.ring().wakeups_queued(), 1u);  // discard wakes under the same rule
    EXPECT_TRUE(t.ring().header_at(0).discarded());
    t.ring().submit(b, 0);
    EXPECT_EQ(t.consume(), 1);
    EXPECT_EQ(t.delivered, (std::vector<U64>{16}));
    EXPECT_EQ(t.ring().state().consumer_pos, 32u);
  };
  run(h);
}

TEST(BpfRingbufConsumer, ANegativeCallbackConsumesItsRecordAndAborts) {
  Harness h;
  h.body = [](Harness& t) {
    for (int i = 0; i < 3; ++i) t.put(8);
    EXPECT_EQ(t.consume(2, -5), -5);
    EXPECT_EQ(t.delivered, (std::vector<U64>{0, 16}));
    EXPECT_EQ(t.ring().state().consumer_pos, 32u);  // the failing record is released
    EXPECT_EQ(t.consume(), 1);
    EXPECT_EQ(t.delivered, (std::vector<U64>{32}));
  };
  run(h);
}

TEST(BpfRingbufConsumer, ConsumeNStopsAfterNAndWalksRingsInOrder) {
  Harness h;
  h.n_rings = 2;
  h.body = [](Harness& t) {
    for (int i = 0; i < 3; ++i) t.put(8, 0, 0);
    for (int i = 0; i < 2; ++i) t.put(8, 0, 1);
    EXPECT_EQ(t.rb->consume_n(2), 2);
    EXPECT_EQ(t.ring(0).state().consumer_pos, 32u);
    EXPECT_EQ(t.rb->consume_n(2), 2);  // ring 0's last, then one of ring 1
    EXPECT_EQ(t.ring(0).state().consumer_pos, 48u);
    EXPECT_EQ(t.ring(1).state().consumer_pos, 16u);
    EXPECT_EQ(t.rb->ring_consume_n(1, 5), 1);
    EXPECT_EQ(t.rb->consume_n(3), 0);
    t.put(8, 0, 0);
    t.put(8, 0, 1);
    EXPECT_EQ(t.rb->consume_n(0), 2);  // n == 0 still delivers one per ring (the check follows the record)
  };
  run(h);
}

TEST(BpfRingbufConsumer, IntMaxCapsAndTheOldSignedOverflow) {
  for (bool old : {false, true}) {
    Harness h;
    h.libbpf.int_bits = 4;  // INT_MAX = 7
    h.libbpf.int_overflow = old;
    h.body = [old](Harness& t) {
      for (int i = 0; i < 10; ++i) t.put(8);
      if (old) {
        EXPECT_EQ(t.consume(), -6);  // 10 wraps in a 4-bit int
        EXPECT_EQ(t.ring().state().consumer_pos, 160u);
      } else {
        EXPECT_EQ(t.consume(), 7);  // ringbuf_process_ring(ring, INT_MAX) stops at 7
        EXPECT_EQ(t.consume(), 3);
      }
    };
    run(h);
  }
}

TEST(BpfRingbufWakeup, OnlyWhenTheConsumerSitsAtThisRecordUnlessForcedOrSuppressed) {
  Harness h;
  h.body = [](Harness& t) {
    Ring& r = t.ring();
    Record a = r.reserve(8), b = r.reserve(8);
    r.submit(b, 0);
    EXPECT_EQ(r.wakeups_queued(), 0u);  // the consumer (at 0) will reach b anyway
    r.submit(a, kNoWakeup);
    EXPECT_EQ(r.wakeups_queued(), 0u);  // at the consumer, but suppressed
    Record c = r.reserve(8);
    r.submit(c, kForceWakeup);
    EXPECT_EQ(r.wakeups_queued(), 1u);  // forced though the consumer is elsewhere
    Record d = r.reserve(8);
    r.submit(d, kForceWakeup | kNoWakeup);  // FORCE wins, but the irq_work is still pending: coalesced
    EXPECT_EQ(r.wakeups_queued(), 1u);
    EXPECT_TRUE(r.wakeup_pending());
    EXPECT_EQ(t.consume(), 4);
    Record e = r.reserve(8);
    r.submit(e, 0);  // the consumer caught up to e; the pending work coalesces this one too
    EXPECT_EQ(r.wakeups_queued(), 1u);
  };
  run(h);
}

TEST(BpfRingbufHelpers, OutputQueryAndDynptrReturnCodes) {
  Harness h;
  h.body = [](Harness& t) {
    Ring& r = t.ring();
    std::vector<std::uint8_t> data(4096, 1);
    EXPECT_EQ(r.output(data.data(), 8, 4, 1), -kEINVAL);  // unknown flag
    EXPECT_EQ(r.output(data.data(), 8, kNoWakeup, 1), 0);
    EXPECT_EQ(r.output(data.data(), 4081, 0, 2), -kEAGAIN);
    EXPECT_EQ(r.query(kRingSize), 4096u);
    EXPECT_EQ(r.query(kProdPos), 16u);
    EXPECT_EQ(r.query(kConsPos), 0u);
    EXPECT_EQ(r.query(kAvailData), 16u);
    EXPECT_EQ(r.query(kOverwritePos), 0u);
    EXPECT_EQ(r.query(99), 0u);
    Record d;
    EXPECT_EQ(r.reserve_dynptr(8, 1, &d), -kEINVAL);
    EXPECT_FALSE(d.ok);
    EXPECT_EQ(r.reserve_dynptr(kDynptrMaxSize + 1, 0, &d), -kE2BIG);
    EXPECT_EQ(r.reserve_dynptr(4081, 0, &d), -kEINVAL);  // no space
    r.submit_dynptr(d, 0);  // a null dynptr: no-op
    EXPECT_EQ(r.query(kProdPos), 16u);
    EXPECT_EQ(r.reserve_dynptr(8, 0, &d), 0);
    r.discard_dynptr(d, 0);
    EXPECT_FALSE(d.ok);
    EXPECT_TRUE(r.header_at(16).discarded());
  };
  run(h);
}

TEST(BpfRingbufPendingPos, ALyingConsumerCannotMakeBusyRecordsOverlap) {
  for (bool pending : {true, false}) {
    Harness h;
    h.variant = named(true, pending, true, true);
    h.body = [pending](Harness& t) {
      Ring& r = t.ring();
      r.store_consumer_pos(3072);  // user space lies
      Record a = r.reserve(3064);
      ASSERT_TRUE(a.ok);
      Record b = r.reserve(3064);
      EXPECT_EQ(b.ok, !pending);  // before cfa1a2329a69 B is handed out over A's header
      if (pending) {
        EXPECT_EQ(b.fail, Record::Fail::NoSpace);
        EXPECT_EQ(r.state().pending_pos, 0u);
      }
    };
    run(h);
  }
}

TEST(BpfRingbufOverwrite, OverwritesTheOldestCommittedRecordsButNeverABusyOne) {
  Harness h;
  h.params.map_flags = kFRbOverwrite;
  h.body = [](Harness& t) {
    Ring& r = t.ring();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(t.put(1024).ok);  // footprint 1032
    ASSERT_TRUE(t.put(1024).ok);
    EXPECT_EQ(r.state().overwrite_pos, 1032u);
    EXPECT_EQ(r.query(kOverwritePos), 1032u);
    EXPECT_EQ(r.query(kAvailData), 4128u - 1032u);
    Record busy = r.reserve(1024);  // at 4128
    ASSERT_TRUE(busy.ok);
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(t.put(1024).ok);
    EXPECT_FALSE(r.reserve(1024).ok);  // would overwrite the busy record
    EXPECT_EQ(r.state().pending_pos, 4128u);
  };
  run(h);
}

namespace {
// A task on CPU 0 reserves and submits 4 records; an NMI on CPU 0 reserves one. Random schedules;
// returns how often the NMI's reserve failed on the lock, and fails the test on any violation.
int nmi_lock_failures(const Variant& v, int executions) {
  struct W final : sim::Workload {
    Variant v;
    std::optional<Ring> ring;
    int lock_failures = 0;
    void build(sim::Sim& s) override {
      s.set_cpus(2);
      ring.emplace(s, Params{}, v, "rb");
      s.add_task("task", 0, [this] {
        for (int i = 0; i < 4; ++i) {
          Record r = ring->reserve(8);
          if (r.ok) ring->submit(r, 0);
        }
      });
      s.add_interrupt("nmi", 0, sim::Ctx::Nmi, 1, [this] {
        Record r = ring->reserve(8);
        if (r.ok) ring->submit(r, 0);
        else if (r.fail == Record::Fail::Lock) ++lock_failures;
      });
    }
    void reset(sim::Sim&) override { ring->reset_ghost(); }
  } w;
  w.v = v;
  sim::Sim s({});
  s.load(w);
  for (int i = 0; i < executions; ++i) {
    sim::RandomSource src(sim::derive_seed(5, static_cast<U64>(i)));
    sim::ExecResult r = s.run(src);
    EXPECT_EQ(r.end, sim::ExecResult::End::Finished) << (r.violation ? r.violation->message : "internal error");
  }
  return w.lock_failures;
}
}  // namespace

TEST(BpfRingbufLock, AnNmiInsideTheLockedSectionGetsNullInEveryEra) {
  EXPECT_GT(nmi_lock_failures(named(false, true, true, false), 2000), 0);  // spinlock era: trylock
  EXPECT_GT(nmi_lock_failures(Variant{}, 2000), 0);                       // rqspinlock: AA detected
}
