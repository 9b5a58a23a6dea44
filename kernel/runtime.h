// kernel/runtime.h — the engine side of the kernel-source mode: one loaded kernel subject's memory,
// locks, wait queues and deferred work, and the hooks that turn its accesses into engine steps.
//
// A design's adapter (model/<design>/kernel_*.cpp) owns one Runtime per simulation. The Runtime
// gives the subject (kernel C files compiled with clang's TSan instrumentation, see
// kernel/build.h) a page pool: a memfd mapped once as the "direct map", from which kmalloc,
// alloc_page and per-CPU data come; vmap makes further views of the same pages, so an alias is a
// real alias (the BPF ring buffer's double mapping, a reader's mmap). Every address the hooks see
// is translated to a stable location (region object, physical offset): trace hashes, locks and
// wait queues are keyed by it, never by a virtual address, so that they do not depend on where
// the kernel mapped anything (DESIGN.md, "Determinism contract"). The code address of an access is
// recorded as its code identity (Subject::code_identity: its function's name and the offset inside
// it), so that a trace hash does not move when unrelated code of the object moves.
//
// Steps. An instrumented access to the pool or to the subject's globals is a step: a yield point
// of the engine, then the access, recorded as (region object, physical offset, size, code offset).
// Accesses to anything else (the actor's stack, host memory) are not shared and are not steps.
// With `marked_only`, plain (unmarked) accesses are not scheduling points either; READ_ONCE /
// WRITE_ONCE (volatile) and atomics still are. Data copies (memcpy, memset, copy_to_user) are
// steps at the simulation's granularity and carry per-byte ghost tags (sim/buffer.h) through a
// shadow of the pool, so that the ledger sees which bytes of which message a reader received.
//
// Executions. The adapter runs the subject's setup (relay_open, map allocation, ...) once, outside
// any actor, inside `setup()`; the Runtime then freezes the pool, the page table and the
// subject's writable data. Each execution starts from that frozen state (reset()), so that
// executions are independent and deterministic. Code run outside an actor (setup, ghost reads
// under a `Ghost` scope) takes no steps.
//
// Weak memory. Under --memory-model tso|lkmm the subject's marked accesses (atomics, READ_ONCE /
// WRITE_ONCE), barriers and locks go through the Sim's memory model (sim/memory.h), the Runtime
// being its MemoryClient for the kernel's words; plain accesses stay sequentially consistent. The
// scheme (a stale value placed for the one load the compiler performs after the hook, a
// WRITE_ONCE settled at the next entry) is in runtime.cpp, "Weak memory".
//
// One simulation runs on one OS thread; the hooks find their Runtime through a thread-local
// pointer set by the Runtime at setup and at the start of each execution.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "kernel/subject.h"
#include "sim/memory.h"
#include "sim/sim.h"

namespace kernel {

struct RuntimeOptions {
  bool marked_only = false;           // --points marked
  std::size_t pool_bytes = 32u << 20;  // the page pool (sparse: only touched pages use memory)
  int irq_work_slots = 1;             // irq_work sources the adapter expects the subject to init
  int wait_queues = 8;                // distinct wait queue heads the subject may init
};

/// A location in the subject's memory: region object (the pool or the subject's data) and offset.
struct Loc {
  std::uint32_t object = sim::kNoObject;
  std::uint64_t offset = 0;
  bool valid() const { return object != sim::kNoObject; }
};

class Runtime final : public sim::SimObject, public sim::MemoryClient {
 public:
  Runtime(sim::Sim& sim, std::shared_ptr<Subject> subject, RuntimeOptions options);
  ~Runtime() override;

  /// Runs the subject's setup outside any actor, then freezes the state every execution starts
  /// from. Once, from the adapter's Workload::build. Exceptions from `f` propagate.
  template <class F>
  void setup(F&& f) {
    make_current();
    f();
    freeze();
  }
  void reset() override;
  /// A kernel access's trace text: what, where in the pool, and the kernel function and line.
  std::string describe(const sim::TraceEvent& e) const override;
  /// "function (file:line)" of a code identity recorded in a trace (addr2line on the subject).
  std::string where(std::uint64_t code) const;

  /// While alive, the hooks take no steps (ghost reads of kernel structs for the ledger).
  class Ghost {
   public:
    explicit Ghost(Runtime& rt) : rt_(rt) { ++rt_.ghost_; }
    ~Ghost() { --rt_.ghost_; }
    Ghost(const Ghost&) = delete;
    Ghost& operator=(const Ghost&) = delete;

