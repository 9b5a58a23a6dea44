// model/ftrace_rb/ring.h — one per-CPU tracing ring buffer (kernel/trace/ring_buffer.c,
// struct ring_buffer_per_cpu) with its user-space mapping (include/uapi/linux/trace_mmap.h).
//
// Pages. `nr_pages` buffer pages form the ring; one more page (index nr_pages at start) is the
// reader page, outside the ring. Each buffer page has `next`/`prev` list words, a `write` and an
// `entries` word (20-bit index + updater count above RB_WRITE_MASK, as local_t in the kernel), a
// `real_end`, a consumer `read` offset (reader page only, under reader_lock), and a data page:
// `commit` (Shared, with RB_MISSED_EVENTS / RB_MISSED_STORED in bits 31/30 on pages handed to a
// reader), `time_stamp` (a virtual clock: one tick per reservation) and `subbuf_size` data bytes
// (a sim::ByteBuffer with ghost tags). A `next` word is page-index << 2 | flag, flag NORMAL 0,
// HEAD 1, UPDATE 2 (the kernel carries them in the low bits of list.next); helpers answer MOVED 4
// when the pointer no longer names the expected page. Every Shared access is a step.
//
// Events. A record is a 4-byte header (bits 0-4 type: 0 data, 29 padding; bits 5-31 body length)
// and a body rounded up to 4 bytes: rb_calculate_event_length without time extends (time stamps
// are not encoded; deltas are the kernel's business, the model keeps the page stamp only).
//
// Writers (any context of the buffer's CPU; no lock; preemption disabled; nesting only in stack
// order): lock_reserve (ring_buffer_lock_reserve → rb_reserve_next_event → __rb_reserve_next →
// rb_move_tail → rb_handle_head_page / rb_tail_page_update / rb_reset_tail) returns a slot or
// NULL (too big: len > max data; no-overwrite full: dropped_events; wrapped onto the commit page:
// commit_overrun); unlock_commit (rb_commit + rb_end_commit → rb_set_commit_to_write: only the
// outermost committer publishes, so nested events become visible with it, in reservation order).
//
// Readers hold reader_lock (raw spinlock, irqsave): consume (ring_buffer_consume: peek through
// rb_get_reader_page's swap of the reader page with the head, lost events returned with the first
// event after a swap, then rb_advance_reader), read_page (ring_buffer_read_page, copy path only),
// map / unmap / map_get_reader (ring_buffer_map, TRACE_MMAP_IOCTL_GET_READER →
// ring_buffer_map_get_reader → rb_update_meta_page). User space reads the meta page and the
// sub-buffers through meta_*() and page_bytes(), with steps.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/buffer.h"
#include "sim/lock.h"
#include "sim/shared.h"

namespace model::ftrace_rb {

using U64 = std::uint64_t;
using U32 = std::uint32_t;

inline constexpr U64 kNormal = 0, kHead = 1, kUpdate = 2, kMoved = 4, kFlagMask = 3;
inline constexpr U64 kWriteMask = (U64{1} << 20) - 1;  // RB_WRITE_MASK
inline constexpr U64 kWriteIntcnt = U64{1} << 20;      // RB_WRITE_INTCNT
inline constexpr U64 kMissedEvents = U64{1} << 31;     // RB_MISSED_EVENTS
inline constexpr U64 kMissedStored = U64{1} << 30;     // RB_MISSED_STORED
inline constexpr U64 kMissedFlags = kMissedEvents | kMissedStored;
inline constexpr U32 kHdr = 4;
inline constexpr U32 kTypeData = 0, kTypePadding = 29;
inline constexpr int kEBUSY = 16, kENODEV = 19, kEINVAL = 22;

/// rb_calculate_event_length without time extends: header + body rounded to 4 (0 → 1 → 4).
constexpr U32 event_length(U32 len) { return kHdr + ((len ? len : 1) + 3) / 4 * 4; }

/// Design knobs; every field true/false as in mainline by default.
struct Variant {
  /// fe832be05a8e: ring_buffer_map_get_reader stores missed events in the reader sub-buffer
  /// (RB_MISSED_EVENTS/STORED) and clears lost_events. Off: meta.reader.lost_events is copied from
  /// a lost_events nobody clears on the mapped path (stale on later swaps).
  bool map_missed_events = true;
  /// "ring-buffer: Do not trigger WARN_ON() due to a commit_overrun" (2025). Off: GET_READER WARNs
  /// whenever the swapped-in reader page is the commit page with missed events.
  bool commit_overrun_no_warn = true;
  /// The committing/commits counters (fa7439531dee, 2009): only the outermost commit moves the
  /// commit pointer. Off: every commit, nested or not, publishes up to the write index.
  bool outermost_commit = true;
};

struct Params {
  U32 subbuf_size = 64;  // data bytes per sub-buffer (kernel: PAGE_SIZE << order, minus 16)
  U32 nr_pages = 4;      // sub-buffers in the ring (at least 2)
  bool overwrite = true; // RB_FL_OVERWRITE
};

/// A reservation: page and offset of the header; ok false = NULL.
struct Slot {
  bool ok = false;
  int page = -1;
  U32 offset = 0, length = 0;
  enum class Fail : std::uint8_t { None, TooBig, Dropped, CommitOverrun, Warn } fail = Fail::None;
};

/// One event a reader took: body bytes and their ghost tags, and the lost events reported with it.
struct ReadEvent {
  std::vector<std::uint8_t> body;
  std::vector<U64> tags;
  U64 lost = 0;
};

class CpuBuffer {
 public:
  CpuBuffer(sim::Sim& sim, const Params& p, const Variant& v, const std::string& name);
  const Params& params() const { return p_; }
  const Variant& variant() const { return v_; }

