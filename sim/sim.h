// sim/sim.h — the engine: simulated CPUs, their context stacks, actors as fibers, the scheduler.
//
// A `Sim` is one simulation, owned by one OS thread. It runs *executions*: each execution resets
// every registered object, then runs the workload's actors (tasks and interrupt handlers, each a
// boost::context::fiber) until all have finished, a property is violated, or every remaining actor
// is blocked. Actors only interleave at *yield points*: every access to instrumented shared state
// (sim::Shared, sim::ByteBuffer, sim::SpinLock, WaitQueue) calls `yield_point()` first, where the
// scheduler lists the enabled options in a canonical order and asks the choice source for one.
// Re-enabling interrupts or preemption is a yield point too when the CPU has a pending interrupt
// or a waiting task (the kernel's irq-restore and preempt_enable -> preempt_schedule).
//
// Canonical option order at a yield point (the determinism contract; changing it changes schedules):
//   0. the running actor goes on, when it can (after an actor finishes: the new top of its CPU);
//   1. for each CPU in index order: the actor on top of its context stack, when enabled; then, if
//      that CPU may switch tasks (no task, or the task is preemptible: preempt_count 0, irqs on,
//      no interrupt frame), every other ready task bound to it, in declaration order;
//   2. every deferred-work or interrupt source in declaration order whose CPU allows it to fire:
//      hardirq and irq_work need irqs on and no hardirq/NMI frame; NMI needs no NMI frame; softirq
//      and timers need irqs on, no interrupt frame and bottom halves enabled;
//   3. an actor spinning in yield() (a spin-wait) comes last instead of first, and the interrupt
//      sources come before the CPUs, so that the all-zero schedule lets the others make progress
//      rather than spinning to the step bound.
//   The spin rule (Config::spin_wait, on by default; a scenario opts out with `[explore]
//   spin_wait = false`, and a schedule file records it: one without the field replays with the
//   rule off, as schedules were recorded before it was the default): an actor that calls
//   yield() after an iteration that only read shared state (no store,
//   RMW, lock, copy-in or wake since its previous yield; at most kSpinReads objects read) is not
//   enabled again until another actor writes one of the objects it read (a recorded write: a
//   ghost poke does not count). Re-running it earlier would read the same values and spin again,
//   so this prunes only no-op iterations (Relacy's and loom's spin-loop handling); it is a
//   function of the execution so far, so replay, shrinking and a systematic search stay exact.
//   It changes schedules (fewer steps) and turns "spins until the step bound with nobody left to
//   change its condition" into the workload's stuck property (deadlock by default). Under sc only:
//   under tso and lkmm a re-run load may read a newer store without any recorded write (a buffer
//   drains, a later store in coherence order), so the rule is off there (Sim's constructor).
// A fired handler is pushed on its CPU and runs to completion before the interrupted context
// resumes (other CPUs keep interleaving). Switches between fibers are direct (one context switch);
// option 0 does not switch at all.
//
// Enabled sets are incremental (issue 14): each CPU caches how many options it contributes (its
// top when enabled, its other ready tasks when it may switch, its allowed interrupt sources).
// Every change of the state they read (irq/preempt/bh transitions, frames pushed and popped, task
// starts, sleeps and wake-ups, lock hand-overs with blocked acquirers, finishes, irq_work queueing,
// timer arming and expiry) marks that CPU dirty (`touch`), and the next yield point recounts only
// dirty CPUs. A step then costs O(1) when it goes on (option 0) and O(CPUs) small adds when it
// switches (finding the k-th option from the cached counts), instead of listing every option.
// The option list itself is unchanged: sources that read it (PCT, a later DFS) still get the full
// canonical list; the uniform source and blind sources (replay, bytes) never build it.
// Config::check_enabled_sets compares every step with the full enumeration (tests).
#pragma once

#include <boost/context/fiber.hpp>
#include <boost/context/fixedsize_stack.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/property.h"
#include "sim/rng.h"

