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
// and a body, the record as long as rb_calculate_event_length makes it (without time extends: time stamps
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
#include "model/ftrace_rb/ring_api.h"

namespace model::ftrace_rb {

class CpuBuffer final : public RingApi {
 public:
  CpuBuffer(sim::Sim& sim, const Params& p, const Variant& v, const std::string& name);
  const Params& params() const override { return p_; }
  const Variant& variant() const { return v_; }
  void reset_ghost() override;

  // ---- writers (this CPU, any context) ----
  /// ring_buffer_lock_reserve: preempt_disable; a slot for `len` body bytes or NULL.
  Slot lock_reserve(U32 len, U64 id) override;
  /// Writes the header and body of a reserved slot (tagged with `id`).
  bool write_event(const Slot& s, const std::uint8_t* body, U32 len, U64 id) override;
  /// ring_buffer_unlock_commit: rb_commit (entries++) + rb_end_commit; preempt_enable.
  void unlock_commit() override;

  // ---- blocking readers (struct rb_irq_work: waiters, waiters_pending, irq_work) ----
  /// Registers the per-CPU irq_work (rb_wake_up_waiters) at build time. Without it the writer's
  /// rb_wakeups is not modelled (no step), so scenarios without a blocking reader keep their schedules.
  void enable_wakeups() override;
  /// ring_buffer_wait (full = 0): wait_event on the per-CPU `waiters` until the buffer is not empty
  /// (ring_buffer_empty_cpu) or `or_stop()`; rb_wait_cond sets waiters_pending before each sleep.
  void wait(const std::function<bool()>& or_stop) override;
  /// The harness's stop: wake_up_all on the per-CPU waiters (no-op without enable_wakeups()).
  void wake_waiters() override;
  /// Ghost: irq_work_queue calls made by rb_wakeups this execution.
  U64 wakeups_queued() const override { return wakeups_queued_; }

  // ---- consuming readers (reader_lock, irqsave) ----
  using RingApi::consume;
  /// ring_buffer_consume into `out` (its storage reused: no allocation once warm).
  bool consume(ReadEvent& out) override;
  /// ring_buffer_read_page (full = 0).
  PageRead read_page() override;

  // ---- the mapping (reader_lock, irqsave) ----
  int map() override;    // ring_buffer_map: first map assigns sub-buffer ids and fills the meta page
  int map_range(U64 pgoff, U64 pages, bool writable) override;
  int unmap() override;  // ring_buffer_unmap: -ENODEV if not mapped
  int map_get_reader() override;  // TRACE_MMAP_IOCTL_GET_READER
  int resize_check() override;    // ring_buffer_resize's mapping rule: -EBUSY while mapped, else 0
  int mapped() const override { return mapped_; }

  // ---- tracefs's buffer operations (reader_lock, irqsave) ----
  void reset_cpu() override;
  int subbuf_order_set(int order) override;
  int subbuf_order() const override { return order_; }
  int swap_cpu(RingApi& max) override;
  int first_live_page() const override { return first_live_; }
  /// Build time only: `count` spare pages of `size` data bytes for subbuf_order_set (the engine's
  /// objects are registered before a run, so an order change takes its new pages from here).
  void reserve_order_pages(std::size_t count, U32 size);

  // Meta page words (user space loads them: steps).
  struct Meta {
    sim::Shared<U64> reader_id, reader_read, reader_lost_events, entries, overrun, read;
    Meta(sim::Sim& s, const std::string& n);
  };
  Meta& meta() { return *meta_; }
  U64 meta_load(MetaField f, sim::Mo mo) override;
  U64 meta_peek(MetaField f) const override;
  bool read_meta(U64 off, U64 n, std::uint8_t* out) override;
  int page_of_id(U64 id) const override { return id < subbuf_ids_.size() ? subbuf_ids_[id] : -1; }
  int id_of_page(int page) const override { return ids_[static_cast<std::size_t>(page)]; }
  U64 load_commit(int page, sim::Mo mo) override { return commit_word(page).load(mo); }
  bool read_subbuf(int page, U64 off, std::uint8_t* out, U64 n, U64* tags) override { return data(page).read(off, out, n, tags); }
  bool user_record(int page, U64 pos, U64 size, Record& out) override;
  sim::ByteBuffer& data(int page) { return *pages_[static_cast<std::size_t>(page)]->data; }
  sim::Shared<U64>& commit_word(int page) { return pages_[static_cast<std::size_t>(page)]->commit; }

  // ---- observable state without steps (checks, exec dumps) ----
  PageState page_state(int page) const override;
  /// rb_is_reader_page without steps: nothing in the ring points at `page` (its prev's next is
  /// not it). The reader page stops being one at the swap's cmpxchg, before reader_page moves.
  bool out_of_ring(int page) const override {
    const Page& q = *pages_[static_cast<std::size_t>(page)];
    return ptr_page(pages_[static_cast<std::size_t>(ptr_page(q.prev.peek()))]->next.peek()) != page;
  }
  int pages_total() const override { return static_cast<int>(pages_.size()); }
  int head_page() const { return head_page_; }
  int tail_page() const override { return tail_page_.peek(); }
  int commit_page() const override { return commit_page_.peek(); }
  int reader_page() const override { return reader_page_.peek(); }
  Counters counters() const override;
  /// Ghost: messages reserved on `page` since the tail last moved onto it.
  const std::vector<U64>& ghost_ids(int page) const { return ghost_[static_cast<std::size_t>(page)]; }
  U64 unreported_missed() const override { return unreported_missed_; }

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
  U64 page_size(int page) { return pg(page).commit.load(sim::Mo::Acquire) & kSizeMask; }
  U32 event_at(int page, U64 off, U32* type, U32* body);
  void advance_reader();
  void take_event(int page, U64 off, U32 body, ReadEvent& ev);
  void update_meta_page();

  sim::Sim& sim_;
  Params p_;
  Variant v_;
  std::string name_;
  std::vector<std::unique_ptr<Page>> pages_;
  std::vector<std::unique_ptr<Page>> spare_pages_;  // reserve_order_pages
  U32 page_unit_ = 0;  // the subject's PAGE_SIZE: sub-buffer data + BUF_PAGE_HDR_SIZE at order 0
  U32 max_data_ = 0;   // buffer->max_data_size, set once by the allocation (ring_buffer.c:2427)
  int order_ = 0;      // buffer->subbuf_order
  int first_live_ = 0;
  int list_page_ = 0;  // cpu_buffer->pages: where rb_reset_cpu restarts the ring
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
  U64 stamp_ = 0;  // reservations this execution (on_reserved's stamp)
  std::vector<U64> lost_scratch_[4];  // per context: rb_handle_head_page's snapshot of the pushed page's messages
  void wakeups();
  bool empty_cpu();
};

}  // namespace model::ftrace_rb
