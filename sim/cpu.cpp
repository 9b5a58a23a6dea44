// sim/cpu.cpp — the running CPU's state as the kernel exposes it (irq flags, preempt and bh
// counts, in_nmi/in_hardirq/in_softirq), deferred work (irq_work, timers), spinlock blocking and
// wait queues. The scheduler itself is in sim.cpp.
#include <stdexcept>
#include <string>

#include "sim/sim.h"
#include "sim/memory.h"

namespace sim {

// ---------------------------------------------------------------------------------------------
// CPU state as the kernel exposes it to the running context.

int Sim::smp_processor_id() const { return actors_[running_].cpu; }
Ctx Sim::current_ctx() const { return actors_[running_].ctx; }
bool Sim::in_nmi() const { return running_cpu().nmi > 0; }
bool Sim::in_hardirq() const { return running_cpu().hardirq > 0; }
bool Sim::in_softirq() const { return running_cpu().softirq > 0; }
bool Sim::in_task() const { return running_cpu().depth == 0; }
bool Sim::irqs_disabled() const { return running_cpu().irqs_disabled; }
int Sim::preempt_count() const { return running_cpu().preempt; }

// Each transition that changes what may run on this CPU (irqs on/off, preempt_count or the
// bottom-half count reaching or leaving 0) marks its cached option counts stale (sim.h banner).
unsigned long Sim::local_irq_save() {
  Cpu& c = running_cpu();
  unsigned long flags = c.irqs_disabled ? 1 : 0;
  if (!flags) touch(actors_[running_].cpu);
  c.irqs_disabled = true;
  return flags;
}
void Sim::local_irq_restore(unsigned long flags) {
  Cpu& c = running_cpu();
  const bool was = c.irqs_disabled;
  c.irqs_disabled = flags != 0;
  if (was != c.irqs_disabled) touch(actors_[running_].cpu);
  if (was && !c.irqs_disabled) local_enable_point();
}
void Sim::local_irq_disable() {
  Cpu& c = running_cpu();
  if (!c.irqs_disabled) touch(actors_[running_].cpu);
  c.irqs_disabled = true;
}
void Sim::local_irq_enable() {
  Cpu& c = running_cpu();
  const bool was = c.irqs_disabled;
  c.irqs_disabled = false;
  if (was) {
    touch(actors_[running_].cpu);
    local_enable_point();
  }
}
void Sim::preempt_disable() {
  if (running_cpu().preempt++ == 0) touch(actors_[running_].cpu);
}
void Sim::preempt_enable() {
  Cpu& c = running_cpu();
  if (c.preempt <= 0) throw std::logic_error("preempt_enable without preempt_disable");
  if (--c.preempt == 0) {
    touch(actors_[running_].cpu);
    local_enable_point();
  }
}

// Interrupts or preemption were just re-enabled on the running CPU: as in the kernel, a pending
// interrupt fires here and a waiting task may preempt (preempt_enable -> preempt_schedule). It is a
// scheduling point only when this CPU has something that could now run; otherwise nothing local
// can happen before the next shared access, which is a scheduling point anyway.
void Sim::local_enable_point() {
  if (running_ == kDriver) return;
  // From the cached counts: this CPU's other ready tasks are counted only when it may switch
  // (depth 0, preemption and irqs and bottom halves enabled), its sources only when allowed.
  refresh();
  const Cpu& c = cpus_[actors_[running_].cpu];
  if (c.n_others + c.n_src) yield_point();
}
void Sim::local_bh_disable() {
  if (running_cpu().bh++ == 0) touch(actors_[running_].cpu);
}
void Sim::local_bh_enable() {
  Cpu& c = running_cpu();
  if (c.bh <= 0) throw std::logic_error("local_bh_enable without local_bh_disable");
  if (--c.bh == 0) touch(actors_[running_].cpu);
}

bool Sim::irq_work_queue(int work) {
  Source& s = sources_.at(static_cast<std::size_t>(work));
  if (s.kind != Source::IrqWork) throw std::logic_error("irq_work_queue on a source that is not irq_work");
  if (observer_) observer_->on_access(running_, Op::Fire, static_cast<std::uint32_t>(work));
  if (s.pending) return false;
  s.pending = true;
  if (!actors_[s.actor].active) s.cpu = smp_processor_id();
  if (s.cpu >= 0) touch(s.cpu);
  return true;
}

void Sim::mod_timer(int timer, std::uint64_t delay) {
  Source& s = sources_.at(static_cast<std::size_t>(timer));
  if (s.kind != Source::Timer) throw std::logic_error("mod_timer on a source that is not a timer");
  if (observer_) observer_->on_access(running_, Op::Fire, static_cast<std::uint32_t>(timer));
  s.pending = true;
  s.expires = steps_ + delay;
  touch(s.cpu);
  if (s.expires < next_timer_) next_timer_ = s.expires;
}

bool Sim::is_below_on_same_cpu(int actor) const {
  if (actor == running_) return true;
  const Cpu& c = running_cpu();
  if (c.current_task == actor) return true;
  for (int i = 0; i < c.depth; ++i)
    if (c.frames[i].actor == actor) return true;
  return false;
}

void Sim::block_on_lock(std::uint32_t lock_index) {
  actors_[running_].blocked_on = static_cast<int>(lock_index);
  ++locks_[lock_index]->blocked;
  touch_tasks(actors_[running_].cpu);
  schedule();
  if (running_ != kDriver) {
    actors_[running_].blocked_on = -1;
    --locks_[lock_index]->blocked;
    touch_tasks(actors_[running_].cpu);
  }
}

void Sim::lock_changed(std::uint32_t lock_index) {
  for (const Actor& a : actors_)
    if (a.blocked_on == static_cast<int>(lock_index)) touch_tasks(a.cpu);
}

void Sim::check_task_context(const char* what) const {
  const Cpu& c = running_cpu();
  // in_atomic() as might_sleep() sees it: local_bh_disable() adds SOFTIRQ_DISABLE_OFFSET to
  // preempt_count, so a sleep with bottom halves disabled is atomic too.
  if (actors_[running_].ctx != Ctx::Task || c.preempt || c.bh || c.irqs_disabled || c.depth)
    throw std::logic_error(std::string(what) + " called from atomic context by '" + actors_[running_].name + "'");
}

void Sim::prepare_wait(std::uint32_t queue) {
  check_task_context("prepare_to_wait");
  Actor& a = actors_[running_];
  a.sleeping_on = static_cast<int>(queue);
  a.woken = false;
  if (observer_) observer_->on_access(running_, Op::Wait, queue);
  if (memory_) [[unlikely]]
    memory_->fence(Fence::Mb);  // set_current_state(): smp_store_mb, a full barrier
}

void Sim::finish_wait() {
  Actor& a = actors_[running_];
  if (observer_ && a.sleeping_on >= 0) observer_->on_access(running_, Op::Wait, static_cast<std::uint32_t>(a.sleeping_on));
  a.sleeping_on = -1;
  a.woken = false;
}

void Sim::sleep_running(std::uint32_t queue) {
  check_task_context("schedule() on a wait queue");
  Actor& a = actors_[running_];
  if (a.woken) return;  // woken between prepare_to_wait and schedule(): no sleep
  a.sleeping_on = static_cast<int>(queue);
  a.asleep = true;
  cpus_[a.cpu].current_task = -1;  // the task leaves its CPU
  touch_tasks(a.cpu);
  record(Op::Wait, queue, 0);
  schedule();
}

int Sim::wake_all(std::uint32_t queue) {
  int woken = 0;
  if (memory_ && running_ != kDriver) [[unlikely]]
    memory_->fence(Fence::Mb);  // wake_up(): the queue's spinlock and try_to_wake_up's smp_mb__after_spinlock
  for (Actor& a : actors_) {
    if (a.sleeping_on == static_cast<int>(queue)) {
      a.sleeping_on = -1;
      if (a.asleep) touch_tasks(a.cpu);
      a.asleep = false;
      a.woken = true;
      ++woken;
    }
  }
  return woken;
}

}  // namespace sim
