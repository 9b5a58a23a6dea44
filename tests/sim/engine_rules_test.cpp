// tests/sim/engine_rules_test.cpp — the engine's nesting, masking, irq_work, wait-queue, lock and
// replay rules that the mutation gate (tests/mutations/mutations.txt) found without a test stating
// them (issue 18): each test names its rule and fails when scripts/mutate.sh breaks it, and each
// has a positive control so that it cannot pass vacuously (the interleaving it rules out is one the
// engine would otherwise offer).
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <stdexcept>

#include "sim/choice.h"
#include "sim/lock.h"
#include "sim/shared.h"
#include "sim/shrink.h"
#include "sim/sim.h"
#include "tests/sim/lambda_workload.h"

using sim::Ctx;
using sim::ExecResult;
using testing_support::LambdaWorkload;

namespace {

template <class F>
void run_random(sim::Sim& s, int n, F each) {
  for (int i = 0; i < n; ++i) {
    sim::RandomSource src(sim::derive_seed(1818, static_cast<std::uint64_t>(i)));
    each(s.run(src));
  }
}

// What a softirq handler saw of the contexts around it on its CPU.
struct Nesting {
  int softirq_in_hardirq = 0, softirq_in_nmi = 0, softirq_in_softirq = 0, softirq_fired = 0;
  int nmi_in_nmi = 0, nmi_in_hardirq = 0, max_nmi_depth = 0;
};

// CPU 0 runs a task, a hardirq, two NMIs and two softirqs, each handler doing a few shared
// accesses (yield points at which something else could fire). Host-side depth counters (one OS
// thread: no races) tell which handler ran inside which.
Nesting observe_nesting(int executions) {
  Nesting out;
  int hard = 0, nmi = 0, soft = 0;
  LambdaWorkload w;
  std::optional<sim::Shared<int>> x;
  auto body = [&](int& depth, auto&& on_entry) {
    on_entry();
    ++depth;
    for (int i = 0; i < 3; ++i) x->load();
    --depth;
  };
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(1);
    x.emplace(s, "x", 0);
    s.add_task("task", 0, [&] {
      for (int i = 0; i < 6; ++i) x->store(i);
    });
    s.add_interrupt("hardirq", 0, Ctx::Hardirq, 2, [&] { body(hard, [] {}); });
    for (const char* name : {"nmi_a", "nmi_b"})
      s.add_interrupt(name, 0, Ctx::Nmi, 2, [&] {
        body(nmi, [&] {
          out.nmi_in_nmi += nmi > 0;
          out.nmi_in_hardirq += hard > 0;
          out.max_nmi_depth = std::max(out.max_nmi_depth, nmi + 1);
        });
      });
    for (const char* name : {"softirq_a", "softirq_b"})
      s.add_interrupt(name, 0, Ctx::Softirq, 2, [&] {
        body(soft, [&] {
          ++out.softirq_fired;
          out.softirq_in_hardirq += hard > 0 || s.in_hardirq();
          out.softirq_in_nmi += nmi > 0 || s.in_nmi();
          out.softirq_in_softirq += soft > 0;
        });
      });
  };
  sim::Sim s({});
  s.load(w);
  run_random(s, executions, [](const ExecResult& r) { ASSERT_EQ(r.end, ExecResult::End::Finished); });
  return out;
}

}  // namespace

// Rule: a softirq runs on the way back to task context only (irq_exit → invoke_softirq when
// !in_interrupt()): never inside a hardirq, an NMI or another softirq on the same CPU.
TEST(EngineRules, SoftirqNeverFiresInsideAHardirqAnNmiOrAnotherSoftirq) {
  const Nesting n = observe_nesting(3000);
  EXPECT_GT(n.softirq_fired, 0);
  EXPECT_EQ(n.softirq_in_hardirq, 0);
  EXPECT_EQ(n.softirq_in_nmi, 0);
  EXPECT_EQ(n.softirq_in_softirq, 0);
}

