// model/ftrace_rb/reader.cpp — the consuming readers and the user-space mapping of a CpuBuffer
// (see ring.h). Every entry point takes reader_lock with irqsave, as the kernel's callers do;
// rb_get_reader_page's swap is the only reader step that writes the ring's list words.
#include "model/ftrace_rb/ring.h"

#include <algorithm>
#include <stdexcept>

namespace model::ftrace_rb {

using sim::Mo;

// rb_set_head_page: from the cached head, up to three laps looking for the page whose prev->next
// is flagged (or no longer points at it: MOVED counts too, as in the kernel).
int CpuBuffer::set_head_page() {
  const int head = head_page_;
  int page = head;
  for (int lap = 0; lap < 3; ++lap) {
    do {
      if (is_head_page(page, ptr_page(pg(page).prev.load())) != kNormal) {
        head_page_ = page;
        return page;
      }
      page = next_of(page);
    } while (page != head);
  }
  warn("rb_set_head_page found no head page");
  return -1;
}

// rb_get_reader_page: the reader page if it has unread data; else swap it with the head page
// (cmpxchg of prev(head)->next from head|HEAD to the reader page; fails while a writer holds the
// head in UPDATE or has moved it: spin) and record lost events (overrun growth since the last
// swap: assigned, not added). Returns the page or -1 (caught up / empty). reader_lock held.
int CpuBuffer::get_reader_page() {
  for (int loops = 0;; ++loops) {
    if (loops > 3) {
      warn("rb_get_reader_page looped more than 3 times");
      return -1;
    }
    const int reader = reader_page_.load();
    Page& r = pg(reader);
    const U64 size = page_size(reader);
    if (r.read < size) {
      // a0fcaaed0c46: wait while a writer that crossed the end has not yet reset the write index
      for (int n = 0; n < 1000 && (r.write.load(Mo::Acquire) & kWriteMask) > p_.subbuf_size; ++n) sim_.yield();
      return reader;
    }
    if (r.read > size) {
      warn("reader page read " + std::to_string(r.read) + " > size " + std::to_string(size));
      return -1;
    }
    if (commit_page_.load(Mo::Acquire) == reader) return -1;  // caught up with the writer
    if (entries_.load() - (overrun_.load() + read_) == 0) return -1;  // rb_num_of_entries
    r.write.store(0);
    r.entries.store(0);
    r.commit.store(0);
    r.real_end.store(0);
    ghost_[static_cast<std::size_t>(reader)].clear();
    int head = -1;
    U64 overwrite = 0;
    for (int spins = 0;; ++spins) {
      head = set_head_page();
      if (head < 0) return -1;
      r.next.store(make_ptr(next_of(head), kNormal));
      const U64 head_prev = pg(head).prev.load();
      r.prev.store(head_prev);
      list_page_ = ptr_page(head_prev);  // cpu_buffer->pages = reader->list.prev (ring_buffer.c:5420)
      r.next.fetch_or(kHead);  // rb_set_list_to_head; then smp_mb
      overwrite = overrun_.load(Mo::SeqCst);
      U64 expected = make_ptr(head, kHead);  // rb_head_page_replace
      if (pg(ptr_page(pg(head).prev.load())).next.compare_exchange(expected, make_ptr(reader, kNormal))) break;
      if (spins > 1000) {
        warn("rb_get_reader_page spun 1000 times on the head page");
        return -1;
      }
      sim_.yield();
    }
    pg(next_of(reader)).prev.store(make_ptr(reader, 0));
    head_page_ = next_of(head);
    pages_read_.fetch_add(1);
    reader_page_.store(head, Mo::Release);
    pg(head).read = 0;
    if (overwrite != last_overrun_) {
      lost_events_ = overwrite - last_overrun_;
      last_overrun_ = overwrite;
    }
  }
}

// rb_per_cpu_empty
bool CpuBuffer::per_cpu_empty() {
  const int reader = reader_page_.load();
  const int head = set_head_page();
  const int commit = commit_page_.load(Mo::Acquire);
  if (head < 0) return true;
  if (pg(reader).read != page_size(reader)) return false;
  if (commit == reader) return true;
  if (commit != head) return false;
  return pg(commit).commit.load() == 0;
}

// Reads the header at `off` of `page` (one step); returns the record length.
U32 CpuBuffer::event_at(int page, U64 off, U32* type, U32* body) {
  std::uint8_t b[4] = {};
  if (!pg(page).data->read(off, b, kHdr)) return 0;
  const U32 h = U32{b[0]} | U32{b[1]} << 8 | U32{b[2]} << 16 | U32{b[3]} << 24;
  *type = h & 31;
  *body = h >> 5;
  return *type == kTypePadding ? kHdr + *body : event_length(*body);
}

// rb_advance_reader: data records count in `read`; every record moves the page's read offset.
void CpuBuffer::advance_reader() {
  const int reader = reader_page_.load();
  U32 type = 0, body = 0;
  const U32 length = event_at(reader, pg(reader).read, &type, &body);
  if (length == 0) return;
  if (type != kTypePadding) ++read_;
  pg(reader).read += length;
  read_bytes_ += length;
}

void CpuBuffer::take_event(int page, U64 off, U32 body, ReadEvent& ev) {
  ev.body.resize(body);
  ev.tags.resize(body);
  pg(page).data->read(off + kHdr, ev.body.data(), body, ev.tags.data());
}

// ring_buffer_consume: peek (rb_buffer_peek) and advance under reader_lock. lost_events rides on
// the first data event after a swap and is cleared by any consumed record (padding too).
bool CpuBuffer::consume(ReadEvent& ev) {
  const unsigned long flags = reader_lock_.lock_irqsave();
  bool out = false;
  for (;;) {
    const int reader = get_reader_page();
    if (reader < 0) break;
    U32 type = 0, body = 0;
    const U64 off = pg(reader).read;
    event_at(reader, off, &type, &body);
    if (type == kTypePadding) {
      lost_events_ = 0;
      advance_reader();
      continue;
    }
    take_event(reader, off, body, ev);
    ev.lost = lost_events_;
    lost_events_ = 0;
    advance_reader();
    out = true;
    break;
  }
  reader_lock_.unlock_irqrestore(flags);
  return out;
}

// ring_buffer_read_page (ring_buffer.c:6564-6732), len = a whole sub-buffer, full = 0. The
// reader page is copied out record by record when it was partly read, is the commit page, or the
// buffer is mapped (6642-6646); otherwise it is swapped whole with the reader's spare page
// (6683-6702): read and read_bytes grow by the page's entries and size, the reader page comes back
// empty (write, entries, read and commit 0). Either way the page handed out starts with its first
// record: the return value is 0 (6681, and read == 0 on the swap path). The missed count
// (lost_events) is then stored after the data when 8 bytes are free, with RB_MISSED_STORED, and
// RB_MISSED_EVENTS set (6711-6719); a copied page also keeps its own RB_MISSED_EVENTS (6660).
// The model keeps the data bytes in place on a swap (nobody reads an empty reader page) and takes
// the records with steps, as the reader's later reads of its page would be.
PageRead CpuBuffer::read_page() {
  const unsigned long flags = reader_lock_.lock_irqsave();
  PageRead out;
  const int reader = get_reader_page();
  if (reader >= 0) {
    const U64 missed = lost_events_;
    Page& r = pg(reader);
    const U64 start = r.read;
    const U64 commit_raw = r.commit.load(Mo::Acquire);
    const U64 size = commit_raw & kSizeMask;
    const bool copy = start != 0 || reader == commit_page_.load(Mo::Acquire) || mapped_ != 0;
    U64 out_size = 0;
    bool page_flag = false;
    if (copy) {
      while (r.read < size) {
        U32 type = 0, body = 0;
        const U64 off = r.read;
        event_at(reader, off, &type, &body);
        if (type != kTypePadding) {
          ReadEvent ev;
          take_event(reader, off, body, ev);
          out.events.push_back(std::move(ev));
        }
        advance_reader();
      }
      out_size = size - start;
      page_flag = (commit_raw & kMissedEvents) != 0;
    } else {
      read_ += r.entries.load() & kWriteMask;
      read_bytes_ += size;
      const U64 real_end = r.real_end.load();
      for (U64 off = 0; off < size;) {
        U32 type = 0, body = 0;
        const U32 len = event_at(reader, off, &type, &body);
        if (len == 0) break;
        if (type != kTypePadding) {
          ReadEvent ev;
          take_event(reader, off, body, ev);
          out.events.push_back(std::move(ev));
        }
        off += len;
      }
      r.write.store(0);
      r.entries.store(0);
      r.commit.store(0);
      r.read = 0;
      ghost_[static_cast<std::size_t>(reader)].clear();
      out_size = real_end ? real_end : size;
      page_flag = real_end && (commit_raw & kMissedEvents);
    }
    lost_events_ = 0;
    out.missed = page_flag ? -1 : 0;
    if (missed) out.missed = p_.subbuf_size - out_size >= 8 ? static_cast<std::int64_t>(missed) : -1;
    out.ret = 0;
  }
  reader_lock_.unlock_irqrestore(flags);
  return out;
}

U64 CpuBuffer::meta_load(MetaField f, sim::Mo mo) {
  switch (f) {
    case MetaField::ReaderId: return meta_->reader_id.load(mo);
    case MetaField::ReaderRead: return meta_->reader_read.load(mo);
    case MetaField::ReaderLostEvents: return meta_->reader_lost_events.load(mo);
    case MetaField::Entries: return meta_->entries.load(mo);
    case MetaField::Overrun: return meta_->overrun.load(mo);
    case MetaField::Read: return meta_->read.load(mo);
    default: return meta_peek(f);  // written once at the first map: constant while mapped
  }
}

U64 CpuBuffer::meta_peek(MetaField f) const {
  switch (f) {
    case MetaField::ReaderId: return meta_->reader_id.peek();
    case MetaField::ReaderRead: return meta_->reader_read.peek();
    case MetaField::ReaderLostEvents: return meta_->reader_lost_events.peek();
    case MetaField::Entries: return meta_->entries.peek();
    case MetaField::Overrun: return meta_->overrun.peek();
    case MetaField::Read: return meta_->read.peek();
    // rb_setup_ids_meta_page (ring_buffer.c:7031-7032): the sub-buffer's size with its header,
    // rb_subbuf_size = PAGE_SIZE << order, and the meta page is padded to one sub-buffer.
    case MetaField::SubbufSize: return p_.subbuf_size + kBufPageHdrSize;
    case MetaField::MetaPageSize: return p_.subbuf_size + kBufPageHdrSize;
    case MetaField::NrSubbufs: return p_.nr_pages + 1;
    case MetaField::MetaStructLen: return kMetaStructLen;  // sizeof(struct trace_buffer_meta)
    case MetaField::Flags: return 0;                        // "0 until new features are supported"
  }
  return 0;
}

// The meta page as user space sees it through its mapping: struct trace_buffer_meta at offset 0
// (little-endian; the fields rb_update_meta_page rewrites are loads, steps), zero after it up to
// meta_page_size (the rest of the zeroed page and the zero pages of the padding).
bool CpuBuffer::read_meta(U64 off, U64 n, std::uint8_t* out) {
  const U64 size = meta_peek(MetaField::MetaPageSize);
  if (!mapped_ || off > size || n > size - off) return false;
  std::uint8_t image[kMetaStructLen] = {};
  for (MetaField f : {MetaField::MetaPageSize, MetaField::MetaStructLen, MetaField::SubbufSize, MetaField::NrSubbufs,
                      MetaField::ReaderLostEvents, MetaField::ReaderId, MetaField::ReaderRead, MetaField::Flags,
                      MetaField::Entries, MetaField::Overrun, MetaField::Read}) {
    const std::size_t at = meta_offset(f);
    const std::size_t width = meta_is_u32(f) ? 4 : 8;
    if (at + width <= off || at >= off + n) continue;  // not in the range: not loaded
    const U64 v = meta_load(f, Mo::Relaxed);
    for (std::size_t b = 0; b < width; ++b) image[at + b] = static_cast<std::uint8_t>(v >> (8 * b));
  }
  for (U64 i = 0; i < n; ++i) out[i] = off + i < kMetaStructLen ? image[off + i] : 0;
  return true;
}

// User space's parse of a record through the mapping: one 4-byte header load.
bool CpuBuffer::user_record(int page, U64 pos, U64, Record& out) {
  std::uint8_t h[4] = {};
  if (!data(page).read(pos, h, kHdr)) return false;
  const U32 hw = U32{h[0]} | U32{h[1]} << 8 | U32{h[2]} << 16 | U32{h[3]} << 24;
  const U32 type = hw & 31, body = hw >> 5;
  out.length = type == kTypePadding ? kHdr + body : event_length(body);
  out.data = type != kTypePadding;
  out.body_off = kHdr;
  out.body = body;
  return true;
}

// rb_update_meta_page (reader_lock held).
void CpuBuffer::update_meta_page() {
  const int reader = reader_page_.load();
  meta_->reader_read.store(pg(reader).read);
  meta_->reader_id.store(static_cast<U64>(ids_[static_cast<std::size_t>(reader)]));
  meta_->reader_lost_events.store(lost_events_);
  meta_->entries.store(entries_.load());
  meta_->overrun.store(overrun_.load());
  meta_->read.store(read_, Mo::Release);
}

// ring_buffer_map: the first mapping numbers the sub-buffers (reader page 0, then the ring from
// the head: rb_setup_ids_meta_page), disables resizing and fills the meta page; later ones count.
int CpuBuffer::map() {
  const unsigned long flags = reader_lock_.lock_irqsave();
  if (mapped_++ == 0) {
    subbuf_ids_.clear();
    const int reader = reader_page_.load();
    ids_[static_cast<std::size_t>(reader)] = 0;
    subbuf_ids_.push_back(reader);
    const int first = set_head_page();
    int page = first;
    do {
      ids_[static_cast<std::size_t>(page)] = static_cast<int>(subbuf_ids_.size());
      subbuf_ids_.push_back(page);
      page = next_of(page);
    } while (page != first && first >= 0);
    update_meta_page();
  }
  reader_lock_.unlock_irqrestore(flags);
  return 0;
}

// __rb_map_vma (kernel/trace/ring_buffer.c:7112-7150), order 0: VM_WRITE -> -EPERM; the mapping
// holds the meta page and nr_pages + 1 sub-buffers; an offset at or past its end, an empty range
// or one running past it -> -EINVAL (the first map then leaves nothing mapped).
int CpuBuffer::map_range(U64 pgoff, U64 pages, bool writable) {
  if (writable) return -1;  // -EPERM
  // Sub-buffers of order > 0 take 1 << order pages each, the meta page is padded to one, and the
  // offset must be a multiple of it (ring_buffer.c:7125-7140).
  if (order_ && pgoff % (U64{1} << order_)) return -kEINVAL;
  U64 nr = (U64{p_.nr_pages} + 2) << order_;
  if (nr <= pgoff) return -kEINVAL;
  nr -= pgoff;
  if (pages == 0 || pages > nr) return -kEINVAL;
  return map();
}

int CpuBuffer::unmap() {
  if (mapped_ == 0) return -kENODEV;
  const unsigned long flags = reader_lock_.lock_irqsave();
  // The last unmap frees the id table (ring_buffer_unmap, ring_buffer.c:7318-7325): no page
  // has a sub-buffer id until the next first map numbers them again.
  if (--mapped_ == 0) {
    subbuf_ids_.clear();
    ids_.assign(pages_.size(), -1);
  }
  reader_lock_.unlock_irqrestore(flags);
  return 0;
}

int CpuBuffer::resize_check() { return mapped_ ? -kEBUSY : 0; }

// ring_buffer_map_get_reader: consume what is left on the reader page on behalf of user space
// (it is assumed to read it all), else swap in a new reader page; record missed events in the new
// page (fe832be05a8e), then publish the meta page. -ENODEV when not mapped.
int CpuBuffer::map_get_reader() {
  if (mapped_ == 0) return -kENODEV;
  const unsigned long flags = reader_lock_.lock_irqsave();
  for (;;) {
    if (per_cpu_empty()) break;
    const int reader = reader_page_.load();
    const U64 size = page_size(reader);
    if (pg(reader).read < size) {
      while (pg(reader).read < size) advance_reader();
      break;
    }
    const int got = get_reader_page();
    if (got < 0) {
      warn("ring_buffer_map_get_reader: rb_get_reader_page found nothing although the buffer is not empty");
      break;
    }
    if (!v_.map_missed_events) continue;  // 117c39200d9d: lost_events left for the meta page, never cleared
    const U64 missed = lost_events_;
    if (missed) {
      if (got != commit_page_.load(Mo::Acquire)) {
        // ring_buffer.c:7371-7391: the page ends at real_end when a crossing event closed it;
        // the count goes after the data when at least 8 bytes are free.
        Page& q = pg(got);
        if (const U64 real_end = q.real_end.load()) q.commit.store(real_end);
        const U64 commit = page_size(got);
        if (p_.subbuf_size - commit >= 8) {
          std::uint8_t b[8];
          for (int i = 0; i < 8; ++i) b[i] = static_cast<std::uint8_t>(missed >> (8 * i));
          q.data->write(commit, b, 8, 0);
          q.commit.fetch_add(kMissedStored);
        }
        q.commit.fetch_add(kMissedEventsAdd);
      } else if (!v_.commit_overrun_no_warn) {
        warn("WARN_ON_ONCE(missed_events): reader page is the commit page with " + std::to_string(missed) + " missed events");
      } else if (got == tail_page_.load()) {
        warn("Reader on commit with " + std::to_string(missed) + " missed events");
      } else {
        unreported_missed_ += missed;  // pr_info("commit overrun lost ...") only: user space is not told
      }
    }
    lost_events_ = 0;
  }
  update_meta_page();
  reader_lock_.unlock_irqrestore(flags);
  return 0;
}

}  // namespace model::ftrace_rb