namespace sim {

class Sim;
class Workload;
class ChoiceSource;
class Memory;

/// Memory-order tags, recorded in the trace. Under the default memory model (sc) they weaken
/// nothing; under tso and lkmm (sim/memory.h) they are the annotations the model acts on:
/// Relaxed = READ_ONCE/WRITE_ONCE and the _relaxed atomics, Acquire = smp_load_acquire and the
/// _acquire atomics, Release = smp_store_release and the _release atomics, SeqCst (and AcqRel) =
/// the fully ordered value-returning atomics (xchg, a successful cmpxchg, atomic_*_return).
enum class Mo : std::uint8_t { Relaxed, Acquire, Release, AcqRel, SeqCst };

/// The kernel's explicit barriers (Sim::fence; no effect under sc).
enum class Fence : std::uint8_t { Mb, Rmb, Wmb, MbBeforeAtomic, MbAfterAtomic };

std::string_view fence_name(Fence f);

/// The memory model of a run (sim/memory.h). sc: every access is atomic and in program order.
enum class MemoryModel : std::uint8_t { Sc, Tso, Lkmm };
std::string_view memory_model_name(MemoryModel m);
std::optional<MemoryModel> memory_model_from_name(std::string_view name);

/// What a trace event records.
enum class Op : std::uint8_t {
  Start, Finish, Fire,                  // actor lifecycle (not steps)
  Load, Store, Xchg, CasOk, CasFail,    // Shared<T>
  FetchAdd, FetchOr, FetchAnd,
  Lock, LockBlocked, TryLockFail, Unlock,
  Yield, CopyIn, CopyOut, Wait, Wake,   // explicit yield, buffer copies, wait queues
  Note,                                 // a model's annotation (a function entered, a return value)
  StaleRead,                            // tso/lkmm, trace only (not hashed): extra = a note id naming
                                        // the store read and the newer one skipped
  Fence,                                // Sim::fence, trace only (not hashed, any model): value = Fence
  kCount
};
std::string_view op_name(Op op);

/// Data-copy granularity of ByteBuffer copies: one step per message, per 8-byte word, per byte.
enum class Granularity : std::uint8_t { Message, Word, Byte };

/// An option at a yield point. `actor` is what runs if it is chosen.
struct Option {
  /// Memory: a choice of the memory model (which store a load reads, where a store goes), not of
  /// the scheduler; every option of such a choice point has this kind and the running actor.
  enum Kind : std::uint8_t { Continue, Switch, StartTask, Fire, Memory };
  std::uint16_t actor;
  Kind kind;
};

/// One recorded step (only in recording mode: replay, violations, `relaysim run`).
struct TraceEvent {
  std::uint64_t step;
  std::uint32_t actor;
  std::int16_t cpu;
  Ctx ctx;
  std::uint8_t flags;  // bit 0: irqs off; bits 4..7: preempt depth (saturating at 15)
  Op op;
  Mo mo;
  std::uint32_t object;  // registered object id (kNoObject for lifecycle events)
  std::uint64_t value;
  std::uint64_t extra;  // copies: length; Note: the note id
};
inline constexpr std::uint32_t kNoObject = 0xffffffffu;

/// How an execution ended.
struct ExecResult {
  enum class End : std::uint8_t { Finished, Violation, Error };
  End end = End::Finished;
  std::optional<Violation> violation;
  std::exception_ptr error;  // End::Error: an exception that escaped model code (internal fault)
  std::uint64_t steps = 0;
  std::uint64_t trace_hash = 0;
  std::uint64_t end_state_hash = 0;
  std::uint32_t preemptions = 0;  // choices that did not take a present option 0
  std::uint32_t interrupts = 0;   // handlers fired (interrupts, irq_work, timers)
  std::uint32_t choices = 0;      // yield points with more than one option
  bool all_finished = false;      // every actor ran to its end (the end-of-execution checks ran)
  /// lkmm: a promise was broken or never fulfilled (sim/memory.h): not an execution of the program.
  /// End::Finished, all_finished false, no violation, no end-of-execution checks.
  bool infeasible = false;
  std::uint64_t stale_reads = 0;  // tso/lkmm: loads that did not read option 0's store
};

/// Anything a Sim resets before each execution (shared words, buffers, locks, wait queues).
class SimObject {
 public:
  SimObject(Sim& sim, std::string_view name);
  SimObject(const SimObject&) = delete;
  SimObject& operator=(const SimObject&) = delete;
  virtual ~SimObject() = default;
  virtual void reset() = 0;
  /// How a trace line shows one of this object's events; empty: the generic text (reports/).
  /// Objects whose values need decoding (the kernel-source mode's memory) override it.
  virtual std::string describe(const TraceEvent&) const { return {}; }
  std::uint32_t id() const { return id_; }
  Sim& sim() const { return sim_; }

 protected:
  Sim& sim_;
  std::uint32_t id_;
};

/// Sees every step and every access as it happens: the per-step access record that the DFS
/// explorer's partial-order reduction reads (sim/access.h). A step begins when the scheduler hands
/// the CPU to an actor (on_step, before that actor's start/fire record) and ends at the next one.
/// `object` is a registered object id, or kNoObject; Op::Fire with a source index marks a touch of
/// an interrupt source (irq_work_queue, mod_timer). Null by default: the cost is one branch.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  virtual void on_step(int actor) = 0;
  virtual void on_access(int actor, Op op, std::uint32_t object) = 0;
};

