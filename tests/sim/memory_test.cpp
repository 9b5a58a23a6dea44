// tests/sim/memory_test.cpp — the memory models (sim/memory.h) on the classic litmus shapes.
//
// Each shape is written as Shared<int> actors, one task per CPU, and explored exhaustively with the
// dfs explorer (no bounds; under tso and lkmm it runs unreduced); the set of reachable outcomes is
// compared with what the LKMM (tools/memory-model, herd7) and x86-TSO allow. "Sometimes" checks that
// the weak outcome is reached, "Never" that it is not, so each expectation can fail both ways.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sim/choice.h"
#include "sim/dfs.h"
#include "sim/lock.h"
#include "sim/memory.h"
#include "sim/shared.h"

namespace {

using sim::Mo;
using sim::MemoryModel;

/// One litmus test: variables x, y, z (initially 0), registers r0..r7, one thread per CPU.
struct Litmus final : sim::Workload {
  using Thread = std::function<void(Litmus&)>;
  std::vector<Thread> threads;
  sim::Sim* s = nullptr;
  std::vector<std::unique_ptr<sim::Shared<int>>> v;
  std::unique_ptr<sim::SpinLock> lock;
  std::array<int, 8> r{};

  sim::Shared<int>& x() { return *v[0]; }
  sim::Shared<int>& y() { return *v[1]; }
  sim::Shared<int>& z() { return *v[2]; }
  void mb() { s->fence(sim::Fence::Mb); }
  void rmb() { s->fence(sim::Fence::Rmb); }
  void wmb() { s->fence(sim::Fence::Wmb); }

