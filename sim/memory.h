// sim/memory.h — the weak memory models behind sim::Shared<T>: x86 TSO and an operational LKMM.
//
// Under `sc` (the default) there is no Memory object: Shared<T> reads and writes its own word and
// nothing here runs (the per-step cost of sc is one null test). Under `tso` and `lkmm` every
// Shared<T> access, every spinlock hand-over and every explicit fence (sim::smp_mb() ...) goes
// through a Memory that owns the values. Memory state is per CPU, so an interrupt handler on a CPU
// shares that CPU's store buffer (tso) or views (lkmm): it sees the CPU's program order.
//
// The kernel-source mode's words are locations too, not SimObjects: kernel::Runtime is a
// MemoryClient with its own block of location ids (kernel/runtime.cpp, "Weak memory").
//
// Every nondeterministic decision of a model is a choice at the engine's seam (Sim::choose_memory):
// option 0 is always the sequentially consistent one (read the newest store; write through / append
// at the end of the modification order), so an all-zero choice list behaves like sc, and shrinking
// towards zeros removes stale reads. With a recorded trace, every stale read is named
// (Op::StaleRead: which store was read, which newer one was skipped).
//
// tso (x86-TSO, Owens, Sarkar & Sewell 2009): one memory, a FIFO store buffer per CPU.
//   - a store: option 0 writes through (after draining the CPU's buffer), option 1 buffers it;
//   - a load forwards the CPU's newest buffered store to that word; otherwise it reads memory, and
//     its choice is when the other CPUs' buffers drain: option 0 drains all of them first, option 1
//     drains none, and then one option per buffered store to that word (in CPU and FIFO order): its
//     CPU's buffer drains up to and including it;
//   - smp_mb(), every RMW (locked instructions) and spin_lock drain the CPU's own buffer; smp_rmb,
//     smp_wmb, acquire and release are compiler barriers on x86 (nothing); spin_unlock is a
//     buffered store (a marker in the FIFO): the next acquirer of that lock drains the unlocker's
//     buffer up to it;
//   - the end of an execution drains every buffer (CPU order).
//
// lkmm: a view-based operational approximation of tools/memory-model/linux-kernel.cat, in the style
// of the promising semantics (Kang, Hur, Lahav, Vafeiadis, Dreyer, POPL 2017) with the kernel's
// fences. Each location has a modification order of messages (value, timestamp, message view).
// Each CPU has views: `cur` (per location, the oldest timestamp it may still read), `acq` (what an
// smp_rmb or acquire would bring in: cur joined with the views of every message read), `frel`
// (what its later relaxed stores carry: its own stores up to its last smp_wmb, or all of cur at its
// last smp_mb), and `own` (its own stores).
//   - READ_ONCE (Mo::Relaxed): any message not older than cur[x] (option 0: the newest);
//     cur[x], acq[x] advance to it and acq joins its view;
//   - smp_load_acquire (Mo::Acquire): the same, and cur joins the message view too;
//   - WRITE_ONCE: a new message, option 0 at the end of x's modification order, option k before the
//     k-th newest message when that one is newer than cur[x] and not the write half of an RMW
//     (so 2+2W is reachable); it carries frel;
//   - smp_store_release (Mo::Release): carries all of cur (A-cumulative);
//   - smp_rmb: cur joins acq; smp_wmb: frel joins own; smp_mb: cur joins acq, then cur and the
//     global view of strong fences join each other, and frel = cur (so the pb axiom holds:
//     SB, R, IRIW and 2+2W with smp_mb are forbidden);
//   - RMWs read the newest message and are placed right after it; value-returning ones (SeqCst,
//     AcqRel) are smp_mb(); op; smp_mb(); _acquire / _release / _relaxed as their tags; a failed
//     cmpxchg is a relaxed read; smp_mb__before_atomic / __after_atomic are smp_mb() at their place;
//   - spin_lock reads the lock's last release (acquire), spin_unlock is a release; a spin_lock on
//     the CPU that last released the same lock orders, as po-unlock-lock-po does, everything before
//     the unlock with everything after the lock (an smp_rmb and an smp_wmb at the lock);
//   - load buffering (LB+poonceonces is Sometimes) by bounded promises (the promising semantics'
//     answer): just before one of its relaxed loads (ahead of the load's yield point, so others
//     may run and read it first), a CPU may promise its next store to a location x as a message
//     other CPUs may read at once; at most `promise_bound` open at a time (Config::promise_bound,
//     default 1). The promised value is the one the CPU's i-th store to x stored in one
//     all-option-0 (sc) execution run before the first (deterministic: a function of the
//     workload), when that store was relaxed and came after a load of the CPU (a store with no
//     load before it gains nothing from a promise). Certification is the rest of the execution:
//     the CPU's next store to x must be relaxed and store that value, with no ordering point in
//     between (an acquire load or RMW, smp_wmb, smp_mb, a fully ordered RMW, spin_lock, a control
//     dependency (ctrl_dependency): a store
//     after one of those cannot become visible before the loads before it). A broken promise, or
//     one still open when the execution ends, makes the execution infeasible
//     (ExecResult::infeasible: dropped, not an outcome). A violation reported while a promise is
//     open waits (the actor goes on) until its promises are fulfilled, then stands, or are
//     broken, then is dropped with the execution; a memory-safety, deadlock or step-bound report
//     with a promise open drops the execution at once. ByteBuffer copies are sequentially
//     consistent unless the buffer's model opted in with ByteBuffer::weak_words() (its aligned
//     8-byte words are then locations, sim/buffer.h); a copy-out is a load (a promise point), a
//     header word read with a tag passes it.
// Known approximations (each errs towards allowing more, never towards "Never" where the LKMM says
// "Sometimes", except those marked *): dependencies (addr, data, ctrl) are not seen, so LB with
// dependencies is allowed (LKMM: Never) unless the model marks one (ctrl_dependency);
// po-unlock-lock-po is taken for the same lock only; (*) stores to never_promise() locations (a
// ByteBuffer's weak words) are not promised;
// (*) a promised value is the one the same store had in one sc execution (a store value that
// only another execution computes cannot be promised); (*) smp_mb__before_atomic also orders the accesses between it
// and the atomic; (*) strong fences form one global order (the fences of a
// pb cycle), which herd7 agrees with on the kernel's litmus tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/sim.h"