// Rule: an NMI never nests inside another NMI (the CPU masks NMIs until the handler returns), but
// it does land inside a hardirq (the positive control: the interleaving is reachable).
TEST(EngineRules, NmiNeverNestsInsideAnNmiButNestsInsideAHardirq) {
  const Nesting n = observe_nesting(3000);
  EXPECT_EQ(n.nmi_in_nmi, 0);
  EXPECT_EQ(n.max_nmi_depth, 1);
  EXPECT_GT(n.nmi_in_hardirq, 0);
}

namespace {

// A task stores 1..4 into `progress` inside a section opened by `open` and closed by `close`; an
// interrupt of kind `kind` on the same CPU records the values it sees; `extra_nmi` adds an NMI
// that may land inside the section (it returns to it).
template <class Open, class Close>
std::set<int> seen_from(Ctx kind, Open open, Close close, bool extra_nmi, int* nmi_inside = nullptr) {
  std::set<int> seen;
  LambdaWorkload w;
  std::optional<sim::Shared<int>> progress;
  bool inside = false;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(1);
    progress.emplace(s, "progress", 0);
    s.add_task("task", 0, [&] {
      auto token = open(s);
      inside = true;
      for (int i = 1; i <= 4; ++i) progress->store(i);
      inside = false;
      close(s, token);
    });
    s.add_interrupt("irq", 0, kind, 1, [&] { seen.insert(progress->load()); });
    if (extra_nmi)
      s.add_interrupt("nmi", 0, Ctx::Nmi, 2, [&] {
        if (nmi_inside && inside) ++*nmi_inside;
        progress->load();
      });
  };
  sim::Sim s({});
  s.load(w);
  run_random(s, 2000, [](const ExecResult& r) { ASSERT_EQ(r.end, ExecResult::End::Finished); });
  return seen;
}

}  // namespace

// Rule: local_bh_disable() holds softirqs off the CPU until local_bh_enable().
TEST(EngineRules, BottomHalvesDisabledHoldOffSoftirqs) {
  auto bh_off = seen_from(
      Ctx::Softirq, [](sim::Sim& s) { s.local_bh_disable(); return 0; }, [](sim::Sim& s, int) { s.local_bh_enable(); },
      false);
  EXPECT_EQ(bh_off, (std::set<int>{0, 4}));
  auto control = seen_from(Ctx::Softirq, [](sim::Sim&) { return 0; }, [](sim::Sim&, int) {}, false);
  EXPECT_GT(control.size(), 2u) << "without local_bh_disable the softirq lands inside the section";
}

// Rule: returning from an interrupt restores the interrupted context's irq state: an NMI inside a
// local_irq_save() section leaves irqs off, so no hardirq lands in the rest of the section.
TEST(EngineRules, AnNmiReturnsToTheIrqsOffSectionItInterrupted) {
  int nmi_inside = 0;
  auto seen = seen_from(
      Ctx::Hardirq, [](sim::Sim& s) { return s.local_irq_save(); },
      [](sim::Sim& s, unsigned long f) { s.local_irq_restore(f); }, true, &nmi_inside);
  EXPECT_GT(nmi_inside, 0) << "the NMI must land inside the section for this test to mean anything";
  EXPECT_EQ(seen, (std::set<int>{0, 4}));
}

// Rule: hardirq and NMI handlers run with local irqs disabled; a softirq runs with them enabled;
// preempt_count is what the interrupted context had when the handler returns.
TEST(EngineRules, HandlersRunWithIrqsMaskedAndReturnTheContextAsItWas) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> x;
  int hard_on = 0, nmi_on = 0, soft_off = 0, fired = 0, preempt_wrong = 0;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(1);
    x.emplace(s, "x", 0);
    s.add_task("task", 0, [&] {
      s.preempt_disable();
      for (int i = 0; i < 4; ++i) {
        x->store(i);
        preempt_wrong += s.preempt_count() != 1;
      }
      s.preempt_enable();
      for (int i = 0; i < 4; ++i) x->store(i);
    });
    s.add_interrupt("hardirq", 0, Ctx::Hardirq, 2, [&] {
      ++fired;
      hard_on += !s.irqs_disabled();
      x->load();
    });
    s.add_interrupt("nmi", 0, Ctx::Nmi, 2, [&] {
      ++fired;
      nmi_on += !s.irqs_disabled();
      x->load();
    });
    s.add_interrupt("softirq", 0, Ctx::Softirq, 2, [&] {
      ++fired;
      soft_off += s.irqs_disabled();
      x->load();
    });
  };
  sim::Sim s({});
  s.load(w);
  run_random(s, 500, [](const ExecResult& r) { ASSERT_EQ(r.end, ExecResult::End::Finished); });
  EXPECT_GT(fired, 0);
  EXPECT_EQ(hard_on, 0);
  EXPECT_EQ(nmi_on, 0);
  EXPECT_EQ(soft_off, 0);
  EXPECT_EQ(preempt_wrong, 0);
}

