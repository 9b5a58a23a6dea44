// model/ftrace_rb/ring_api.h — what one per-CPU tracing ring buffer offers the workloads and the
// exec mode, whichever source implements it: the hand-written model (ring.h, `CpuBuffer`) or the
// kernel's own kernel/trace/ring_buffer.c under the simulator (kernel_ring.h, `KernelCpuBuffer`).
//
// Scenarios, the ledger's observers and the exec mode are written once against this interface
// (DESIGN.md, "Two sources of one design"). Each operation's contract is the kernel function it is
// named after; ring.h documents the model's reading of each, kernel_ring.h what the adapter adds
// around the real one. Everything under "observable state" is ghost: no steps.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/sim.h"

namespace model::ftrace_rb {

using U64 = std::uint64_t;
using U32 = std::uint32_t;

inline constexpr U64 kNormal = 0, kHead = 1, kUpdate = 2, kMoved = 4, kFlagMask = 3;
inline constexpr U64 kWriteMask = (U64{1} << 20) - 1;  // RB_WRITE_MASK
inline constexpr U64 kWriteIntcnt = U64{1} << 20;      // RB_WRITE_INTCNT
inline constexpr U64 kMissedEvents = U64{1} << 31;     // RB_MISSED_EVENTS
inline constexpr U64 kMissedStored = U64{1} << 30;     // RB_MISSED_STORED
inline constexpr U64 kMissedFlags = kMissedEvents | kMissedStored;
/// rb_page_size's mask: ~RB_MISSED_MASK, the int ~(3 << 30), keeps the low 30 bits.
inline constexpr U64 kSizeMask = (U64{1} << 30) - 1;
/// What ring_buffer_map_get_reader's local_add(RB_MISSED_EVENTS, &bpage->commit) adds: the int
/// (1 << 31), sign-extended into the 64-bit local_t (kernel/trace/ring_buffer.c:7391).
inline constexpr U64 kMissedEventsAdd = 0xffffffff80000000ULL;
inline constexpr U32 kBufPageHdrSize = 16;  // BUF_PAGE_HDR_SIZE: time_stamp + commit
inline constexpr U32 kHdr = 4;
inline constexpr U32 kTypeData = 0, kTypePadding = 29;
inline constexpr int kEBUSY = 16, kENODEV = 19, kEINVAL = 22;

inline constexpr U32 kMaxSmallData = 4 * 28;  // RB_MAX_SMALL_DATA: RB_ALIGNMENT * RINGBUF_TYPE_DATA_TYPE_LEN_MAX
/// rb_calculate_event_length (kernel/trace/ring_buffer.c:3726): 0 → 1; + 4 (the length word
/// array[0]) above RB_MAX_SMALL_DATA; + the 4-byte header; aligned to 4; and 12 becomes 16, so
/// that a time extend (8) can later take the event's place with room for a padding record.
constexpr U32 event_length(U32 len) {
  U32 l = len ? len : 1;
  if (l > kMaxSmallData) l += 4;
  l = (l + kHdr + 3) / 4 * 4;
  return l == 12 ? 16 : l;
}

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
  std::uintptr_t handle = 0;  // the kernel source's event pointer (the model's is page + offset)
};

/// One event a reader took: body bytes and their ghost tags, and the lost events reported with it.
struct ReadEvent {
  std::vector<std::uint8_t> body;
  std::vector<U64> tags;
  U64 lost = 0;
};

/// The meta page's fields (struct trace_buffer_meta, include/uapi/linux/trace_mmap.h).
enum class MetaField : std::uint8_t {
  ReaderId, ReaderRead, ReaderLostEvents, Entries, Overrun, Read, SubbufSize, MetaPageSize, NrSubbufs, MetaStructLen, Flags
};
/// Byte offsets of struct trace_buffer_meta's fields, and its size: meta_page_size 0,
/// meta_struct_len 4, subbuf_size 8, nr_subbufs 12, reader.lost_events 16, reader.id 24,
/// reader.read 28, flags 32, entries 40, overrun 48, read 56, Reserved1 64, Reserved2 72.
/// rb_setup_ids_meta_page stores sizeof(*meta) in meta_struct_len; the rest of the page (zeroed by
/// rb_alloc_meta_page's __GFP_ZERO) and the zero pages __rb_map_vma pads it with are zero.
inline constexpr U32 kMetaStructLen = 80;
constexpr std::size_t meta_offset(MetaField f) {
  switch (f) {
    case MetaField::MetaPageSize: return 0;
    case MetaField::MetaStructLen: return 4;
    case MetaField::SubbufSize: return 8;
    case MetaField::NrSubbufs: return 12;
    case MetaField::ReaderLostEvents: return 16;
    case MetaField::ReaderId: return 24;
    case MetaField::ReaderRead: return 28;
    case MetaField::Flags: return 32;
    case MetaField::Entries: return 40;
    case MetaField::Overrun: return 48;
    case MetaField::Read: return 56;
  }
  return 0;
}
constexpr bool meta_is_u32(MetaField f) {
  return f == MetaField::MetaPageSize || f == MetaField::MetaStructLen || f == MetaField::SubbufSize ||
         f == MetaField::NrSubbufs || f == MetaField::ReaderId || f == MetaField::ReaderRead;
}