namespace sim {

/// Locations that are not SimObjects: the kernel-source mode's marked words (kernel/runtime.h).
/// A client owns a block of location ids (Memory::attach), names them for traces, and settles
/// what it holds back (an access the compiler completes after its hook) before an execution ends.
class MemoryClient {
 public:
  virtual ~MemoryClient() = default;
  virtual std::string location_name(std::uint32_t loc) const = 0;
  virtual void settle() = 0;
};

class Memory {
 public:
  /// The first location id of client blocks; each block holds kClientBlock ids.
  static constexpr std::uint32_t kExternal = 0x80000000u;
  static constexpr std::uint32_t kClientBlock = 1u << 24;

  explicit Memory(Sim& sim) : sim_(sim) {}
  virtual ~Memory() = default;
  Memory(const Memory&) = delete;
  Memory& operator=(const Memory&) = delete;

  /// Before each execution (after the objects are reset).
  virtual void begin() = 0;
  /// After the last actor finished: the clients settle, then what is buffered drains.
  void end() {
    for (MemoryClient* c : clients_)
      if (c) c->settle();
    drain();
  }

  virtual std::uint64_t load(std::uint32_t obj, std::uint64_t init, Mo mo) = 0;
  virtual void store(std::uint32_t obj, std::uint64_t init, std::uint64_t v, Mo mo) = 0;
  /// An RMW: rmw_read returns the current (newest) value; then exactly one of rmw_write (the new
  /// value; success) or rmw_fail (a failed cmpxchg: nothing written).
  virtual std::uint64_t rmw_read(std::uint32_t obj, std::uint64_t init, Mo mo) = 0;
  virtual void rmw_write(std::uint32_t obj, std::uint64_t v, Mo mo) = 0;
  virtual void rmw_fail(std::uint32_t obj, Mo mo) = 0;
  virtual void fence(Fence f) = 0;
  /// Spinlock hand-over (the lock's holder state stays the scheduler's): after a successful
  /// acquire, and at a release, by the running CPU.
  virtual void lock_acquired(std::uint32_t lock_obj) = 0;
  virtual void lock_released(std::uint32_t lock_obj) = 0;