/// Per-execution knobs.
struct RunOptions {
  bool record = false;  // keep the full trace and the choice list
};

class Sim {
 public:
  struct Config {
    std::uint64_t step_bound = 1'000'000;
    Granularity granularity = Granularity::Message;
    std::size_t stack_size = 64 * 1024;
    /// Properties whose violations count (bit = 1 << Property). Others are ignored where reported
    /// (a scenario's check.properties); memory-safety, deadlock and step-bound always count.
    std::uint32_t checked = ~0u;
    /// Cross-checks the incremental enabled sets against the full enumeration at every step (an
    /// internal fault, End::Error, on any difference). Slow: for tests.
    bool check_enabled_sets = false;
    /// The spin rule (banner): a pure spin iteration blocks until something it read is written.
    /// On by default; schedules record it (reports/schedule.h).
    bool spin_wait = true;
    /// The memory model (sim/memory.h); sc builds no model at all.
    MemoryModel memory_model = MemoryModel::Sc;
    /// lkmm: at most this many open promises (load buffering, sim/memory.h) at a time; 0: none.
    unsigned promise_bound = 1;
  };

  explicit Sim(Config config);
  Sim(const Sim&) = delete;
  Sim& operator=(const Sim&) = delete;
  ~Sim();

  // ---- building (from Workload::build; once per Sim) ----
  /// Number of simulated CPUs (default 1); before any actor is added.
  void set_cpus(int n);
  int cpus() const { return static_cast<int>(cpus_.size()); }
  /// A task bound to `cpu`; it starts when the scheduler first chooses it.
  int add_task(std::string name, int cpu, std::function<void()> body);
  /// An interrupt source bound to `cpu` that fires exactly `fires` times per execution.
  int add_interrupt(std::string name, int cpu, Ctx kind, std::uint32_t fires, std::function<void()> body);
  /// irq_work: queued with irq_work_queue() on the current CPU; runs in hardirq context there.
  int add_irq_work(std::string name, std::function<void()> body);
  /// A timer bound to `cpu`; armed with mod_timer(); runs in softirq context when due.
  int add_timer(std::string name, int cpu, std::function<void()> body);
  void load(Workload& workload);  // calls workload.build(*this)

  // ---- running ----
  ExecResult run(ChoiceSource& source, RunOptions options = {});
  const std::vector<TraceEvent>& trace() const { return trace_; }
  const std::vector<std::uint32_t>& choices() const { return choices_; }
  const Config& config() const { return config_; }
  void set_step_bound(std::uint64_t b) { config_.step_bound = b; }
  void set_granularity(Granularity g) { config_.granularity = g; }
  Granularity granularity() const { return config_.granularity; }

  // ---- the memory model (sim/memory.h) ----
  /// nullptr under sc: Shared<T> then accesses its own word.
  Memory* memory() const { return memory_.get(); }
  /// A choice of the memory model at the seam (option 0 = the sc behaviour); n options. `rare`:
  /// a uniform source (random) takes option 0 with weight kRareWeight against 1 for each other
  /// option (promises: most of them are broken later, and a uniform 1/2 would end most random
  /// executions early); the recorded index is the option taken, so replay is unaffected.
  std::uint32_t choose_memory(std::uint32_t n, bool rare = false);
  static constexpr std::uint32_t kRareWeight = 32;
  /// smp_mb() / smp_rmb() / smp_wmb() / smp_mb__{before,after}_atomic(): not a step; no effect under sc.
  void fence(Fence f);
  bool recording() const { return recording_; }
  /// lkmm: a promise was fulfilled or broken (sim/memory.h); `outstanding`: some are still open,
  /// `infeasible`: some is broken. Ends the execution as infeasible, or reports a violation that
  /// was waiting for the promises, or returns.
  void promises_resolved(bool outstanding, bool infeasible);
  /// Adds a trace-only event (recording mode; never hashed).
  void trace_only(Op op, std::uint32_t object, std::uint64_t value, std::uint64_t extra);

