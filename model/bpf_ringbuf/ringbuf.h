// model/bpf_ringbuf/ringbuf.h — an executable model of BPF_MAP_TYPE_RINGBUF, the kernel side.
//
// Follows kernel/bpf/ringbuf.c: ringbuf_map_alloc (creation checks), bpf_ringbuf_area_alloc (the
// data pages mapped twice), __bpf_ringbuf_reserve, bpf_ringbuf_commit (submit/discard), the
// helpers bpf_ringbuf_reserve / _submit / _discard / _output / _query / _reserve_dynptr /
// _submit_dynptr / _discard_dynptr, bpf_ringbuf_notify (the irq_work) and ringbuf_map_poll_kern.
// Source read: torvalds/linux kernel/bpf/ringbuf.c @617e407cef5b, the CVE-2024-41009 fix
// cfa1a2329a69 (pending_pos), the rqspinlock conversion a650d38915c1 and the overwrite-mode series
// (BPF_F_RB_OVERWRITE, bpf_ringbuf_has_space, overwrite_pos; applied for 6.19). Semantic notes:
// ../shared/kernel/bpf_ringbuf.md. No kernel code is copied.
//
// Memory layout as the model keeps it. consumer_pos, producer_pos, pending_pos and overwrite_pos
// are sim::Shared<u64> (free-running byte positions, unsigned long on 64-bit). The data area is one
// sim::ByteBuffer of max_entries bytes. The kernel maps its data pages twice in a row, so that any
// range [off, off + len) with off < size and len <= size is contiguous; the model does the modulo
// copy that mapping implies: an access to [off, off + len) of the double mapping touches bytes
// (off + i) mod size, and an access reaching past 2 * size — past the end of the vmap area — is
// reported as memory-safety (vmalloc-out-of-bounds), which is what CVE-2021-3489 did. Record
// headers (u32 len with BPF_RINGBUF_BUSY_BIT 1<<31 and BPF_RINGBUF_DISCARD_BIT 1<<30, u32 pg_off)
// live in those same data bytes, little-endian, untagged (ghost tag 0); a header access is one step.
//
// Concurrency contract (the kernel's):
// - reserve: size checks; smp_load_acquire(consumer_pos) outside the lock; the ring's lock with
//   irqs off (spinlock era: raw_spin_trylock_irqsave in NMI, failing → NULL, else
//   raw_spin_lock_irqsave, whose same-CPU re-entry is a reported deadlock; rqspinlock era:
//   raw_res_spin_lock_irqsave, whose AA detection makes the reserve return NULL); under the lock
//   the pending_pos scan (plain header loads), the space checks, the header stores, and
//   smp_store_release(producer_pos). Returns the record or NULL; never changes state on failure
//   except pending_pos.
// - commit (submit/discard): lockless; reads hdr->len, recovers the ring from pg_off, xchg of
//   hdr->len (full barrier), smp_load_acquire(consumer_pos), and queues the irq_work when
//   FORCE_WAKEUP, or when the consumer sits exactly at this record and NO_WAKEUP is not set.
// - The irq_work (bpf_ringbuf_notify) runs in hardirq context on the CPU that queued it, coalesces
//   (queued while pending = no-op), and wakes the map's wait queue (and every epoll instance
//   registered on it: ep_poll_callback).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/bpf_ringbuf/ring_api.h"
#include "sim/buffer.h"
#include "sim/lock.h"
#include "sim/shared.h"
#include "sim/sim.h"