namespace model::ftrace_rb {

// ring_buffer_empty_cpu: rb_per_cpu_empty under reader_lock.
bool CpuBuffer::empty_cpu() {
  const unsigned long flags = reader_lock_.lock_irqsave();
  const bool e = per_cpu_empty();
  reader_lock_.unlock_irqrestore(flags);
  return e;
}

// ring_buffer_poll_wait (full = 0) blocking as poll() does: poll_wait on rbwork->waiters, set
// waiters_pending, smp_mb(), then test ring_buffer_empty_cpu; sleep while empty. `or_stop` stands
// for the poll timeout / signal that ends the wait.
void CpuBuffer::wait(const std::function<bool()>& or_stop) {
  if (irq_work_ < 0) return;
  waiters_->wait_event([&] {
    waiters_pending_->store(1, sim::Mo::SeqCst);
    if (!empty_cpu()) return true;
    return or_stop && or_stop();
  });
}

}  // namespace model::ftrace_rb

namespace model::ftrace_rb {

// ring_buffer_reset_cpu -> reset_disabled_cpu_buffer -> rb_reset_cpu (ring_buffer.c:6056-6130):
// under reader_lock; a writer inside a commit: RB_WARN_ON and nothing reset. rb_head_page_deactivate
// clears the flag of every ring page's next; the head, tail and commit pages become
// cpu_buffer->pages; every page is cleared (rb_clear_buffer_page: write, entries, commit and read
// 0; real_end stays); the reader page leaves the ring (INIT_LIST_HEAD) cleared; the counters are
// zeroed; rb_head_page_activate flags the head's prev->next; mapped: rb_update_meta_page.
void CpuBuffer::reset_cpu() {
  const unsigned long flags = reader_lock_.lock_irqsave();
  if (committing_.load()) {
    warn("RB_WARN_ON(local_read(&cpu_buffer->committing)) in reset_disabled_cpu_buffer");
    reader_lock_.unlock_irqrestore(flags);
    return;
  }
  const int first = list_page_;
  int p = first;
  do {
    pg(p).next.store(make_ptr(ptr_page(pg(p).next.load()), kNormal));  // rb_list_head_clear
    p = next_of(p);
  } while (p != first);
  const int head = first;
  head_page_ = head;
  p = head;
  auto clear = [&](int q) {
    pg(q).write.store(0);
    pg(q).entries.store(0);
    pg(q).commit.store(0);
    pg(q).read = 0;
    ghost_[static_cast<std::size_t>(q)].clear();
  };
  do {
    clear(p);
    p = next_of(p);
  } while (p != head);
  tail_page_.store(head);
  commit_page_.store(head);
  const int reader = reader_page_.load();
  pg(reader).next.store(make_ptr(reader, kNormal));
  pg(reader).prev.store(make_ptr(reader, 0));
  clear(reader);
  for (sim::Shared<U64>* c : {&entries_bytes_, &overrun_, &commit_overrun_, &dropped_events_, &entries_, &committing_,
                              &commits_, &pages_touched_, &pages_lost_, &pages_read_})
    c->store(0);
  read_ = read_bytes_ = 0;
  lost_events_ = last_overrun_ = 0;
  const int prev = ptr_page(pg(head).prev.load());
  pg(prev).next.fetch_or(kHead);  // rb_head_page_activate: rb_set_list_to_head(head->list.prev)
  if (mapped_) update_meta_page();
  reader_lock_.unlock_irqrestore(flags);
}

void CpuBuffer::reserve_order_pages(std::size_t count, U32 size) {
  for (std::size_t i = 0; i < count; ++i) {
    const int n = static_cast<int>(pages_.size() + spare_pages_.size());
    spare_pages_.push_back(std::make_unique<Page>(sim_, name_ + ".page" + std::to_string(n), 0, 0, size));
  }
}

// ring_buffer_subbuf_order_set (ring_buffer.c:6809-6960), one CPU: the checks, then nr_pages =
// max(2, DIV_ROUND_UP(old capacity * nr_pages, new capacity)) new pages plus a reader page
// replace the old ones under reader_lock; head = tail = commit = the first new ring page (HEAD on
// its prev's next). The counters, read and lost_events are not touched; neither is max_data_size.
int CpuBuffer::subbuf_order_set(int order) {
  if (order < 0 || order > 40) return -kEINVAL;
  const U64 psize = U64{page_unit_} << order;
  if (psize <= kBufPageHdrSize) return -kEINVAL;
  if (psize > kWriteMask + 1) return -kEINVAL;
  if (order == order_) return 0;
  if (mapped_) return -kEBUSY;  // resize_disabled (ring_buffer_map, ring_buffer.c:7246)
  const U64 cap = psize - kBufPageHdrSize;
  const U64 want = (U64{p_.subbuf_size} * p_.nr_pages + cap - 1) / cap;
  const int nr = static_cast<int>(std::max<U64>(2, want));
  if (spare_pages_.size() < static_cast<std::size_t>(nr) + 1 || spare_pages_.front()->data->size() < cap)
    throw std::logic_error("ftrace_rb: subbuf_order_set needs " + std::to_string(nr + 1) + " reserved pages of " +
                           std::to_string(cap) + " bytes");
  const unsigned long flags = reader_lock_.lock_irqsave();
  const int base = static_cast<int>(pages_.size());
  for (int i = 0; i <= nr; ++i) {
    pages_.push_back(std::move(spare_pages_.front()));
    spare_pages_.erase(spare_pages_.begin());
    ghost_.emplace_back();
    ids_.push_back(-1);
  }
  for (int i = 0; i < nr; ++i) {
    Page& q = pg(base + i);
    q.next.store(make_ptr(base + (i + 1) % nr, i == nr - 1 ? kHead : kNormal));
    q.prev.store(make_ptr(base + (i + nr - 1) % nr, 0));
    q.write.store(0);
    q.entries.store(0);
    q.commit.store(0);
    q.real_end.store(0);
    q.read = 0;
  }
  Page& r = pg(base + nr);
  r.next.store(make_ptr(base + nr, 0));
  r.prev.store(make_ptr(base + nr, 0));
  r.read = 0;
  first_live_ = base;
  head_page_ = list_page_ = base;
  tail_page_.store(base);
  commit_page_.store(base);
  reader_page_.store(base + nr);
  p_.subbuf_size = static_cast<U32>(cap);
  p_.nr_pages = static_cast<U32>(nr);
  order_ = order;
  reader_lock_.unlock_irqrestore(flags);
  return 0;
}

// ring_buffer_swap_cpu (ring_buffer.c:6319-6390): the checks on both per-CPU buffers; the swap
// itself is the caller's (which trace_buffer holds which per-CPU buffer).
int CpuBuffer::swap_cpu(RingApi& max) {
  auto* a = dynamic_cast<CpuBuffer*>(&max);
  if (!a) throw std::logic_error("ftrace_rb: swap_cpu between sources");
  if (a->mapped_ || mapped_) {
    warn("WARN_ON_ONCE(cpu_buffer_a->mapped || cpu_buffer_b->mapped) in ring_buffer_swap_cpu");
    return -kEBUSY;
  }
  if (a->p_.nr_pages != p_.nr_pages) return -kEINVAL;
  if (a->order_ != order_) return -kEINVAL;
  if (a->committing_.load() || committing_.load()) return -kEBUSY;  // current_context: a writer is inside
  return 0;
}

}  // namespace model::ftrace_rb