  /// Ghost access: the newest value in the modification order / in memory and the buffers
  /// (end-of-execution checks), and a write every CPU sees at once (setup).
  virtual std::uint64_t latest(std::uint32_t obj, std::uint64_t init) const = 0;
  virtual void poke(std::uint32_t obj, std::uint64_t init, std::uint64_t v) = 0;

  /// Before a load the model does not otherwise see (a ByteBuffer copy-out, a header word read
  /// with its own tag): lkmm may promise, and an acquire is an ordering point for promises.
  virtual void before_load(Mo = Mo::Relaxed) {}
  /// A control dependency: the running CPU's stores after this point depend (through a branch)
  /// on its loads before it, so none of them is visible before those loads (lkmm: an ordering
  /// point for promises, as an acquire is; tso: nothing, x86 never lets a store pass a load).
  /// The model does not track which loads the branch tests: all of them are ordered.
  virtual void ctrl_dependency() {}
  /// lkmm: stores to the locations [first, first + count) are never promised (load buffering
  /// through them is not explored). ByteBuffer::weak_words: a data area's hundreds of words would
  /// each be a promise option at every relaxed load and end most random executions early.
  virtual void never_promise(std::uint32_t /*first*/, std::uint32_t /*count*/) {}
  /// lkmm: a promise is not fulfilled yet / some promise is unfulfilled or broken (infeasible).
  virtual bool outstanding() const { return false; }
  virtual bool unjustified() const { return false; }
  /// lkmm: learns the promisable values from one all-option-0 execution before the first run.
  virtual bool wants_priming() const { return false; }
  virtual void set_priming(bool) {}

  /// The model's stale reads so far in this execution (reads that did not take option 0's store).
  std::uint64_t stale_reads() const { return stale_reads_; }

  /// A client's block of location ids (the first one). Like a SimObject, a client must outlive the
  /// executions of the Sim (it may outlive the Sim itself: the Memory never calls it after that).
  std::uint32_t attach(MemoryClient* c);
  /// The CPU the following operations act for (-1: the running actor's): a client that settles an
  /// access after its actor went on, or runs kernel code for a CPU other than the actor's.
  void act_as(int cpu) { as_cpu_ = cpu; }
  /// An object's or a client location's name.
  std::string location_name(std::uint32_t obj) const;

 protected:
  int cpu() const {
    if (as_cpu_ >= 0) return as_cpu_;
    return sim_.current_actor() < 0 ? 0 : sim_.smp_processor_id();
  }
  /// What end() drains (tso: every store buffer).
  virtual void drain() {}
  std::uint32_t choose(std::uint32_t n, bool rare = false) { return sim_.choose_memory(n, rare); }
  /// Names a stale read in the recorded trace (no effect on the hash).
  void note_stale(std::uint32_t obj, std::string text);

  Sim& sim_;
  std::uint64_t stale_reads_ = 0;

 private:
  std::vector<MemoryClient*> clients_;  // block i: ids kExternal + i * kClientBlock ...
  int as_cpu_ = -1;
};

/// The model of `m` for `sim` (nullptr for sc).
std::unique_ptr<Memory> make_memory(Sim& sim, MemoryModel m, unsigned promise_bound);

}  // namespace sim
