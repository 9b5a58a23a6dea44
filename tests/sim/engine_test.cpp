// tests/sim/engine_test.cpp — one test per semantic rule of the engine (issue 8, "How to show it").
#include <gtest/gtest.h>

#include <optional>
#include <set>

#include "sim/buffer.h"
#include "sim/choice.h"
#include "sim/lock.h"
#include "sim/shared.h"
#include "sim/sim.h"
#include "tests/sim/lambda_workload.h"

using sim::Ctx;
using sim::ExecResult;
using sim::Property;
using testing_support::LambdaWorkload;

namespace {

// Runs `n` random executions; calls `each` with every result.
template <class F>
void run_random(sim::Sim& s, int n, F each) {
  for (int i = 0; i < n; ++i) {
    sim::RandomSource src(sim::derive_seed(42, static_cast<std::uint64_t>(i)));
    each(s.run(src));
  }
}

// A task on CPU 0 stores 1..4 into `progress`, optionally with irqs disabled (or preemption
// disabled) around all four; an interrupt of kind `kind` on CPU 0 records what it sees.
struct ProgressObserved {
  std::set<int> seen;
};
ProgressObserved observe_progress(Ctx kind, bool irqs_off, int executions = 3000) {
  ProgressObserved out;
  LambdaWorkload w;
  std::optional<sim::Shared<int>> progress;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(2);
    progress.emplace(s, "progress", 0);
    s.add_task("writer", 0, [&] {
      unsigned long flags = 0;
      if (irqs_off) flags = s.local_irq_save();
      for (int i = 1; i <= 4; ++i) progress->store(i);
      if (irqs_off) s.local_irq_restore(flags);
    });
    s.add_task("other", 1, [&] {
      for (int i = 0; i < 4; ++i) s.yield();
    });
    s.add_interrupt("irq", 0, kind, 1, [&] { out.seen.insert(progress->load()); });
  };
  sim::Sim s({});
  s.load(w);
  run_random(s, executions, [](const ExecResult& r) { ASSERT_EQ(r.end, ExecResult::End::Finished); });
  return out;
}

}  // namespace

TEST(Engine, HardirqNeverFiresWhileIrqsAreDisabled) {
  auto off = observe_progress(Ctx::Hardirq, true);
  EXPECT_EQ(off.seen, (std::set<int>{0, 4}));
  // Control: with irqs on, the handler does see the writer half-way.
  auto on = observe_progress(Ctx::Hardirq, false);
  EXPECT_GT(on.seen.size(), 2u);
}

TEST(Engine, NmiFiresEvenWhileIrqsAreDisabled) {
  auto off = observe_progress(Ctx::Nmi, true);
  EXPECT_TRUE(off.seen.count(1) || off.seen.count(2) || off.seen.count(3));
}

TEST(Engine, HandlerRunsToCompletionBeforeTheInterruptedContext) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> a, b;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(2);
    a.emplace(s, "a", 0);
    b.emplace(s, "b", 0);
    s.add_task("t0", 0, [&] {
      for (int i = 0; i < 5; ++i) a->store(i);
    });
    s.add_task("t1", 1, [&] {
      for (int i = 0; i < 5; ++i) b->store(i);
    });
    s.add_interrupt("irq0", 0, Ctx::Hardirq, 2, [&] {
      for (int i = 0; i < 3; ++i) b->load();
    });
  };
  sim::Sim s({});
  s.load(w);
  int interleaved_with_cpu1 = 0;
  for (int i = 0; i < 500; ++i) {
    sim::RandomSource src(sim::derive_seed(7, static_cast<std::uint64_t>(i)));
    ExecResult r = s.run(src, sim::RunOptions{true});
    ASSERT_EQ(r.end, ExecResult::End::Finished);
    bool in_handler = false;
    for (const auto& e : s.trace()) {
      if (e.op == sim::Op::Fire) in_handler = true;
      else if (in_handler && e.op == sim::Op::Finish && s.actor_name(static_cast<int>(e.actor)) == "irq0") in_handler = false;
      else if (in_handler && e.cpu == 0) ASSERT_EQ(s.actor_name(static_cast<int>(e.actor)), "irq0") << "CPU 0 task ran inside its handler";
      else if (in_handler && e.cpu == 1) ++interleaved_with_cpu1;
    }
  }
  EXPECT_GT(interleaved_with_cpu1, 0) << "other CPUs must keep interleaving with a handler";
}