  // ---- called by instrumented objects and models, from inside actors ----
  /// A scheduling point before a shared access. May switch to another actor or fire an interrupt.
  void yield_point() {
    if (++steps_ > config_.step_bound) [[unlikely]] {
      step_bound_exceeded();
      return;
    }
    schedule();
  }
  /// Records the access that follows a yield point into the trace hash (and trace when recording).
  void record(Op op, std::uint32_t object, std::uint64_t value, std::uint64_t extra = 0, Mo mo = Mo::Relaxed) {
    fold(op, object == kNoObject ? kNoObject : object_keys_[object], value, extra, mo);
    if (recording_) push_event(op, object, value, extra, mo);
    if (config_.spin_wait) spin_track(op, object, value, extra);
    if (observer_) [[unlikely]] observer_->on_access(running_, op, object);
  }
  /// The step observer (nullptr: none). Set between executions only.
  void set_observer(StepObserver* o) { observer_ = o; }
  /// The interrupt source an actor serves (-1 for tasks), and whether any source is a timer.
  int actor_source(int actor) const { return actors_[actor].source; }
  bool has_timers() const {
    for (const Source& s : sources_)
      if (s.kind == Source::Timer) return true;
    return false;
  }
  int source_count() const { return static_cast<int>(sources_.size()); }
  /// An explicit yield (a spin-wait hint: PCT lowers the actor's priority).
  void yield();
  /// The spin rule: the running iteration also depends on state it reads without a step (a
  /// harness ghost, a peek()), so its next yield() must not block it on what it read.
  void spin_unobserved() {
    if (running_ != kDriver) actors_[static_cast<std::size_t>(running_)].spin_pure = false;
  }
  /// Reports a violation. From an actor, it ends the execution (never returns to the actor);
  /// from an end-of-execution check, it records the violation and returns.
  void report(Violation v);
  void report(Property p, std::string message, std::vector<std::uint64_t> messages = {});

  // ---- the running CPU's state (kernel names) ----
  int smp_processor_id() const;
  int current_actor() const { return running_; }
  Ctx current_ctx() const;
  bool in_nmi() const;
  bool in_hardirq() const;
  bool in_softirq() const;  // serving a softirq (not merely bottom halves disabled)
  bool in_task() const;
  bool irqs_disabled() const;
  unsigned long local_irq_save();
  void local_irq_restore(unsigned long flags);
  void local_irq_disable();
  void local_irq_enable();
  void preempt_disable();
  void preempt_enable();
  int preempt_count() const;
  /// Whether CPU `cpu` is in an RCU-sched read-side section: preemption or irqs off, or serving an
  /// interrupt (what synchronize_rcu waits for in the kernel-source mode).
  bool cpu_in_rcu_sched(int cpu) const {
    const Cpu& c = cpus_[static_cast<std::size_t>(cpu)];
    return c.preempt > 0 || c.irqs_disabled || c.depth > 0;
  }
  void local_bh_disable();
  void local_bh_enable();
  /// irq_work_queue(): false if the work is already pending (coalesced), as the kernel answers.
  bool irq_work_queue(int work);
  /// mod_timer(): (re)arms a timer to fire `delay` steps from now (virtual time).
  void mod_timer(int timer, std::uint64_t delay);
  std::uint64_t now() const { return steps_; }
  std::uint64_t steps() const { return steps_; }

  // ---- names, for reports ----
  const std::string& actor_name(int actor) const { return actors_[actor].name; }
  int actor_cpu(int actor) const { return actors_[actor].cpu; }
  Ctx actor_ctx(int actor) const { return actors_[actor].ctx; }
  int actor_count() const { return static_cast<int>(actors_.size()); }
  /// True for the actor of an interrupt source (hardirq, softirq, NMI, irq_work, timer handlers).
  bool is_interrupt_source(int actor) const { return actors_[static_cast<std::size_t>(actor)].source >= 0; }
  const std::string& object_name(std::uint32_t id) const { return object_names_[id]; }
  std::uint32_t object_count() const { return static_cast<std::uint32_t>(object_names_.size()); }
  const SimObject* object(std::uint32_t id) const { return id < objects_.size() ? objects_[id] : nullptr; }
  /// A note id for Op::Note events (interned, stable within one Sim).
  std::uint32_t note_id(std::string_view text);
  const std::string& note_text(std::uint32_t id) const { return notes_[id]; }
  /// The note's id is in the event; its text's stable key is what the trace hash sees.
  void note(std::uint32_t note, std::uint64_t value = 0) {
    fold(Op::Note, kNoObject, value, note_keys_[note], Mo::Relaxed);
    if (recording_) push_event(Op::Note, kNoObject, value, note, Mo::Relaxed);
    if (observer_) [[unlikely]] observer_->on_access(running_, Op::Note, kNoObject);
  }