struct PageRead {
  int ret = -1;
  std::vector<ReadEvent> events;
  std::int64_t missed = 0;
};

struct PageState {
  int index, id;
  U64 write, entries, commit, real_end, read, time_stamp, next, next_flag, prev;
};

struct Counters {
  U64 entries, overrun, commit_overrun, dropped_events, entries_bytes, read, read_bytes, pages_touched, pages_lost,
      pages_read, lost_events, last_overrun, committing;
};

class RingApi {
 public:
  virtual ~RingApi() = default;
  virtual const Params& params() const = 0;

  // ---- ghost hooks (the workload's ledger) ----
  /// A reservation succeeded: message `id` at (page, offset); `stamp` orders reservations of this
  /// buffer as the kernel made them (the model: call order; the kernel source: the order of the
  /// successful adds to the tail page's write index, which nested writers' returns do not follow).
  std::function<void(U64 id, int page, U32 offset, U32 length, U64 stamp)> on_reserved;
  /// Message `id` was overwritten by the writer pushing the head (counted in overrun).
  std::function<void(U64 id)> on_overrun;
  /// Whether a reader already received message `id` (the kernel adapter's overrun ghost asks).
  std::function<bool(U64 id)> delivered;
  /// Per execution: clears the ghost state.
  virtual void reset_ghost() = 0;

  // ---- writers (this CPU, any context) ----
  /// ring_buffer_lock_reserve: a slot for `len` body bytes or NULL (with the inferred reason).
  virtual Slot lock_reserve(U32 len, U64 id) = 0;
  /// The writer's stores of its event's body (tagged with `id`).
  virtual bool write_event(const Slot& s, const std::uint8_t* body, U32 len, U64 id) = 0;
  /// ring_buffer_unlock_commit.
  virtual void unlock_commit() = 0;

  // ---- blocking readers ----
  virtual void enable_wakeups() = 0;
  /// ring_buffer_wait / poll (full = 0) until the buffer is not empty or `or_stop()`.
  virtual void wait(const std::function<bool()>& or_stop) = 0;
  /// The harness's stop: ring_buffer_wake_waiters.
  virtual void wake_waiters() = 0;
  virtual U64 wakeups_queued() const = 0;

  // ---- consuming readers ----
  /// ring_buffer_consume into `out` (storage reused); false if nothing to read.
  virtual bool consume(ReadEvent& out) = 0;
  std::optional<ReadEvent> consume() {
    ReadEvent ev;
    if (!consume(ev)) return std::nullopt;
    return ev;
  }
  /// ring_buffer_read_page (full = 0): the events of the page handed out, and the missed count it
  /// carries (-1: RB_MISSED_EVENTS without a stored count); ret -1: nothing.
  virtual PageRead read_page() = 0;

