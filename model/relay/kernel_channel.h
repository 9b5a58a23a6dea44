// model/relay/kernel_channel.h — a relay channel run from the kernel's own kernel/relay.c (with
// include/linux/relay.h), compiled unmodified under the simulator (kernel/build.h, kernel/runtime.h).
//
// The adapter plays a relay client module and user space around the real code:
//   - relay_open(base, NULL, subbuf_size, n_subbufs, callbacks, client) at setup, with the
//     scenario's callback (none / blktrace's counting client / overwrite / relay.rst's header
//     client) written as instrumented client code (kernel_client.c);
//   - writers call the real inline relay_write / __relay_write / relay_reserve on their own CPU,
//     from a payload buffer whose bytes carry the message's ghost tag, so the ledger learns where
//     the message landed from the tagged copy itself (no model state is consulted);
//   - readers call relay_file_operations.read/.poll on open files of each buffer, into user
//     buffers whose tags say which bytes of which message arrived; poll(2) sleeps on the buffer's
//     read_wait, woken by the real wakeup_readers irq_work;
//   - the mmap consumer reads a second mapping of the same pages (a real alias).
// The kernel state the ledger and the checks need (struct rchan_buf's counters and padding) is
// read with the hooks off (ghost).
//
// Differences from the model that are the tree's, not the adapter's: Debian's 6.12 relay.c predates
// relay_stats (no full_count/big_count: a full buffer drops silently unless the client counts, and
// chan->last_toobig records the last too-big length), so `Params::stats` is always false here.
// The overwrite catch-up in relay_file_read_avail (`skipped_subbuf_seqs`) is seen at the kernel's
// own store to subbufs_consumed in that function (kernel::Runtime::watch), so the ledger learns
// exactly which sub-buffers the reader jumped over.
#pragma once

#include <memory>
#include <vector>

#include "kernel/build.h"
#include "kernel/runtime.h"
#include "model/relay/channel_api.h"
#include "sim/sim.h"

namespace model::relay {

using KernelSource = kernel::Source;  // tree, patches, scheduling points (kernel/build.h)

/// What relay's subject compiles (kernel/build.h).
kernel::SubjectSpec relay_subject();

class KernelChannel final : public ChannelApi {
 public:
  /// Builds (or finds cached) the subject, loads an instance and opens the channel.
  /// Throws kernel::BuildError (bad tree, patch or compiler) and std::invalid_argument when
  /// relay_open fails for these parameters.
  KernelChannel(sim::Sim& sim, const Params& p, const KernelSource& source);
  ~KernelChannel() override;

  WriteResult relay_write(int cpu, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag) override;
  WriteResult __relay_write(int cpu, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag) override;
  WriteResult relay_reserve(int cpu, std::uint64_t len) override;
  void commit_reserved(const WriteResult& where, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag) override;
  int relay_switch_subbuf(int buffer, std::uint64_t length) override;
  void relay_flush() override;
  void relay_reset() override;
  void relay_subbufs_consumed(int buffer, std::uint64_t n) override;
  void relay_close() override;
  bool relay_buf_full(int buffer) override;
  using ChannelApi::relay_file_read;
  void relay_file_read(int buffer, ReaderFile& file, std::uint64_t count, ReadResult& out) override;
  int relay_file_poll(int buffer) override;
  void wait_readable(int buffer, const std::function<bool()>& or_stop = {}) override;
  void wake_readers(int buffer) override;
  using ChannelApi::mmap_read_subbuf;
  void mmap_read_subbuf(int buffer, std::uint64_t seq, ReadResult& out, std::uint64_t* header_padding = nullptr) override;
  BufState state(int buffer) const override;
  const std::vector<BufState>& snapshot_all() const override;
  std::uint64_t last_toobig() const override;
  std::uint64_t dropped() const override;
  void buffer_tags(int buffer, std::vector<std::uint64_t>& out) const override;
  const Params& params() const override { return p_; }
  int buffers() const override { return p_.is_global ? 1 : p_.cpus; }

  /// The exec mode runs every op in one task: each op runs "on" its CPU (smp_processor_id).
  void set_exec_cpu(int cpu) { rt_->set_cpu_override(cpu); }
  kernel::Runtime& runtime() { return *rt_; }

 private:
  struct Api;
  struct Buffer;
  WriteResult write(int cpu, bool irqsave, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag);
  std::uint8_t* payload(int cpu, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag);
  WriteResult placed(int cpu, std::uint64_t len, std::int64_t phys) const;
  void* file_for(int buffer, const ReaderFile* f);

  sim::Sim& sim_;
  Params p_;
  std::unique_ptr<kernel::Runtime> rt_;
  std::unique_ptr<Api> api_;
  void* client_ = nullptr;
  std::vector<Buffer> bufs_;
  std::vector<std::uint8_t*> scratch_;  // per CPU and context level: the writer's payload
  std::uint64_t user_buf_len_ = 0;
  mutable std::vector<BufState> snapshot_;  // each user buffer's size: the whole channel buffer
};

}  // namespace model::relay