  // ---- for objects ----
  std::uint32_t register_object(SimObject* obj, std::string_view name);
  struct LockState {
    int holder = -1;   // actor holding it
    int blocked = 0;   // actors blocked on it (engine-owned; a hand-over must then call lock_changed)
  };
  std::uint32_t register_lock(LockState* lock) {
    locks_.push_back(lock);
    return static_cast<std::uint32_t>(locks_.size() - 1);
  }
  /// Blocks the running actor until the lock is free (not runnable meanwhile).
  void block_on_lock(std::uint32_t lock_index);
  /// The holder of a lock with blocked acquirers changed: their enabledness changed.
  void lock_changed(std::uint32_t lock_index);
  int actor_cpu_of_running() const { return actors_[running_].cpu; }
  /// True if `actor` is the running actor or an interrupted context below it on the same CPU.
  bool is_below_on_same_cpu(int actor) const;
  /// Wait queues: the running task sleeps until woken (see sim/lock.h WaitQueue).
  void sleep_running(std::uint32_t queue);
  int wake_all(std::uint32_t queue);
  void prepare_wait(std::uint32_t queue);
  void finish_wait();
  bool woken() const { return actors_[running_].woken; }

 private:
  // The fields the scheduler and the spin rule read at every step come first (the first cache
  // line), the name and body last.
  struct alignas(64) Actor {
    boost::context::fiber fiber;
    int cpu = 0;
    int source = -1;  // index in sources_ for handlers
    // per execution
    int blocked_on = -1;   // lock index
    int sleeping_on = -1;  // wait queue id, while asleep or preparing to
    Ctx ctx = Ctx::Task;
    bool done = false;     // tasks: finished
    bool active = false;   // started and not finished
    bool in_body = false;  // fiber is inside body (dirty after an aborted execution)
    bool asleep = false;
    bool woken = false;
    // the spin rule (Config::spin_wait): what this actor read since its previous yield
    bool spin_pure = true;      // no write since the previous yield
    bool spin_blocked = false;  // waiting for a write to one of spin_reads
    std::uint8_t spin_n = 0;
    std::uint32_t spin_reads[8];
    std::uint32_t spin_epochs[8];  // spin_epoch_ of each read object when it was read
    std::string name;
    std::function<void()> body;
  };
  static constexpr int kSpinReads = 8;
  struct Source {
    enum Kind : std::uint8_t { Interrupt, IrqWork, Timer } kind;
    int actor;
    int cpu;  // IrqWork: the CPU it was queued on (-1 while idle)
    Ctx ctx;
    std::uint32_t fires = 0, fires_left = 0;
    bool pending = false;
    std::uint64_t expires = 0;
  };
  struct Frame {
    int actor;
    bool saved_irqs_disabled;
    int saved_preempt;
    int saved_bh;
  };
  struct Cpu {  // what every step reads first (top(), the cached counts), then the rest
    int current_task = -1;
    int depth = 0;  // interrupt frames on top of the task
    // Cached option counts (valid when this CPU's bit in dirty_ is clear).
    std::uint16_t n_top = 0;     // 1 if top() is runnable
    std::uint16_t n_others = 0;  // other ready tasks, when this CPU may switch tasks
    std::uint16_t n_src = 0;     // interrupt sources bound here that may fire
    bool irqs_disabled = false;
    int preempt = 0;
    int bh = 0;
    int nmi = 0, hardirq = 0, softirq = 0;
    Frame frames[4];
    std::vector<int> tasks;
    std::vector<std::uint16_t> ready;  // ready tasks other than current_task, in declaration order
    int top() const { return depth ? frames[depth - 1].actor : current_task; }
  };
  enum class State : std::uint8_t { Running, Finished, Violated, Errored, Infeasible };

  static constexpr int kDriver = -1;
  static constexpr std::uint32_t kMaxOptions = 256;