  void build(sim::Sim& sim) override {
    s = &sim;
    sim.set_cpus(static_cast<int>(threads.size()));
    for (const char* n : {"x", "y", "z"}) v.push_back(std::make_unique<sim::Shared<int>>(sim, n, 0));
    lock = std::make_unique<sim::SpinLock>(sim, "s");
    for (std::size_t i = 0; i < threads.size(); ++i)
      sim.add_task("P" + std::to_string(i), static_cast<int>(i), [this, i] { threads[i](*this); });
  }
  void reset(sim::Sim&) override { r.fill(0); }
  /// The outcome: registers and final values, 4 bits each (every value here is below 16).
  std::uint64_t end_state_hash(const sim::Sim&) const override {
    std::uint64_t h = 0;
    for (int i = 0; i < 8; ++i) h |= static_cast<std::uint64_t>(r[i] & 15) << (4 * i);
    for (int i = 0; i < 3; ++i) h |= static_cast<std::uint64_t>(v[i]->peek() & 15) << (32 + 4 * i);
    return h;
  }
};

struct Outcome {
  std::array<int, 8> r;
  int x, y, z;
};
Outcome decode(std::uint64_t h) {
  Outcome o{};
  for (int i = 0; i < 8; ++i) o.r[i] = static_cast<int>((h >> (4 * i)) & 15);
  o.x = static_cast<int>((h >> 32) & 15);
  o.y = static_cast<int>((h >> 36) & 15);
  o.z = static_cast<int>((h >> 40) & 15);
  return o;
}

/// Every outcome reachable under `m`, by exhaustive dfs.
std::vector<Outcome> outcomes(std::vector<Litmus::Thread> threads, MemoryModel m, unsigned promises) {
  sim::Sim::Config cfg;
  cfg.memory_model = m;
  cfg.promise_bound = promises;
  cfg.step_bound = 10'000;
  sim::DfsConfig d;
  d.collect_outcomes = true;
  d.executions = 2'000'000;
  auto factory = [&]() -> std::unique_ptr<sim::Workload> {
    auto w = std::make_unique<Litmus>();
    w->threads = threads;
    return w;
  };
  sim::DfsResult r = sim::explore_dfs(factory, cfg, d);
  EXPECT_FALSE(r.error) << *r.error;
  EXPECT_TRUE(r.last().complete) << "the search must be exhaustive";
  if (std::getenv("RELAYSIM_LITMUS_STATS"))
    std::fprintf(stderr, "%s: %llu executions\n", std::string(sim::memory_model_name(m)).c_str(),
                 static_cast<unsigned long long>(r.last().executions));
  EXPECT_EQ(r.reduction, m == MemoryModel::Sc) << "tso and lkmm search unreduced";
  std::vector<Outcome> out;
  for (std::uint64_t h : r.last().outcomes) out.push_back(decode(h));
  return out;
}

using Pred = std::function<bool(const Outcome&)>;
bool reachable(const std::vector<Litmus::Thread>& t, MemoryModel m, const Pred& p, unsigned promises = 1) {
  for (const Outcome& o : outcomes(t, m, promises))
    if (p(o)) return true;
  return false;
}

enum class Expect { Never, Sometimes };
/// The weak outcome under sc, tso and lkmm (lkmm with one promise per execution, the default, and
/// with two: more promises must not make a Never reachable).
void expect(const std::vector<Litmus::Thread>& t, const Pred& p, Expect sc, Expect tso, Expect lkmm) {
  EXPECT_EQ(reachable(t, MemoryModel::Sc, p), sc == Expect::Sometimes) << "sc";
  EXPECT_EQ(reachable(t, MemoryModel::Tso, p), tso == Expect::Sometimes) << "tso";
  EXPECT_EQ(reachable(t, MemoryModel::Lkmm, p, 1), lkmm == Expect::Sometimes) << "lkmm";
  if (lkmm == Expect::Never) {
    EXPECT_FALSE(reachable(t, MemoryModel::Lkmm, p, 2)) << "lkmm, two promises";
  }
}
constexpr Expect N = Expect::Never, S = Expect::Sometimes;

// ---- MP: P0 x=1; y=1 || P1 r0=y; r1=x; exists r0=1 /\ r1=0 ----
Pred mp_weak = [](const Outcome& o) { return o.r[0] == 1 && o.r[1] == 0; };

TEST(MemoryLitmus, MP_poonceonces) {
  expect({[](Litmus& l) { l.x().store(1); l.y().store(1); },
          [](Litmus& l) { l.r[0] = l.y().load(); l.r[1] = l.x().load(); }},
         mp_weak, N, N, S);
}
TEST(MemoryLitmus, MP_fencewmbonceonce_fencermbonceonce) {
  expect({[](Litmus& l) { l.x().store(1); l.wmb(); l.y().store(1); },
          [](Litmus& l) { l.r[0] = l.y().load(); l.rmb(); l.r[1] = l.x().load(); }},
         mp_weak, N, N, N);
}
TEST(MemoryLitmus, MP_wmbOnlyIsNotEnough) {
  expect({[](Litmus& l) { l.x().store(1); l.wmb(); l.y().store(1); },
          [](Litmus& l) { l.r[0] = l.y().load(); l.r[1] = l.x().load(); }},
         mp_weak, N, N, S);
}
TEST(MemoryLitmus, MP_pooncerelease_poacquireonce) {
  expect({[](Litmus& l) { l.x().store(1); l.y().store(1, Mo::Release); },
          [](Litmus& l) { l.r[0] = l.y().load(Mo::Acquire); l.r[1] = l.x().load(); }},
         mp_weak, N, N, N);
}
TEST(MemoryLitmus, MP_releaseWithRelaxedReaderIsNotEnough) {
  expect({[](Litmus& l) { l.x().store(1); l.y().store(1, Mo::Release); },
          [](Litmus& l) { l.r[0] = l.y().load(); l.r[1] = l.x().load(); }},
         mp_weak, N, N, S);
}
TEST(MemoryLitmus, MP_polocks) {
  expect({[](Litmus& l) { l.lock->lock(); l.x().store(1); l.lock->unlock(); l.lock->lock(); l.y().store(1); l.lock->unlock(); },
          [](Litmus& l) { l.lock->lock(); l.r[0] = l.y().load(); l.lock->unlock(); l.lock->lock(); l.r[1] = l.x().load(); l.lock->unlock(); }},
         mp_weak, N, N, N);
}
TEST(MemoryLitmus, MP_unlocklockonceonce_fencermbonceonce) {
  expect({[](Litmus& l) { l.lock->lock(); l.x().store(1); l.lock->unlock(); l.lock->lock(); l.y().store(1); l.lock->unlock(); },
          [](Litmus& l) { l.r[0] = l.y().load(); l.rmb(); l.r[1] = l.x().load(); }},
         mp_weak, N, N, N);
}
TEST(MemoryLitmus, MP_fullyOrderedXchg) {
  expect({[](Litmus& l) { l.x().store(1); l.y().exchange(1); },
          [](Litmus& l) { l.r[0] = l.y().load(); l.rmb(); l.r[1] = l.x().load(); }},
         mp_weak, N, N, N);
}
TEST(MemoryLitmus, MP_relaxedXchgDoesNotOrder) {
  expect({[](Litmus& l) { l.x().store(1); l.y().exchange(1, Mo::Relaxed); },
          [](Litmus& l) { l.r[0] = l.y().load(); l.rmb(); l.r[1] = l.x().load(); }},
         mp_weak, N, N, S);
}

// ---- SB: P0 x=1; r0=y || P1 y=1; r1=x; exists r0=0 /\ r1=0 ----
Pred sb_weak = [](const Outcome& o) { return o.r[0] == 0 && o.r[1] == 0; };
TEST(MemoryLitmus, SB_poonceonces) {
  expect({[](Litmus& l) { l.x().store(1); l.r[0] = l.y().load(); },
          [](Litmus& l) { l.y().store(1); l.r[1] = l.x().load(); }},
         sb_weak, N, S, S);
}
TEST(MemoryLitmus, SB_fencembonceonces) {
  expect({[](Litmus& l) { l.x().store(1); l.mb(); l.r[0] = l.y().load(); },
          [](Litmus& l) { l.y().store(1); l.mb(); l.r[1] = l.x().load(); }},
         sb_weak, N, N, N);
}
TEST(MemoryLitmus, SB_releaseAcquireDoesNotOrderStoreLoad) {
  expect({[](Litmus& l) { l.x().store(1, Mo::Release); l.r[0] = l.y().load(Mo::Acquire); },
          [](Litmus& l) { l.y().store(1, Mo::Release); l.r[1] = l.x().load(Mo::Acquire); }},
         sb_weak, N, S, S);
}
TEST(MemoryLitmus, SB_atomicRmwOrders) {  // a value-returning atomic is a full barrier (x86: locked)
  expect({[](Litmus& l) { l.x().store(1); l.z().fetch_add(1); l.r[0] = l.y().load(); },
          [](Litmus& l) { l.y().store(1); l.z().fetch_add(1); l.r[1] = l.x().load(); }},
         sb_weak, N, N, N);
}

// ---- LB: P0 r0=x; y=1 || P1 r1=y; x=1; exists r0=1 /\ r1=1 ----
Pred lb_weak = [](const Outcome& o) { return o.r[0] == 1 && o.r[1] == 1; };
TEST(MemoryLitmus, LB_poonceonces) {
  expect({[](Litmus& l) { l.r[0] = l.x().load(); l.y().store(1); },
          [](Litmus& l) { l.r[1] = l.y().load(); l.x().store(1); }},
         lb_weak, N, N, S);
}
// A control dependency the model marks (Memory::ctrl_dependency, e.g. perf's space check on
// data_tail before the record's stores): LB+ctrlonceonce is Never (herd7 agrees); marked on one
// side only, the other side's store can still be promised: Sometimes.
TEST(MemoryLitmus, LB_ctrlonceonces) {
  auto ctrl = [](Litmus& l) {
    if (sim::Memory* m = l.s->memory()) m->ctrl_dependency();
  };
  expect({[ctrl](Litmus& l) { l.r[0] = l.x().load(); ctrl(l); l.y().store(1); },
          [ctrl](Litmus& l) { l.r[1] = l.y().load(); ctrl(l); l.x().store(1); }},
         lb_weak, N, N, N);
  expect({[ctrl](Litmus& l) { l.r[0] = l.x().load(); ctrl(l); l.y().store(1); },
          [](Litmus& l) { l.r[1] = l.y().load(); l.x().store(1); }},
         lb_weak, N, N, S);
}
TEST(MemoryLitmus, LB_poacquireonce_pooncerelease) {
  expect({[](Litmus& l) { l.r[0] = l.x().load(); l.y().store(1, Mo::Release); },
          [](Litmus& l) { l.r[1] = l.y().load(Mo::Acquire); l.x().store(1); }},
         lb_weak, N, N, N);
}
TEST(MemoryLitmus, LB_fencembonceonces) {
  expect({[](Litmus& l) { l.r[0] = l.x().load(); l.mb(); l.y().store(1); },
          [](Litmus& l) { l.r[1] = l.y().load(); l.mb(); l.x().store(1); }},
         lb_weak, N, N, N);
}

// ---- IRIW: P0 x=1 || P1 y=1 || P2 r0=x; r1=y || P3 r2=y; r3=x ----
Pred iriw_weak = [](const Outcome& o) { return o.r[0] == 1 && o.r[1] == 0 && o.r[2] == 1 && o.r[3] == 0; };
TEST(MemoryLitmus, IRIW_poonceonces) {
  expect({[](Litmus& l) { l.x().store(1); }, [](Litmus& l) { l.y().store(1); },
          [](Litmus& l) { l.r[0] = l.x().load(); l.r[1] = l.y().load(); },
          [](Litmus& l) { l.r[2] = l.y().load(); l.r[3] = l.x().load(); }},
         iriw_weak, N, N, S);
}
TEST(MemoryLitmus, IRIW_rmbsDoNotMakeItMultiCopyAtomic) {
  expect({[](Litmus& l) { l.x().store(1); }, [](Litmus& l) { l.y().store(1); },
          [](Litmus& l) { l.r[0] = l.x().load(); l.rmb(); l.r[1] = l.y().load(); },
          [](Litmus& l) { l.r[2] = l.y().load(); l.rmb(); l.r[3] = l.x().load(); }},
         iriw_weak, N, N, S);
}
TEST(MemoryLitmus, IRIW_fencembonceonces) {
  expect({[](Litmus& l) { l.x().store(1); }, [](Litmus& l) { l.y().store(1); },
          [](Litmus& l) { l.r[0] = l.x().load(); l.mb(); l.r[1] = l.y().load(); },
          [](Litmus& l) { l.r[2] = l.y().load(); l.mb(); l.r[3] = l.x().load(); }},
         iriw_weak, N, N, N);
}

// ---- WRC: P0 x=1 || P1 r0=x; y=1 || P2 r1=y; r2=x; exists r0=1 /\ r1=1 /\ r2=0 ----
Pred wrc_weak = [](const Outcome& o) { return o.r[0] == 1 && o.r[1] == 1 && o.r[2] == 0; };
TEST(MemoryLitmus, WRC_poonceonces) {
  expect({[](Litmus& l) { l.x().store(1); }, [](Litmus& l) { l.r[0] = l.x().load(); l.y().store(1); },
          [](Litmus& l) { l.r[1] = l.y().load(); l.r[2] = l.x().load(); }},
         wrc_weak, N, N, S);
}
TEST(MemoryLitmus, WRC_pooncerelease_fencermbonceonce) {
  expect({[](Litmus& l) { l.x().store(1); }, [](Litmus& l) { l.r[0] = l.x().load(); l.y().store(1, Mo::Release); },
          [](Litmus& l) { l.r[1] = l.y().load(); l.rmb(); l.r[2] = l.x().load(); }},
         wrc_weak, N, N, N);
}
TEST(MemoryLitmus, WRC_wmbIsNotCumulative) {
  expect({[](Litmus& l) { l.x().store(1); }, [](Litmus& l) { l.r[0] = l.x().load(); l.wmb(); l.y().store(1); },
          [](Litmus& l) { l.r[1] = l.y().load(); l.rmb(); l.r[2] = l.x().load(); }},
         wrc_weak, N, N, S);
}

// ---- 2+2W: P0 x=1; y=2 || P1 y=1; x=2; exists x=1 /\ y=1 (final) ----
Pred w22_weak = [](const Outcome& o) { return o.x == 1 && o.y == 1; };
TEST(MemoryLitmus, TwoPlusTwoW_poonceonces) {
  expect({[](Litmus& l) { l.x().store(1); l.y().store(2); }, [](Litmus& l) { l.y().store(1); l.x().store(2); }},
         w22_weak, N, N, S);
}
TEST(MemoryLitmus, TwoPlusTwoW_fencewmbonceonces) {  // LKMM: wmb is not a strong fence (no pb cycle)
  expect({[](Litmus& l) { l.x().store(1); l.wmb(); l.y().store(2); }, [](Litmus& l) { l.y().store(1); l.wmb(); l.x().store(2); }},
         w22_weak, N, N, S);
}
TEST(MemoryLitmus, TwoPlusTwoW_fencembonceonces) {
  expect({[](Litmus& l) { l.x().store(1); l.mb(); l.y().store(2); }, [](Litmus& l) { l.y().store(1); l.mb(); l.x().store(2); }},
         w22_weak, N, N, N);
}

// ---- R: P0 x=1; y=1 || P1 y=2; r0=x; exists y=2 /\ r0=0 ----
Pred r_weak = [](const Outcome& o) { return o.y == 2 && o.r[0] == 0; };
TEST(MemoryLitmus, R_poonceonces) {
  expect({[](Litmus& l) { l.x().store(1); l.y().store(1); }, [](Litmus& l) { l.y().store(2); l.r[0] = l.x().load(); }},
         r_weak, N, S, S);
}
TEST(MemoryLitmus, R_fencembonceonces) {
  expect({[](Litmus& l) { l.x().store(1); l.mb(); l.y().store(1); }, [](Litmus& l) { l.y().store(2); l.mb(); l.r[0] = l.x().load(); }},
         r_weak, N, N, N);
}

// ---- coherence: CoRR (P0 x=1 || P1 r0=x; r1=x; exists r0=1 /\ r1=0) is Never everywhere ----
TEST(MemoryLitmus, CoRR) {
  expect({[](Litmus& l) { l.x().store(1); }, [](Litmus& l) { l.r[0] = l.x().load(); l.r[1] = l.x().load(); }},
         [](const Outcome& o) { return o.r[0] == 1 && o.r[1] == 0; }, N, N, N);
}

// An interrupt handler on a CPU sees that CPU's program order (its own buffered stores / views).
TEST(MemoryLitmus, InterruptSeesItsCpuProgramOrder) {
  for (MemoryModel m : {MemoryModel::Tso, MemoryModel::Lkmm}) {
    struct W final : sim::Workload {
      std::unique_ptr<sim::Shared<int>> x;
      int seen = -1, done = 0;  // done: the task's stores completed (ghost)
      void build(sim::Sim& s) override {
        s.set_cpus(2);
        x = std::make_unique<sim::Shared<int>>(s, "x", 0);
        s.add_task("t", 0, [this] { x->store(1); done = 1; x->store(2); done = 2; x->load(); });
        s.add_task("other", 1, [this] { x->load(); });
        s.add_interrupt("irq", 0, sim::Ctx::Hardirq, 1, [this] { seen = done * 4 + x->load(); });
      }
      void reset(sim::Sim&) override { seen = -1, done = 0; }
      std::uint64_t end_state_hash(const sim::Sim&) const override { return static_cast<std::uint64_t>(seen); }
    };
    sim::Sim::Config cfg;
    cfg.memory_model = m;
    sim::DfsConfig d;
    d.collect_outcomes = true;
    auto r = sim::explore_dfs([] { return std::make_unique<W>(); }, cfg, d);
    ASSERT_TRUE(r.last().complete);
    // done * 4 + seen: the handler reads exactly what its CPU's task stored before it fired.
    std::set<std::uint64_t> got(r.last().outcomes.begin(), r.last().outcomes.end());
    EXPECT_EQ(got, (std::set<std::uint64_t>{0, 5, 10})) << sim::memory_model_name(m);
  }
}

// Option 0 everywhere is sequential consistency: the all-zero schedule has the sc trace hash.
TEST(MemoryModel, AllZeroChoicesAreSc) {
  std::vector<Litmus::Thread> t{[](Litmus& l) { l.x().store(1); l.r[0] = l.y().load(); },
                                [](Litmus& l) { l.y().store(1); l.r[1] = l.x().load(); }};
  std::uint64_t hash[3];
  int i = 0;
  for (MemoryModel m : {MemoryModel::Sc, MemoryModel::Tso, MemoryModel::Lkmm}) {
    sim::Sim::Config cfg;
    cfg.memory_model = m;
    Litmus w;
    w.threads = t;
    sim::Sim s(cfg);
    s.load(w);
    sim::ReplaySource zeros({}, false);
    auto r = s.run(zeros);
    EXPECT_EQ(r.stale_reads, 0u);
    hash[i++] = r.end_state_hash;
  }
  EXPECT_EQ(hash[0], hash[1]);
  EXPECT_EQ(hash[0], hash[2]);
}

// A recorded lkmm execution names its stale read in the trace, and replays to the same hash.
TEST(MemoryModel, StaleReadIsNamedAndReplays) {
  sim::Sim::Config cfg;
  cfg.memory_model = MemoryModel::Lkmm;
  cfg.promise_bound = 0;  // MP's weak outcome by a stale read (with a promise it is reachable too)
  Litmus w;
  w.threads = {[](Litmus& l) { l.x().store(1); l.y().store(1); },
               [](Litmus& l) { l.r[0] = l.y().load(); l.r[1] = l.x().load(); }};
  sim::Sim s(cfg);
  s.load(w);
  // Find an MP-weak execution by random search, then replay its choices.
  sim::RandomSource rnd(1);
  std::vector<std::uint32_t> choices;
  std::uint64_t hash = 0;
  for (int seed = 0; seed < 2000 && choices.empty(); ++seed) {
    rnd.reseed(static_cast<std::uint64_t>(seed));
    auto r = s.run(rnd, sim::RunOptions{true});
    if (w.r[0] == 1 && w.r[1] == 0) {
      choices = s.choices();
      hash = r.trace_hash;
      EXPECT_GE(r.stale_reads, 1u);
      bool named = false;
      for (const auto& e : s.trace())
        if (e.op == sim::Op::StaleRead) {
          const std::string& text = s.note_text(static_cast<std::uint32_t>(e.extra));
          named |= text.find("stale read of x: read 0 (the initial value), skipped the newer 1") != std::string::npos;
        }
      EXPECT_TRUE(named);
    }
  }
  ASSERT_FALSE(choices.empty()) << "random search under lkmm reaches MP's weak outcome";
  sim::ReplaySource rep(choices, true);
  auto r = s.run(rep);
  EXPECT_FALSE(rep.divergence());
  EXPECT_EQ(r.trace_hash, hash);
  EXPECT_EQ(w.r[0], 1);
  EXPECT_EQ(w.r[1], 0);
}

}  // namespace
