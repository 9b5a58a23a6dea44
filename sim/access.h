// sim/access.h — the per-step access record: what each step of an execution touched, and the
// dependency relation the DFS explorer's partial-order reduction (sim/dfs.h) is built on.
//
// A step is what one actor does between two scheduling decisions (sim.h, StepObserver): its
// start/fire record, its shared access, and the local code up to its next yield point. Its
// footprint is a small set of (object, read|write):
//   - each recorded access: loads, failed cmpxchg, lock-blocked and trylock-fail, copy-out read;
//     stores, exchanges, successful cmpxchg, fetch-ops, lock, unlock, copy-in, wait, wake write;
//     prepare_to_wait / finish_wait write their queue (a wake-up's effect depends on them);
//   - its CPU, written by every step of an actor running there: a firing interrupt, a handler's
//     steps and the task it interrupted are all ordered, and every change of the CPU's irq,
//     preempt or bottom-half state (which enables or disables an interrupt or a task switch there)
//     happens inside some step on that CPU;
//   - its interrupt source, written by each step of its handler, by irq_work_queue and mod_timer
//     (they enable a firing); irq_work_queue writes every CPU too (an active work re-queued from
//     another CPU fires again where it runs);
//   - wake and unlock write every CPU when some CPU has more than one task: they make a task
//     runnable, which decides whether a preempt_enable on that task's CPU is a yield point;
//   - with timers, every step writes the global clock: a timer's expiry is set from the step count
//     and its enabledness depends on it, and every step advances it (so timers get no reduction).
// Two steps are dependent when they are by the same actor or touch one object with at least one
// write. The relation over-approximates: it is sound to call more steps dependent, never fewer.
// Not seen: state that models keep outside sim objects (ghost records such as the ledger); a
// check that reads such state in a step that touches nothing instrumented is not ordered by it.
//
// The footprint has a fixed capacity; a step that touches more objects is dependent with every
// step (`overflow`). Recording never allocates once the step vector has grown to its high mark.
//
// Spin iterations (`spin_pruning`; on with the engine's spin rule, Sim::Config::spin_wait): an
// iteration of an actor is what it does between two yield()s. Its "pure tail" is what it did
// after its last write (store, RMW, lock, copy-in, wake, firing), when that was only reads. When
// the next iteration begins with the same accesses (the same operations on the same objects, in
// the same order) as the end of that tail, those steps (and the yield after them) are `weak`: the
// loop body ran, failed and ran again, which changed nothing (GenMC's spin-assume: a side-effect
// free iteration is blocked, not an event). Reads before the loop are not repeated, so they stay
// events. `finalize` marks them once the execution is over. A weak step is also `silent` when
// no other actor wrote what the tail read before it, from the tail's first step to the end of
// the repeat: then a later write is seen by the repeat exactly as by the tail moved after the
// write, so the DFS's source-DPOR (dfs.cpp, `analyze`) races a silent step only as the later
// step. A weak step that is not silent is raced as usual (moving a write between two reads of one
// iteration gives it a snapshot the repeat never reads). Sleep sets still see every step's
// footprint; class_fingerprint skips weak steps. Each such tail is also a `SpinTail` (its yield and what it read):
// until another actor writes one of those objects, the actor's next iteration reads what the tail
// read and fails the same way, so that first write is what lets it make progress (the engine's
// spin rule blocks it until then).
#pragma once

#include <cstdint>
#include <vector>

#include "sim/sim.h"

namespace sim {

struct Access {
  std::uint32_t object;  // registered object id, or one of the pseudo-objects below
  bool write;
};
inline constexpr std::uint32_t kCpuObject = 0x80000000u;     // | cpu
inline constexpr std::uint32_t kSourceObject = 0x40000000u;  // | source index
inline constexpr std::uint32_t kClockObject = 0x20000000u;

struct StepAccess {
  static constexpr int kMax = 10;
  std::int32_t actor = -1;
  std::int16_t cpu = -1;  // the CPU the step ran on (set when the step closes)
  std::uint8_t n = 0;
  bool overflow = false;
  bool weak = false;        // part of a failed spin iteration run again (see above; finalize)
  bool silent = false;      // weak, and no step races with it as the earlier one (see above)
  bool yield = false;       // records the actor's yield()
  bool impure = false;      // did something other than read
  std::uint64_t ops = 0;    // hash of the (operation, object) records of the step
  Access acc[kMax];

