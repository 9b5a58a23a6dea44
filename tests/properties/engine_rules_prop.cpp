// tests/properties/engine_rules_prop.cpp — RapidCheck: the engine's context rules, stated by random
// workloads that watch them from inside (issue 18, item 4: every engine rule of the mutation gate
// covered by a property as well as by tests/sim/engine_rules_test.cpp).
//
// Generated: 1–3 CPUs; 1–6 tasks on random CPUs, each running 1–6 random sections: plain stores,
// a local_irq_save() section, a preempt_disable() section, a local_bh_disable() section, two
// irq_work_queue() calls with irqs off, mod_timer() on its CPU's timer; 2–7 interrupt sources
// (hardirq, softirq, NMI) on random CPUs firing 1–3 times; an irq_work and a timer per CPU. Each
// execution runs under random and PCT schedules. Handlers and tasks check, with host-side ghost
// counters per CPU (one OS thread runs every fiber, so they are exact), the kernel's rules:
// - an NMI never nests inside an NMI; hardirq and NMI handlers run with irqs disabled;
// - a hardirq (and irq_work) never fires while irqs are off or inside a hardirq or NMI;
// - a softirq (and a timer) runs only on return to a task with irqs on and bottom halves enabled,
//   never inside a hardirq, an NMI or another softirq, and with irqs enabled;
// - returning from an interrupt restores the interrupted task's irq state and preempt_count;
// - no other task runs on a CPU whose task is inside an irqs-off, preempt-off or bh-off section;
// - irq_work runs on the CPU that queued it, and queueing pending work is coalesced (false);
// - a timer fires no earlier than the virtual time it was armed for.
// A broken rule is reported as an assertion with the rule's text.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/choice.h"
#include "sim/lock.h"
#include "sim/shared.h"
#include "sim/sim.h"
#include "tests/sim/lambda_workload.h"

namespace {

using sim::Ctx;

enum Section { kStores, kIrqSave, kPreempt, kBh, kIrqWork, kTimer, kSections };
struct Task {
  int cpu;
  std::vector<int> sections;
};
struct Irq {
  int cpu, kind, fires;  // kind: 0 hardirq, 1 softirq, 2 NMI
};

struct PerCpu {
  int nmi = 0, hard = 0, soft = 0;     // handlers running (nesting depth by kind)
  int owner = -1;                      // the task inside an atomic section, if any
  bool irqs_off = false, bh_off = false;
  int work_cpu = -1;                   // where this CPU's irq_work was queued (its queuer's CPU)
  std::uint64_t timer_due = 0;         // the earliest step the armed timer may fire at
  bool timer_armed = false;
};

class RulesWorkload {
 public:
  RulesWorkload(int cpus, std::vector<Task> tasks, std::vector<Irq> irqs)
      : cpus_(cpus), tasks_(std::move(tasks)), irqs_(std::move(irqs)) {
    w_.on_build = [this](sim::Sim& s) { build(s); };
    w_.on_reset = [this](sim::Sim&) { g_.assign(static_cast<std::size_t>(cpus_), {}); };
  }
  sim::Workload& workload() { return w_; }

 private:
  void fail(sim::Sim& s, const std::string& rule) { s.report(sim::Property::Assertion, "engine rule broken: " + rule); }
  PerCpu& here(sim::Sim& s) { return g_[static_cast<std::size_t>(s.smp_processor_id())]; }

  // A handler's few shared accesses: points where something else may fire.
  void handler_body() {
    for (int i = 0; i < 2; ++i) x_->load();
  }

