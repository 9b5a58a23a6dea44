// model/relay/relay.h — an executable model of Linux relay channels (relayfs).
//
// Follows kernel/relay.c and include/linux/relay.h (mainline as of 2025, with knobs for older
// kernels): relay_open's checks (relay_open), __relay_reset/relay_reset, relay_subbuf_start (the
// internal wrapper with relay_stats' full_count), relay_switch_subbuf, the writers relay_write /
// __relay_write / relay_reserve (+ subbuf_start_reserve), relay_subbufs_consumed, relay_buf_full,
// relay_flush, relay_close/relay_close_buf, and the file operations relay_file_read with its
// helpers (relay_file_read_consume, _avail, _subbuf_avail, _start_pos, _end_pos) and
// relay_file_poll, plus a user-space mmap consumer using the relay.rst header protocol.
// Semantic notes: ../shared/kernel/relay.md and the function-by-function source notes.
//
// Concurrency contract (as the kernel's): every buffer field a writer, an interrupt, another CPU
// or a reader can see is a sim::Shared (each access a scheduling step) and the sub-buffer memory is
// a sim::ByteBuffer (copies are steps at the sim's granularity; each byte carries the writer's
// ghost tag). Writers take no lock: relay_write disables local interrupts, __relay_write and
// relay_reserve only preemption; nothing protects a buffer against NMIs or against writers on
// other CPUs of a global (is_global) buffer. Readers of one buffer serialise on the file's inode
// lock (a sim::SpinLock here, taken without disabling interrupts) and never synchronise with the
// writer. Plain C `x++` / `x += y` on a field is modelled as a load then a store (two steps), as
// compiled code does, so that interrupts can interleave between them.
//
// Modelling choices (documented deviations):
// - Buffer files always exist (no relay_late_setup_files): finished bytes go to `file_size`
//   (the inode's i_size); `early_bytes` stays 0.
// - `data` is kept as a sub-buffer index (buf->data - buf->start) / subbuf_size.
// - smp_mb() in relay_switch_subbuf is recorded as a trace note (the engine is sequentially
//   consistent, so it orders nothing further).
// - waitqueue_active(&buf->read_wait) is a Shared count of readers that announced they wait
//   (wait_readable()); a reader that sleeps on read_wait() directly is not seen by the writer.
// - relay_channels_mutex (taken by relay_flush/relay_reset/relay_close against each other and
//   hotplug) and irq_work_sync in __relay_reset/relay_close_buf are not modelled.
// - The Counting client's `dropped` is blktrace's bt->dropped: one atomic counter per channel.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/buffer.h"
#include "sim/lock.h"
#include "sim/shared.h"
#include "sim/sim.h"
#include "model/relay/channel_api.h"

namespace model::relay {

inline constexpr int kEINVAL = 22;
inline constexpr int kENOMEM = 12;

class Channel final : public ChannelApi {
 public:
  /// relay_open's validation: 0, or a negative errno with a one-line reason in `why`.
  /// -EINVAL: subbuf_size or n_subbufs zero, subbuf_size > UINT_MAX / n_subbufs (relay_open
  /// returns NULL), HeaderReserve with header_size >= subbuf_size - 1 (subbuf_start_reserve would
  /// BUG() during the open's reset), cpus outside [1, 64] (ours). -ENOMEM: a buffer larger than
  /// the model's 16 MiB limit, or n_subbufs > 2^20 (ours; the kernel's allocation would fail).
  static int validate(const Params& p, std::string* why);

  /// Builds every Shared/ByteBuffer object of the channel; at build time only (Workload::build).
  /// Throws std::invalid_argument if validate() fails. The initial state is the one relay_open
  /// leaves: produced = consumed = 0, data = sub-buffer 0, offset = the header the callback
  /// reserved (HeaderReserve: header_size, else 0).
  Channel(sim::Sim& sim, const Params& p);
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  /// Per-execution reset of what the engine does not reset (nothing today: kept for workloads).
  void reset_ghost();

  // ---- writers. `cpu` is the CPU the caller runs on (this_cpu_ptr(chan->buf)); `tag` is the
  // message's ledger id: byte i of the copy gets the ghost tag (tag, i) (sim/buffer.h). ----