// Rule: irq_work runs in hardirq context on the CPU that queued it (irq_work_queue queues on the
// local CPU), and a second irq_work_queue while it is pending is coalesced (returns false).
TEST(EngineRules, IrqWorkRunsOnTheQueuingCpuAndCoalesces) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> x;
  int work = -1, runs = 0, wrong_cpu = 0, second_accepted = 0;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(3);
    x.emplace(s, "x", 0);
    work = s.add_irq_work("work", [&] {
      ++runs;
      wrong_cpu += s.smp_processor_id() != 2;
    });
    s.add_task("idle0", 0, [&] { x->load(); });
    s.add_task("queuer", 2, [&] {
      unsigned long f = s.local_irq_save();
      EXPECT_TRUE(s.irq_work_queue(work));
      second_accepted += s.irq_work_queue(work);
      x->store(1);
      s.local_irq_restore(f);
      x->store(2);
    });
  };
  sim::Sim s({});
  s.load(w);
  run_random(s, 200, [](const ExecResult& r) { ASSERT_EQ(r.end, ExecResult::End::Finished); });
  EXPECT_EQ(runs, 200);
  EXPECT_EQ(wrong_cpu, 0);
  EXPECT_EQ(second_accepted, 0);
}

// Rule: spin_trylock() fails while another actor holds the lock.
TEST(EngineRules, TrylockFailsWhileTheLockIsHeld) {
  LambdaWorkload w;
  std::optional<sim::SpinLock> lock;
  std::optional<sim::Shared<int>> x;
  int holders = 0, both = 0, tried_ok = 0, tried_fail = 0;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(2);
    lock.emplace(s, "lock");
    x.emplace(s, "x", 0);
    s.add_task("holder", 0, [&] {
      lock->lock();
      ++holders;
      for (int i = 0; i < 3; ++i) x->store(i);
      --holders;
      lock->unlock();
    });
    s.add_task("trier", 1, [&] {
      for (int i = 0; i < 3; ++i) {
        if (lock->trylock()) {
          ++tried_ok;
          both += holders > 0;
          x->load();
          lock->unlock();
        } else {
          ++tried_fail;
        }
      }
    });
  };
  sim::Sim s({});
  s.load(w);
  run_random(s, 500, [](const ExecResult& r) { ASSERT_EQ(r.end, ExecResult::End::Finished); });
  EXPECT_GT(tried_ok, 0);
  EXPECT_GT(tried_fail, 0) << "the trier must meet the held lock for this test to mean anything";
  EXPECT_EQ(both, 0);
}

// Rule: a wake-up that comes between prepare_to_wait() and schedule() is not lost (the waiter's
// condition reads two words, so a waker can run between them).
TEST(EngineRules, AWakeBetweenPrepareAndScheduleIsNotLost) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> flag, other;
  std::optional<sim::WaitQueue> wq;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(2);
    flag.emplace(s, "flag", 0);
    other.emplace(s, "other", 0);
    wq.emplace(s, "wq");
    s.add_task("waiter", 0, [&] {
      wq->wait_event([&] {
        const int f = flag->load();
        other->load();
        return f != 0;
      });
    });
    s.add_task("waker", 1, [&] {
      flag->store(1);
      wq->wake_up();
    });
  };
  sim::Sim s({});
  s.load(w);
  run_random(s, 1000, [](const ExecResult& r) {
    ASSERT_EQ(r.end, ExecResult::End::Finished) << (r.violation ? r.violation->message : "internal error");
  });
}

