// model/bpf_ringbuf/consumer.cpp — see consumer.h. Written from the semantics of
// tools/lib/bpf/ringbuf.c; no libbpf code is copied.
#include "model/bpf_ringbuf/consumer.h"

#include <stdexcept>

namespace model::bpf_ringbuf {

using sim::Mo;
using U64 = std::uint64_t;
using I64 = std::int64_t;

RingBuffer::RingBuffer(sim::Sim& sim, const std::string& name, Config config)
    : sim_(sim), c_(config), wq_(sim, name + ".epoll"), interrupted_(sim, name + ".signal", 0) {
  if (c_.int_bits < 4 || c_.int_bits > 32) throw std::invalid_argument("RingBuffer: int_bits must be in [4, 32]");
}

int RingBuffer::add(RingApi& ring, SampleFn cb) {
  rings_.push_back(Entry{&ring, std::move(cb)});
  ring.add_watcher([this] { wake(); });
  return 0;
}

I64 RingBuffer::wrap_int(I64 v) const {
  const U64 m = (U64{1} << c_.int_bits) - 1;
  U64 u = static_cast<U64>(v) & m;
  if (u >> (c_.int_bits - 1)) return static_cast<I64>(u) - static_cast<I64>(m) - 1;
  return static_cast<I64>(u);
}

// One loop for both libbpf versions. Before 2a30f9440640 the count was a C int (it wraps: see
// wrap_int) and there was no cap: the loop ran until nothing new was committed, whatever n.
I64 RingBuffer::process_ring(int idx, U64 n) {
  const bool old = c_.int_overflow;
  Entry& e = rings_[static_cast<std::size_t>(idx)];
  RingApi& r = *e.ring;
  I64 cnt = 0;
  U64 cons = r.load_consumer_pos(Mo::Acquire);
  bool got_new_data;
  do {
    got_new_data = false;
    const U64 prod = r.load_producer_pos(Mo::Acquire);
    while (cons < prod) {
      const std::uint32_t len = r.load_hdr_len(cons, Mo::Acquire);
      if (len & kBusyBit) return cnt;  // not committed yet: bail out for now
      got_new_data = true;
      const U64 start = cons;
      cons += footprint(len);
      if (!(len & kDiscardBit)) {
        const int err = e.cb(idx, r, start, (start & r.mask()) + kHdrSz, len);
        if (err < 0) {
          r.store_consumer_pos(cons, c_.plain_consumer_pos ? Mo::Relaxed : Mo::Release);  // the failing record is consumed
          return err;
        }
        cnt = old ? wrap_int(cnt + 1) : cnt + 1;
      }
      r.store_consumer_pos(cons, c_.plain_consumer_pos ? Mo::Relaxed : Mo::Release);  // smp_store_release
      if (!old && static_cast<U64>(cnt) >= n) return cnt;
    }
  } while (got_new_data);
  return cnt;
}

int RingBuffer::consume() {
  I64 res = 0;
  for (int i = 0; i < ring_count(); ++i) {
    const I64 err = process_ring(i, static_cast<U64>(int_max()));
    if (err < 0) return static_cast<int>(err);
    if (c_.int_overflow) {
      res = wrap_int(res + err);
      continue;
    }
    res += err;
    if (res > int_max()) return static_cast<int>(int_max());
  }
  return static_cast<int>(res);
}

int RingBuffer::consume_n(U64 n) {
  I64 res = 0;
  for (int i = 0; i < ring_count(); ++i) {
    const I64 err = process_ring(i, n);
    if (err < 0) return static_cast<int>(err);
    res += err;
    n -= static_cast<U64>(err);  // size_t arithmetic, as libbpf's
    if (n == 0) break;
  }
  return static_cast<int>(res > int_max() ? int_max() : res);
}

int RingBuffer::ring_consume_n(int idx, U64 n) {
  const I64 res = process_ring(idx, n);
  if (res < 0) return static_cast<int>(res);
  return static_cast<int>(res > int_max() ? int_max() : res);
}

std::uint64_t RingBuffer::epoll_ready() {
  if (ring_count() > 64) throw std::logic_error("epoll_ready: more than 64 rings");
  std::uint64_t ready = 0;
  for (int i = 0; i < ring_count(); ++i)
    if (rings_[static_cast<std::size_t>(i)].ring->map_poll()) ready |= std::uint64_t{1} << i;
  return ready;
}

int RingBuffer::poll(int timeout_ms) {
  std::uint64_t ready = epoll_ready();
  if (!ready && timeout_ms != 0) {
    // ep_poll: sleep until a ring's wakeup (ep_poll_callback) or a signal; readiness is re-checked
    // after every wakeup (the wait queue's prepare/test/sleep makes a wakeup in between count).
    for (;;) {
      sim_.prepare_wait(wq_.id());
      if (interrupted_.load(Mo::Acquire)) {
        sim_.finish_wait();
        return -kEINTR;
      }
      ready = epoll_ready();
      if (ready) break;
      asleep_ = true;
      sim_.sleep_running(wq_.id());
      asleep_ = false;
    }
    sim_.finish_wait();
  }
  I64 res = 0;
  for (; ready; ready &= ready - 1) {
    const int i = __builtin_ctzll(ready);
    const I64 err = process_ring(i, static_cast<U64>(int_max()));
    if (err < 0) return static_cast<int>(err);
    res = c_.int_overflow ? wrap_int(res + err) : res + err;
  }
  if (!c_.int_overflow && res > int_max()) res = int_max();
  return static_cast<int>(res);
}

void RingBuffer::interrupt() {
  interrupted_.store(1, Mo::Release);
  asleep_ = false;
  wq_.wake_up();
}

void RingBuffer::wake() {
  // The ghost flag is cleared after the wake-up, not before: wake_up() is a step, and a consumer
  // that decides to sleep in between is still woken by it (found under lkmm, issue 13).
  wq_.wake_up();
  asleep_ = false;
}

}  // namespace model::bpf_ringbuf