  int add_actor(std::string name, int cpu, Ctx ctx, std::function<void()> body, int source);
  void make_fiber(int actor);
  [[noreturn]] void actor_loop(int actor);
  void finish_running();
  [[gnu::always_inline]] inline std::uint32_t enumerate(Option* out, bool spinning) const;
  bool runnable(int actor) const;
  /// Marks a CPU's cached option counts stale: its irq/preempt/bh state or frames changed.
  void touch(int cpu) { dirty_ |= std::uint64_t{1} << cpu; }
  /// The same, and its ready list too: a task started, finished, slept, woke or (un)blocked.
  void touch_tasks(int cpu) {
    dirty_ |= std::uint64_t{1} << cpu;
    dirty_tasks_ |= std::uint64_t{1} << cpu;
  }
  /// Recounts dirty CPUs (and CPUs with a timer that just expired).
  void refresh() {
    if (steps_ >= next_timer_) [[unlikely]] refresh_timers();
    while (dirty_) {
      const int c = __builtin_ctzll(dirty_);
      dirty_ &= dirty_ - 1;
      recount(c);
    }
  }
  void recount(int cpu);
  void start_task_counts(int cpu, int task);
  void refresh_timers();
  /// The j-th option of the canonical CPU lists followed by the sources, skipping the top of
  /// CPU `skip_top_of` (option 0, or the spinner); `from_sources`: index among sources only.
  Option nth_option(std::uint32_t j, int skip_top_of) const;
  Option nth_source(std::uint32_t j) const;
  void check_enabled(const Option& got, std::uint32_t n, std::uint32_t k, bool spinning) const;
  int choose_scan(bool spinning);
  int no_option();  // nothing can run: finished, or stuck (the violation)
  /// The ranked path (ChoiceSource::ranking): the canonical index of `actor` among the options, or
  /// -1 if it is not offered, and its option kind. `base_cpu`: the index of the first CPU-list
  /// option, `skip`: the CPU whose top is option 0 (or the spinner) and is skipped, `base_src`:
  /// the index of the first source.
  int ranked_index(int actor, std::uint32_t base_cpu, int skip, std::uint32_t base_src, Option::Kind& kind) const;
  bool source_allowed(const Source& s) const;
  // Inlined into schedule(): every call frame between a model's access and the fiber switch costs
  // a mispredicted return on the other side of the switch (measured: ~6 ns per frame).
  // The switch itself is inlined where the scheduling decision is used (yield_point and the
  // other schedule() callers): after a switch, the resumed fiber continues right at its own
  // access, without returning through scheduler frames (each would be a mispredicted return).
  [[gnu::always_inline]] void transfer(int to) {
    switching_from_ = running_;
    running_ = to;
    boost::context::fiber& target = to == kDriver ? driver_ : actors_[to].fiber;
    boost::context::fiber back = std::move(target).resume();
    // Resumed by `switching_from_`: keep its continuation.
    if (switching_from_ == kDriver)
      driver_ = std::move(back);
    else
      actors_[switching_from_].fiber = std::move(back);
  }
  /// Picks what runs next (enumerate + the choice source), updates CPU state for it (frames,
  /// starts), and returns it: the running actor, another actor, or kDriver when the execution ends.
  /// A small function: the common step (a uniform source, fresh counts, the running actor's CPU
  /// offers it option 0, no yield) is a counter read and one draw; option 0 returns at once,
  /// another option is found by choose_switch; everything else is choose_slow (both out of line,
  /// so that the common path has a small frame; inlining it into every access makes the compiler
  /// outline yield_point instead, and a switch then returns through it, mispredicted).
  int choose();
  [[gnu::noinline]] int choose_slow();
  [[gnu::noinline]] int choose_switch(std::uint32_t k);
  void check_ranked(std::uint32_t n, std::uint32_t k, bool spinning);
  [[gnu::always_inline]] inline void dispatch(const Option& o);
  [[gnu::always_inline]] void schedule() {
    const int to = choose();
    if (to != running_) transfer(to);
  }
  void step_bound_exceeded();
  void local_enable_point();
  void end_execution(State s);
  void push_event(Op op, std::uint32_t object, std::uint64_t value, std::uint64_t extra, Mo mo);
  void check_task_context(const char* what) const;
  /// The spin rule's bookkeeping of one access (inline: it runs at every step by default). A read
  /// (a load, a failed cmpxchg or trylock, a copy-out, or an RMW that left the value as it was: in
  /// sc nobody can tell it from a read) joins the iteration's read set; any other write makes the
  /// iteration impure and wakes the spinners blocked on what it wrote.
  [[gnu::always_inline]] void spin_track(Op op, std::uint32_t object, std::uint64_t value, std::uint64_t extra) {
    constexpr auto bit = [](Op o) { return std::uint32_t{1} << static_cast<unsigned>(o); };
    constexpr std::uint32_t kReads = bit(Op::Load) | bit(Op::CasFail) | bit(Op::TryLockFail) | bit(Op::CopyOut);
    constexpr std::uint32_t kRmw = bit(Op::Xchg) | bit(Op::CasOk) | bit(Op::FetchAdd) | bit(Op::FetchOr) | bit(Op::FetchAnd);
    constexpr std::uint32_t kWrites = kRmw | bit(Op::Store) | bit(Op::Lock) | bit(Op::Unlock) | bit(Op::CopyIn) | bit(Op::Wake);
    static_assert(static_cast<unsigned>(Op::kCount) <= 32);
    const std::uint32_t b = bit(op);
    if (running_ == kDriver || !(b & (kReads | kWrites))) return;
    Actor& me = actors_[running_];
    if ((b & kReads) || ((b & kRmw) && value == extra)) {  // RMWs record (new value, old value)
      if (object == kNoObject || !me.spin_pure) return;
      if (me.spin_n && me.spin_reads[me.spin_n - 1] == object) {  // the common re-read
        me.spin_epochs[me.spin_n - 1] = spin_epoch_[object];
        return;
      }
      spin_read(me, object);
      return;
    }
    me.spin_pure = false;
    if (object == kNoObject) return;
    ++spin_epoch_[object];  // an iteration that read it before now read a stale value (yield())
    if (spin_watchers_[object]) [[unlikely]] spin_wake(object);
  }
  void spin_read(Actor& me, std::uint32_t object);
  void spin_wake(std::uint32_t object);
  void spin_unblock(int actor);
  Cpu& running_cpu() { return cpus_[actors_[running_].cpu]; }
  const Cpu& running_cpu() const { return cpus_[actors_[running_].cpu]; }