   private:
    Runtime& rt_;
  };

  /// The CPU that smp_processor_id() reports outside actors, and in the exec mode's single task
  /// (which performs each op on the op's CPU); -1 = the running actor's own CPU.
  void set_cpu_override(int cpu) { cpu_override_ = cpu; }

  Subject& subject() { return *subject_; }
  sim::Sim& engine() { return sim_; }

  // ---- memory the adapter hands to the subject (user buffers, a writer's payload) ----
  /// Allocates zeroed pool memory (64-byte aligned). Before setup() returns only.
  void* alloc_user(std::size_t n);
  /// Sets the ghost tags of [p, p+n): byte i gets message `id`'s tag for index i (0: untagged).
  void set_tags(const void* p, std::size_t n, std::uint64_t id);
  /// Copies the ghost tags of [p, p+n) into out (0 for untracked bytes).
  void get_tags(const void* p, std::size_t n, std::uint64_t* out) const;
  /// Translates an address of the pool, a view or the subject's data; invalid if none.
  Loc translate(const void* p) const;
  /// The physical page frame of a struct page pointer handed out by alloc_page (-1 if not ours).
  long pfn_of(const void* page) const;
  /// The pool's bytes at physical offset `phys` (ghost).
  const std::uint8_t* phys_bytes(std::uint64_t phys) const { return pool_ + phys; }
  /// Where the most recent tagged copy of message `id` landed (physical offset), or -1.
  std::int64_t landed(std::uint64_t id) const;
  std::uint32_t memory_object() const { return id_; }

  /// Watches a kernel word (8 bytes): after each store to it from kernel code (seen at the next
  /// hook, or at settle()), `fn(old, new, function)` runs with the innermost kernel function that
  /// stored (inlined functions included). Ghost: takes no step. For adapters that must learn of a
  /// kernel-internal transition (relay's overwrite catch-up in relay_file_read_avail).
  using WatchFn = std::function<void(std::uint64_t old_value, std::uint64_t new_value, const std::string& function)>;
  void watch(const void* word, WatchFn fn);
  /// Delivers a pending watched store (adapters call it when a kernel call returns), and under
  /// tso/lkmm settles the memory model's pending access (runtime.cpp, "Weak memory").
  void settle() override {
    sync_memory();
    if (pending_watch_ >= 0) deliver_watch();
  }
  /// A client location's name in stale-read notes: "kernel.memory+0x1040 (8 bytes)".
  std::string location_name(std::uint32_t loc) const override;
  /// The innermost function (after inlining) at a recorded code identity, from the subject's
  /// debug info.
  std::string innermost_function(std::uint64_t code) const;

  /// The sim wait queue id that a kernel wait_queue_head_t maps to (after init_waitqueue_head).
  std::uint32_t wait_queue_id(const void* head) const;
  /// Removes the running actor's poll_wait registrations (the end of poll(2): poll_freewait).
  void poll_freewait();

  // ---- the hooks and the shim (kernel/hooks.cpp, kernel/shim.cpp) ----
  enum class Access : std::uint8_t { Read, Write };
  void access(const void* addr, unsigned size, Access kind, bool marked, const void* pc);
  void atomic_step(const void* addr, unsigned size, sim::Op op, sim::Mo mo, const void* pc);
  void fence(sim::Mo mo, const void* pc);
  // Weak memory (--memory-model tso|lkmm; runtime.cpp, "Weak memory"): the atomic hooks ask the
  // memory model for the value. Each returns false when the model does not take the access (sc,
  // no actor, not the subject's memory, a size other than 1, 2, 4, 8 or a misaligned word): the
  // hook then takes its sc path.
  bool weak() const { return mem_ != nullptr; }
  bool weak_load(const void* addr, unsigned size, sim::Mo mo, const void* pc, std::uint64_t* out);
  bool weak_store(const void* addr, unsigned size, std::uint64_t v, sim::Mo mo, const void* pc);
  enum class Rmw : std::uint8_t { Xchg, Add, Sub, And, Or, Xor, Nand, Cas };
  /// *old receives the value read; for Cas the write happens only when it equals `expected`.
  bool weak_rmw(const void* addr, unsigned size, sim::Op op, Rmw kind, std::uint64_t arg, std::uint64_t expected,
                sim::Mo mo, const void* pc, std::uint64_t* old);
  void copy(void* dst, const void* src, std::size_t n, bool move, const void* pc);
  void fill(void* dst, int c, std::size_t n, const void* pc);
  bool stepping() const { return ghost_ == 0 && sim_.current_actor() >= 0; }
  int cpu() const;

