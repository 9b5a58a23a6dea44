// model/bpf_ringbuf/ring_api.h — what one BPF ring buffer map (BPF_MAP_TYPE_RINGBUF) offers the
// workloads, the libbpf consumer (consumer.h) and the exec mode, whichever source implements it:
// the hand-written model (ringbuf.h, `Ring`) or the kernel's own kernel/bpf/ringbuf.c under the
// simulator (kernel_ringbuf.h, `KernelRing`).
//
// Scenarios, the ledger's observers, the consumer and the exec mode are written once against this
// interface (DESIGN.md, "Two sources of one design"). Each operation's contract is the kernel
// function it is named after; ringbuf.h documents the model's reading of each, kernel_ringbuf.h
// what the adapter adds around the real one. Everything under "observable state" is ghost: no steps.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/sim.h"

namespace model::bpf_ringbuf {

inline constexpr std::uint32_t kBusyBit = 1u << 31;     // BPF_RINGBUF_BUSY_BIT
inline constexpr std::uint32_t kDiscardBit = 1u << 30;  // BPF_RINGBUF_DISCARD_BIT
inline constexpr std::uint32_t kHdrSz = 8;              // BPF_RINGBUF_HDR_SZ
/// A header's len word as traces show it: "BUSY|DISCARD|len=24".
std::string decode_hdr_len(std::uint32_t len);

/// A reservation: what bpf_ringbuf_reserve returned (NULL when !ok), with ghost details.
struct Record {
  bool ok = false;
  enum class Fail : std::uint8_t { None, Flags, TooBig, Lock, NoSpace } fail = Fail::None;
  std::uint64_t pos = 0;         // logical position of the header (producer_pos before the reserve)
  std::uint64_t hdr_off = 0;     // pos & mask: the header's offset in the first mapping
  std::uint32_t size = 0;        // the sample size asked for
  std::uint32_t len = 0;         // the footprint: round_up(size + 8, 8)
  std::uint64_t sample_off() const { return hdr_off + kHdrSz; }  // offset in the double mapping
};
const char* fail_name(Record::Fail f);

class RingApi {
 public:
  virtual ~RingApi() = default;

  // ---- BPF program side (any context, any CPU) ----
  /// bpf_ringbuf_reserve(map, size, flags).
  virtual Record reserve(std::uint64_t size, std::uint64_t flags = 0) = 0;
  /// The program's stores into its sample: `len` bytes at sample offset `at` (through the double
  /// mapping; past 2 * size is a memory-safety report). Ghost tag `tag`, byte indices from `at`.
  virtual bool write_sample(const Record& r, std::uint64_t at, const std::uint8_t* src, std::uint64_t len,
                            std::uint64_t tag) = 0;
  /// bpf_ringbuf_submit / bpf_ringbuf_discard (bpf_ringbuf_commit).
  void submit(const Record& r, std::uint64_t flags) { commit(r, flags, false); }
  void discard(const Record& r, std::uint64_t flags) { commit(r, flags, true); }
  virtual void commit(const Record& r, std::uint64_t flags, bool discard) = 0;
  /// bpf_ringbuf_output; `out` receives the record.
  virtual int output(const std::uint8_t* data, std::uint64_t size, std::uint64_t flags, std::uint64_t tag,
                     Record* out = nullptr) = 0;
  /// bpf_ringbuf_query.
  virtual std::uint64_t query(std::uint64_t flag) = 0;
  /// bpf_ringbuf_reserve_dynptr / _submit_dynptr / _discard_dynptr (`Record` stands for the dynptr:
  /// !ok is a null dynptr).
  virtual int reserve_dynptr(std::uint64_t size, std::uint64_t flags, Record* out) = 0;
  virtual void submit_dynptr(Record& d, std::uint64_t flags) = 0;
  virtual void discard_dynptr(Record& d, std::uint64_t flags) = 0;