TEST(Engine, SameCpuSpinlockFromHardirqIsADeadlock) {
  LambdaWorkload w;
  std::optional<sim::SpinLock> lock;
  std::optional<sim::Shared<int>> x;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(1);
    lock.emplace(s, "lock");
    x.emplace(s, "x", 0);
    s.add_task("task", 0, [&] {
      lock->lock();  // no irqsave
      x->store(1);
      x->store(2);
      lock->unlock();
    });
    s.add_interrupt("irq", 0, Ctx::Hardirq, 1, [&] {
      lock->lock();
      lock->unlock();
    });
  };
  sim::Sim s({});
  s.load(w);
  int deadlocks = 0, clean = 0;
  run_random(s, 300, [&](const ExecResult& r) {
    if (r.end == ExecResult::End::Violation) {
      EXPECT_EQ(r.violation->property, Property::Deadlock);
      EXPECT_EQ(r.violation->ctx, Ctx::Hardirq);
      ++deadlocks;
    } else {
      ++clean;
    }
  });
  EXPECT_GT(deadlocks, 0);
  EXPECT_GT(clean, 0);  // when the irq fires outside the critical section, nothing is wrong
}

TEST(Engine, SpinlockIrqsaveExcludesTheHandlerAndOtherCpus) {
  LambdaWorkload w;
  std::optional<sim::SpinLock> lock;
  std::optional<sim::Shared<int>> inside;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(2);
    lock.emplace(s, "lock");
    inside.emplace(s, "inside", 0);
    auto critical = [&] {
      int v = inside->fetch_add(1);
      if (v != 0) s.report(Property::Assertion, "two holders");
      inside->fetch_sub(1);
    };
    for (int c = 0; c < 2; ++c)
      s.add_task("t" + std::to_string(c), c, [&, critical] {
        for (int i = 0; i < 2; ++i) {
          unsigned long f = lock->lock_irqsave();
          critical();
          lock->unlock_irqrestore(f);
        }
      });
    s.add_interrupt("irq", 0, Ctx::Hardirq, 2, [&, critical] {
      lock->lock();
      critical();
      lock->unlock();
    });
  };
  sim::Sim s({});
  s.load(w);
  run_random(s, 2000, [](const ExecResult& r) { ASSERT_EQ(r.end, ExecResult::End::Finished) << r.violation->message; });
}

TEST(Engine, RecursiveSpinlockIsADeadlock) {
  LambdaWorkload w;
  std::optional<sim::SpinLock> lock;
  w.on_build = [&](sim::Sim& s) {
    lock.emplace(s, "lock");
    s.add_task("t", 0, [&] {
      lock->lock();
      lock->lock();
    });
  };
  sim::Sim s({});
  s.load(w);
  sim::RandomSource src(1);
  ExecResult r = s.run(src);
  ASSERT_EQ(r.end, ExecResult::End::Violation);
  EXPECT_EQ(r.violation->property, Property::Deadlock);
}

TEST(Engine, OutOfBoundsBufferWriteIsMemorySafety) {
  LambdaWorkload w;
  std::optional<sim::ByteBuffer> buf;
  bool after = false;
  w.on_build = [&](sim::Sim& s) {
    buf.emplace(s, "buf", 16);
    s.add_task("t", 0, [&] {
      std::uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
      buf->write(12, data, 8, 1);
      after = true;
    });
  };
  sim::Sim s({});
  s.load(w);
  sim::RandomSource src(1);
  ExecResult r = s.run(src);
  ASSERT_EQ(r.end, ExecResult::End::Violation);
  EXPECT_EQ(r.violation->property, Property::MemorySafety);
  EXPECT_FALSE(after) << "the execution must stop at the bad access";
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(buf->bytes()[i], 0) << "nothing written on a failed bounds check";
}