  void* kmalloc(std::size_t n, bool zero, std::size_t align = 64);
  void* page_alloc(long* pfn_out);
  void page_free(void* page);
  void* page_address(const void* page) const;
  void* vmap(void* const* pages, unsigned count, bool writable);
  void* vmalloc_to_page(const void* addr) const;
  /// virt_to_page: the struct page of an address of the direct map or of a view (null if none).
  void* virt_to_page(const void* addr) const;
  void* alloc_percpu(std::size_t size, std::size_t align);

  void lock(void* lock, bool preempt_off, const void* pc);
  bool trylock(void* lock, const void* pc);
  void unlock(void* lock, bool preempt_on, const void* pc);

  void init_waitqueue(void* head);
  bool waitqueue_active(void* head, const void* pc);
  void wake_up(void* head, const void* pc);
  void poll_wait(void* head);

  void init_irq_work(void* work, void (*func)(void*));
  bool irq_work_queue(void* work, const void* pc);
  void irq_work_sync(void* work);

  // ---- adapter observers and queries (ghost: they take no steps and must not yield) ----
  /// Called on the acquiring context right after a kernel lock (spin_lock, trylock) is taken.
  std::function<void(void* lock)> on_lock_acquired;
  /// Called on the releasing context right before a kernel lock's unlock step (still held).
  std::function<void(void* lock)> on_unlock;
  /// Called at an atomic read-modify-write step of the subject, after its yield point and before
  /// the access itself (so that nothing runs between the observer and the access).
  std::function<void(const void* addr, sim::Op op)> on_atomic;
  /// Called after wake_up / wake_up_all of a wait queue (ep_poll_callback's place).
  std::function<void(void* head)> on_wake_up;
  /// An irq_work queued and not yet run to completion (a queue while it runs counts: it runs again);
  /// and how many times it was queued in this execution.
  bool irq_work_pending(const void* work) const;
  std::uint64_t irq_work_queued(const void* work) const;
  /// remap_vmalloc_range: a new view of `pages` pages of the vmap area holding `kaddr`, from
  /// `pgoff` pages after kaddr's page; null if the area (from kaddr's page to its end) is shorter.
  void* remap_view(const void* kaddr, std::size_t pgoff, std::size_t pages, bool writable);

  [[noreturn]] void bug(const char* file, int line, const char* what);
  void warn(const char* file, int line, const char* what);

  static Runtime* current();

 private:
  struct LockSlot {
    sim::Sim::LockState state;
    std::uint32_t index = 0;
  };
  struct IrqWorkSlot {
    void* work = nullptr;
    void (*func)(void*) = nullptr;
    int source = -1;
    bool busy = false;
    std::uint64_t queued = 0;  // this execution's successful irq_work_queue calls
    std::uint64_t done = 0;    // and the runs of its function that returned
  };
  struct PageInfo {  // mirrors struct page in kernel/shim/rs_kernel.h
    unsigned long rs_pfn;
    unsigned long private_;
    int rs_refs;
    void* mapping = nullptr;  // perf_mmap_free_page clears it
  };
  struct Poller {
    int actor;
    void* head;
  };