  Config config_;
  boost::context::fixedsize_stack stack_alloc_;
  std::vector<Actor> actors_;
  std::vector<Source> sources_;
  std::vector<Cpu> cpus_;
  std::vector<SimObject*> objects_;
  std::vector<std::string> object_names_;
  /// Per object: the stable key the trace hash uses (the name's hash, with the number of earlier
  /// objects of the same name mixed in). Per note: its text's hash.
  std::vector<std::uint32_t> object_keys_;
  std::vector<std::uint32_t> note_keys_;
  /// Folds one event into the trace hash. One multiply per event: the event word is the packed
  /// header xor the value and extra spread by odd constants (a bijection per header), folded into
  /// an FNV-style running hash. Objects and notes enter it by their stable keys (hashes of their
  /// names), never by their ids: adding an object or a note to a model leaves every other
  /// execution's hash as it was (the rule; tests/sim/hash_stability_test.cpp holds it).
  void fold(Op op, std::uint32_t key, std::uint64_t value, std::uint64_t extra, Mo mo) {
    hash_ = hash_step(hash_, ((std::uint64_t(running_ & 0xffff) << 48) | (std::uint64_t(op) << 40) |
                              (std::uint64_t(mo) << 32) | key) ^
                                 (value * 0x9e3779b97f4a7c15ULL) ^ (extra * 0xc2b2ae3d27d4eb4fULL));
  }
  std::vector<LockState*> locks_;
  std::vector<std::string> notes_;
  Workload* workload_ = nullptr;
  std::unique_ptr<Memory> memory_;  // null under sc

  // per execution
  ChoiceSource* source_ = nullptr;
  StepObserver* observer_ = nullptr;
  boost::context::fiber driver_;
  int running_ = kDriver;
  int switching_from_ = kDriver;
  State state_ = State::Finished;
  std::uint64_t steps_ = 0;
  std::uint64_t hash_ = kHashSeed;
  std::uint32_t preemptions_ = 0;
  std::uint32_t interrupts_ = 0;
  std::uint32_t n_choices_ = 0;
  // incremental enabled sets (see the banner)
  std::uint64_t dirty_ = 0;
  std::uint64_t dirty_tasks_ = 0;  // CPUs whose ready list is stale too
  std::uint32_t total_ = 0;      // Σ over CPUs of n_top + n_others + n_src: the option count
  std::uint32_t total_src_ = 0;  // Σ over CPUs of n_src
  std::uint64_t next_timer_ = ~std::uint64_t{0};  // no pending timer expires before this step
  std::vector<std::uint16_t> spin_watchers_;  // per object: spin-blocked actors that read it
  std::vector<std::uint32_t> spin_epoch_;     // per object: writes so far (the spin rule's staleness)
  bool recording_ = false;
  bool yielding_ = false;
  bool fast_ = false;          // this execution may take choose()'s common path (a uniform or
  Rng* fast_rng_ = nullptr;    // blind source, no enabled-set check, no observer); the uniform one's generator

  bool destroying_ = false;
  std::uint64_t event_seq_ = 0;
  std::optional<Violation> violation_;
  std::optional<Violation> waiting_;  // lkmm: reported while a promise was open (sim/memory.h)
  std::exception_ptr error_;
  std::vector<TraceEvent> trace_;
  std::vector<std::uint32_t> choices_;
};

