// model/perf_buf/perf_buf.cpp — see perf_buf.h. Written from the semantics of
// kernel/events/ring_buffer.c and the parts of kernel/events/core.c named there; no kernel code
// is copied.
#include "model/perf_buf/perf_buf.h"

#include <algorithm>
#include <stdexcept>

namespace model::perf_buf {

using sim::Mo;
using U64 = std::uint64_t;
using U32 = std::uint32_t;

int PerfBuffer::validate(const Params& p, std::string* why) {
  auto fail = [&](int err, std::string msg) {
    if (why) *why = std::move(msg);
    return -err;
  };
  if (p.nr_pages != 0 && (p.nr_pages & (p.nr_pages - 1)))
    return fail(kEINVAL, "nr_pages = " + std::to_string(p.nr_pages) + " is neither 0 nor a power of two (perf_mmap)");
  if (p.nr_pages > kModelMaxPages)
    return fail(kENOMEM, "nr_pages = " + std::to_string(p.nr_pages) + " exceeds the model's allocation limit (256 pages)");
  return 0;
}

PerfBuffer::PerfBuffer(sim::Sim& sim, const Params& p, const Variant& v, const std::string& name)
    : sim_(sim),
      p_(p),
      v_(v),
      name_(name),
      data_size_(U64{p.nr_pages} * kPageSize),
      // ring_buffer_init: watermark = min(max_size, wakeup_watermark) when asked, else max_size / 2.
      watermark_(p.wakeup_watermark ? std::min<long>(static_cast<long>(U64{p.nr_pages} * kPageSize), p.wakeup_watermark)
                                    : static_cast<long>(U64{p.nr_pages} * kPageSize / 2)),
      overwrite_(p.overwrite),
      data_(sim, name + "->data", static_cast<std::size_t>(U64{p.nr_pages} * kPageSize)),
      head_(sim, name + "->head", 0),
      wakeup_(sim, name + "->wakeup", 0),
      lost_(sim, name + "->lost", 0),
      events_(sim, name + "->events", 0),
      nest_(sim, name + "->nest", 0),
      poll_(sim, name + "->poll", 0),
      paused_(sim, name + "->paused", p.nr_pages == 0 ? 1 : 0),  // ring_buffer_init: no pages, paused
      pending_wakeup_(sim, name + ":event->pending_wakeup", 0),
      lost_samples_(sim, name + ":event->lost_samples", 0),
      data_head_(sim, name + "->user_page->data_head", 0),
      data_tail_(sim, name + "->user_page->data_tail", 0),
      waitq_(sim, name + ":event->waitq") {
  std::string why;
  if (validate(p, &why) != 0) throw std::invalid_argument("perf_mmap: " + why);
  if (watermark_ == 0) watermark_ = static_cast<long>(data_size_ / 2);
  data_.weak_words();  // tso, lkmm: the data area's words under the memory model (sc: nothing)
  work_ = sim.add_irq_work("perf_pending_irq/" + name, [this] { perf_pending_irq(); });
  note_lost_ = sim.note_id("__perf_output_begin: no room before data_tail, the record is lost (rb->lost++)");
  note_retry_ = sim.note_id("perf_output_put_handle: rb->head moved under the outermost writer, publish again");
}

// ---- perf_output_get_handle / perf_output_put_handle ----

void PerfBuffer::perf_output_get_handle(Handle& h) {
  sim_.preempt_disable();
  if (v_.wakeup_load_before_nest) {  // the candidate fix (Variant): the load, barrier(), the increment
    h.wakeup = wakeup_.load();
    nest_.fetch_add(1, Mo::Relaxed);
    return;
  }
  nest_.fetch_add(1, Mo::Relaxed);  // (*(volatile unsigned int *)&rb->nest)++: one RMW instruction
  h.wakeup = wakeup_.load();  // ring_buffer.c:51: an interrupt before this load leaves waking to us
}

void PerfBuffer::publish(U64 head) {
  // smp_wmb() (B, pairs with the reader's acquire of data_head), then WRITE_ONCE(data_head, head).
  // Before bf378d341e48: a plain store, after local_dec_and_test(&rb->nest) (no barrier).
  data_head_.store(head, v_.publish_after_wmb ? Mo::Release : Mo::Relaxed);
  const U64 old = published_;  // the value this store replaced (an interrupt may have stored since the yield)
  published_ = head;
  if (on_publish) on_publish(old, head);
}

void PerfBuffer::perf_output_put_handle(Handle& h) {
  if (!v_.nest_dec_after_publish) {
    // Before 1b038c6e05ff: load rb->head, then local_dec_and_test(&rb->nest); an IRQ/NMI after the
    // decrement is outermost itself and publishes a newer head before this store.
    for (;;) {
      const U64 head = head_.load();
      if (nest_.fetch_sub(1, Mo::Relaxed) != 1) break;  // not the outermost writer
      publish(head);
      if (head == head_.load()) {
        if (h.wakeup != wakeup_.load()) perf_output_wakeup();
        break;
      }
      sim_.note(note_retry_);
      nest_.fetch_add(1, Mo::Relaxed);  // local_inc(&rb->nest); goto again
    }
    sim_.preempt_enable();
    return;
  }
  const U32 nest = nest_.load();  // READ_ONCE
  if (nest > 1) {
    nest_.store(nest - 1);  // WRITE_ONCE: an inner writer leaves publishing to the outermost
    sim_.preempt_enable();
    return;
  }
  U64 head = head_.load();  // after barrier(): after the increment of rb->nest
  for (;;) {
    publish(head);
    nest_.store(0);  // after barrier(): only once data_head is published
    const U64 now = head_.load();  // after barrier(): after nest went to 0
    if (head == now) break;
    sim_.note(note_retry_);
    if (v_.head_load_after_nest) {
      nest_.store(1);     // WRITE_ONCE(rb->nest, 1); goto again
      head = head_.load();  // barrier(); local_read(&rb->head)
    } else {
      head = head_.load();  // before 3f9fbe9bd86c the compiler may load rb->head first
      nest_.store(1);
    }
  }
  if (h.wakeup != wakeup_.load()) perf_output_wakeup();
  sim_.preempt_enable();
}

void PerfBuffer::perf_output_wakeup() {
  poll_.store(0x41);  // atomic_set(&rb->poll, EPOLLIN | EPOLLRDNORM)
  pending_wakeup_.store(1);  // event->pending_wakeup = 1
  if (sim_.irq_work_queue(work_)) ++work_queued_;
}

void PerfBuffer::perf_pending_irq() {  // core.c: the event's pending_irq work
  if (pending_wakeup_.load()) {
    pending_wakeup_.store(0);
    waitq_.wake_up();  // perf_event_wakeup -> ring_buffer_wakeup -> wake_up_all(&event->waitq)
  }
  ++work_done_;
}

// ---- __perf_output_begin ----

bool PerfBuffer::ring_buffer_has_space(U64 head, U64 tail, U32 size, bool backward) const {
  // CIRC_SPACE(head, tail, size) = (tail - (head + 1)) & (size - 1): one byte always stays free.
  const U64 mask = data_size_ - 1;
  const U64 space = backward ? (head - (tail + 1)) & mask : (tail - (head + 1)) & mask;
  return space >= size;
}

int PerfBuffer::perf_output_begin(Handle& h, U32 size) {
  const bool backward = p_.write_backward;
  // rcu_read_lock(); rb = rcu_dereference(event->rb): the buffer is always attached here.
  if (paused_.load()) {
    if (p_.nr_pages) {
      lost_.fetch_add(1);
      lost_samples_.fetch_add(1, Mo::Relaxed);
    }
    return -kENOSPC;
  }
  const U64 have_lost = lost_.load();
  if (have_lost) size += kLostRecordSize;  // attr.sample_id_all is 0: no id header
  perf_output_get_handle(h);
  U64 offset = head_.load();
  U64 head = 0;
  for (;;) {
    head = offset;
    const U64 tail = data_tail_.load();  // READ_ONCE(rb->user_page->data_tail)
    if (sim::Memory* m = sim_.memory()) [[unlikely]] {
      // (A): before bf378d341e48 an smp_rmb() here (orders the later loads only); in every version
      // the space check's branch on `tail` orders the record's stores after this load (the
      // control dependency 6.12 relies on, c7f2e3cd6c1f). Under sc neither is a step.
      if (!v_.publish_after_wmb) sim_.fence(sim::Fence::Rmb);
      m->ctrl_dependency();
    }
    if (!overwrite_ && !ring_buffer_has_space(head, tail, size, backward)) {
      sim_.note(note_lost_, size);
      lost_.fetch_add(1);
      lost_samples_.fetch_add(1, Mo::Relaxed);
      perf_output_put_handle(h);
      return -kENOSPC;
    }
    head = backward ? head - size : head + size;
    U64 expected = offset;
    if (head_.compare_exchange(expected, head)) break;  // local_try_cmpxchg: offset reloads on failure
    offset = expected;
  }
  if (backward) {
    offset = head;
    head = U64{0} - head;
  }
  if (head - wakeup_.load() > static_cast<U64>(watermark_)) wakeup_.fetch_add(static_cast<U64>(watermark_));
  h.start = offset;
  h.page = (offset / kPageSize) & (p_.nr_pages - 1);
  offset &= kPageSize - 1;
  h.addr = h.page * kPageSize + offset;
  h.size = kPageSize - offset;
  if (have_lost) {
    std::uint8_t rec[kLostRecordSize] = {};
    const U64 lost = lost_.exchange(0);  // local_xchg(&rb->lost, 0)
    const U32 type = kRecordLost;
    for (int i = 0; i < 4; ++i) rec[i] = static_cast<std::uint8_t>(type >> (8 * i));
    rec[6] = kLostRecordSize & 0xff;  // perf_event_header__init: misc 0, size
    for (int i = 0; i < 8; ++i) rec[8 + i] = static_cast<std::uint8_t>(p_.id >> (8 * i));
    for (int i = 0; i < 8; ++i) rec[16 + i] = static_cast<std::uint8_t>(lost >> (8 * i));
    perf_output_copy(h, rec, kLostRecordSize);  // perf_output_put(handle, lost_event)
    h.lost_record = true;
    h.lost_count = lost;
  }
  return 0;
}

void PerfBuffer::advance(Handle& h, U64 n) {
  h.addr += n;
  h.size -= n;
  if (!h.size) {  // next page, modulo nr_pages
    h.page = (h.page + 1) & (p_.nr_pages - 1);
    h.addr = h.page * kPageSize;
    h.size = kPageSize;
  }
}

unsigned PerfBuffer::perf_output_copy(Handle& h, const std::uint8_t* buf, unsigned len, U64 tag, U64 first_index) {
  U64 done = 0;
  while (done < len) {
    const U64 n = std::min<U64>(h.size, len - done);
    if (!data_.write(h.addr, buf + done, n, tag, first_index + done)) return static_cast<unsigned>(len - done);
    advance(h, n);
    done += n;
  }
  return 0;
}

unsigned PerfBuffer::perf_output_skip(Handle& h, unsigned len) {
  U64 done = 0;
  while (done < len) {
    const U64 n = std::min<U64>(h.size, len - done);
    advance(h, n);
    done += n;
  }
  return 0;
}

void PerfBuffer::perf_output_end(Handle& h) { perf_output_put_handle(h); }

// ---- core.c: perf_event_output of a raw sample ----

Output PerfBuffer::perf_event_output(const std::uint8_t* data, U32 len, U64 tag) {
  Output o;
  o.size = sample_record_size(len);
  Handle h;
  const int err = perf_output_begin(h, o.size);
  if (err) {
    o.ret = err;
    return o;
  }
  // The sample starts after the PERF_RECORD_LOST, if one was written in front of it.
  o.lost_record = h.lost_record;
  o.lost_count = h.lost_count;
  o.pos = h.start + (h.lost_record ? kLostRecordSize : 0);
  o.raw_pos = o.pos + kHeaderSize + 4;
  if (on_reserved) on_reserved(o);
  std::uint8_t hdr[kHeaderSize + 4] = {};
  hdr[0] = kRecordSample;
  hdr[4] = kMiscKernel;
  hdr[6] = static_cast<std::uint8_t>(o.size & 0xff);
  hdr[7] = static_cast<std::uint8_t>(o.size >> 8);
  const U32 raw = sample_raw_size(len);
  for (int i = 0; i < 4; ++i) hdr[8 + i] = static_cast<std::uint8_t>(raw >> (8 * i));
  perf_output_copy(h, hdr, kHeaderSize);  // perf_output_put(handle, *header)
  perf_output_copy(h, hdr + kHeaderSize, 4);  // perf_output_put(handle, raw->size)
  perf_output_copy(h, data, len, tag, 0);  // __output_copy(handle, frag->data, frag->size)
  if (raw - len) perf_output_skip(h, raw - len);  // frag->pad: skipped, not written
  if (!p_.wakeup_watermark && p_.wakeup_events) {  // perf_output_sample's tail (!attr.watermark)
    const U64 events = events_.fetch_add(1) + 1;  // local_inc_return(&rb->events)
    if (events >= p_.wakeup_events) {
      events_.fetch_sub(p_.wakeup_events);
      wakeup_.fetch_add(1);  // local_inc(&rb->wakeup)
    }
  }
  perf_output_end(h);
  return o;
}

// ---- user side ----

bool PerfBuffer::read_data(U64 pos, U64 len, std::uint8_t* out, U64* tags) {
  if (len > data_size_) {
    sim_.report(sim::Property::MemorySafety, "read of " + std::to_string(len) + " bytes from the " +
                                                 std::to_string(data_size_) + "-byte data area of '" + name_ + "'");
    return false;
  }
  const U64 first = data_size_ ? pos % data_size_ : 0, n1 = std::min(len, data_size_ - first);
  if (!data_.read(first, out, n1, tags)) return false;
  if (len > n1 && !data_.read(0, out + n1, len - n1, tags ? tags + n1 : nullptr)) return false;
  return true;
}

void PerfBuffer::poll_wait(bool (*stop)(void*), void* ctx) {
  waitq_.wait_event([&] { return perf_poll() != 0 || stop(ctx); });
}

void PerfBuffer::pause_output(bool pause) {
  // perf_event_pause_output -> rb_toggle_paused under the event's mmap_mutex.
  paused_.store(!pause && p_.nr_pages ? 0 : 1);
}

void PerfBuffer::peek(U64 pos, U64 len, std::uint8_t* out) const {
  for (U64 i = 0; i < len; ++i) out[i] = data_.bytes()[(pos + i) % data_size_];
}

BufferApi::State PerfBuffer::state() const {
  State s;
  s.head = head_.peek();
  s.wakeup = wakeup_.peek();
  s.lost = lost_.peek();
  s.events = events_.peek();
  s.nest = nest_.peek();
  s.data_head = data_head_.peek();
  s.data_tail = data_tail_.peek();
  s.data_offset = kPageSize;  // perf_event_init_userpage
  s.data_size = data_size_;
  s.poll = static_cast<unsigned>(poll_.peek());
  s.paused = paused_.peek() != 0;
  s.overwrite = overwrite_;
  s.watermark = watermark_;
  s.lost_samples = lost_samples_.peek();
  return s;
}

}  // namespace model::perf_buf