  void add(std::uint32_t object, bool write) {
    for (int i = 0; i < n; ++i)
      if (acc[i].object == object) {
        acc[i].write |= write;
        return;
      }
    if (n == kMax) {
      overflow = true;
      return;
    }
    acc[n++] = Access{object, write};
  }
};

inline bool dependent(const StepAccess& a, const StepAccess& b) {
  if (a.actor == b.actor || a.overflow || b.overflow) return true;
  for (int i = 0; i < a.n; ++i)
    for (int j = 0; j < b.n; ++j)
      if (a.acc[i].object == b.acc[j].object && (a.acc[i].write || b.acc[j].write)) return true;
  return false;
}

/// A weak tail (see above): its yield step, its actor and the objects it read.
struct SpinTail {
  static constexpr int kMax = 8;
  std::size_t begin = 0, end = 0;  // its first step, its yield step
  std::int32_t actor = -1;
  std::uint8_t n = 0;
  std::uint32_t reads[kMax];
};

/// Collects the footprint of every step of one execution (a StepObserver installed on the Sim).
class AccessRecord final : public StepObserver {
 public:
  explicit AccessRecord(const Sim& sim);
  /// Before each execution.
  void begin() {
    steps_.clear();
    tails_.clear();
    open_ = false;
    finalized_ = false;
  }
  void on_step(int actor) override {
    close();
    open_ = true;
    steps_.emplace_back();
    steps_.back().actor = actor;
  }
  /// After an execution: marks the weak steps and lists the SpinTails (spin pruning; idempotent).
  void finalize();
  /// Takes over the finalized record of an execution that another AccessRecord of the same
  /// workload made (the parallel source-DPOR commits runs made on other threads; dfs.cpp). The
  /// vectors are swapped: the caller gets this record's old buffers back.
  void adopt(std::vector<StepAccess>& steps, std::vector<SpinTail>& tails) {
    steps_.swap(steps);
    tails_.swap(tails);
    open_ = false;
    finalized_ = true;
  }
  /// Weak steps and SpinTails (default: on with the spin rule).
  void set_spin_pruning(bool on) { spin_ = on && spin_rule_; }
  bool spin_pruning() const { return spin_; }
  /// The weak tails of the execution, by their yield step (after finalize).
  const std::vector<SpinTail>& spin_tails() const { return tails_; }
  void on_access(int actor, Op op, std::uint32_t object) override;
  /// Completes the open step (its CPU and source are known once its fire record is in).
  void close();
  const std::vector<StepAccess>& steps() const { return steps_; }
  /// The Mazurkiewicz class of the recorded execution under `dependent` (reads commute with
  /// reads): a hash of every step's (actor, index in its actor, and for each object it touches
  /// the number of writes to that object before it). Equal for equivalent executions.
  std::uint64_t class_fingerprint() const;
  /// A dense index for an object or pseudo-object, below object_slots().
  std::uint32_t dense(std::uint32_t object) const;
  std::uint32_t object_slots() const { return static_cast<std::uint32_t>(versions_.size()); }
  /// Whether every step writes the global clock (the workload has timers).
  bool timers() const { return timers_; }

 private:
  const Sim& sim_;
  void spin_access(Op op, std::uint32_t object);
  std::vector<StepAccess> steps_;
  std::vector<SpinTail> tails_;
  std::vector<std::vector<std::size_t>> by_actor_;  // finalize: each actor's steps
  bool finalized_ = false;
  bool spin_rule_ = false, spin_ = false;
  bool open_ = false;
  bool timers_ = false;
  bool shared_cpus_ = false;  // some CPU has more than one task
  std::uint32_t objects_ = 0;
  mutable std::vector<std::uint32_t> versions_;
  mutable std::vector<std::uint32_t> actor_steps_;
};

}  // namespace sim
