// model/perf_buf/perf_buf.h — an executable model of the perf ring buffer, the kernel side.
//
// Follows kernel/events/ring_buffer.c (Debian linux-source-6.12, read from the tarball):
// perf_output_begin / __perf_output_begin (nested writers, the data_tail space check, lost
// records, overwrite and backward mode), perf_output_get_handle, perf_output_put_handle,
// perf_output_copy / perf_output_skip (internal.h's __output_copy, page by page),
// perf_output_end, perf_output_wakeup, ring_buffer_init, rb_toggle_paused; from core.c the parts
// that surround them: perf_mmap's user page (perf_event_init_userpage: data_offset = PAGE_SIZE,
// data_size), perf_event_output's raw-sample path (perf_prepare_sample's PERF_SAMPLE_RAW size,
// perf_output_sample with its wakeup_events accounting), perf_pending_irq and perf_poll. The aux
// area is not modelled (the aux-less common case). No kernel code is copied.
//
// State. rb->head, rb->wakeup, rb->lost and rb->events are local_t: sim::Shared<u64>, and each
// local_* operation is one step (a single instruction on its CPU, interruptible only between
// instructions). rb->nest is an unsigned int that perf_output_get_handle increments with one
// read-modify-write (`(*(volatile unsigned int *)&rb->nest)++`) and perf_output_put_handle reads
// and writes with READ_ONCE / WRITE_ONCE. The user page's data_head and data_tail are
// Shared<u64>. The data pages are one sim::ByteBuffer of nr_pages * 4096 bytes, addressed page by
// page as __output_copy does (handle->page, handle->addr, handle->size); under tso and lkmm its
// 8-byte words are locations of the memory model (ByteBuffer::weak_words), so that the record's
// plain stores and the reader's copies are ordered only by the barriers around them.
//
// Concurrency contract (the kernel's): writers are the contexts of the buffer's own CPU (task,
// softirq, hardirq, NMI nested over each other); they serialise only through rb->nest and the
// local_try_cmpxchg of rb->head. Only the outermost writer (nest == 1) publishes data_head, and it
// loops until rb->head did not move under it; it decrements nest only after publishing
// (1b038c6e05ff) and reloads rb->head only after setting nest again (3f9fbe9bd86c). The consumer,
// on any CPU, pairs smp_load_acquire(data_head) with the writer's smp_wmb() before WRITE_ONCE of
// data_head, and smp_store_release(data_tail) with the writer's control dependency on READ_ONCE
// of data_tail. Wakeups: perf_output_put_handle calls perf_output_wakeup when rb->wakeup moved
// since perf_output_get_handle (the watermark in __perf_output_begin, wakeup_events in
// perf_output_sample); it sets rb->poll and queues the event's irq_work (perf_pending_irq, hardirq
// context on this CPU), which wakes the event's waitq.
#pragma once

#include <cstdint>
#include <string>

#include "model/perf_buf/buffer_api.h"
#include "sim/buffer.h"
#include "sim/lock.h"
#include "sim/shared.h"
#include "sim/sim.h"

namespace model::perf_buf {

/// The design knobs; each named variant (config.h) is a combination.
struct Variant {
  /// 1b038c6e05ff (May 2019): perf_output_put_handle decrements rb->nest only after publishing
  /// data_head. Without it (the code since ef60777c9abd, 2010): head = local_read(&rb->head),
  /// then local_dec_and_test(&rb->nest), then data_head = head, so an IRQ/NMI between the
  /// decrement and the store publishes a newer head that the store then takes back.
  bool nest_dec_after_publish = true;
  /// 3f9fbe9bd86c (May 2019): barrier() before the rb->head load in perf_output_put_handle. Without
  /// it local_inc(&rb->nest) (no compiler barrier) may be moved after the load on the `goto again`
  /// path; the model takes that order: load rb->head, then nest = 1, then publish.
  bool head_load_after_nest = true;
  /// bf378d341e48 "perf: Fix perf ring buffer memory ordering" (Oct 2013): smp_wmb() (B) before the
  /// store of data_head, pairing with the reader's smp_rmb() (C) / acquire, so that the record's
  /// bytes are visible before the head that publishes them; and (A) after the load of data_tail an
  /// smp_mb() instead of smp_rmb() (since c7f2e3cd6c1f the control dependency of the space check,
  /// which both versions have). Without it perf_output_put_handle stored data_head plainly,
  /// relying on "the full barrier implied by atomic_dec_and_test()" of rb->nest, which is a
  /// local_t: local_dec_and_test implies no barrier (powerpc). Seen under --memory-model lkmm
  /// (the data area's words are under the model: ByteBuffer::weak_words); x86 keeps store order.
  bool publish_after_wmb = true;
  /// Not in any kernel: the candidate fix for the lost wakeup of
  /// scenarios/perf_buf/refused_sample_swallows_nested_wakeups.toml (scripts/kernel-demo-patches.sh's
  /// perf-wakeup-before-nest.patch is the same edit of ring_buffer.c). perf_output_get_handle reads
  /// rb->wakeup before it increments rb->nest, so an interrupt in between is the outermost writer
  /// and wakes by itself, and one after the increment moves rb->wakeup after the read.
  bool wakeup_load_before_nest = false;
  /// The consumer's (C), not the kernel's: libbpf's perf buffer reader loads data_head with
  /// ring_buffer_read_head() (smp_load_acquire) and stores data_tail with ring_buffer_write_tail()
  /// (smp_store_release) since libbpf/libbpf 556e0a0def95 "bpf: sync with latest bpf-next tree
  /// (#5)" (Nov 2018, the sync that brought Daniel Borkmann's October 2018 rework of
  /// bpf_perf_event_read_simple; the ring_buffer.h it includes came with libbpf a0e4e323bbaa "bpf:
  /// add ring_buffer.h drop in replacement header"). Before it (libbpf/libbpf 66684189f0f5, the
  /// mirror's initial commit, Oct 2018) bpf_perf_event_read_simple read the header through a
  /// volatile pointer, data_tail and then data_head, followed only by a compiler barrier
  /// (`asm volatile("" ::: "memory"); /* in real code it should be smp_rmb() */`), walked the
  /// records with plain loads and wrote data_tail after __sync_synchronize(): (D) was there, (C)
  /// was not, so on a weakly ordered CPU the record's loads may be satisfied before the load of
  /// data_head and return bytes older than the head that published them. x86 keeps loads in order
  /// (tso shows nothing); --memory-model lkmm does, with the data area's words under the model.
  bool reader_head_acquire = true;
};

/// A perf_output_handle's buffer position (the fields ring_buffer.c keeps in it).
struct Handle {
  std::uint64_t wakeup = 0;  // local_read(&rb->wakeup) at perf_output_get_handle
  std::uint64_t page = 0;    // data page index
  std::uint64_t addr = 0;    // byte offset of handle->addr in the data area
  std::uint64_t size = 0;    // bytes left in this page
  // ghost: the reservation's first byte (free-running position) and its PERF_RECORD_LOST
  std::uint64_t start = 0;
  bool lost_record = false;
  std::uint64_t lost_count = 0;
};

class PerfBuffer final : public BufferApi {
 public:
  /// perf_mmap's checks on the mapping: 0 or a negative errno with a one-line reason. -EINVAL:
  /// nr_pages neither 0 nor a power of two; -ENOMEM: more than the model's 256 pages.
  static int validate(const Params& p, std::string* why);