namespace model::bpf_ringbuf {

inline constexpr int kEPERM = 1, kEAGAIN = 11, kENOMEM = 12, kEINVAL = 22, kE2BIG = 7, kEINTR = 4;
inline constexpr std::uint64_t kMaxRecordSz = 0xffffffffu / 4;  // RINGBUF_MAX_RECORD_SZ
inline constexpr std::uint64_t kPageSize = 4096;
inline constexpr std::uint64_t kPgOff = 1;  // RINGBUF_PGOFF: the private page before consumer_pos
inline constexpr std::uint64_t kMetaPages = kPgOff + 2;  // RINGBUF_NR_META_PAGES
inline constexpr std::uint64_t kMaxDataSz = ((std::uint64_t{1} << 24) - 2 - kPgOff) * kPageSize;  // RINGBUF_MAX_DATA_SZ
inline constexpr std::uint64_t kDynptrMaxSize = (std::uint64_t{1} << 24) - 1;  // DYNPTR_MAX_SIZE
inline constexpr std::uint64_t kModelMaxEntries = std::uint64_t{16} << 20;     // the model's allocation limit
// Map flags and helper flags (uapi).
inline constexpr std::uint64_t kFNumaNode = 1u << 2;      // BPF_F_NUMA_NODE
inline constexpr std::uint64_t kFRbOverwrite = 1u << 19;  // BPF_F_RB_OVERWRITE
inline constexpr std::uint64_t kNoWakeup = 1;             // BPF_RB_NO_WAKEUP
inline constexpr std::uint64_t kForceWakeup = 2;          // BPF_RB_FORCE_WAKEUP
enum Query : std::uint64_t { kAvailData = 0, kRingSize = 1, kConsPos = 2, kProdPos = 3, kOverwritePos = 4 };

/// A record's footprint: round_up((len & ~DISCARD & ~BUSY) + 8, 8) — what the consumer and the
/// pending_pos scan advance by.
constexpr std::uint32_t footprint(std::uint32_t hdr_len) {
  return ((hdr_len & ~(kBusyBit | kDiscardBit)) + kHdrSz + 7) / 8 * 8;
}

/// The design knobs. Each named variant (workload.h) is a combination of these.
struct Variant {
  /// 4b81ccebaeee (CVE-2021-3489 fix): a footprint larger than the ring is refused.
  bool size_check = true;
  /// cfa1a2329a69 (CVE-2024-41009 fix): pending_pos, and new_prod - pending_pos <= mask.
  bool pending_pos = true;
  /// a650d38915c1 (6.15): rqspinlock; AA detection makes the reserve fail instead of hanging.
  bool rqspinlock = true;
  /// 0d80e7f951be (rqspinlock, Sep 2025): an NMI waiter only tries the lock once.
  bool rq_nmi_trylock = true;
  /// The overwrite-mode series (6.19): BPF_F_RB_OVERWRITE is a known map flag.
  bool overwrite_supported = true;
};

struct Params {
  std::uint32_t max_entries = 4096;
  std::uint32_t key_size = 0, value_size = 0;
  std::uint64_t map_flags = 0;
};


class Ring final : public RingApi {
 public:
  /// ringbuf_map_alloc's checks: 0 or a negative errno with a one-line reason.
  /// -EINVAL: a map flag outside {BPF_F_NUMA_NODE, BPF_F_RB_OVERWRITE (overwrite era only)};
  /// key_size or value_size non-zero; max_entries not a power of two or not a multiple of the
  /// page size. -E2BIG: max_entries > RINGBUF_MAX_DATA_SZ (unreachable with a u32). -ENOMEM: more
  /// than the model's 16 MiB (ours: the kernel would try to allocate it).
  static int validate(const Params& p, const Variant& v, std::string* why);

  /// Builds the ring's shared objects and its irq_work (at Workload::build time only). Throws
  /// std::invalid_argument if validate() fails.
  Ring(sim::Sim& sim, const Params& p, const Variant& v, const std::string& name);
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  // ---- BPF program side (any context, any CPU) ----
  /// bpf_ringbuf_reserve(map, size, flags): flags != 0 → NULL without touching the ring; else
  /// __bpf_ringbuf_reserve.
  Record reserve(std::uint64_t size, std::uint64_t flags = 0) override;
  /// __bpf_ringbuf_reserve (see the banner). The in_lock hook runs right after the lock is taken.
  Record __bpf_ringbuf_reserve(std::uint64_t size);
  /// The program's stores into its sample: `len` bytes at sample offset `at` (through the double
  /// mapping; past 2 * size is a memory-safety report). Ghost tag `tag`, byte indices from `at`.
  bool write_sample(const Record& r, std::uint64_t at, const std::uint8_t* src, std::uint64_t len, std::uint64_t tag) override;
  /// bpf_ringbuf_submit / bpf_ringbuf_discard (bpf_ringbuf_commit). Flags other than the two
  /// wakeup bits are ignored, as the kernel does.
  void commit(const Record& r, std::uint64_t flags, bool discard) override;
  /// bpf_ringbuf_output: flags outside {NO_WAKEUP, FORCE_WAKEUP} → -EINVAL; reserve fails →
  /// -EAGAIN; else copy + submit(flags) → 0. `out` receives the record.
  int output(const std::uint8_t* data, std::uint64_t size, std::uint64_t flags, std::uint64_t tag, Record* out = nullptr) override;
  /// bpf_ringbuf_query: AVAIL_DATA (prod - cons; overwrite mode: prod - max(cons, over)),
  /// RING_SIZE, CONS_POS, PROD_POS, OVERWRITE_POS (overwrite era); anything else → 0.
  std::uint64_t query(std::uint64_t flag) override;
  /// bpf_ringbuf_reserve_dynptr: flags != 0 → -EINVAL; size > DYNPTR_MAX_SIZE → -E2BIG; reserve
  /// fails → -EINVAL; the dynptr (`out`) is null on every failure.
  int reserve_dynptr(std::uint64_t size, std::uint64_t flags, Record* out) override;
  /// bpf_ringbuf_submit_dynptr / _discard_dynptr: a null dynptr is a no-op; afterwards it is null.
  void submit_dynptr(Record& d, std::uint64_t flags) override;
  void discard_dynptr(Record& d, std::uint64_t flags) override;