  void build(sim::Sim& s) {
    s.set_cpus(cpus_);
    x_.emplace(s, "x", 0);
    g_.assign(static_cast<std::size_t>(cpus_), {});
    works_.clear();
    timers_.clear();
    for (int c = 0; c < cpus_; ++c) {
      works_.push_back(s.add_irq_work("work" + std::to_string(c), [this, &s, c] {
        PerCpu& p = here(s);
        const int queued_on = g_[static_cast<std::size_t>(c)].work_cpu;
        if (s.smp_processor_id() != queued_on) fail(s, "irq_work runs on the CPU that queued it");
        g_[static_cast<std::size_t>(c)].work_cpu = -1;
        if (p.irqs_off || p.hard || p.nmi) fail(s, "irq_work (hardirq context) never fires with irqs off or inside a hardirq or NMI");
        if (!s.irqs_disabled()) fail(s, "irq_work runs with irqs disabled (hardirq context)");
        ++p.hard;
        handler_body();
        --p.hard;
      }));
      timers_.push_back(s.add_timer("timer" + std::to_string(c), c, [this, &s] {
        PerCpu& p = here(s);
        if (p.timer_armed && s.steps() < p.timer_due) fail(s, "a timer fires only once its expiry time is reached");
        p.timer_armed = false;
        softirq_checks(s, p, "a timer");
        ++p.soft;
        handler_body();
        --p.soft;
      }));
    }
    for (std::size_t i = 0; i < irqs_.size(); ++i) {
      const Irq q = irqs_[i];
      static const Ctx kinds[] = {Ctx::Hardirq, Ctx::Softirq, Ctx::Nmi};
      s.add_interrupt("irq" + std::to_string(i), q.cpu, kinds[q.kind], static_cast<std::uint32_t>(q.fires), [this, &s, q] {
        PerCpu& p = here(s);
        if (q.kind == 2) {
          if (p.nmi) fail(s, "an NMI never nests inside another NMI on the same CPU");
          if (!s.irqs_disabled()) fail(s, "an NMI handler runs with irqs disabled");
          ++p.nmi;
          handler_body();
          --p.nmi;
        } else if (q.kind == 0) {
          if (p.irqs_off) fail(s, "a hardirq never fires while local irqs are disabled");
          if (p.hard || p.nmi) fail(s, "a hardirq never fires inside a hardirq or an NMI");
          if (!s.irqs_disabled()) fail(s, "a hardirq handler runs with irqs disabled");
          ++p.hard;
          handler_body();
          --p.hard;
        } else {
          softirq_checks(s, p, "a softirq");
          ++p.soft;
          handler_body();
          --p.soft;
        }
      });
    }
    for (std::size_t t = 0; t < tasks_.size(); ++t)
      s.add_task("task" + std::to_string(t), tasks_[t].cpu, [this, &s, t] { run_task(s, static_cast<int>(t)); });
  }

  void softirq_checks(sim::Sim& s, const PerCpu& p, const std::string& what) {
    if (p.hard || p.nmi || p.soft) fail(s, what + " runs only on return to task context: never inside a hardirq, an NMI or a softirq");
    if (p.bh_off) fail(s, what + " never runs while bottom halves are disabled (local_bh_disable)");
    if (p.irqs_off) fail(s, what + " never runs while local irqs are disabled");
    if (s.irqs_disabled()) fail(s, what + " handler runs with irqs enabled");
  }

  // A task's access, then the checks that hold after whatever fired at it returned.
  void step(sim::Sim& s, int me, int section) {
    x_->store(me);
    PerCpu& p = here(s);
    if (p.owner >= 0 && p.owner != me)
      fail(s, "no other task runs on a CPU whose task is inside an irqs-off, preempt-off or bh-off section");
    if (section == kIrqSave && !s.irqs_disabled())
      fail(s, "irqs stay disabled until local_irq_restore (an interrupt returns to the state it found)");
    if (section == kPreempt && s.preempt_count() != 1)
      fail(s, "preempt_count is 1 inside preempt_disable (an interrupt returns to the count it found)");
  }

