// model/bpf_ringbuf/consumer.h — libbpf's BPF ring buffer consumer (struct ring_buffer).
//
// Follows tools/lib/bpf/ringbuf.c (read at 00f0e08f23fc, plus 087d757fb473's INT_MAX cap of
// ring_buffer__consume_n): ringbuf_process_ring, ring_buffer__consume, ring_buffer__consume_n,
// ring_buffer__poll (epoll_wait on every ring's map fd, level-triggered EPOLLIN), ring__consume_n,
// ring_buffer__add's epoll registration; and, for the `libbpf-int-overflow` variant, the code
// before 2a30f9440640 ("libbpf: Fix signed overflow in ringbuf_process_ring", Apr 2021): an `int`
// count with no cap and no per-call limit.
//
// Ordering contract (libbpf's): consumer_pos is loaded once with smp_load_acquire; each pass loads
// producer_pos with smp_load_acquire and each header's len with smp_load_acquire; a BUSY record
// stops the call (consumer_pos not stored for it); a DISCARD record is skipped silently; every
// record (discarded ones too) is released with its own smp_store_release(consumer_pos), and a
// callback returning < 0 has its record released before the error is returned. The callback reads
// the sample in place (through the double mapping).
//
// Model choices (documented deviations):
// - C `int` has a configurable width (Config::int_bits, default 32) so that INT_MAX — the caps of
//   the fixed code and the overflow of the old one — is reachable in a simulation. The overflow is
//   two's-complement wrap-around, what the compiled code did (it is undefined behaviour in C).
// - epoll: readiness is re-evaluated on every epoll_wait (ringbuf_map_poll_kern: avail_data != 0,
//   busy records included, so a ring holding only a busy record is "ready" and poll spins); the
//   ready rings are returned in ring index order, not in the order their wakeups arrived.
// - A blocking poll sleeps on the instance's wait queue until a ring's irq_work wakes it
//   (ep_poll_callback) or the harness interrupts it (a signal): then it returns -EINTR.
// - timeout_ms > 0 is not modelled (virtual time has no milliseconds): it behaves as -1.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/bpf_ringbuf/ringbuf.h"
#include "sim/lock.h"
#include "sim/shared.h"
#include "sim/sim.h"

namespace model::bpf_ringbuf {

/// What a libbpf `struct ring_buffer` offers the workloads and the exec mode, whichever source
/// implements it: this model (`RingBuffer`) or libbpf's own tools/lib/bpf/ringbuf.c in the kernel
/// subject (kernel_ringbuf.h). Each call's contract is the libbpf function it is named after.
class ConsumerApi {
 public:
  virtual ~ConsumerApi() = default;
  virtual int consume() = 0;
  virtual int consume_n(std::uint64_t n) = 0;
  virtual int ring_consume_n(int idx, std::uint64_t n) = 0;
  virtual int poll(int timeout_ms) = 0;
  /// The harness's signal to a consumer blocked in poll (a step): it returns -EINTR.
  virtual void interrupt() = 0;
  /// Ghost: the consumer is asleep in epoll_wait (cleared by the waker, not by the sleeper).
  virtual bool asleep() const = 0;
  virtual void reset_ghost() = 0;
  /// INT_MAX of the consumer's C int (the model's may be narrower, see Config::int_bits).
  virtual std::int64_t int_max() const = 0;
};

class RingBuffer final : public ConsumerApi {
 public:
  struct Config {
    bool int_overflow = false;  // libbpf before 2a30f9440640
    unsigned int_bits = 32;     // the width of C int in the model (4..32)
    /// consumer_pos written with a plain store instead of smp_store_release (a design under review,
    /// issue 13): the record's reads may then complete after the kernel sees the space freed.
    bool plain_consumer_pos = false;
  };
  /// ring_buffer_sample_fn(ctx, data, size): `sample_off` is the sample's offset in the ring's
  /// double mapping, `len` the header's len (no flag bits); `pos` (ghost: libbpf does not pass it)
  /// is the record's logical position. Returns the callback's int.
  using SampleFn =
      std::function<int(int ring, RingApi& r, std::uint64_t pos, std::uint64_t sample_off, std::uint32_t len)>;

  /// ring_buffer__new without its first ring: the epoll instance. Build time only.
  RingBuffer(sim::Sim& sim, const std::string& name, Config config);
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;

  /// ring_buffer__add: registers the ring (epoll data = its index) and its callback. Build time.
  int add(RingApi& ring, SampleFn cb);
  int ring_count() const { return static_cast<int>(rings_.size()); }
  RingApi& ring(int idx) { return *rings_[static_cast<std::size_t>(idx)].ring; }

  /// ringbuf_process_ring(r, n) (see the banner); the old variant ignores n.
  std::int64_t process_ring(int idx, std::uint64_t n);
  /// ring_buffer__consume: every ring in add order with n = INT_MAX; negative → returned at once;
  /// the sum is capped at INT_MAX (the old variant: an int sum, wrapping).
  int consume() override;
  /// ring_buffer__consume_n: rings in order, n shrinking by what each delivered, stop at n == 0;
  /// capped at INT_MAX.
  int consume_n(std::uint64_t n) override;
  /// ring__consume_n / ring__consume of one ring: capped at INT_MAX.
  int ring_consume_n(int idx, std::uint64_t n) override;
  /// ring_buffer__poll(timeout_ms): epoll_wait (0: never blocks; otherwise blocks while no ring is
  /// ready, -EINTR if interrupted), then process_ring(INT_MAX) on each ready ring; a negative
  /// result is returned at once; the sum is capped at INT_MAX (old variant: wraps).
  int poll(int timeout_ms) override;

  void interrupt() override;
  bool asleep() const override { return asleep_; }
  /// Per-execution reset of the ghost state.
  void reset_ghost() override { asleep_ = false; }

  std::int64_t int_max() const override { return (std::int64_t{1} << (c_.int_bits - 1)) - 1; }
  /// Two's-complement wrap of v into an int of int_bits bits.
  std::int64_t wrap_int(std::int64_t v) const;
  const Config& config() const { return c_; }

 private:
  struct Entry {
    RingApi* ring;
    SampleFn cb;
  };
  /// The ready rings as a bit set (bit i: ring i; at most 64 rings): no allocation per poll.
  std::uint64_t epoll_ready();
  void wake();  // ep_poll_callback, from a ring's irq_work

  sim::Sim& sim_;
  Config c_;
  std::vector<Entry> rings_;
  sim::WaitQueue wq_;
  sim::Shared<int> interrupted_;
  bool asleep_ = false;
};

}  // namespace model::bpf_ringbuf