  /// relay_write: local_irq_save around the whole write. If offset + len > subbuf_size, calls
  /// relay_switch_subbuf first (which may drop the message: Full or TooBig); then copies len bytes
  /// at data + offset (tagged `tag`) and adds len to offset (reloaded after the copy). No barrier.
  /// Not NMI-safe; not safe against other CPUs on a global buffer.
  WriteResult relay_write(int cpu, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag) override;
  /// __relay_write: as relay_write, with preemption disabled (get_cpu_ptr) and irqs left on, so
  /// an interrupt on the same CPU that writes too can interleave with every step.
  WriteResult __relay_write(int cpu, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag) override;
  /// relay_reserve: preemption disabled while reserving (irqs as the caller has them). Returns
  /// where len bytes were reserved (data + offset, offset += len), or accepted = false (NULL).
  /// As the kernel, len == 0 after a switch returns NULL even when the switch succeeded
  /// (accepted = false, drop = None).
  WriteResult relay_reserve(int cpu, std::uint64_t len) override;
  /// The caller's copy into a reserved slot (blktrace fills the record after relay_reserve).
  void commit_reserved(const WriteResult& where, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag) override;

  /// relay_switch_subbuf(buf, length): returns length, or 0 when the message must be dropped.
  /// length > subbuf_size: too big (big_count++ / last_toobig = length), no switch. Else, unless
  /// offset == subbuf_size + 1 (a refused switch is being retried): padding[produced % n] =
  /// subbuf_size - offset, produced++, file_size += subbuf_size - padding, smp_mb, and if a reader
  /// waits, irq_work_queue (the wake-up runs later in hardirq). Then offset = 0 and the callback:
  /// refused -> offset = subbuf_size + 1, return 0; allowed -> data = produced % n, padding[data]
  /// = 0, and if length no longer fits after a reserved header, too big (return 0).
  int relay_switch_subbuf(int buffer, std::uint64_t length) override;
  /// relay_flush: relay_switch_subbuf(buf, 0) on every buffer (buffer 0 only if global), from the
  /// calling CPU with its irqs as they are. An empty current sub-buffer still becomes a produced
  /// sub-buffer of all padding.
  void relay_flush() override;
  /// relay_reset: __relay_reset(buf, 0) on every buffer: produced = consumed = bytes_consumed = 0,
  /// finalized = 0, data = 0, offset = 0, full_count = big_count = 0 (stats), padding zeroed, then the
  /// callback for sub-buffer 0 (result ignored). Memory, file_size, early_bytes, last_toobig and
  /// the client's dropped are not reset. Assumes no concurrent writers (not enforced).
  void relay_reset() override;
  /// relay_subbufs_consumed(chan, cpu, n): ignored if n > n_subbufs; consumed += n, clamped to
  /// produced. bytes_consumed untouched. No lock (an mmap client calls it from the kernel side).
  void relay_subbufs_consumed(int buffer, std::uint64_t n) override;
  /// relay_close: relay_close_buf on every buffer: finalized = 1. No flush, readers not woken.
  void relay_close() override;
  /// relay_buf_full: produced - consumed >= n_subbufs (two loads).
  bool relay_buf_full(int buffer) override;

  // ---- readers (user space) ----
  /// relay_file_read(file, count): under the buffer's inode lock, loop while count remains:
  /// relay_file_read_avail (settles a fully read sub-buffer; in the refused state only produced
  /// != consumed counts; lapped by an overwriting writer -> consumed = produced - n + 1,
  /// bytes_consumed = 0), start position (skipping padding), relay_file_read_subbuf_avail, copy
  /// min(count, avail) bytes, relay_file_read_consume (releases a finished sub-buffer), ppos =
  /// relay_file_read_end_pos. Never blocks; returns what it copied (0 = nothing now, not EOF).
  using ChannelApi::relay_file_read;
  /// The same into `out` (its vectors are reused: no allocation once they have grown).
  void relay_file_read(int buffer, ReaderFile& file, std::uint64_t count, ReadResult& out) override;
  /// relay_file_poll: 2 (EPOLLERR) once finalized, else 1 (EPOLLIN) if produced != consumed
  /// (whole sub-buffers only), else 0.
  int relay_file_poll(int buffer) override;
  /// The buffer's read_wait. The switch's irq_work wakes it (deferred, only if a reader waits).
  sim::WaitQueue& read_wait(int buffer);
  /// A reader blocking in poll(): announces itself (waitqueue_active), then wait_event until
  /// relay_file_poll is non-zero. Task context only.
  /// `or_stop` (optional) ends the wait too: user space's poll timeout or signal.
  void wait_readable(int buffer, const std::function<bool()>& or_stop = {}) override;
  void wake_readers(int buffer) override { read_wait(buffer).wake_up(); }

