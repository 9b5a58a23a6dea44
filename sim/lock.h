// sim/lock.h — spinlocks and wait queues with the kernel's rules, as yield points.
//
// SpinLock follows include/linux/spinlock.h: spin_lock() disables preemption, the _irqsave and
// _irq variants also disable interrupts on the local CPU; the lock word access is a step. A blocked
// acquirer is not runnable until the holder releases. Acquiring a lock already held by the running
// actor, or by a context this one interrupted on the same CPU (a hardirq taking a lock its task
// holds without irqsave), can never succeed: it is reported at once as a `deadlock` violation — the
// kernel would hang there (lockdep reports it as "inconsistent lock state").
//
// WaitQueue follows wait_event()/wake_up(): prepare_to_wait, test the condition, schedule() only if
// not woken meanwhile; a sleeping task leaves its CPU, other tasks and interrupts may run there.
#pragma once

#include <string>
#include <string_view>

#include "sim/memory.h"
#include "sim/sim.h"

namespace sim {

class SpinLock final : public SimObject {
 public:
  SpinLock(Sim& sim, std::string_view name) : SimObject(sim, name), index_(sim.register_lock(&state_)) {}
  void reset() override { state_.holder = -1; }
  int holder() const { return state_.holder; }

  void lock() {
    sim_.preempt_disable();
    acquire();
  }
  void unlock() {
    release();
    sim_.preempt_enable();
  }
  /// spin_trylock(): preemption stays disabled only on success.
  bool trylock() {
    sim_.preempt_disable();
    sim_.yield_point();
    if (state_.holder < 0) {
      set_holder(sim_.current_actor());
      if (Memory* m = sim_.memory()) [[unlikely]]
        m->lock_acquired(id_);
      sim_.record(Op::Lock, id_, 1);
      return true;
    }
    sim_.record(Op::TryLockFail, id_, static_cast<std::uint64_t>(state_.holder));
    sim_.preempt_enable();
    return false;
  }
  unsigned long lock_irqsave() {
    unsigned long flags = sim_.local_irq_save();
    lock();
    return flags;
  }
  void unlock_irqrestore(unsigned long flags) {
    unlock();
    sim_.local_irq_restore(flags);
  }
  /// raw_spin_trylock_irqsave(): on failure irqs are restored.
  bool trylock_irqsave(unsigned long& flags) {
    flags = sim_.local_irq_save();
    if (trylock()) return true;
    sim_.local_irq_restore(flags);
    return false;
  }

 private:
  void acquire() {
    sim_.yield_point();
    for (;;) {
      int holder = state_.holder;
      if (holder < 0) {
        set_holder(sim_.current_actor());
        if (Memory* m = sim_.memory()) [[unlikely]]
          m->lock_acquired(id_);
        sim_.record(Op::Lock, id_, 1);
        return;
      }
      if (sim_.is_below_on_same_cpu(holder)) {
        sim_.record(Op::LockBlocked, id_, static_cast<std::uint64_t>(holder));
        sim_.report(Property::Deadlock,
                    "'" + sim_.actor_name(sim_.current_actor()) + "' (" + std::string(ctx_name(sim_.current_ctx())) +
                        " on CPU " + std::to_string(sim_.smp_processor_id()) + ") spins on lock '" +
                        sim_.object_name(id_) + "' held by '" + sim_.actor_name(holder) + "' (" +
                        std::string(ctx_name(sim_.actor_ctx(holder))) +
                        ") on the same CPU, which cannot run until this context returns");
        return;  // not reached from an actor
      }
      sim_.record(Op::LockBlocked, id_, static_cast<std::uint64_t>(holder));
      sim_.block_on_lock(index_);
    }
  }
  void release() {
    sim_.yield_point();
    if (Memory* m = sim_.memory()) [[unlikely]]
      m->lock_released(id_);
    set_holder(-1);
    sim_.record(Op::Unlock, id_, 0);
  }
  // Acquirers blocked on this lock become enabled or disabled with each hand-over.
  void set_holder(int actor) {
    state_.holder = actor;
    if (state_.blocked) sim_.lock_changed(index_);
  }

  Sim::LockState state_;
  std::uint32_t index_;
};

class WaitQueue final : public SimObject {
 public:
  WaitQueue(Sim& sim, std::string_view name) : SimObject(sim, name) {}
  void reset() override {}

  /// wait_event(wq, cond): returns once cond() holds. cond may access shared state (steps).
  template <class Cond>
  void wait_event(Cond cond) {
    for (;;) {
      sim_.prepare_wait(id_);
      if (cond()) break;
      sim_.sleep_running(id_);
    }
    sim_.finish_wait();
  }
  /// wake_up_all(): a step (the queue's lock); returns how many sleepers were woken.
  int wake_up() {
    sim_.yield_point();
    int n = sim_.wake_all(id_);
    sim_.record(Op::Wake, id_, static_cast<std::uint64_t>(n));
    return n;
  }
};

}  // namespace sim