TEST(Engine, CopyGranularityDecidesTheSteps) {
  for (auto [g, steps] : {std::pair{sim::Granularity::Message, 1u}, {sim::Granularity::Word, 3u}, {sim::Granularity::Byte, 20u}}) {
    LambdaWorkload w;
    std::optional<sim::ByteBuffer> buf;
    w.on_build = [&](sim::Sim& s) {
      buf.emplace(s, "buf", 64);
      s.add_task("t", 0, [&] {
        std::uint8_t data[20] = {};
        buf->write(4, data, 20, 9);  // [4, 24): words [4,8) [8,16) [16,24)
      });
    };
    sim::Sim::Config c;
    c.granularity = g;
    sim::Sim s(c);
    s.load(w);
    sim::RandomSource src(1);
    ExecResult r = s.run(src);
    EXPECT_EQ(r.steps, steps);
    EXPECT_EQ(buf->tags()[4], 9u);
    EXPECT_EQ(sim::tag_id(buf->tags()[23]), 9u);
    EXPECT_EQ(sim::tag_index(buf->tags()[23]), 19u);
    EXPECT_EQ(buf->tags()[24], 0u);
  }
}

TEST(Engine, IrqWorkRunsInHardirqAfterIrqsAreReenabled) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> phase;
  int work = -1;
  std::vector<int> seen_phase;
  bool was_hardirq = false;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(1);
    phase.emplace(s, "phase", 0);
    work = s.add_irq_work("wakeup_work", [&] {
      was_hardirq = s.in_hardirq();
      seen_phase.push_back(phase->load());
    });
    s.add_task("t", 0, [&] {
      unsigned long f = s.local_irq_save();
      phase->store(1);
      EXPECT_TRUE(s.irq_work_queue(work));
      EXPECT_FALSE(s.irq_work_queue(work)) << "already pending: coalesced";
      phase->store(2);
      s.local_irq_restore(f);
      phase->store(3);
    });
  };
  sim::Sim s({});
  s.load(w);
  run_random(s, 200, [](const ExecResult& r) { ASSERT_EQ(r.end, ExecResult::End::Finished); });
  EXPECT_TRUE(was_hardirq);
  std::set<int> phases(seen_phase.begin(), seen_phase.end());
  EXPECT_EQ(seen_phase.size(), 200u) << "runs exactly once per execution";
  EXPECT_FALSE(phases.count(1)) << "never inside the irqs-off region";
  EXPECT_TRUE(phases.count(2) && phases.count(3));
}

TEST(Engine, TimerFiresOnVirtualTimeInSoftirq) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> x;
  int timer = -1;
  std::uint64_t fired_at = 0;
  bool softirq = false;
  w.on_build = [&](sim::Sim& s) {
    x.emplace(s, "x", 0);
    timer = s.add_timer("timer", 0, [&] {
      fired_at = s.now();
      softirq = s.in_softirq();
      x->load();
    });
    s.add_task("t", 0, [&] {
      s.mod_timer(timer, 5);
      for (int i = 0; i < 10; ++i) x->store(i);
    });
  };
  sim::Sim s({});
  s.load(w);
  run_random(s, 50, [](const ExecResult& r) { ASSERT_EQ(r.end, ExecResult::End::Finished); });
  EXPECT_TRUE(softirq);
  EXPECT_GE(fired_at, 5u);
}