  void run_task(sim::Sim& s, int me) {
    for (int section : tasks_[static_cast<std::size_t>(me)].sections) {
      const int cpu = s.smp_processor_id();
      PerCpu& p = g_[static_cast<std::size_t>(cpu)];
      switch (section) {
        case kStores:
          for (int i = 0; i < 2; ++i) step(s, me, section);
          break;
        case kIrqSave: {
          const unsigned long f = s.local_irq_save();
          p.irqs_off = true;
          p.owner = me;
          for (int i = 0; i < 3; ++i) step(s, me, section);
          p.owner = -1;
          p.irqs_off = false;
          s.local_irq_restore(f);
          break;
        }
        case kPreempt:
          s.preempt_disable();
          p.owner = me;
          for (int i = 0; i < 3; ++i) step(s, me, section);
          p.owner = -1;
          s.preempt_enable();
          break;
        case kBh:
          s.local_bh_disable();
          p.bh_off = true;
          p.owner = me;
          for (int i = 0; i < 3; ++i) step(s, me, section);
          p.owner = -1;
          p.bh_off = false;
          s.local_bh_enable();
          break;
        case kIrqWork: {
          const unsigned long f = s.local_irq_save();
          p.irqs_off = true;
          const int work = works_[static_cast<std::size_t>(cpu)];
          PerCpu& wp = g_[static_cast<std::size_t>(cpu)];
          const bool pending = wp.work_cpu >= 0;
          const bool first = s.irq_work_queue(work);
          if (first == pending) fail(s, "irq_work_queue returns false exactly when the work is pending");
          if (first) wp.work_cpu = cpu;
          if (s.irq_work_queue(work)) fail(s, "irq_work_queue on pending work is coalesced (returns false)");
          step(s, me, kIrqSave);
          p.irqs_off = false;
          s.local_irq_restore(f);
          step(s, me, kStores);  // a point after the restore where the work may run
          break;
        }
        case kTimer: {
          const std::uint64_t delay = 3 + static_cast<std::uint64_t>(me % 4) * 5;
          s.mod_timer(timers_[static_cast<std::size_t>(cpu)], delay);
          p.timer_due = s.steps() + delay;
          p.timer_armed = true;
          // Virtual time is steps: stay on the CPU until the timer has fired (it must, soon).
          for (int i = 0; p.timer_armed; ++i) {
            if (i > 5000) return fail(s, "an armed timer fires once its expiry time is reached");
            step(s, me, kStores);
            s.yield();  // (PCT: a spinning task drops below the timer)
          }
          break;
        }
      }
    }
  }

  int cpus_;
  std::vector<Task> tasks_;
  std::vector<Irq> irqs_;
  testing_support::LambdaWorkload w_;
  std::optional<sim::Shared<int>> x_;
  std::vector<PerCpu> g_;
  std::vector<int> works_, timers_;
};

}  // namespace

RC_GTEST_PROP(EngineRulesProp, RandomContextsKeepTheKernelsNestingMaskingAndTimingRules, ()) {
  auto in_range = [](int lo, int hi) { return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange(lo, hi)); };
  const int cpus = in_range(1, 4);
  std::vector<Task> tasks(static_cast<std::size_t>(in_range(1, 7)));
  bool two_on_a_cpu = false;
  std::vector<int> per_cpu(static_cast<std::size_t>(cpus), 0);
  for (Task& t : tasks) {
    t.cpu = in_range(0, cpus);
    two_on_a_cpu |= ++per_cpu[static_cast<std::size_t>(t.cpu)] > 1;
    t.sections.resize(static_cast<std::size_t>(in_range(1, 7)));
    for (int& sec : t.sections) sec = in_range(0, kSections);
  }
  std::vector<Irq> irqs(static_cast<std::size_t>(in_range(2, 8)));
  std::vector<int> nmis(static_cast<std::size_t>(cpus), 0);
  bool two_nmis = false;
  for (Irq& q : irqs) {
    q.cpu = in_range(0, cpus);
    q.kind = in_range(0, 3);
    q.fires = in_range(1, 4);
    if (q.kind == 2) two_nmis |= ++nmis[static_cast<std::size_t>(q.cpu)] > 1;
  }
  RulesWorkload rw(cpus, tasks, irqs);
  sim::Sim s({});
  s.load(rw.workload());
  std::uint64_t fired = 0;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    sim::RandomSource rnd(sim::derive_seed(4242, seed));
    sim::PctSource pct(sim::derive_seed(4243, seed), 3, 600);
    for (int k = 0; k < 2; ++k) {
      const auto r = k == 0 ? s.run(rnd) : s.run(pct);
      fired += r.interrupts;
      if (r.violation) RC_FAIL((k == 0 ? "random seed " : "pct seed ") + std::to_string(seed) + ": " + r.violation->message);
      RC_ASSERT(r.end == sim::ExecResult::End::Finished);
    }
  }
  RC_TAG(cpus >= 2 ? "2+ CPUs" : "1 CPU", two_on_a_cpu ? "two tasks share a CPU" : "a task per CPU",
         two_nmis ? "two NMI sources share a CPU" : "no two NMI sources on a CPU");
  RC_CLASSIFY(fired > 0, "interrupts fired");
}