  // ---- user-space side (the mmap) ----
  std::uint64_t load_consumer_pos(sim::Mo mo = sim::Mo::Acquire) override { return consumer_pos_.load(mo); }
  std::uint64_t load_producer_pos(sim::Mo mo = sim::Mo::Acquire) override { return producer_pos_.load(mo); }
  /// User space stores consumer_pos (libbpf's smp_store_release, or any value a liar writes).
  void store_consumer_pos(std::uint64_t v, sim::Mo mo = sim::Mo::Release) override { consumer_pos_.store(v, mo); }
  /// smp_load_acquire of the u32 len at logical position `pos` (offset pos & mask).
  std::uint32_t load_hdr_len(std::uint64_t pos, sim::Mo mo = sim::Mo::Acquire) override;
  /// Reads `len` bytes at offset `off` of the double mapping (user space's read-only view).
  bool read_mapped(std::uint64_t off, std::uint64_t len, std::uint8_t* out, std::uint64_t* tags) override;
  /// ringbuf_map_poll_kern's readiness: EPOLLIN|EPOLLRDNORM (0x41) iff avail_data != 0, else 0.
  int map_poll() override;
  int map_poll_user() override;
  long map_mmap(std::uint64_t pgoff, std::uint64_t pages, bool writable) override;

  // ---- wakeups ----
  /// ep_poll_callback registration: `wake` is called (from the irq_work) after the wait queue.
  void add_watcher(std::function<void()> wake) override { watchers_.push_back(std::move(wake)); }
  /// Ghost: irq_work queued and not yet finished (for the lost-wakeup judgement).
  bool wakeup_pending() const override { return work_queued_ != work_done_; }
  std::uint64_t wakeups_queued() const override { return work_queued_; }

  // ---- observable state (ghost: no steps) ----
  State state() const override;
  /// The header chain from `from` to producer_pos (stops after `limit` headers or on a footprint
  /// of 0). `exact` receives whether the chain lands exactly on producer_pos.
  Header header_at(std::uint64_t pos) const override;
  std::uint32_t record_pg_off(const Record& r) const override { return pg_off_of(r.hdr_off); }
  std::uint64_t size() const override { return mask_ + 1; }
  std::uint64_t mask() const override { return mask_; }
  bool overwrite_mode() const override { return overwrite_; }
  const Variant& variant() const { return v_; }
  const sim::ByteBuffer& data() const { return data_; }
  /// pg_off as bpf_ringbuf_rec_pg_off computes it for a header at data offset `hdr_off`.
  static std::uint32_t pg_off_of(std::uint64_t hdr_off) {
    return static_cast<std::uint32_t>(kMetaPages + (hdr_off >> 12));
  }
  const std::string& name() const override { return name_; }

 private:
  bool lock_irqsave(unsigned long& flags);
  void unlock_irqrestore(unsigned long flags);
  std::uint32_t peek_u32(std::uint64_t off) const;
  void poke_u32(std::uint64_t off, std::uint32_t v);
  bool has_space(std::uint64_t new_prod, std::uint64_t cons, std::uint64_t pend) const;
  void notify();

  sim::Sim& sim_;
  Params p_;
  Variant v_;
  std::string name_;
  std::uint64_t mask_;
  bool overwrite_;
  sim::ByteBuffer data_;
  sim::Shared<std::uint64_t> consumer_pos_, producer_pos_, pending_pos_, overwrite_pos_;
  sim::SpinLock lock_;
  sim::WaitQueue waitq_;
  int work_ = -1;
  std::vector<std::function<void()>> watchers_;
  std::uint64_t work_queued_ = 0, work_done_ = 0;  // ghost, reset by the engine's reset of the ring
  std::uint32_t note_aa_ = 0, note_nmi_ = 0, note_pgoff_ = 0;

 public:
  /// Per-execution reset of the ghost counters (the engine resets the shared objects).
  void reset_ghost() override { work_queued_ = work_done_ = 0; }
};

}  // namespace model::bpf_ringbuf