  // ---- ghost hooks (the workload's ledger) ----
  /// A reservation succeeded: message `id` at (page, offset).
  std::function<void(U64 id, int page, U32 offset, U32 length)> on_reserved;
  /// Message `id` was overwritten by the writer pushing the head (counted in overrun).
  std::function<void(U64 id)> on_overrun;
  /// Per execution: clears the ghost lists and the plain (reader_lock / mapping) state.
  void reset_ghost();

  // ---- writers (this CPU, any context) ----
  /// ring_buffer_lock_reserve: preempt_disable; a slot for `len` body bytes or NULL.
  Slot lock_reserve(U32 len, U64 id);
  /// Writes the header and body of a reserved slot (tagged with `id`).
  bool write_event(const Slot& s, const std::uint8_t* body, U32 len, U64 id);
  /// ring_buffer_unlock_commit: rb_commit (entries++) + rb_end_commit; preempt_enable.
  void unlock_commit();

  // ---- blocking readers (struct rb_irq_work: waiters, waiters_pending, irq_work) ----
  /// Registers the per-CPU irq_work (rb_wake_up_waiters) at build time. Without it the writer's
  /// rb_wakeups is not modelled (no step), so scenarios without a blocking reader keep their schedules.
  void enable_wakeups();
  /// ring_buffer_wait (full = 0): wait_event on the per-CPU `waiters` until the buffer is not empty
  /// (ring_buffer_empty_cpu) or `or_stop()`; rb_wait_cond sets waiters_pending before each sleep.
  void wait(const std::function<bool()>& or_stop);
  /// The harness's stop: wake_up_all on the per-CPU waiters (no-op without enable_wakeups()).
  void wake_waiters();
  /// Ghost: irq_work_queue calls made by rb_wakeups this execution.
  U64 wakeups_queued() const { return wakeups_queued_; }

  // ---- consuming readers (reader_lock, irqsave) ----
  /// ring_buffer_consume: the next data event or nullopt when empty.
  std::optional<ReadEvent> consume();
  /// The same into `out` (its storage reused: no allocation once warm); false if nothing to read.
  bool consume(ReadEvent& out);
  /// ring_buffer_read_page (copy path, full = 0): every event left on the reader page, and the
  /// missed count the page would carry (-1: RB_MISSED_EVENTS without a stored count). ret -1: none.
  struct PageRead {
    int ret = -1;
    std::vector<ReadEvent> events;
    std::int64_t missed = 0;
  };
  PageRead read_page();

  // ---- the mapping (reader_lock, irqsave) ----
  int map();    // ring_buffer_map: first map assigns sub-buffer ids and fills the meta page
  int unmap();  // ring_buffer_unmap: -ENODEV if not mapped
  int map_get_reader();  // TRACE_MMAP_IOCTL_GET_READER
  int resize_check();    // ring_buffer_resize's mapping rule: -EBUSY while mapped, else 0
  int mapped() const { return mapped_; }

  // Meta page words (user space loads them: steps).
  struct Meta {
    sim::Shared<U64> reader_id, reader_read, reader_lost_events, entries, overrun, read;
    Meta(sim::Sim& s, const std::string& n);
  };
  Meta& meta() { return *meta_; }
  /// The buffer page behind sub-buffer `id` (ghost: the mapping is fixed while mapped).
  int page_of_id(U64 id) const { return id < subbuf_ids_.size() ? subbuf_ids_[id] : -1; }
  int id_of_page(int page) const { return ids_[static_cast<std::size_t>(page)]; }
  sim::ByteBuffer& data(int page) { return *pages_[static_cast<std::size_t>(page)]->data; }
  sim::Shared<U64>& commit_word(int page) { return pages_[static_cast<std::size_t>(page)]->commit; }