// Rule: sleeping in atomic context is an internal fault (might_sleep: kernel/sched/core.c
// __might_sleep), and only there. A sleeper task on CPU 0 waits on a wait queue (wait_event) inside
// a random section (none, irqs off, preemption off, bottom halves off); a waker on a random CPU sets
// the condition and wakes the queue; interrupts fire on random CPUs. Under random and PCT
// schedules, every execution ends in the engine's internal fault "atomic context" when the section
// is atomic (wait_event begins with might_sleep(), whether or not the condition already holds), and
// finishes normally when it is not (the positive control; the share of cases where the sleeper
// really slept there is printed).
// Bottom halves off counts as atomic: local_bh_disable() adds SOFTIRQ_DISABLE_OFFSET to
// preempt_count, so might_sleep() reports a sleep there too (sim/cpu.cpp check_task_context).
RC_GTEST_PROP(EngineRulesProp, SleepingInAtomicContextIsAnInternalFaultAndOnlyThere, ()) {
  auto in_range = [](int lo, int hi) { return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange(lo, hi)); };
  const int cpus = in_range(1, 3);
  const int section = *rc::gen::weightedElement<int>({{1, 0}, {1, kIrqSave}, {1, kPreempt}, {1, kBh}});
  const int waker_cpu = in_range(0, cpus);
  std::vector<Irq> irqs(static_cast<std::size_t>(in_range(0, 4)));
  for (Irq& q : irqs) {
    q.cpu = in_range(0, cpus);
    q.kind = in_range(0, 3);
    q.fires = in_range(1, 3);
  }
  testing_support::LambdaWorkload w;
  std::optional<sim::Shared<int>> flag;
  std::optional<sim::WaitQueue> wq;
  int evaluations = 0;
  bool slept = false;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(cpus);
    flag.emplace(s, "flag", 0);
    wq.emplace(s, "wq");
    s.add_task("sleeper", 0, [&] {
      unsigned long f = 0;
      if (section == kIrqSave) f = s.local_irq_save();
      if (section == kPreempt) s.preempt_disable();
      if (section == kBh) s.local_bh_disable();
      wq->wait_event([&] {
        const bool ready = flag->load() != 0;
        if (++evaluations == 1 && !ready) slept = true;
        return ready;
      });
      if (section == kBh) s.local_bh_enable();
      if (section == kPreempt) s.preempt_enable();
      if (section == kIrqSave) s.local_irq_restore(f);
    });
    s.add_task("waker", waker_cpu, [&] {
      flag->store(1);
      wq->wake_up();
    });
    for (std::size_t i = 0; i < irqs.size(); ++i) {
      static const Ctx kinds[] = {Ctx::Hardirq, Ctx::Softirq, Ctx::Nmi};
      s.add_interrupt("irq" + std::to_string(i), irqs[i].cpu, kinds[irqs[i].kind], static_cast<std::uint32_t>(irqs[i].fires),
                      [&] { flag->load(); });
    }
  };
  w.on_reset = [&](sim::Sim&) {
    evaluations = 0;
    slept = false;
  };
  sim::Sim s({});
  s.load(w);
  int sleeps = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    sim::RandomSource rnd(sim::derive_seed(5151, seed));
    sim::PctSource pct(sim::derive_seed(5152, seed), 3, 200);
    for (int k = 0; k < 2; ++k) {
      const auto r = k == 0 ? s.run(rnd) : s.run(pct);
      sleeps += slept;
      if (section != 0) {
        RC_ASSERT(r.end == sim::ExecResult::End::Error);
        try {
          std::rethrow_exception(r.error);
        } catch (const std::logic_error& e) {
          if (std::string(e.what()).find("atomic context") == std::string::npos) RC_FAIL(std::string("not the atomic-context fault: ") + e.what());
        }
      } else {
        if (r.violation) RC_FAIL(r.violation->message);
        if (r.end == sim::ExecResult::End::Error) {
          try {
            std::rethrow_exception(r.error);
          } catch (const std::exception& e) {
            RC_FAIL(std::string("internal fault without a sleep in atomic context: ") + e.what());
          }
        }
        RC_ASSERT(r.end == sim::ExecResult::End::Finished);
      }
    }
  }
  static const char* names[] = {"no section", "irqs off", "preemption off", "bottom halves off"};
  RC_TAG(names[section], section ? "wait_event in atomic context" : sleeps > 0 ? "the sleeper slept" : "the sleeper never slept");
}