// A task on CPU 0 that enters an atomic section (`enter`), waits on a wait queue and leaves it
// (`leave`), with a waker on the same CPU; the all-zeros schedule's end must be the internal fault
// "called from atomic context by 'sleeper'" (might_sleep names the sleep, not a later task there).
template <class Enter, class Leave>
void expect_sleep_in_atomic_context_fault(Enter enter, Leave leave) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> flag;
  std::optional<sim::WaitQueue> wq;
  w.on_build = [&](sim::Sim& s) {
    flag.emplace(s, "flag", 0);
    wq.emplace(s, "wq");
    s.add_task("sleeper", 0, [&] {
      enter(s);
      wq->wait_event([&] { return flag->load() != 0; });
      leave(s);
    });
    s.add_task("waker", 0, [&] {
      flag->store(1);
      wq->wake_up();
    });
  };
  sim::Sim s({});
  s.load(w);
  sim::ReplaySource zeros({}, true);
  const ExecResult r = s.run(zeros);
  ASSERT_EQ(r.end, ExecResult::End::Error);
  try {
    std::rethrow_exception(r.error);
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("called from atomic context by 'sleeper'"), std::string::npos) << e.what();
  }
}

// Rule: sleeping in atomic context (preemption disabled) is an internal fault (might_sleep).
TEST(EngineRules, SleepingWithPreemptionDisabledIsAnInternalFault) {
  expect_sleep_in_atomic_context_fault([](sim::Sim& s) { s.preempt_disable(); }, [](sim::Sim& s) { s.preempt_enable(); });
}

// Rule: a sleep with bottom halves disabled is atomic too (local_bh_disable() adds
// SOFTIRQ_DISABLE_OFFSET to preempt_count, so might_sleep() reports it).
TEST(EngineRules, SleepingWithBottomHalvesDisabledIsAnInternalFault) {
  expect_sleep_in_atomic_context_fault([](sim::Sim& s) { s.local_bh_disable(); }, [](sim::Sim& s) { s.local_bh_enable(); });
}

// Rule: a strict replay says when it left the schedule (a recorded choice out of range), and how
// many choices it could not follow; a faithful replay reports none.
TEST(EngineRules, StrictReplayReportsEveryChoiceItCouldNotFollow) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> x;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(2);
    x.emplace(s, "x", 0);
    s.add_task("a", 0, [&] {
      for (int i = 0; i < 4; ++i) x->store(i);
    });
    s.add_task("b", 1, [&] {
      for (int i = 0; i < 4; ++i) x->load();
    });
  };
  sim::Sim s({});
  s.load(w);
  sim::RandomSource rnd(sim::derive_seed(5, 0));
  const ExecResult first = s.run(rnd, sim::RunOptions{true});
  std::vector<std::uint32_t> choices = s.choices();
  ASSERT_GE(choices.size(), 2u);

  sim::ReplaySource faithful(choices, true);
  EXPECT_EQ(s.run(faithful).trace_hash, first.trace_hash);
  EXPECT_FALSE(faithful.divergence());
  EXPECT_EQ(faithful.out_of_range(), 0u);

  choices[0] = 99;
  choices[1] = 77;
  sim::ReplaySource strict(choices, true);
  s.run(strict);
  ASSERT_TRUE(strict.divergence());
  EXPECT_NE(strict.divergence()->find("choice #0 is 99"), std::string::npos) << *strict.divergence();
  EXPECT_EQ(strict.out_of_range(), 2u);

  sim::ReplaySource lenient(choices, false);
  s.run(lenient);
  EXPECT_FALSE(lenient.divergence());
  EXPECT_EQ(lenient.out_of_range(), 2u) << "a lenient replay still counts what it could not follow";
}