/// A workload: what one scenario runs (a model with its actors, or a toy). Built once per Sim.
class Workload {
 public:
  virtual ~Workload() = default;
  /// Declares CPUs, shared objects, actors and interrupt sources. Called once, by Sim::load.
  virtual void build(Sim& sim) = 0;
  /// Before each execution, after the engine has reset every registered object.
  virtual void reset(Sim&) {}
  /// After an execution in which every actor finished: end-of-execution property checks.
  virtual void check_final(Sim&) {}
  /// A hash of the observable end state (for "distinct end states").
  virtual std::uint64_t end_state_hash(const Sim&) const { return 0; }
  /// The property reported when every remaining actor is blocked.
  virtual Property stuck_property(const Sim&) const { return Property::Deadlock; }
};

/// Actors in a rank order, highest first (PCT's priorities), as an intrusive doubly linked list:
/// moving one actor is O(1) at either end. A source that chooses "the enabled actor ranked
/// highest" exposes one (ChoiceSource::ranking) so that the scheduler can walk it and stop at the
/// first actor it offers, instead of building the option list and reading all of it.
class ActorRanking {
 public:
  /// The order is `order` (every actor exactly once, highest first).
  void assign(const std::vector<std::uint16_t>& order) {
    const std::size_t n = order.size();
    next_.assign(n, kNone);
    prev_.assign(n, kNone);
    head_ = tail_ = kNone;
    for (std::uint16_t a : order) push_back(a);
  }
  int first() const { return head_ == kNone ? -1 : head_; }
  int next(int a) const { return next_[a] == kNone ? -1 : next_[a]; }
  bool linked(int a) const { return prev_[a] != kNone || head_ == a; }
  void unlink(int a) {
    if (!linked(a)) return;
    const std::uint16_t p = prev_[a], n = next_[a];
    (p == kNone ? head_ : next_[p]) = n;
    (n == kNone ? tail_ : prev_[n]) = p;
    prev_[a] = next_[a] = kNone;
  }
  void push_back(int a) {
    const auto x = static_cast<std::uint16_t>(a);
    prev_[a] = tail_;
    next_[a] = kNone;
    (tail_ == kNone ? head_ : next_[tail_]) = x;
    tail_ = x;
  }
  /// Inserts `a` (unlinked) right before `before` (-1: at the end).
  void insert_before(int a, int before) {
    if (before < 0) return push_back(a);
    const auto x = static_cast<std::uint16_t>(a);
    const std::uint16_t p = prev_[before];
    prev_[a] = p;
    next_[a] = static_cast<std::uint16_t>(before);
    (p == kNone ? head_ : next_[p]) = x;
    prev_[before] = x;
  }

 private:
  static constexpr std::uint16_t kNone = 0xffff;
  std::vector<std::uint16_t> next_, prev_;
  std::uint16_t head_ = kNone, tail_ = kNone;
};

/// The seam for all nondeterminism: given the enabled options (option 0 first), choose one.
class ChoiceSource {
 public:
  virtual ~ChoiceSource() = default;
  /// Set by sources that choose uniformly with an Rng: the scheduler then calls it directly
  /// (no virtual call on the hot path). pick() must give the same answer.
  Rng* uniform = nullptr;
  /// Called at the start of each execution, after the workload is reset.
  virtual void begin(const Sim&) {}
  /// Set by sources whose pick() never reads `options` (replay, bytes): the scheduler then passes
  /// nullptr instead of building the option list.
  bool blind = false;
  /// Set by sources whose pick() (for scheduling choices) takes the option whose actor ranks
  /// highest in this order (PCT): the scheduler walks it from the top and takes the first actor it
  /// offers, found from its cached counts, after calling before_ranked_pick(); every actor appears
  /// at most once among the options, so the answer is pick()'s. A finished task (never offered
  /// again in the execution) is unlinked by the scheduler when the walk meets it.
  ActorRanking* ranking = nullptr;
  /// Before each scheduling choice taken through `ranking` (PCT: its change points). pick() must
  /// do the same first, and doing it twice at one step must be a no-op.
  virtual void before_ranked_pick(const Sim&) {}
  /// With `ranking`: true when an interrupt is due at `step` (PCT's interrupt points); the
  /// scheduler then takes the full option list and pick() decides. The ranked walk never fires one.
  virtual bool fire_due(std::uint64_t /*step*/) const { return false; }
  /// Returns an index in [0, n); n >= 2.
  virtual std::uint32_t pick(const Option* options, std::uint32_t n, const Sim& sim) = 0;
  /// The running actor spins (sim.yield()).
  virtual void on_yield(int /*actor*/) {}
};

}  // namespace sim