  // ---- observable state without steps (checks, exec dumps) ----
  struct PageState {
    int index, id;
    U64 write, entries, commit, real_end, read, time_stamp, next, next_flag, prev;
  };
  PageState page_state(int page) const;
  /// rb_is_reader_page without steps: nothing in the ring points at `page` (its prev's next is
  /// not it). The reader page stops being one at the swap's cmpxchg, before reader_page moves.
  bool out_of_ring(int page) const {
    const Page& q = *pages_[static_cast<std::size_t>(page)];
    return ptr_page(pages_[static_cast<std::size_t>(ptr_page(q.prev.peek()))]->next.peek()) != page;
  }
  int pages_total() const { return static_cast<int>(pages_.size()); }
  int head_page() const { return head_page_; }
  int tail_page() const { return tail_page_.peek(); }
  int commit_page() const { return commit_page_.peek(); }
  int reader_page() const { return reader_page_.peek(); }
  struct Counters {
    U64 entries, overrun, commit_overrun, dropped_events, entries_bytes, read, read_bytes, pages_touched, pages_lost,
        pages_read, lost_events, last_overrun, committing;
  };
  Counters counters() const;
  /// Ghost: messages reserved on `page` since the tail last moved onto it.
  const std::vector<U64>& ghost_ids(int page) const { return ghost_[static_cast<std::size_t>(page)]; }
  /// Ghost: missed events GET_READER dropped with only a pr_info (commit overrun on the reader page).
  U64 unreported_missed() const { return unreported_missed_; }

 private:
  struct Page {
    sim::Shared<U64> next, prev, write, entries, real_end, commit, time_stamp;
    U64 read = 0;  // reader page only, under reader_lock
    std::unique_ptr<sim::ByteBuffer> data;
    Page(sim::Sim& s, const std::string& n, U64 nx, U64 pv, U32 size);
  };
  Page& pg(int i) { return *pages_[static_cast<std::size_t>(i)]; }
  static int ptr_page(U64 word) { return static_cast<int>(word >> 2); }
  static U64 make_ptr(int page, U64 flag) { return (static_cast<U64>(page) << 2) | flag; }

  // writer internals
  Slot reserve_next(U32 length, U64 id);
  Slot move_tail(U32 tail, U32 length, int tail_page);
  int handle_head_page(int tail_page, int next);
  void tail_page_update(int tail_page, int next);
  void reset_tail(U32 tail, U32 length, int tail_page);
  void end_commit();
  void set_commit_to_write();
  void warn(const std::string& what);
  // flag helpers (rb_head_page_set / rb_is_head_page / rb_is_reader_page)
  U64 head_page_set(int page, int prev, U64 old_flag, U64 new_flag);
  U64 is_head_page(int page, int prev_page);
  bool is_reader_page(int page);
  int next_of(int page) { return ptr_page(pg(page).next.load()); }
  // reader internals (reader_lock held)
  int set_head_page();
  int get_reader_page();
  bool per_cpu_empty();
  U64 page_size(int page) { return pg(page).commit.load(sim::Mo::Acquire) & ~kMissedFlags; }
  U32 event_at(int page, U64 off, U32* type, U32* body);
  void advance_reader();
  void take_event(int page, U64 off, U32 body, ReadEvent& ev);
  void update_meta_page();

  sim::Sim& sim_;
  Params p_;
  Variant v_;
  std::string name_;
  std::vector<std::unique_ptr<Page>> pages_;
  sim::Shared<int> tail_page_, commit_page_, reader_page_;
  int head_page_ = 0;  // cpu_buffer->head_page: a reader-side cache
  sim::Shared<U64> entries_, overrun_, commit_overrun_, dropped_events_, entries_bytes_, pages_touched_, pages_lost_,
      pages_read_, committing_, commits_, clock_;
  sim::SpinLock reader_lock_;
  U64 read_ = 0, read_bytes_ = 0, lost_events_ = 0, last_overrun_ = 0;  // under reader_lock
  std::unique_ptr<Meta> meta_;
  int mapped_ = 0;
  std::vector<int> subbuf_ids_, ids_;
  std::vector<std::vector<U64>> ghost_;
  U64 unreported_missed_ = 0;
  // rb_irq_work of this cpu_buffer (enable_wakeups)
  std::unique_ptr<sim::Shared<int>> waiters_pending_;
  std::unique_ptr<sim::WaitQueue> waiters_;
  int irq_work_ = -1;
  U64 wakeups_queued_ = 0;
  void wakeups();
  bool empty_cpu();
};

}  // namespace model::ftrace_rb