// Rule: PCT drops a spinning actor (sim.yield()) below every other, and runs the enabled actor of
// highest priority: a spin-wait whose partner sets the flag always finishes under PCT.
TEST(EngineRules, PctLetsTheSpinnersPartnerRun) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> flag, x;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(2);
    flag.emplace(s, "flag", 0);
    x.emplace(s, "x", 0);
    s.add_task("spinner", 0, [&] {
      while (!flag->load()) s.yield();
    });
    s.add_task("setter", 1, [&] {
      for (int i = 0; i < 3; ++i) x->store(i);
      flag->store(1);
    });
  };
  // Without the spin rule: with it, the spinner's pure iteration blocks until the flag is written
  // whatever its priority, and this would no longer test PCT's demotion of a spinner.
  sim::Sim::Config cfg;
  cfg.spin_wait = false;
  sim::Sim s(cfg);
  s.set_step_bound(2000);
  s.load(w);
  sim::PctSource pct(0, 3, 20);
  for (int i = 0; i < 200; ++i) {
    pct.reseed(sim::derive_seed(18, static_cast<std::uint64_t>(i)));
    const ExecResult r = s.run(pct);
    ASSERT_EQ(r.end, ExecResult::End::Finished) << "execution " << i << ": " << (r.violation ? r.violation->message : "error");
  }
}

// Rule: PCT of depth d changes priorities at d-1 points, so depth 3 interleaves two tasks in the
// middle of one's work (depth 1 never would: each runs to its end in priority order).
TEST(EngineRules, PctDepthThreePreemptsInsideATask) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> x;
  std::set<int> seen;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(2);
    x.emplace(s, "x", 0);
    s.add_task("writer", 0, [&] {
      for (int i = 1; i <= 4; ++i) x->store(i);
    });
    s.add_task("reader", 1, [&] { seen.insert(x->load()); });
  };
  sim::Sim s({});
  s.load(w);
  for (unsigned depth : {1u, 3u}) {
    seen.clear();
    sim::PctSource pct(0, depth, 6);
    for (int i = 0; i < 300; ++i) {
      pct.reseed(sim::derive_seed(3, static_cast<std::uint64_t>(i)));
      ASSERT_EQ(s.run(pct).end, ExecResult::End::Finished);
    }
    if (depth == 1) EXPECT_EQ(seen, (std::set<int>{0, 4})) << "depth 1: no change point, no preemption";
    else EXPECT_TRUE(seen.count(1) || seen.count(2) || seen.count(3)) << "depth 3 must preempt the writer mid-way";
  }
}

// Rule: the shrinker keeps the property: a schedule that fails an assertion (it needs a
// preemption) does not shrink into the all-zero schedule, which fails a different property (an
// end-of-execution check that every complete run without the assertion violates).
TEST(EngineRules, ShrinkingKeepsTheProperty) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> x;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(2);
    x.emplace(s, "x", 0);
    s.add_task("writer", 0, [&] {
      for (int i = 1; i <= 3; ++i) x->store(i);
    });
    s.add_task("reader", 1, [&] {
      const int v = x->load();
      if (v == 1 || v == 2) s.report(sim::Property::Assertion, "saw the writer half-way");
    });
  };
  w.on_final = [](sim::Sim& s) { s.report(sim::Property::Counters, "every complete run"); };
  sim::Sim s({});
  s.load(w);
  std::optional<std::vector<std::uint32_t>> failing;
  for (int i = 0; i < 500 && !failing; ++i) {
    sim::RandomSource src(sim::derive_seed(9, static_cast<std::uint64_t>(i)));
    const ExecResult r = s.run(src, sim::RunOptions{true});
    if (r.end == ExecResult::End::Violation && r.violation->property == sim::Property::Assertion) failing = s.choices();
  }
  ASSERT_TRUE(failing) << "the assertion must be reachable";
  const sim::ShrinkResult sh = sim::shrink(s, *failing, sim::Property::Assertion);
  ASSERT_TRUE(sh.reproduced);
  ASSERT_EQ(sh.result.end, ExecResult::End::Violation);
  EXPECT_EQ(sh.result.violation->property, sim::Property::Assertion);
  EXPECT_GE(sh.preemptions_after, 1u) << "the assertion needs the reader between the writer's stores";
  EXPECT_LE(sh.preemptions_after, sh.preemptions_before);
}
