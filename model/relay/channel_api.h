// model/relay/channel_api.h — what a relay channel offers the relay workloads, whichever source
// implements it: the hand-written model (model/relay/relay.h, `Channel`) or the kernel's own
// kernel/relay.c under the simulator (model/relay/kernel_channel.h, `KernelChannel`).
//
// Scenarios, the ledger, the relay checks and the exec mode are written once against this
// interface (DESIGN.md, "Two sources of one design"). Each operation's contract is the kernel
// function it is named after; relay.h documents the model's reading of each, kernel_channel.h
// what the adapter adds around the real one. Everything under "observable state" is ghost: no steps.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace model::relay {

/// The client's subbuf_start callback (struct rchan_callbacks::subbuf_start).
enum class Callback {
  /// No client callback: relay_subbuf_start returns !relay_buf_full (no-overwrite).
  BufFull,
  /// blktrace before 2025 (blk_subbuf_start_callback): refuse when full and atomic_inc(dropped).
  Counting,
  /// Flight-recorder clients (and the BPF relay map's BPF_F_OVERWRITE): always allow.
  Overwrite,
  /// relay.rst's example client: store prev_padding in the header of the previous sub-buffer
  /// (when there is one), refuse when full, else subbuf_start_reserve(header_size).
  HeaderReserve,
};

struct Params {
  std::uint64_t subbuf_size = 64, n_subbufs = 4;
  int cpus = 1;                  // possible CPUs (one buffer each unless is_global)
  bool is_global = false;        // one buffer shared by all CPUs (the client serialises writers)
  Callback callback = Callback::BufFull;
  std::uint64_t header_size = 8;  // HeaderReserve only
  /// Mainline 2025 relay_stats: full_count (per refused-or-overwriting switch while full) and
  /// big_count (per too-big message). false = older kernels: chan->last_toobig instead, and the
  /// HeaderReserve client gets buf->prev_padding (the field removed by "abolish prev_padding").
  bool stats = true;
  /// Before 341a7213e5c1 ("kernel/relay.c: fix read_pos error when multiple readers", v5.6):
  /// relay_file_read starts from the open file's *ppos whenever it is non-zero. Also drops the
  /// 43ec16f1450f modulo in relay_file_read_start_pos (it did not exist then).
  bool old_read_pos = false;
};

/// A write's outcome (ghost: the kernel tells the caller nothing, relay_reserve returns NULL).
struct WriteResult {
  bool accepted = false;
  int buffer = 0;
  std::uint64_t offset_in_buffer = 0;  // byte offset in the buffer's memory (data * subbuf_size + offset)
  std::uint64_t subbuf_seq = 0;        // subbufs_produced when accepted: the sub-buffer's sequence number
  enum class Drop { None, Full /* refused switch */, TooBig } drop = Drop::None;
};

class ChannelApi {
 public:
  virtual ~ChannelApi() = default;

  // ---- writers: `cpu` is the CPU the caller runs on; `tag` the message's ledger id ----
  virtual WriteResult relay_write(int cpu, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag) = 0;
  virtual WriteResult __relay_write(int cpu, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag) = 0;
  virtual WriteResult relay_reserve(int cpu, std::uint64_t len) = 0;
  /// The caller's copy into a slot relay_reserve returned.
  virtual void commit_reserved(const WriteResult& where, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag) = 0;
  virtual int relay_switch_subbuf(int buffer, std::uint64_t length) = 0;
  virtual void relay_flush() = 0;
  virtual void relay_reset() = 0;
  virtual void relay_subbufs_consumed(int buffer, std::uint64_t n) = 0;
  virtual void relay_close() = 0;
  virtual bool relay_buf_full(int buffer) = 0;

  // ---- readers (user space) ----
  struct ReaderFile {
    std::uint64_t ppos = 0;  // the open file's f_pos; only read when Params::old_read_pos
  };
  struct ReadResult {
    std::uint64_t bytes = 0;
    std::vector<std::uint8_t> data;
    std::vector<std::uint64_t> tags;                 // ghost tag of each byte copied (sim::tag_id/tag_index)
    std::vector<std::uint64_t> skipped_subbuf_seqs;  // overwrite catch-up: sequences jumped over
  };
  virtual void relay_file_read(int buffer, ReaderFile& file, std::uint64_t count, ReadResult& out) = 0;
  ReadResult relay_file_read(int buffer, ReaderFile& file, std::uint64_t count) {
    ReadResult r;
    relay_file_read(buffer, file, count, r);
    return r;
  }
  virtual int relay_file_poll(int buffer) = 0;
  /// A reader blocking in poll(2) until the buffer is readable, or `or_stop` holds once woken.
  virtual void wait_readable(int buffer, const std::function<bool()>& or_stop = {}) = 0;
  /// The tool's stop: wakes every reader blocked in poll(2) on `buffer` (a step).
  virtual void wake_readers(int buffer) = 0;
  /// The relay.rst mmap consumer for the produced sub-buffer of sequence `seq` (see relay.h).
  virtual void mmap_read_subbuf(int buffer, std::uint64_t seq, ReadResult& out, std::uint64_t* header_padding = nullptr) = 0;
  ReadResult mmap_read_subbuf(int buffer, std::uint64_t seq, std::uint64_t* header_padding = nullptr) {
    ReadResult r;
    mmap_read_subbuf(buffer, seq, r, header_padding);
    return r;
  }

  // ---- observable state (ghost: no steps) ----
  struct BufState {
    std::uint64_t subbufs_produced = 0, subbufs_consumed = 0, bytes_consumed = 0, offset = 0;
    std::uint64_t data_subbuf = 0;  // index of data
    std::uint64_t early_bytes = 0, file_size = 0, full_count = 0, big_count = 0;
    std::uint64_t dropped = 0;  // the Counting client's bt->dropped (channel-wide)
    /// Calls of the client's subbuf_start callback (relay_open's included; 0 without a callback).
    std::uint64_t subbuf_start_calls = 0;
    std::vector<std::uint64_t> padding;
    bool finalized = false;
  };
  virtual BufState state(int buffer) const = 0;
  /// state(b) of every buffer, into storage the channel keeps: no allocation once warm (the
  /// end-of-execution checks). Valid until the next call.
  virtual const std::vector<BufState>& snapshot_all() const = 0;
  virtual std::uint64_t last_toobig() const = 0;
  virtual std::uint64_t dropped() const = 0;
  /// The ghost tags of the buffer's whole memory (n_subbufs * subbuf_size bytes).
  virtual void buffer_tags(int buffer, std::vector<std::uint64_t>& out) const = 0;
  virtual const Params& params() const = 0;
  virtual int buffers() const = 0;
  int buffer_of_cpu(int cpu) const { return params().is_global ? 0 : cpu; }
};

}  // namespace model::relay