  /// A tracing program attached inside the locked section of __bpf_ringbuf_reserve (syzbot's
  /// re-entry). Called on the reserving context right after the lock is taken.
  std::function<void()> in_lock_hook;
  /// Ghost observers (no steps): a reservation succeeded (called under the lock, after the release
  /// of producer_pos, so calls come in reservation order), and a record's header was exchanged by
  /// commit (called at the xchg itself).
  std::function<void(const Record&)> on_reserved;
  std::function<void(const Record&, bool discard)> on_committed;

  // ---- user-space side (the mmap) ----
  virtual std::uint64_t load_consumer_pos(sim::Mo mo = sim::Mo::Acquire) = 0;
  virtual std::uint64_t load_producer_pos(sim::Mo mo = sim::Mo::Acquire) = 0;
  /// User space stores consumer_pos (libbpf's smp_store_release, or any value a liar writes).
  virtual void store_consumer_pos(std::uint64_t v, sim::Mo mo = sim::Mo::Release) = 0;
  /// smp_load_acquire of the u32 len at logical position `pos` (offset pos & mask).
  virtual std::uint32_t load_hdr_len(std::uint64_t pos, sim::Mo mo = sim::Mo::Acquire) = 0;
  /// Reads `len` bytes at offset `off` of the double mapping (user space's read-only view).
  virtual bool read_mapped(std::uint64_t off, std::uint64_t len, std::uint8_t* out, std::uint64_t* tags) = 0;
  /// The map's poll (ringbuf_map_poll_kern): EPOLLIN|EPOLLRDNORM (0x41) iff avail_data != 0.
  virtual int map_poll() = 0;
  /// ringbuf_map_poll_user (user_rb_map_ops.map_poll) over this ring's positions: EPOLLOUT |
  /// EPOLLWRNORM (0x104) iff avail_data < the data size. (A user ring buffer's producer is user
  /// space, which is not modelled: this is the mask that function computes for these positions.)
  virtual int map_poll_user() = 0;
  /// mmap(2) of the map through ringbuf_map_mmap_kern: `pages` pages from page offset `pgoff`,
  /// writable or not: 0, -EPERM (writable other than the consumer page alone) or -EINVAL
  /// (remap_vmalloc_range: the range leaves the consumer page, the producer page and the data
  /// pages mapped twice). The mapping is not used afterwards (user space's view is libbpf's).
  virtual long map_mmap(std::uint64_t pgoff, std::uint64_t pages, bool writable) = 0;

  // ---- wakeups ----
  /// ep_poll_callback registration: `wake` is called (from the irq_work) after the wait queue.
  virtual void add_watcher(std::function<void()> wake) = 0;
  /// Ghost: irq_work queued and not yet finished (for the lost-wakeup judgement).
  virtual bool wakeup_pending() const = 0;
  virtual std::uint64_t wakeups_queued() const = 0;

  // ---- observable state (ghost: no steps) ----
  struct Header {
    std::uint64_t pos = 0;
    std::uint32_t len = 0, pg_off = 0;
    bool busy() const { return len & kBusyBit; }
    bool discarded() const { return len & kDiscardBit; }
  };
  struct State {
    std::uint64_t consumer_pos = 0, producer_pos = 0, pending_pos = 0, overwrite_pos = 0;
    std::uint64_t avail_data = 0;
  };
  virtual State state() const = 0;
  /// The header chain from `from` to producer_pos (stops after `limit` headers or on a footprint
  /// of 0). `exact` receives whether the chain lands exactly on producer_pos.
  /// Written once for both sources, over state() and header_at() (ringbuf.cpp).
  std::vector<Header> chain(std::uint64_t from, bool* exact = nullptr, std::size_t limit = 4096) const;
  virtual Header header_at(std::uint64_t pos) const = 0;
  /// The pg_off the header of a live reservation holds (bpf_ringbuf_rec_pg_off).
  virtual std::uint32_t record_pg_off(const Record& r) const = 0;
  virtual std::uint64_t size() const = 0;
  virtual std::uint64_t mask() const = 0;
  virtual bool overwrite_mode() const = 0;
  virtual const std::string& name() const = 0;
  /// Per-execution reset of the ghost counters.
  virtual void reset_ghost() = 0;
};

}  // namespace model::bpf_ringbuf