namespace {

// Rule: a context that spins on a spinlock held by a context it interrupted on the same CPU (a
// hardirq taking the lock its task holds with irqs on) can never get it: the engine reports the AA
// deadlock at once, in the interrupting context, naming the lock and the holder; a handler that
// spins on a lock held on another CPU only waits. Random tasks on 1-3 CPUs take one lock, each with
// spin_lock or spin_lock_irqsave; hardirq handlers on random CPUs take it too. A ghost (no steps:
// the CPU that took the lock last, with the lock's holder) records, at each handler's attempt,
// whether the holder is a context below it on its own CPU.
// Every execution must end in Deadlock exactly when that happened, reported by that handler with
// the same-CPU message, and finish normally otherwise.
RC_GTEST_PROP(EngineRulesProp, SpinningOnALockHeldBelowOnTheSameCpuIsReportedAtOnce, ()) {
  auto in_range = [](int lo, int hi) { return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange(lo, hi)); };
  const int cpus = in_range(1, 4);
  struct LockTask {
    int cpu;
    bool irqsave;
  };
  std::vector<LockTask> tasks(static_cast<std::size_t>(in_range(1, 4)));
  for (LockTask& t : tasks) t = LockTask{in_range(0, cpus), in_range(0, 2) == 1};
  std::vector<int> handler_cpus(static_cast<std::size_t>(in_range(1, 3)));
  for (int& c : handler_cpus) c = in_range(0, cpus);
  testing_support::LambdaWorkload w;
  std::optional<sim::SpinLock> lock;
  std::optional<sim::Shared<int>> counter;
  int holder_cpu = -1;  // ghost: the CPU of the context that took the lock last (set with no step between)
  int aa_actor = -1;    // ghost: the handler that spun on a lock held below it on its CPU
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(cpus);
    lock.emplace(s, "lock");
    counter.emplace(s, "counter", 0);
    for (std::size_t i = 0; i < tasks.size(); ++i)
      s.add_task("task" + std::to_string(i), tasks[i].cpu, [&, i] {
        unsigned long f = 0;
        if (tasks[i].irqsave) f = lock->lock_irqsave();
        else lock->lock();
        holder_cpu = s.smp_processor_id();
        counter->store(counter->load() + 1);
        if (tasks[i].irqsave) lock->unlock_irqrestore(f);
        else lock->unlock();
      });
    for (std::size_t i = 0; i < handler_cpus.size(); ++i)
      s.add_interrupt("irq" + std::to_string(i), handler_cpus[i], sim::Ctx::Hardirq, 1, [&] {
        // Held, and taken last on this CPU: by the task this handler interrupted (hardirqs do not nest).
        if (lock->holder() >= 0 && holder_cpu == s.smp_processor_id() && aa_actor < 0) aa_actor = s.current_actor();
        lock->lock();
        holder_cpu = s.smp_processor_id();
        counter->store(counter->load() + 1);
        lock->unlock();
      });
  };
  w.on_reset = [&](sim::Sim&) { holder_cpu = aa_actor = -1; };
  sim::Sim s({});
  s.load(w);
  int aa = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    sim::RandomSource rnd(sim::derive_seed(6161, seed));
    sim::PctSource pct(sim::derive_seed(6162, seed), 3, 60);
    for (int k = 0; k < 2; ++k) {
      const auto r = k == 0 ? s.run(rnd) : s.run(pct);
      if (r.end == sim::ExecResult::End::Error) {
        try {
          std::rethrow_exception(r.error);
        } catch (const std::exception& e) {
          RC_FAIL(std::string("internal fault: ") + e.what());
        }
      }
      if (aa_actor >= 0) {
        ++aa;
        RC_ASSERT(r.end == sim::ExecResult::End::Violation);
        RC_ASSERT(r.violation->property == sim::Property::Deadlock);
        RC_ASSERT(r.violation->actor == aa_actor);
        if (r.violation->message.find("on the same CPU, which cannot run until this context returns") == std::string::npos)
          RC_FAIL("not reported at once as the same-CPU spin: " + r.violation->message);
      } else {
        if (r.violation) RC_FAIL("no handler spun on a lock held below it, yet: " + r.violation->message);
        RC_ASSERT(r.end == sim::ExecResult::End::Finished);
      }
    }
  }
  RC_TAG(aa > 0 ? "an AA deadlock was reached" : "no AA deadlock reached", cpus >= 2 ? "2+ CPUs" : "1 CPU");
}

}  // namespace
