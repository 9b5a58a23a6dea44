// model/relay/relay.cpp — see relay.h. Written from the semantics of kernel/relay.c (paraphrased
// in ../shared/kernel/relay.md and the source notes); no kernel code is copied.
#include "model/relay/relay.h"

#include <algorithm>
#include <climits>
#include <stdexcept>

namespace model::relay {

using sim::Mo;
using U64 = std::uint64_t;

/// struct rchan_buf: one per CPU (or one global).
struct Channel::Buf {
  Buf(sim::Sim& s, const std::string& name, const Params& p, U64 initial_offset)
      : memory(s, name + ".start", static_cast<std::size_t>(p.subbuf_size * p.n_subbufs)),
        data(s, name + "->data", 0),
        offset(s, name + "->offset", initial_offset),
        subbufs_produced(s, name + "->subbufs_produced", 0),
        subbufs_consumed(s, name + "->subbufs_consumed", 0),
        bytes_consumed(s, name + "->bytes_consumed", 0),
        prev_padding(s, name + "->prev_padding", 0),
        early_bytes(s, name + "->early_bytes", 0),
        file_size(s, name + ".i_size", 0),
        full_count(s, name + "->stats.full_count", 0),
        big_count(s, name + "->stats.big_count", 0),
        finalized(s, name + "->finalized", false),
        readers_waiting(s, name + "->read_wait.active", 0),
        inode_lock(s, name + ".inode_lock"),
        read_wait(s, name + "->read_wait") {
    for (U64 i = 0; i < p.n_subbufs; ++i) padding.emplace_back(s, name + "->padding[" + std::to_string(i) + "]", 0);
  }
  sim::ByteBuffer memory;
  sim::Shared<U64> data;  // sub-buffer index of buf->data
  sim::Shared<U64> offset;
  sim::Shared<U64> subbufs_produced, subbufs_consumed, bytes_consumed;
  sim::Shared<U64> prev_padding;  // older kernels only (stats = false)
  sim::Shared<U64> early_bytes, file_size;
  sim::Shared<U64> full_count, big_count;
  /// Ghost (no steps): calls of the client's subbuf_start callback, relay_open's first included.
  U64 subbuf_start_calls = 0;
  sim::Shared<bool> finalized;
  sim::Shared<int> readers_waiting;  // waitqueue_active(&read_wait)
  std::deque<sim::Shared<U64>> padding;
  sim::SpinLock inode_lock;
  sim::WaitQueue read_wait;
  int wakeup_work = -1;
};

int Channel::validate(const Params& p, std::string* why) {
  auto fail = [&](int err, std::string msg) {
    if (why) *why = std::move(msg);
    return -err;
  };
  if (p.subbuf_size == 0) return fail(kEINVAL, "subbuf_size is 0 (relay_open returns NULL)");
  if (p.n_subbufs == 0) return fail(kEINVAL, "n_subbufs is 0 (relay_open returns NULL)");
  if (p.subbuf_size > UINT_MAX / p.n_subbufs)
    return fail(kEINVAL, "subbuf_size * n_subbufs = " + std::to_string(p.subbuf_size) + " * " +
                             std::to_string(p.n_subbufs) + " overflows UINT_MAX (relay_open returns NULL)");
  if (p.cpus < 1 || p.cpus > 64) return fail(kEINVAL, "cpus = " + std::to_string(p.cpus) + " is outside [1, 64]");
  if (p.callback == Callback::HeaderReserve && p.header_size >= p.subbuf_size - 1)
    return fail(kEINVAL, "header_size = " + std::to_string(p.header_size) + " >= subbuf_size - 1: subbuf_start_reserve() would BUG()");
  if (p.n_subbufs > (U64{1} << 20) || p.subbuf_size * p.n_subbufs > (U64{16} << 20))
    return fail(kENOMEM, "a buffer of " + std::to_string(p.subbuf_size * p.n_subbufs) + " bytes in " +
                             std::to_string(p.n_subbufs) + " sub-buffers exceeds the model's limit (16 MiB, 2^20 sub-buffers)");
  return 0;
}

Channel::Channel(sim::Sim& sim, const Params& p) : sim_(sim), p_(p) {
  std::string why;
  if (validate(p, &why) != 0) throw std::invalid_argument("relay_open: " + why);
  initial_offset_ = p.callback == Callback::HeaderReserve ? p.header_size : 0;
  const int n = p.is_global ? 1 : p.cpus;
  for (int i = 0; i < n; ++i) {
    auto b = std::make_unique<Buf>(sim, "buf" + std::to_string(i), p, initial_offset_);
    Buf* raw = b.get();
    // wakeup_readers(): the deferred wake_up_interruptible(&buf->read_wait).
    b->wakeup_work = sim.add_irq_work("relay_wakeup_readers/" + std::to_string(i), [raw] { raw->read_wait.wake_up(); });
    bufs_.push_back(std::move(b));
  }
  last_toobig_.emplace(sim, "chan->last_toobig", 0);
  dropped_.emplace(sim, "bt->dropped", 0);
  note_mb_ = sim.note_id("smp_mb() in relay_switch_subbuf");
  reset_ghost();
}

Channel::~Channel() = default;

// relay_open's __relay_reset(buf, 1) has called the callback once per buffer (kernel/relay.c:305);
// no callback (BufFull): relay_subbuf_start answers itself (kernel/relay.c:255) and nothing is counted.
void Channel::reset_ghost() {
  for (auto& b : bufs_) b->subbuf_start_calls = p_.callback == Callback::BufFull ? 0 : 1;
}

Channel::Buf& Channel::buf(int buffer) {
  if (buffer < 0 || buffer >= buffers()) throw std::out_of_range("relay: no buffer " + std::to_string(buffer));
  return *bufs_[static_cast<std::size_t>(buffer)];
}
const Channel::Buf& Channel::buf(int buffer) const {
  if (buffer < 0 || buffer >= buffers()) throw std::out_of_range("relay: no buffer " + std::to_string(buffer));
  return *bufs_[static_cast<std::size_t>(buffer)];
}
sim::ByteBuffer& Channel::memory(int buffer) { return buf(buffer).memory; }
const sim::ByteBuffer& Channel::memory(int buffer) const { return buf(buffer).memory; }
sim::WaitQueue& Channel::read_wait(int buffer) { return buf(buffer).read_wait; }

// ---- the switch ----

bool Channel::buf_full(Buf& b) {
  U64 produced = b.subbufs_produced.load();
  U64 consumed = b.subbufs_consumed.load();
  return produced - consumed >= p_.n_subbufs;
}

bool Channel::relay_buf_full(int buffer) { return buf_full(buf(buffer)); }

// relay_subbuf_start (the internal wrapper) followed by the client's callback.
bool Channel::subbuf_start(Buf& b, U64 new_idx, std::optional<U64> old_idx, U64 prev_padding) {
  (void)new_idx;
  if (p_.callback != Callback::BufFull) ++b.subbuf_start_calls;  // buf->chan->cb->subbuf_start(...)
  std::optional<bool> full;
  if (p_.stats) {
    full = buf_full(b);
    if (*full) b.full_count.store(b.full_count.load() + 1);  // buf->stats.full_count++
  }
  switch (p_.callback) {
    case Callback::BufFull:
      if (!full) full = buf_full(b);  // older kernels: the default callback asks relay_buf_full
      return !*full;
    case Callback::Counting:
      if (!buf_full(b)) return true;
      dropped_->fetch_add(1);  // atomic_inc(&bt->dropped)
      return false;
    case Callback::Overwrite:
      return true;
    case Callback::HeaderReserve: {
      if (old_idx) {
        // *(header of prev_subbuf) = prev_padding, little endian, at most 8 bytes.
        std::uint8_t header[8];
        for (int i = 0; i < 8; ++i) header[i] = static_cast<std::uint8_t>(prev_padding >> (8 * i));
        U64 len = std::min<U64>(p_.header_size, 8);
        if (len) b.memory.write(static_cast<std::size_t>(*old_idx * p_.subbuf_size), header, len, 0);
      }
      if (buf_full(b)) return false;
      b.offset.store(p_.header_size);  // subbuf_start_reserve(buf, header_size)
      return true;
    }
  }
  return false;
}

Channel::SwitchResult Channel::toobig(Buf& b, U64 length) {
  if (p_.stats)
    b.big_count.store(b.big_count.load() + 1);  // buf->stats.big_count++
  else
    last_toobig_->store(length);  // chan->last_toobig = length
  return {0, WriteResult::Drop::TooBig};
}

Channel::SwitchResult Channel::switch_subbuf(Buf& b, U64 length) {
  const U64 sbs = p_.subbuf_size, n = p_.n_subbufs;
  if (length > sbs) return toobig(b, length);
  U64 off = b.offset.load();
  if (off != sbs + 1) {
    U64 prev_padding = sbs - off;  // a local in mainline; buf->prev_padding before 2025
    if (!p_.stats) b.prev_padding.store(prev_padding);
    U64 old_subbuf = b.subbufs_produced.load() % n;
    b.padding[old_subbuf].store(p_.stats ? prev_padding : b.prev_padding.load());
    b.subbufs_produced.store(b.subbufs_produced.load() + 1);  // subbufs_produced++
    // i_size += subbuf_size - padding[old_subbuf] (the file always exists: no early_bytes)
    U64 finished = sbs - b.padding[old_subbuf].load();
    b.file_size.store(b.file_size.load() + finished);
    sim_.note(note_mb_);  // smp_mb(): orders the above before waitqueue_active
    if (sim_.memory()) [[unlikely]]
      sim_.fence(sim::Fence::Mb);  // the barrier itself (tso, lkmm); sc's trace keeps only the note
    if (b.readers_waiting.load(Mo::SeqCst) > 0) sim_.irq_work_queue(b.wakeup_work);
  }
  U64 old_idx = b.data.load();
  U64 new_idx = b.subbufs_produced.load() % n;
  b.offset.store(0);
  U64 prev_padding_arg = 0;
  if (p_.callback == Callback::HeaderReserve)
    prev_padding_arg = p_.stats ? b.padding[old_idx].load() : b.prev_padding.load();
  if (!subbuf_start(b, new_idx, old_idx, prev_padding_arg)) {
    b.offset.store(sbs + 1);
    return {0, WriteResult::Drop::Full};
  }
  b.data.store(new_idx);
  b.padding[new_idx].store(0);
  if (length + b.offset.load() > sbs) return toobig(b, length);
  return {length, WriteResult::Drop::None};
}

int Channel::relay_switch_subbuf(int buffer, U64 length) {
  return static_cast<int>(switch_subbuf(buf(buffer), length).length);
}

// ---- writers ----

// The first half of relay_write and relay_reserve: `if (unlikely(buf->offset + length >
// buf->chan->subbuf_size)) length = relay_switch_subbuf(buf, length);`
Channel::Room Channel::make_room(int cpu, U64 len) {
  Room room{{}, buf(buffer_of_cpu(cpu)), len, 0, false};
  room.result.buffer = buffer_of_cpu(cpu);
  room.off = room.b.offset.load();
  if (room.off + len > p_.subbuf_size) {
    SwitchResult s = switch_subbuf(room.b, len);
    room.length = s.length;
    room.result.drop = s.drop;
    room.switched = true;
  }
  return room;
}

WriteResult Channel::write_common(int cpu, const std::uint8_t* src, U64 len, U64 tag) {
  Room room = make_room(cpu, len);
  Buf& b = room.b;
  WriteResult& r = room.result;
  const U64 length = room.length;
  U64 off = room.off;
  // memcpy(buf->data + buf->offset, data, length): offset is reloaded only after the call.
  U64 d = b.data.load();
  if (room.switched) off = b.offset.load();
  U64 at = d * p_.subbuf_size + off;
  if (length) b.memory.write(static_cast<std::size_t>(at), src, length, tag);
  // buf->offset += length (reloaded: memcpy may alias it).
  b.offset.store(b.offset.load() + length);
  r.accepted = r.drop == WriteResult::Drop::None;
  if (r.accepted) {
    r.offset_in_buffer = at;
    r.subbuf_seq = b.subbufs_produced.peek();
  }
  return r;
}

WriteResult Channel::relay_write(int cpu, const std::uint8_t* data, U64 len, U64 tag) {
  unsigned long flags = sim_.local_irq_save();
  WriteResult r = write_common(cpu, data, len, tag);
  sim_.local_irq_restore(flags);
  return r;
}

WriteResult Channel::__relay_write(int cpu, const std::uint8_t* data, U64 len, U64 tag) {
  sim_.preempt_disable();  // get_cpu_ptr
  WriteResult r = write_common(cpu, data, len, tag);
  sim_.preempt_enable();  // put_cpu_ptr
  return r;
}

WriteResult Channel::relay_reserve(int cpu, U64 len) {
  sim_.preempt_disable();
  Room room = make_room(cpu, len);
  Buf& b = room.b;
  WriteResult& r = room.result;
  const U64 length = room.length;
  U64 off = room.off;
  if (room.switched) {
    if (length == 0) {  // NULL (also for len 0 after a successful switch)
      sim_.preempt_enable();
      return r;
    }
    off = b.offset.load();
  }
  U64 d = b.data.load();
  b.offset.store(off + length);
  r.accepted = true;
  r.offset_in_buffer = d * p_.subbuf_size + off;
  r.subbuf_seq = b.subbufs_produced.peek();
  sim_.preempt_enable();
  return r;
}

void Channel::commit_reserved(const WriteResult& where, const std::uint8_t* data, U64 len, U64 tag) {
  if (!where.accepted || len == 0) return;
  buf(where.buffer).memory.write(static_cast<std::size_t>(where.offset_in_buffer), data, len, tag);
}

// ---- channel control ----

void Channel::relay_flush() {
  for (auto& b : bufs_) switch_subbuf(*b, 0);
}

void Channel::reset_buf(Buf& b) {
  b.subbufs_produced.store(0);
  b.subbufs_consumed.store(0);
  b.bytes_consumed.store(0);
  b.finalized.store(false);
  b.data.store(0);
  b.offset.store(0);
  if (p_.stats) {
    b.full_count.store(0);
    b.big_count.store(0);
  }
  for (auto& pad : b.padding) pad.store(0);
  subbuf_start(b, 0, std::nullopt, 0);  // result ignored
}

void Channel::relay_reset() {
  for (auto& b : bufs_) reset_buf(*b);
}

void Channel::subbufs_consumed(Buf& b, U64 n) {
  if (n > p_.n_subbufs) return;
  U64 produced = b.subbufs_produced.load();
  U64 consumed = b.subbufs_consumed.load();
  if (n > produced - consumed)
    b.subbufs_consumed.store(produced);
  else
    b.subbufs_consumed.store(consumed + n);
}

void Channel::relay_subbufs_consumed(int buffer, U64 n) { subbufs_consumed(buf(buffer), n); }

void Channel::relay_close() {
  for (auto& b : bufs_) b->finalized.store(true);  // relay_close_buf
}

// ---- read(2) ----

void Channel::read_consume(Buf& b, U64 read_pos, U64 bytes) {
  const U64 sbs = p_.subbuf_size, n = p_.n_subbufs;
  if (b.subbufs_produced.load() == b.subbufs_consumed.load() && b.offset.load() == b.bytes_consumed.load()) return;
  if (b.bytes_consumed.load() + bytes > sbs) {
    subbufs_consumed(b, 1);
    b.bytes_consumed.store(0);
  }
  b.bytes_consumed.store(b.bytes_consumed.load() + bytes);
  U64 read_subbuf = read_pos ? read_pos / sbs : b.subbufs_consumed.load() % n;
  if (read_subbuf >= n) {
    sim_.report(sim::Property::MemorySafety, "relay_file_read_consume: padding[" + std::to_string(read_subbuf) +
                                                 "] is out of bounds (n_subbufs " + std::to_string(n) + ")");
    return;
  }
  if (b.bytes_consumed.load() + b.padding[read_subbuf].load() == sbs) {
    if (read_subbuf == b.subbufs_produced.load() % n && b.offset.load() == sbs) return;
    subbufs_consumed(b, 1);
    b.bytes_consumed.store(0);
  }
}

bool Channel::read_avail(Buf& b, U64 read_pos, std::vector<U64>* skipped) {
  const U64 sbs = p_.subbuf_size, n = p_.n_subbufs;
  U64 produced = b.subbufs_produced.load();
  read_consume(b, read_pos, 0);
  U64 consumed = b.subbufs_consumed.load();
  if (b.offset.load() > sbs) return produced != consumed;
  if (produced - consumed >= n) {
    U64 caught_up = produced - n + 1;
    // Ghost: the sub-buffers jumped over. `produced` is the snapshot taken before the consume
    // above (as in the kernel), so when consume moved `consumed` past it the difference wraps and
    // the kernel's "catch-up" moves the reader backwards, or to a wrapped position when produced <
    // n - 1; nothing is skipped then (and the loop must not run to 2^64).
    if (skipped && caught_up > consumed && caught_up <= produced)
      for (U64 s = consumed; s < caught_up; ++s) skipped->push_back(s);
    consumed = caught_up;
    b.subbufs_consumed.store(consumed);
    b.bytes_consumed.store(0);
  }
  U64 write_pos = (produced % n) * sbs + b.offset.load();
  U64 read_at = (consumed % n) * sbs + b.bytes_consumed.load();
  if (read_at > write_pos) write_pos += n * sbs;
  if (read_at == write_pos)
    return b.offset.load() == sbs && b.subbufs_produced.load() > b.subbufs_consumed.load();
  return true;
}

U64 Channel::read_subbuf_avail(Buf& b, U64 read_pos) {
  const U64 sbs = p_.subbuf_size, n = p_.n_subbufs;
  U64 write_subbuf = b.data.load();
  U64 off = b.offset.load();
  U64 write_offset = off > sbs ? sbs : off;
  U64 read_subbuf = read_pos / sbs, read_offset = read_pos % sbs;
  if (read_subbuf >= n) {
    sim_.report(sim::Property::MemorySafety, "relay_file_read_subbuf_avail: padding[" + std::to_string(read_subbuf) +
                                                 "] is out of bounds (n_subbufs " + std::to_string(n) + ")");
    return 0;
  }
  U64 padding = b.padding[read_subbuf].load();
  if (read_subbuf == write_subbuf) {
    if (read_offset + padding < write_offset) return write_offset - (read_offset + padding);
    return 0;
  }
  return sbs - padding - read_offset;  // unsigned, as the kernel's size_t
}

U64 Channel::read_start_pos(Buf& b, U64 read_pos) {
  const U64 sbs = p_.subbuf_size, n = p_.n_subbufs;
  U64 consumed = b.subbufs_consumed.load() % n;
  if (!p_.old_read_pos)
    read_pos = (consumed * sbs + b.bytes_consumed.load()) % (n * sbs);  // 43ec16f1450f
  else if (!read_pos)
    read_pos = consumed * sbs + b.bytes_consumed.load();
  U64 read_subbuf = read_pos / sbs;
  if (read_subbuf >= n) {
    sim_.report(sim::Property::MemorySafety, "relay_file_read_start_pos: padding[" + std::to_string(read_subbuf) +
                                                 "] is out of bounds (n_subbufs " + std::to_string(n) + ")");
    return read_pos;
  }
  U64 padding = b.padding[read_subbuf].load();
  U64 padding_start = (read_subbuf + 1) * sbs - padding, padding_end = (read_subbuf + 1) * sbs;
  if (read_pos >= padding_start && read_pos < padding_end) {
    read_subbuf = (read_subbuf + 1) % n;
    read_pos = read_subbuf * sbs;
  }
  return read_pos;
}

U64 Channel::read_end_pos(Buf& b, U64 read_pos, U64 count) {
  const U64 sbs = p_.subbuf_size, n = p_.n_subbufs;
  U64 read_subbuf = read_pos / sbs;
  if (read_subbuf >= n) {
    sim_.report(sim::Property::MemorySafety, "relay_file_read_end_pos: padding[" + std::to_string(read_subbuf) +
                                                 "] is out of bounds (n_subbufs " + std::to_string(n) + ")");
    return 0;
  }
  U64 padding = b.padding[read_subbuf].load();
  U64 end_pos = (read_pos % sbs + count + padding == sbs) ? (read_subbuf + 1) * sbs : read_pos + count;
  if (end_pos >= sbs * n) end_pos = 0;
  return end_pos;
}

void Channel::relay_file_read(int buffer, ReaderFile& file, U64 count, ReadResult& r) {
  r.bytes = 0;
  r.data.clear();
  r.tags.clear();
  r.skipped_subbuf_seqs.clear();
  if (count == 0) return;
  Buf& b = buf(buffer);
  b.inode_lock.lock();
  do {
    U64 pos_arg = p_.old_read_pos ? file.ppos : 0;
    if (!read_avail(b, pos_arg, &r.skipped_subbuf_seqs)) break;
    pos_arg = p_.old_read_pos ? file.ppos : 0;
    U64 read_start = read_start_pos(b, pos_arg);
    U64 avail = read_subbuf_avail(b, read_start);
    if (!avail) break;
    avail = std::min(count, avail);
    std::size_t at = r.data.size();
    r.data.resize(at + avail);
    r.tags.resize(at + avail);
    if (!b.memory.read(static_cast<std::size_t>(read_start), r.data.data() + at, avail, r.tags.data() + at)) {
      r.data.resize(at);
      r.tags.resize(at);
      break;
    }
    r.bytes += avail;
    count -= avail;
    read_consume(b, read_start, avail);
    file.ppos = read_end_pos(b, read_start, avail);
  } while (count);
  b.inode_lock.unlock();
}

int Channel::relay_file_poll(int buffer) {
  Buf& b = buf(buffer);
  if (b.finalized.load()) return 2;
  return b.subbufs_produced.load() != b.subbufs_consumed.load() ? 1 : 0;
}

void Channel::wait_readable(int buffer, const std::function<bool()>& or_stop) {
  Buf& b = buf(buffer);
  b.readers_waiting.fetch_add(1);
  b.read_wait.wait_event([&] { return relay_file_poll(buffer) != 0 || (or_stop && or_stop()); });
  b.readers_waiting.fetch_sub(1);
}

// ---- mmap ----

Channel::ReadResult Channel::mmap_read(int buffer, U64 from, U64 len) {
  ReadResult r;
  mmap_read(buffer, from, len, r);
  return r;
}

void Channel::mmap_read(int buffer, U64 from, U64 len, ReadResult& r) {
  Buf& b = buf(buffer);
  r.bytes = 0;
  r.skipped_subbuf_seqs.clear();
  r.data.resize(len);
  r.tags.resize(len);
  if (!b.memory.read(static_cast<std::size_t>(from), r.data.data(), len, r.tags.data())) {
    r.data.clear();
    r.tags.clear();
    return;
  }
  r.bytes = len;
}

void Channel::mmap_read_subbuf(int buffer, U64 seq, ReadResult& out, U64* header_padding) {
  Buf& b = buf(buffer);
  const U64 sbs = p_.subbuf_size;
  const U64 base = (seq % p_.n_subbufs) * sbs;
  U64 begin = base, padding = 0;
  if (p_.callback == Callback::HeaderReserve) {
    U64 hlen = std::min<U64>(p_.header_size, 8);
    std::uint8_t header[8] = {};
    if (hlen && !b.memory.read(static_cast<std::size_t>(base), header, hlen)) {
      out = ReadResult{};
      return;
    }
    for (U64 i = 0; i < hlen; ++i) padding |= U64{header[i]} << (8 * i);
    begin = base + p_.header_size;
  } else {
    padding = b.padding[seq % p_.n_subbufs].peek();  // ghost side channel (see relay.h)
  }
  if (header_padding) *header_padding = padding;
  U64 end = padding <= sbs ? base + sbs - padding : base;
  if (end < begin) end = begin;  // a corrupt header: read nothing rather than underflow
  mmap_read(buffer, begin, end - begin, out);
}

// ---- ghost state ----

Channel::BufState Channel::state(int buffer) const {
  BufState s;
  state(buffer, s);
  return s;
}

const std::vector<Channel::BufState>& Channel::snapshot_all() const {
  snapshots_.resize(static_cast<std::size_t>(buffers()));
  for (int b = 0; b < buffers(); ++b) state(b, snapshots_[static_cast<std::size_t>(b)]);
  return snapshots_;
}

void Channel::state(int buffer, BufState& s) const {
  const Buf& b = buf(buffer);
  s.padding.clear();
  s.subbufs_produced = b.subbufs_produced.peek();
  s.subbufs_consumed = b.subbufs_consumed.peek();
  s.bytes_consumed = b.bytes_consumed.peek();
  s.offset = b.offset.peek();
  s.data_subbuf = b.data.peek();
  s.early_bytes = b.early_bytes.peek();
  s.file_size = b.file_size.peek();
  s.full_count = b.full_count.peek();
  s.big_count = b.big_count.peek();
  s.subbuf_start_calls = b.subbuf_start_calls;
  s.dropped = dropped_->peek();
  for (auto& pad : b.padding) s.padding.push_back(pad.peek());
  s.finalized = b.finalized.peek();
}

std::uint64_t Channel::last_toobig() const { return last_toobig_->peek(); }
std::uint64_t Channel::dropped() const { return dropped_->peek(); }

}  // namespace model::relay