  // ---- mmap readers (user space reading the mapping directly) ----
  /// Copies bytes [from, from + len) of the buffer's mapping, with their tags.
  ReadResult mmap_read(int buffer, std::uint64_t from, std::uint64_t len);
  void mmap_read(int buffer, std::uint64_t from, std::uint64_t len, ReadResult& out);
  /// The relay.rst mmap consumer for one produced sub-buffer of sequence `seq` (its index is
  /// seq % n): with HeaderReserve it reads the padding from the sub-buffer's header (little
  /// endian, min(header_size, 8) bytes, a step) and returns bytes [header_size, subbuf_size -
  /// padding); with the other callbacks user space has no header, and the model takes the kernel's
  /// padding[] as if a side channel exported it. Does not consume: the caller then calls
  /// relay_subbufs_consumed(buffer, 1). `header_padding` receives the value read (or the ghost).
  using ChannelApi::mmap_read_subbuf;
  void mmap_read_subbuf(int buffer, std::uint64_t seq, ReadResult& out, std::uint64_t* header_padding = nullptr) override;

  // ---- observable state (ghost: no steps) ----
  BufState state(int buffer) const override;
  void state(int buffer, BufState& out) const;  // reuses out's storage
  const std::vector<BufState>& snapshot_all() const override;
  /// chan->last_toobig (older kernels, stats = false): the length of the last too-big message;
  /// never reset (not even by relay_reset). Always 0 when stats = true.
  std::uint64_t last_toobig() const override;
  /// The Counting client's dropped counter.
  std::uint64_t dropped() const override;
  const Params& params() const override { return p_; }
  int buffers() const override { return static_cast<int>(bufs_.size()); }
  void buffer_tags(int buffer, std::vector<std::uint64_t>& out) const override {
    const sim::ByteBuffer& m = memory(buffer);
    out.assign(m.tags(), m.tags() + m.size());
  }
  sim::ByteBuffer& memory(int buffer);
  const sim::ByteBuffer& memory(int buffer) const;

 private:
  struct Buf;
  struct SwitchResult {
    std::uint64_t length;
    WriteResult::Drop drop;
  };
  SwitchResult switch_subbuf(Buf& b, std::uint64_t length);
  struct Room {
    WriteResult result;
    Buf& b;
    std::uint64_t length, off;
    bool switched;
  };
  Room make_room(int cpu, std::uint64_t len);
  WriteResult write_common(int cpu, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag);
  SwitchResult toobig(Buf& b, std::uint64_t length);
  bool subbuf_start(Buf& b, std::uint64_t new_idx, std::optional<std::uint64_t> old_idx, std::uint64_t prev_padding);
  bool buf_full(Buf& b);
  void subbufs_consumed(Buf& b, std::uint64_t n);
  void reset_buf(Buf& b);
  // relay_file_read helpers; read_pos is the old *ppos argument (0 = "use the shared state").
  void read_consume(Buf& b, std::uint64_t read_pos, std::uint64_t bytes);
  bool read_avail(Buf& b, std::uint64_t read_pos, std::vector<std::uint64_t>* skipped);
  std::uint64_t read_subbuf_avail(Buf& b, std::uint64_t read_pos);
  std::uint64_t read_start_pos(Buf& b, std::uint64_t read_pos);
  std::uint64_t read_end_pos(Buf& b, std::uint64_t read_pos, std::uint64_t count);
  Buf& buf(int buffer);
  const Buf& buf(int buffer) const;

  sim::Sim& sim_;
  Params p_;
  std::uint64_t initial_offset_ = 0;
  std::vector<std::unique_ptr<Buf>> bufs_;
  std::optional<sim::Shared<std::uint64_t>> last_toobig_;
  std::optional<sim::Shared<std::uint64_t>> dropped_;
  std::uint32_t note_mb_ = 0;
  mutable std::vector<BufState> snapshots_;  // snapshot_all()'s storage (ghost scratch)
};

}  // namespace model::relay