TEST(Engine, PreemptDisabledRegionIsNotPreemptedByAnotherTask) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> owner;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(1);
    owner.emplace(s, "owner", -1);
    for (int t = 0; t < 2; ++t)
      s.add_task("t" + std::to_string(t), 0, [&, t] {
        s.preempt_disable();
        owner->store(t);
        for (int i = 0; i < 3; ++i)
          if (owner->load() != t) s.report(Property::Assertion, "preempted inside preempt_disable");
        s.preempt_enable();
        owner->store(t);
        owner->store(t);
      });
  };
  sim::Sim s({});
  s.load(w);
  int preempted = 0;
  run_random(s, 1000, [&](const ExecResult& r) {
    ASSERT_EQ(r.end, ExecResult::End::Finished);
    preempted += r.preemptions > 0;
  });
  EXPECT_GT(preempted, 0) << "tasks on one CPU are preempted where preemption is enabled";
}

TEST(Engine, WaitQueueSleepsUntilWokenAndLostWakeupIsStuck) {
  for (bool waker : {true, false}) {
    LambdaWorkload w;
    std::optional<sim::Shared<int>> flag;
    std::optional<sim::WaitQueue> wq;
    w.on_build = [&](sim::Sim& s) {
      s.set_cpus(2);
      flag.emplace(s, "flag", 0);
      wq.emplace(s, "wq");
      s.add_task("sleeper", 0, [&] { wq->wait_event([&] { return flag->load() == 1; }); });
      s.add_task("waker", 1, [&] {
        flag->store(1);
        if (waker) wq->wake_up();
      });
    };
    sim::Sim s({});
    s.load(w);
    int stuck = 0;
    run_random(s, 500, [&](const ExecResult& r) {
      if (r.end == ExecResult::End::Violation) {
        EXPECT_EQ(r.violation->property, Property::Deadlock);
        ++stuck;
      }
    });
    if (waker) EXPECT_EQ(stuck, 0);
    else EXPECT_GT(stuck, 0) << "a store without wake_up leaves a sleeper asleep";
  }
}

TEST(Engine, StepBoundIsReported) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> x;
  w.on_build = [&](sim::Sim& s) {
    x.emplace(s, "x", 0);
    s.add_task("spinner", 0, [&] {
      while (x->load() == 0) {
      }
    });
  };
  sim::Sim::Config c;
  c.step_bound = 100;
  sim::Sim s(c);
  s.load(w);
  sim::RandomSource src(1);
  ExecResult r = s.run(src);
  ASSERT_EQ(r.end, ExecResult::End::Violation);
  EXPECT_EQ(r.violation->property, Property::StepBound);
  // The simulation is reusable after an aborted execution.
  ExecResult again = s.run(src);
  EXPECT_EQ(again.violation->property, Property::StepBound);
}

TEST(Engine, ExceptionInAnActorIsCarriedOutAndTheSimStaysUsable) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> x;
  int runs = 0;
  w.on_build = [&](sim::Sim& s) {
    x.emplace(s, "x", 0);
    s.add_task("thrower", 0, [&] {
      x->store(1);
      if (++runs == 1) throw std::runtime_error("boom");
      x->store(2);
    });
  };
  sim::Sim s({});
  s.load(w);
  sim::RandomSource src(1);
  ExecResult r = s.run(src);
  ASSERT_EQ(r.end, ExecResult::End::Error);
  EXPECT_THROW(std::rethrow_exception(r.error), std::runtime_error);
  ExecResult ok = s.run(src);
  EXPECT_EQ(ok.end, ExecResult::End::Finished);
  EXPECT_EQ(x->peek(), 2);
}

TEST(Engine, OptionZeroMeansNoPreemption) {
  LambdaWorkload w;
  std::optional<sim::Shared<int>> x;
  std::vector<int> order;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(2);
    x.emplace(s, "x", 0);
    for (int t = 0; t < 2; ++t)
      s.add_task("t" + std::to_string(t), t, [&, t] {
        for (int i = 0; i < 3; ++i) {
          x->load();
          order.push_back(t);
        }
      });
  };
  sim::Sim s({});
  s.load(w);
  sim::ReplaySource zeros({}, true);
  ExecResult r = s.run(zeros);
  EXPECT_EQ(r.preemptions, 0u);
  EXPECT_EQ(order, (std::vector<int>{0, 0, 0, 1, 1, 1}));
}