  // ---- the mapping ----
  virtual int map() = 0;
  /// mmap(2) of trace_pipe_raw with page offset `pgoff` and `pages` pages (a page is one
  /// sub-buffer of order 0: the data size + 16), read-only unless `writable`: ring_buffer_map's
  /// __rb_map_vma checks (-EPERM for a writable mapping, -EINVAL past the meta page and the
  /// sub-buffers), then map()'s counting. Each success needs its own unmap().
  virtual int map_range(U64 pgoff, U64 pages, bool writable) = 0;
  virtual int unmap() = 0;
  virtual int map_get_reader() = 0;
  /// ring_buffer_resize's mapping rule: -EBUSY while mapped, else 0.
  virtual int resize_check() = 0;
  virtual int mapped() const = 0;
  /// User space's load of a meta page field (a step), and the same without a step.
  virtual U64 meta_load(MetaField f, sim::Mo mo = sim::Mo::Relaxed) = 0;
  virtual U64 meta_peek(MetaField f) const = 0;
  /// User space reads bytes [off, off + n) of the meta page region of its mapping at offset 0
  /// (meta_page_size bytes: the meta page, then the zero pages padding it to one sub-buffer), as
  /// loads through the mapping (steps). False when nothing is mapped or the range runs past
  /// meta_page_size.
  virtual bool read_meta(U64 off, U64 n, std::uint8_t* out) = 0;
  /// The buffer page behind sub-buffer `id` (ghost: the mapping is fixed while mapped).
  virtual int page_of_id(U64 id) const = 0;
  virtual int id_of_page(int page) const = 0;
  /// User space loads sub-buffer `page`'s header commit word / reads its data bytes (steps).
  virtual U64 load_commit(int page, sim::Mo mo) = 0;
  virtual bool read_subbuf(int page, U64 off, std::uint8_t* out, U64 n, U64* tags = nullptr) = 0;
  /// User space parses the record at `pos` of sub-buffer `page` (its header loads are steps):
  /// length 0 = unparsable; `data` false for padding and time records; the body's offset and size.
  struct Record {
    U32 length = 0, body_off = 0, body = 0;
    bool data = false;
  };
  virtual bool user_record(int page, U64 pos, U64 size, Record& out) = 0;
  /// A body read through the mapping, cut to the message it holds (the kernel keeps lengths in
  /// 4-byte units: the slack after the message is no one's bytes). The model's lengths are exact.
  virtual void trim(ReadEvent& ev) const { (void)ev; }

  // ---- what tracefs's files do to the whole per-CPU buffer (the exec mode) ----
  /// ring_buffer_reset_cpu (the `trace` file): every page emptied, the ring restarted from
  /// cpu_buffer->pages, the counters zeroed, the meta page updated when mapped. No reservation may
  /// be open (synchronize_rcu would wait for it).
  virtual void reset_cpu() = 0;
  /// ring_buffer_reset (`online` false: every CPU's buffer, tracing_reset_all_cpus) or
  /// ring_buffer_reset_online_cpus (the `trace` file's O_TRUNC) on the trace_buffer whose per-CPU
  /// buffers are `all` (this one among them): each one reset as reset_cpu does, after one
  /// synchronize_rcu for all. The model resets each of `all`; the kernel source calls the function.
  virtual void reset_all_cpus(bool online, const std::vector<RingApi*>& all) {
    (void)online;
    for (RingApi* b : all) b->reset_cpu();
  }
  /// ring_buffer_subbuf_order_set (`buffer_subbuf_size_kb`): 0, -EINVAL (order < 0, a sub-buffer
  /// not above BUF_PAGE_HDR_SIZE or above RB_WRITE_MASK + 1), -EBUSY (mapped: resize_disabled).
  /// New pages replace the old ones (numbered after them: ring from the new head, then the new
  /// reader page); counters stay; max_data_size stays what the allocation set (6.12 does not
  /// update it here).
  virtual int subbuf_order_set(int order) = 0;
  virtual int subbuf_order() const = 0;
  /// ring_buffer_swap_cpu(max, this buffer, cpu), as update_max_tr_single calls it: 0, -EBUSY
  /// (either mapped, with its WARN_ON_ONCE; a writer inside a commit), -EINVAL (nr_pages or order
  /// differ). On 0 the two per-CPU buffers have changed trace_buffers: the caller swaps its
  /// pointers (each object keeps its own pages and page numbers).
  virtual int swap_cpu(RingApi& max) = 0;
  /// The first page number in use: pages below it were freed by a sub-buffer order change.
  virtual int first_live_page() const { return 0; }

  // ---- observable state (ghost: no steps) ----
  virtual PageState page_state(int page) const = 0;
  /// rb_is_reader_page without steps: nothing in the ring points at `page`.
  virtual bool out_of_ring(int page) const = 0;
  virtual int pages_total() const = 0;
  virtual int tail_page() const = 0;
  virtual int commit_page() const = 0;
  virtual int reader_page() const = 0;
  virtual Counters counters() const = 0;
  /// Missed events GET_READER dropped with only a pr_info (commit overrun on the reader page).
  virtual U64 unreported_missed() const = 0;
};

}  // namespace model::ftrace_rb