  PerfBuffer(sim::Sim& sim, const Params& p, const Variant& v, const std::string& name);
  PerfBuffer(const PerfBuffer&) = delete;
  PerfBuffer& operator=(const PerfBuffer&) = delete;

  // ---- ring_buffer.c ----
  /// perf_output_begin: __perf_output_begin(handle, event, size, attr.write_backward). 0 or -ENOSPC.
  int perf_output_begin(Handle& h, std::uint32_t size);
  /// perf_output_copy: __output_copy, one memcpy per page piece; bytes tagged with message `tag`
  /// from index `first_index` (tag 0: untagged bytes such as headers). Returns bytes not copied (0).
  unsigned perf_output_copy(Handle& h, const std::uint8_t* buf, unsigned len, std::uint64_t tag = 0,
                            std::uint64_t first_index = 0);
  /// perf_output_skip: __output_skip (advances without writing).
  unsigned perf_output_skip(Handle& h, unsigned len);
  /// perf_output_end: perf_output_put_handle.
  void perf_output_end(Handle& h);

  // ---- BufferApi ----
  Output perf_event_output(const std::uint8_t* data, std::uint32_t len, std::uint64_t tag) override;
  std::uint64_t load_data_head(sim::Mo mo) override { return data_head_.load(mo); }
  std::uint64_t load_data_tail(sim::Mo mo) override { return data_tail_.load(mo); }
  void store_data_tail(std::uint64_t v, sim::Mo mo) override { data_tail_.store(v, mo); }
  bool read_data(std::uint64_t pos, std::uint64_t len, std::uint8_t* out, std::uint64_t* tags) override;
  unsigned perf_poll() override { return static_cast<unsigned>(poll_.exchange(0)); }
  void poll_wait(bool (*stop)(void*), void* ctx) override;
  void signal_reader() override { waitq_.wake_up(); }
  void pause_output(bool pause) override;
  State state() const override;
  std::uint64_t data_size() const override { return data_size_; }
  void peek(std::uint64_t pos, std::uint64_t len, std::uint8_t* out) const override;
  bool wakeup_pending() const override { return work_queued_ != work_done_; }
  std::uint64_t wakeups_queued() const override { return work_queued_; }
  const std::string& name() const override { return name_; }
  void reset_ghost() override { work_queued_ = work_done_ = published_ = 0; }
  const Variant& variant() const { return v_; }

 private:
  void perf_output_get_handle(Handle& h);
  void perf_output_put_handle(Handle& h);
  void perf_output_wakeup();
  void perf_pending_irq();
  void publish(std::uint64_t head);
  bool ring_buffer_has_space(std::uint64_t head, std::uint64_t tail, std::uint32_t size, bool backward) const;
  void advance(Handle& h, std::uint64_t n);

  sim::Sim& sim_;
  Params p_;
  Variant v_;
  std::string name_;
  std::uint64_t data_size_;
  long watermark_;
  bool overwrite_;
  sim::ByteBuffer data_;
  sim::Shared<std::uint64_t> head_, wakeup_, lost_, events_;  // local_t
  sim::Shared<std::uint32_t> nest_;
  sim::Shared<int> poll_, paused_, pending_wakeup_;
  sim::Shared<std::uint64_t> lost_samples_;  // event->lost_samples (atomic64)
  sim::Shared<std::uint64_t> data_head_, data_tail_;  // the user page
  sim::WaitQueue waitq_;  // event->waitq
  int work_ = -1;         // event->pending_irq
  std::uint64_t work_queued_ = 0, work_done_ = 0, published_ = 0;
  std::uint32_t note_lost_ = 0, note_retry_ = 0;
};

}  // namespace model::perf_buf