  void make_current();
  void deliver_watch();
  void note_watches(const void* addr, Access kind, const void* pc);
  // ---- weak memory (runtime.cpp) ----
  struct Word {                // a marked word of the subject's memory, a location of the model
    std::uint8_t* phys;        // its bytes through the writable direct map (or the data segment)
    Loc loc;
    unsigned size;
    std::uint32_t id;          // the model's location id
  };
  enum class Pending : std::uint8_t { None, Stale, Store };
  void access_weak(const void* addr, unsigned size, Access kind, bool marked, const void* pc);
  void sync_memory();
  int word(const Loc& l, unsigned size);
  std::uint64_t read_word(const Word& w) const;
  void write_word(const Word& w, std::uint64_t v);
  void coherent(const Word& w);
  const Word* weak_step(const void* addr, unsigned size, sim::Op op, sim::Mo mo, const void* pc);
  void lock_memory(std::uint32_t id, bool acquire);
  std::uint32_t sync_id(std::uint32_t kind, std::uint32_t index) const { return ext_base_ + (kind << 22) + index; }
  sim::Memory* mem_ = nullptr;  // the Sim's memory model; null under sc
  std::uint32_t ext_base_ = 0;
  std::vector<Word> words_;
  std::unordered_map<std::uint64_t, int> word_of_;  // (object, offset, size) -> words_ index
  Pending pending_ = Pending::None;
  int pending_word_ = -1, pending_cpu_ = -1;
  struct Watch {
    const std::uint64_t* word;
    Loc loc;
    WatchFn fn;
  };
  std::vector<Watch> watches_;
  int pending_watch_ = -1;
  std::uint64_t pending_old_ = 0, pending_code_ = 0;
  mutable std::map<std::uint64_t, std::string> innermost_;
  void freeze();
  std::uint64_t key(const Loc& l) const { return (std::uint64_t(l.object) << 48) ^ l.offset; }
  Loc must_translate(const void* p, const char* what) const;
  void step(sim::Op op, const Loc& l, std::uint64_t size, const void* pc, sim::Mo mo = sim::Mo::Relaxed);
  /// The code identity of a return address in the subject (0 outside it: host code, an adapter).
  std::uint64_t code_offset(const void* pc) const;
  /// The code offset (from the load base) a recorded code identity was seen at, 0 if never seen.
  std::uint64_t offset_of(std::uint64_t code) const;
  struct PcSlot {
    std::uintptr_t pc = 0;
    std::uint64_t code = 0;
  };
  mutable PcSlot pc_cache_[512];  // direct-mapped: return address -> code identity
  mutable std::unordered_map<std::uint64_t, std::uint64_t> offset_of_code_;  // identity -> offset
  std::uint64_t* shadow_page(std::uint64_t pfn, bool create);
  LockSlot& lock_slot(void* lock);
  void set_holder(LockSlot& s, int actor);
  IrqWorkSlot* irq_work_slot(void* work);

  std::shared_ptr<Subject> subject_;
  RuntimeOptions options_;
  // The pool: a memfd mapped at pool_, and a window of views (vmap) of its pages.
  int memfd_ = -1;
  std::uint8_t* pool_ = nullptr;
  std::size_t pool_pages_ = 0;
  std::uint8_t* window_ = nullptr;
  std::size_t window_bytes_ = 0;
  std::vector<std::int32_t> window_pfn_;  // per window page: the pool page it shows, or -1
  std::size_t heap_next_ = 0, window_next_ = 0;
  std::vector<PageInfo> pages_;
  std::vector<std::unique_ptr<std::uint64_t[]>> shadow_;  // per pool page, allocated when tagged
  std::vector<std::uint32_t> tagged_pages_;               // pages with a shadow allocated
  std::uint8_t* percpu_ = nullptr;
  std::size_t percpu_next_ = 0;
  // The frozen state every execution starts from.
  bool frozen_ = false;
  std::vector<std::uint8_t> heap_snapshot_;
  std::vector<PageInfo> pages_snapshot_;
  std::size_t frozen_heap_ = 0, frozen_window_ = 0, frozen_percpu_ = 0;
  std::vector<std::uint8_t> data_snapshot_;
  // Engine objects the subject's primitives map onto.
  std::uint32_t data_object_ = 0;
  std::vector<std::unique_ptr<LockSlot>> locks_;
  std::unordered_map<std::uint64_t, std::size_t> lock_of_;  // location key -> locks_ index
  std::vector<IrqWorkSlot> irq_work_;
  std::vector<std::uint32_t> wait_objects_;                // sim object ids of the queue slots
  std::unordered_map<std::uint64_t, std::uint32_t> wait_of_;  // location key -> wait_objects_ index
  std::vector<Poller> pollers_;
  std::vector<std::unique_ptr<sim::SimObject>> names_;
  std::vector<std::int64_t> landed_;  // message id -> physical offset of its first byte, or -1
  mutable std::map<std::uint64_t, std::string> symbols_;  // code identity -> "function (file:line)"
  int ghost_ = 0;
  int cpu_override_ = -1;
  std::uint32_t note_warn_ = 0, note_fence_ = 0;
};

}  // namespace kernel
