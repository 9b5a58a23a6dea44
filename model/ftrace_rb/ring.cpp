// model/ftrace_rb/ring.cpp — the per-CPU page ring and its writers (see ring.h). Readers and the
// mapping are in reader.cpp.
#include "model/ftrace_rb/ring.h"

#include <algorithm>

namespace model::ftrace_rb {

using sim::Mo;

CpuBuffer::Page::Page(sim::Sim& s, const std::string& n, U64 nx, U64 pv, U32 size)
    : next(s, n + ".next", nx),
      prev(s, n + ".prev", pv),
      write(s, n + ".write", 0),
      entries(s, n + ".entries", 0),
      real_end(s, n + ".real_end", 0),
      commit(s, n + ".commit", 0),
      time_stamp(s, n + ".time_stamp", 0),
      data(std::make_unique<sim::ByteBuffer>(s, n + ".data", size)) {}

CpuBuffer::Meta::Meta(sim::Sim& s, const std::string& n)
    : reader_id(s, n + ".meta.reader.id", 0),
      reader_read(s, n + ".meta.reader.read", 0),
      reader_lost_events(s, n + ".meta.reader.lost_events", 0),
      entries(s, n + ".meta.entries", 0),
      overrun(s, n + ".meta.overrun", 0),
      read(s, n + ".meta.read", 0) {}

// rb_allocate_pages + rb_head_page_activate: pages 0..n-1 in a ring, page 0 the head (HEAD flag on
// page n-1's next), head = tail = commit = page 0; the reader page n points at itself.
CpuBuffer::CpuBuffer(sim::Sim& sim, const Params& p, const Variant& v, const std::string& name)
    : sim_(sim),
      p_(p),
      v_(v),
      name_(name),
      tail_page_(sim, name + ".tail_page", 0),
      commit_page_(sim, name + ".commit_page", 0),
      reader_page_(sim, name + ".reader_page", static_cast<int>(p.nr_pages)),
      entries_(sim, name + ".entries", 0),
      overrun_(sim, name + ".overrun", 0),
      commit_overrun_(sim, name + ".commit_overrun", 0),
      dropped_events_(sim, name + ".dropped_events", 0),
      entries_bytes_(sim, name + ".entries_bytes", 0),
      pages_touched_(sim, name + ".pages_touched", 0),
      pages_lost_(sim, name + ".pages_lost", 0),
      pages_read_(sim, name + ".pages_read", 0),
      committing_(sim, name + ".committing", 0),
      commits_(sim, name + ".commits", 0),
      clock_(sim, name + ".clock", 0),
      reader_lock_(sim, name + ".reader_lock"),
      meta_(std::make_unique<Meta>(sim, name)) {
  page_unit_ = p.subbuf_size + kBufPageHdrSize;
  max_data_ = p.subbuf_size - 8;
  const int n = static_cast<int>(p.nr_pages);
  for (int i = 0; i < n; ++i) {
    const int nx = (i + 1) % n, pv = (i + n - 1) % n;
    pages_.push_back(std::make_unique<Page>(sim, name + ".page" + std::to_string(i), make_ptr(nx, i == n - 1 ? kHead : kNormal),
                                            make_ptr(pv, 0), p.subbuf_size));
  }
  pages_.push_back(std::make_unique<Page>(sim, name + ".page" + std::to_string(n), make_ptr(n, 0), make_ptr(n, 0), p.subbuf_size));
  reset_ghost();
}

void CpuBuffer::reset_ghost() {
  ghost_.assign(pages_.size(), {});
  unreported_missed_ = 0;
  wakeups_queued_ = 0;
  stamp_ = 0;
  head_page_ = first_live_;
  list_page_ = first_live_;
  read_ = read_bytes_ = lost_events_ = last_overrun_ = 0;
  mapped_ = 0;
  subbuf_ids_.clear();
  ids_.assign(pages_.size(), -1);
  for (auto& pg : pages_) pg->read = 0;
}

void CpuBuffer::warn(const std::string& what) {
  sim_.report(sim::Property::Assertion, name_ + ": WARN_ON: " + what);
}

// ---- list flags ----

// rb_head_page_set(): cmpxchg prev->next from page|old_flag to page|new_flag; returns the old
// flag, or MOVED when prev->next no longer names `page` (a reader swapped it out).
U64 CpuBuffer::head_page_set(int page, int prev, U64 old_flag, U64 new_flag) {
  U64 expected = make_ptr(page, old_flag);
  if (pg(prev).next.compare_exchange(expected, make_ptr(page, new_flag))) return old_flag;
  if (ptr_page(expected) != page) return kMoved;
  return expected & kFlagMask;
}

// rb_is_head_page(): the flag of prev_page->next, or MOVED if it does not point at `page`.
U64 CpuBuffer::is_head_page(int page, int prev_page) {
  const U64 w = pg(prev_page).next.load();
  if (ptr_page(w) != page) return kMoved;
  return w & kFlagMask;
}

// rb_is_reader_page(): nothing in the ring points at the reader page.
bool CpuBuffer::is_reader_page(int page) {
  const int prev = ptr_page(pg(page).prev.load());
  return ptr_page(pg(prev).next.load()) != page;
}

// ---- writers ----

// ring_buffer_lock_reserve → rb_reserve_next_event: preemption off, rb_start_commit
// (committing++, commits++), up to 1000 tries of __rb_reserve_next (-EAGAIN: the tail moved).
Slot CpuBuffer::lock_reserve(U32 len, U64 id) {
  sim_.preempt_disable();
  // ring_buffer_lock_reserve (ring_buffer.c:4626): length > buffer->max_data_size, which
  // ring_buffer.c:2427 sets to the sub-buffer's capacity minus 8 (two u32: a header and a
  // length word): NULL, nothing counted.
  if (len > max_data_) {
    sim_.preempt_enable();
    Slot s;
    s.fail = Slot::Fail::TooBig;
    return s;
  }
  committing_.fetch_add(1);
  commits_.fetch_add(1);
  const U32 length = event_length(len);
  for (int tries = 0; tries < 1000; ++tries) {
    Slot s = reserve_next(length, id);
    if (s.ok) return s;
    if (s.fail == Slot::Fail::None) continue;  // -EAGAIN: the tail moved, try again
    end_commit();
    sim_.preempt_enable();
    return s;
  }
  warn("rb_reserve_next_event looped 1000 times");
  return {};
}

// __rb_reserve_next: add the length to the tail page's write index; past the end, move the tail.
Slot CpuBuffer::reserve_next(U32 length, U64 id) {
  const int tail_page = tail_page_.load(Mo::Acquire);
  const U64 ts = clock_.fetch_add(1) + 1;
  const U64 write = (pg(tail_page).write.fetch_add(length) + length) & kWriteMask;
  const U32 tail = static_cast<U32>(write - length);
  if (write > p_.subbuf_size) return move_tail(tail, length, tail_page);
  // The add above is the reservation: the ghost records it before any other step can interleave.
  ghost_[static_cast<std::size_t>(tail_page)].push_back(id);
  if (on_reserved) on_reserved(id, tail_page, tail, length, ++stamp_);
  pg(tail_page).entries.fetch_add(1);
  if (tail == 0) pg(tail_page).time_stamp.store(ts);
  entries_bytes_.fetch_add(length);
  Slot s;
  s.ok = true;
  s.page = tail_page;
  s.offset = tail;
  s.length = length;
  return s;
}

// rb_move_tail: this writer's event crossed the end of `tail_page`.
// Returns NULL with the reason, or fail == None for -EAGAIN (the caller retries).
Slot CpuBuffer::move_tail(U32 tail, U32 length, int tail_page) {
  Slot fail;
  const int commit_page = commit_page_.load(Mo::Acquire);
  const int next = next_of(tail_page);
  if (next == commit_page) {  // an interrupt storm wrapped onto an uncommitted event
    commit_overrun_.fetch_add(1);
    fail.fail = Slot::Fail::CommitOverrun;
    reset_tail(tail, length, tail_page);
    return fail;
  }
  if (is_head_page(next, tail_page) != kNormal) {
    if (!is_reader_page(commit_page)) {
      if (!p_.overwrite) {
        dropped_events_.fetch_add(1);
        fail.fail = Slot::Fail::Dropped;
        reset_tail(tail, length, tail_page);
        return fail;
      }
      const int ret = handle_head_page(tail_page, next);
      if (ret < 0) {
        fail.fail = Slot::Fail::Warn;
        reset_tail(tail, length, tail_page);
        return fail;
      }
      if (ret > 0) goto out_again;
    } else if (commit_page != tail_page_.load() && commit_page == reader_page_.load()) {
      // rb_move_tail: `(cpu_buffer->commit_page != cpu_buffer->tail_page) &&
      // (cpu_buffer->commit_page == cpu_buffer->reader_page)`: the commit is still on the reader
      // page and the tail would lap it (a tail that is itself on the reader page may move out).
      // commit_page cannot move under us: only the outermost writer on this CPU moves it.
      commit_overrun_.fetch_add(1);
      fail.fail = Slot::Fail::CommitOverrun;
      reset_tail(tail, length, tail_page);
      return fail;
    }
  }
  tail_page_update(tail_page, next);
out_again:
  reset_tail(tail, length, tail_page);
  end_commit();        // commit what we have so far
  committing_.fetch_add(1);  // rb_end_commit decremented it
  return fail;
}

// rb_handle_head_page (overwrite mode): push the head one page forward, counting what it held.
// Returns 0 to go on, 1 to retry (someone else moved it), -1 on a corrupted list (WARN).
//
// The kernel reads `entries = rb_page_entries(next_page)` into a local BEFORE the HEAD -> UPDATE
// cmpxchg and, if that cmpxchg wins, adds the local to overrun afterwards. A nested writer that
// interrupts in between sees UPDATE, finishes the move, moves the tail onto `next` (its
// rb_tail_page_update zeroes next's entries) and reserves there; the local still holds the count
// of the events that were overwritten, which is what overrun must grow by. So the ghost takes its
// snapshot of the page's reservations at the same instant as the entries load, and the check
// compares the two values the kernel's local and the page held together.
int CpuBuffer::handle_head_page(int tail_page, int next) {
  const U64 lost_entries = pg(next).entries.load() & kWriteMask;
  // Storage kept across executions (no allocation once warm), one per context: a nested writer on
  // this CPU may run its own head push between our steps.
  std::vector<U64>& lost_ids = lost_scratch_[static_cast<std::size_t>(sim_.current_ctx()) & 3];
  lost_ids.assign(ghost_[static_cast<std::size_t>(next)].begin(), ghost_[static_cast<std::size_t>(next)].end());  // same step as the load
  const U64 type = head_page_set(next, tail_page, kHead, kUpdate);
  switch (type) {
    case kHead: {
      overrun_.fetch_add(lost_entries);
      entries_bytes_.fetch_sub(pg(next).commit.load() & ~kMissedFlags);
      pages_lost_.fetch_add(1);
      if (lost_ids.size() != lost_entries)
        sim_.report(sim::Property::Counters, name_ + ": rb_handle_head_page added " + std::to_string(lost_entries) +
                                                 " to overrun but page " + std::to_string(next) + " held " +
                                                 std::to_string(lost_ids.size()) + " reserved events when it read the count");
      for (U64 id : lost_ids)
        if (on_overrun) on_overrun(id);
      // Forget them on the page unless a nested writer already reset it (then it may hold new
      // reservations, which are not lost).
      auto& g = ghost_[static_cast<std::size_t>(next)];
      std::erase_if(g, [&](U64 id) { return std::find(lost_ids.begin(), lost_ids.end(), id) != lost_ids.end(); });
      break;
    }
    case kUpdate: break;  // an interrupted writer is moving it; we are nested
    case kNormal:
    case kMoved: return 1;
    default: warn("head page flag " + std::to_string(type)); return -1;
  }
  const int new_head = next_of(next);
  const U64 ret = head_page_set(new_head, next, kNormal, kHead);
  if (ret != kHead && ret != kNormal) {
    warn("new head flag " + std::to_string(ret));
    return -1;
  }
  if (ret == kNormal) {
    const int buffer_tail = tail_page_.load();
    if (buffer_tail != tail_page && buffer_tail != next) head_page_set(new_head, next, kHead, kNormal);
  }
  if (type == kHead && head_page_set(next, tail_page, kUpdate, kNormal) != kUpdate) {
    warn("UPDATE flag changed under its owner");
    return -1;
  }
  return 0;
}

// rb_tail_page_update: claim `next` (bump its updater counts), and if the tail is still ours,
// zero its write/entries indexes and commit, then cmpxchg the tail (an interrupt may beat us).
void CpuBuffer::tail_page_update(int tail_page, int next) {
  const U64 old_write = pg(next).write.fetch_add(kWriteIntcnt) + kWriteIntcnt;
  const U64 old_entries = pg(next).entries.fetch_add(kWriteIntcnt) + kWriteIntcnt;
  if (tail_page == tail_page_.load()) {
    U64 w = old_write;
    pg(next).write.compare_exchange(w, old_write & ~kWriteMask);
    U64 e = old_entries;
    if (pg(next).entries.compare_exchange(e, old_entries & ~kWriteMask)) ghost_[static_cast<std::size_t>(next)].clear();
    pg(next).commit.store(0);
    int t = tail_page;
    // ring_buffer.c:1510-1511: pages_touched counts the pages this writer itself moved the tail to.
    if (tail_page_.compare_exchange(t, next)) pages_touched_.fetch_add(1);
  }
}

// rb_reset_tail: the crossing writer pads the rest of the old page; a writer that found the page
// already full only gives its length back.
void CpuBuffer::reset_tail(U32 tail, U32 length, int tail_page) {
  const U32 size = p_.subbuf_size;
  Page& t = pg(tail_page);
  if (tail >= size) {
    if (tail == size) t.real_end.store(0);
    t.write.fetch_sub(length);
    return;
  }
  t.real_end.store(tail);
  const U32 left = size - tail;
  const U32 hdr = (left - kHdr) << 5 | kTypePadding;
  const std::uint8_t b[4] = {static_cast<std::uint8_t>(hdr), static_cast<std::uint8_t>(hdr >> 8),
                             static_cast<std::uint8_t>(hdr >> 16), static_cast<std::uint8_t>(hdr >> 24)};
  if (left < 8) {  // null padding: beyond the commit, never read
    t.data->write(tail, b, kHdr, 0);
    t.write.fetch_sub(length, Mo::Release);
    return;
  }
  t.data->write(tail, b, kHdr, 0);  // discard padding covering the rest, counted in entries_bytes
  entries_bytes_.fetch_add(left);
  t.write.fetch_sub(tail + length - size, Mo::Release);
}

bool CpuBuffer::write_event(const Slot& s, const std::uint8_t* body, U32 len, U64 id) {
  const U32 hdr = len << 5 | kTypeData;
  const std::uint8_t b[4] = {static_cast<std::uint8_t>(hdr), static_cast<std::uint8_t>(hdr >> 8),
                             static_cast<std::uint8_t>(hdr >> 16), static_cast<std::uint8_t>(hdr >> 24)};
  sim::ByteBuffer& d = *pg(s.page).data;
  if (!d.write(s.offset, b, kHdr, 0)) return false;
  return d.write(s.offset + kHdr, body, len, id);
}

void CpuBuffer::unlock_commit() {
  entries_.fetch_add(1);  // rb_commit
  end_commit();
  wakeups();
  sim_.preempt_enable();
}

// rb_wakeups, the per-CPU half without full waiters: if a reader announced it waits
// (waiters_pending), clear the flag and queue the irq_work (coalesced while pending; it runs
// later in hardirq on this CPU). The buffer-wide irq_work and the `full` watermark path
// (full_waiters_pending, pages_touched, shortest_full) are not modelled.
void CpuBuffer::wakeups() {
  if (irq_work_ < 0) return;
  if (waiters_pending_->load(sim::Mo::SeqCst) != 0) {
    waiters_pending_->store(0, sim::Mo::Relaxed);
    ++wakeups_queued_;
    sim_.irq_work_queue(irq_work_);  // irq_work_queue() supplies its own barriers
  }
}

void CpuBuffer::enable_wakeups() {
  if (irq_work_ >= 0) return;
  waiters_pending_ = std::make_unique<sim::Shared<int>>(sim_, name_ + ".irq_work.waiters_pending", 0);
  waiters_ = std::make_unique<sim::WaitQueue>(sim_, name_ + ".irq_work.waiters");
  // rb_wake_up_waiters: wake_up_all(&rbwork->waiters) (the full_waiters half is not modelled; the
  // merged mapping series does not update the meta page here: only GET_READER, map and reset do).
  irq_work_ = sim_.add_irq_work("rb_wake_up_waiters/" + name_, [this] { waiters_->wake_up(); });
}

void CpuBuffer::wake_waiters() {
  if (waiters_) waiters_->wake_up();
}

// rb_end_commit: the outermost committer publishes; re-check `commits` for an interrupt that came
// in between publishing and dropping `committing`.
void CpuBuffer::end_commit() {
  if (committing_.load() == 0) return warn("rb_end_commit with committing == 0");
  for (;;) {
    const U64 commits = commits_.load();
    if (committing_.load() == 1 || !v_.outermost_commit) set_commit_to_write();
    committing_.fetch_sub(1);
    if (commits_.load() != commits && committing_.load() == 0) {
      committing_.fetch_add(1);
      continue;
    }
    return;
  }
}

// rb_set_commit_to_write: walk the commit page up to the tail page, setting each page's commit to
// its write index (smp_wmb before each publish: Mo::Release).
void CpuBuffer::set_commit_to_write() {
  for (;;) {
    U64 max_count = U64{p_.nr_pages} * 100;
    int commit_page = commit_page_.load();
    while (commit_page != tail_page_.load(Mo::Acquire)) {
      if (!--max_count) return warn("rb_set_commit_to_write looped");
      if (is_reader_page(tail_page_.load())) return warn("tail page is the reader page while the commit is behind it");
      pg(commit_page).commit.store(pg(commit_page).write.load() & kWriteMask, Mo::Release);
      commit_page = next_of(commit_page);
      commit_page_.store(commit_page, Mo::Release);
    }
    for (;;) {
      const U64 w = pg(commit_page).write.load() & kWriteMask;
      if ((pg(commit_page).commit.load() & ~kMissedFlags) == w) break;
      pg(commit_page).commit.store(w, Mo::Release);
    }
    if (commit_page_.load() == tail_page_.load(Mo::Acquire)) return;
  }
}

PageState CpuBuffer::page_state(int page) const {
  const Page& q = *pages_[static_cast<std::size_t>(page)];
  return PageState{page,
                   ids_[static_cast<std::size_t>(page)],
                   q.write.peek() & kWriteMask,
                   q.entries.peek() & kWriteMask,
                   q.commit.peek(),
                   q.real_end.peek(),
                   q.read,
                   q.time_stamp.peek(),
                   static_cast<U64>(ptr_page(q.next.peek())),
                   q.next.peek() & kFlagMask,
                   static_cast<U64>(ptr_page(q.prev.peek()))};
}

Counters CpuBuffer::counters() const {
  return Counters{entries_.peek(),       overrun_.peek(),       commit_overrun_.peek(), dropped_events_.peek(),
                  entries_bytes_.peek(), read_,                 read_bytes_,            pages_touched_.peek(),
                  pages_lost_.peek(),    pages_read_.peek(),    lost_events_,           last_overrun_,
                  committing_.peek()};
}

}  // namespace model::ftrace_rb
