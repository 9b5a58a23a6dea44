// model/perf_buf/buffer_api.h — what one perf event's ring buffer (kernel/events/ring_buffer.c,
// mapped by perf_mmap) offers the workloads and the exec mode, whichever source implements it: the
// hand-written model (perf_buf.h, `PerfBuffer`) or the kernel's own ring_buffer.c under the
// simulator (kernel_perf.h, `KernelPerfBuffer`).
//
// The kernel side is one call, perf_event_output of a BPF raw sample (what bpf_perf_event_output
// ends in: core.c's __perf_event_output with perf_prepare_sample's PERF_SAMPLE_RAW sizing,
// perf_output_begin, perf_output_sample, perf_output_end). The user side is the mmap: the user
// page's data_head / data_tail (struct perf_event_mmap_page, include/uapi/linux/perf_event.h) and
// the data pages after it, as perf tools and libbpf read them (smp_load_acquire of data_head,
// smp_store_release of data_tail: tools/include/linux/ring_buffer.h), and perf_poll's readiness.
// Everything under "observable state" is ghost: no steps.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sim/sim.h"

namespace model::perf_buf {

inline constexpr std::uint64_t kPageSize = 4096;
inline constexpr std::uint32_t kHeaderSize = 8;       // struct perf_event_header {u32 type; u16 misc; u16 size}
inline constexpr std::uint32_t kLostRecordSize = 24;  // header, u64 id, u64 lost (no sample_id_all)
inline constexpr std::uint32_t kRecordLost = 2;       // PERF_RECORD_LOST
inline constexpr std::uint32_t kRecordSample = 9;     // PERF_RECORD_SAMPLE
inline constexpr std::uint16_t kMiscKernel = 1;       // PERF_RECORD_MISC_KERNEL
inline constexpr std::uint32_t kModelMaxPages = 256;  // the model's allocation limit (1 MiB of data)
inline constexpr int kENOSPC = 28, kEINVAL = 22, kENOMEM = 12, kEBUSY = 16;

/// The record size perf_event_output writes for a raw sample of `len` bytes: the header, then
/// u32 raw size and the data padded so that size + data ends on a u64 (perf_prepare_sample).
constexpr std::uint32_t sample_record_size(std::uint32_t len) { return kHeaderSize + (len + 4 + 7) / 8 * 8; }
/// The raw size field of that record (the padded data length).
constexpr std::uint32_t sample_raw_size(std::uint32_t len) { return (len + 4 + 7) / 8 * 8 - 4; }

/// The event's attributes and the mapping (perf_event_open + mmap).
struct Params {
  std::uint32_t nr_pages = 1;          // data pages: the mmap's length / PAGE_SIZE - 1 (0 or a power of two)
  std::uint32_t wakeup_events = 1;     // attr.wakeup_events (libbpf's perf_buffer uses 1); 0: none
  std::uint32_t wakeup_watermark = 0;  // attr.watermark = 1, attr.wakeup_watermark = bytes (0: off)
  bool write_backward = false;         // attr.write_backward
  bool overwrite = false;              // mmap without PROT_WRITE: ring_buffer_init's rb->overwrite
  std::uint64_t id = 1;                // event->id (in PERF_RECORD_LOST)
};

/// One perf_event_output call's result, with ghost details.
struct Output {
  int ret = 0;                  // 0, or -ENOSPC (no room, or output paused)
  std::uint64_t pos = 0;        // the record's position (free-running byte offset, data_head's unit)
  std::uint32_t size = 0;       // header.size of the sample record
  std::uint64_t raw_pos = 0;    // position of the raw payload's first byte
  bool lost_record = false;     // a PERF_RECORD_LOST was written in front of it
  std::uint64_t lost_count = 0;  // and the count it carried (local_xchg(&rb->lost, 0))
};

class BufferApi {
 public:
  virtual ~BufferApi() = default;

  // ---- kernel side (any context on the buffer's CPU) ----
  /// perf_event_output of a raw sample of `len` bytes whose bytes carry message `tag`.
  virtual Output perf_event_output(const std::uint8_t* data, std::uint32_t len, std::uint64_t tag) = 0;
  /// Ghost observers: a reservation succeeded (after perf_output_begin returned 0, before the
  /// sample is copied); data_head was stored (old value, new value).
  std::function<void(const Output&)> on_reserved;
  std::function<void(std::uint64_t old_head, std::uint64_t new_head)> on_publish;

  // ---- user side: the mapping ----
  /// smp_load_acquire(&pc->data_head) (or a plain load with `mo`).
  virtual std::uint64_t load_data_head(sim::Mo mo = sim::Mo::Acquire) = 0;
  virtual std::uint64_t load_data_tail(sim::Mo mo = sim::Mo::Relaxed) = 0;
  /// smp_store_release(&pc->data_tail, v).
  virtual void store_data_tail(std::uint64_t v, sim::Mo mo = sim::Mo::Release) = 0;
  /// Reads `len` bytes (<= data_size) at position `pos` of the data pages (modulo data_size, as a
  /// reader copies a record that wraps), with their ghost tags.
  virtual bool read_data(std::uint64_t pos, std::uint64_t len, std::uint8_t* out, std::uint64_t* tags) = 0;
  /// perf_poll's readiness: atomic_xchg(&rb->poll, 0) (EPOLLIN|EPOLLRDNORM after a wakeup).
  virtual unsigned perf_poll() = 0;
  /// The reader sleeps in poll on the event's waitq until perf_poll() != 0 or `stop(ctx)` holds.
  virtual void poll_wait(bool (*stop)(void*), void* ctx) = 0;
  /// The harness's signal to a sleeping reader (wakes the event's waitq).
  virtual void signal_reader() = 0;
  /// PERF_EVENT_IOC_PAUSE_OUTPUT: rb_toggle_paused.
  virtual void pause_output(bool pause) = 0;

  // ---- observable state (ghost: no steps) ----
  struct State {
    std::uint64_t head = 0, wakeup = 0, lost = 0, events = 0;  // rb's local_t fields
    std::uint32_t nest = 0;
    std::uint64_t data_head = 0, data_tail = 0, data_offset = 0, data_size = 0;  // the user page
    unsigned poll = 0;
    bool paused = false, overwrite = false;
    long watermark = 0;
    std::uint64_t lost_samples = 0;  // event->lost_samples
  };
  virtual State state() const = 0;
  virtual std::uint64_t data_size() const = 0;
  /// Ghost read of the data pages at `pos` (modulo data_size).
  virtual void peek(std::uint64_t pos, std::uint64_t len, std::uint8_t* out) const = 0;
  /// irq_work queued and not yet run (for the lost-wakeup judgement), and how often it was queued.
  virtual bool wakeup_pending() const = 0;
  virtual std::uint64_t wakeups_queued() const = 0;
  virtual const std::string& name() const = 0;
  virtual void reset_ghost() = 0;
};

/// Little-endian field reads of a record's bytes (ghost helpers).
inline std::uint64_t le(const std::uint8_t* p, int n) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}

}  // namespace model::perf_buf
