// model/bpf_ringbuf/ringbuf.cpp — see ringbuf.h. Written from the semantics of
// kernel/bpf/ringbuf.c (read at the commits named in the header); no kernel code is copied.
#include "model/bpf_ringbuf/ringbuf.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace model::bpf_ringbuf {

using sim::Mo;
using U64 = std::uint64_t;
using U32 = std::uint32_t;

const char* fail_name(Record::Fail f) {
  switch (f) {
    case Record::Fail::None: return "none";
    case Record::Fail::Flags: return "flags";
    case Record::Fail::TooBig: return "too_big";
    case Record::Fail::Lock: return "lock";
    case Record::Fail::NoSpace: return "no_space";
  }
  return "?";
}

int Ring::validate(const Params& p, const Variant& v, std::string* why) {
  auto fail = [&](int err, std::string msg) {
    if (why) *why = std::move(msg);
    return -err;
  };
  const U64 known = kFNumaNode | (v.overwrite_supported ? kFRbOverwrite : 0);
  if (p.map_flags & ~known)
    return fail(kEINVAL, "map_flags 0x" + [&] {
      char b[32];
      std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(p.map_flags));
      return std::string(b);
    }() + " has bits outside RINGBUF_CREATE_FLAG_MASK");
  if (p.key_size || p.value_size) return fail(kEINVAL, "key_size and value_size must be 0");
  const U64 n = p.max_entries;
  if (n == 0 || (n & (n - 1))) return fail(kEINVAL, "max_entries = " + std::to_string(n) + " is not a power of two");
  if (n % kPageSize) return fail(kEINVAL, "max_entries = " + std::to_string(n) + " is not a multiple of the page size (4096)");
  if (n > kMaxDataSz) return fail(kE2BIG, "max_entries = " + std::to_string(n) + " exceeds RINGBUF_MAX_DATA_SZ");
  if (n > kModelMaxEntries)
    return fail(kENOMEM, "max_entries = " + std::to_string(n) + " exceeds the model's allocation limit (16 MiB)");
  return 0;
}

Ring::Ring(sim::Sim& sim, const Params& p, const Variant& v, const std::string& name)
    : sim_(sim),
      p_(p),
      v_(v),
      name_(name),
      mask_(U64{p.max_entries} - 1),
      overwrite_((p.map_flags & kFRbOverwrite) != 0),
      data_(sim, name + "->data", p.max_entries),
      consumer_pos_(sim, name + "->consumer_pos", 0),
      producer_pos_(sim, name + "->producer_pos", 0),
      pending_pos_(sim, name + "->pending_pos", 0),
      overwrite_pos_(sim, name + "->overwrite_pos", 0),
      lock_(sim, name + "->spinlock"),
      waitq_(sim, name + "->waitq") {
  std::string why;
  if (validate(p, v, &why) != 0) throw std::invalid_argument("ringbuf_map_alloc: " + why);
  work_ = sim.add_irq_work("bpf_ringbuf_notify/" + name, [this] { notify(); });
  note_aa_ = sim.note_id("rqspinlock: AA deadlock detected, reserve fails");
  note_nmi_ = sim.note_id("in_nmi: trylock of the ring's lock failed, reserve fails");
  note_pgoff_ = sim.note_id("bpf_ringbuf_restore_from_rec: pg_off does not lead back to the ring");
  // Header words decoded in traces: BUSY|DISCARD|len=24 at the header's data offset.
  data_.set_describe([this](const sim::TraceEvent& e) -> std::string {
    auto mo = [&] { return e.mo == Mo::Acquire ? " (acquire)" : e.mo == Mo::Release ? " (release)" : e.mo == Mo::SeqCst ? " (full)" : ""; };
    switch (e.op) {
      case sim::Op::Load: return "load hdr->len at " + (name_ + "->data") + "+" + std::to_string(e.extra) + " -> " + decode_hdr_len(static_cast<U32>(e.value)) + mo();
      case sim::Op::Store: return "store hdr->len at " + (name_ + "->data") + "+" + std::to_string(e.extra) + " = " + decode_hdr_len(static_cast<U32>(e.value)) + mo();
      case sim::Op::Xchg: return "xchg hdr->len = " + decode_hdr_len(static_cast<U32>(e.value)) + ", was " + decode_hdr_len(static_cast<U32>(e.extra)) + mo();
      default: return {};
    }
  });
}

std::string decode_hdr_len(U32 len) {
  std::string s;
  if (len & kBusyBit) s += "BUSY|";
  if (len & kDiscardBit) s += "DISCARD|";
  return s + "len=" + std::to_string(len & ~(kBusyBit | kDiscardBit));
}

// ---- header words inside the data bytes ----

U32 Ring::peek_u32(U64 off) const {
  U32 v = 0;
  for (U64 i = 0; i < 4; ++i) v |= U32{data_.bytes()[(off + i) & mask_]} << (8 * i);
  return v;
}

void Ring::poke_u32(U64 off, U32 v) {
  for (U64 i = 0; i < 4; ++i) {
    data_.mutable_bytes()[(off + i) & mask_] = static_cast<std::uint8_t>(v >> (8 * i));
    data_.mutable_tags()[(off + i) & mask_] = 0;
  }
}

U32 Ring::load_hdr_len(U64 pos, Mo mo) {
  if (sim::Memory* m = sim_.memory()) [[unlikely]]
    m->before_load(mo);  // tso/lkmm: the header words stay sc, but the acquire orders (sim/memory.h)
  sim_.yield_point();
  U32 v = peek_u32(pos & mask_);
  sim_.record(sim::Op::Load, data_.id(), v, pos & mask_, mo);
  return v;
}

Ring::Header Ring::header_at(U64 pos) const {
  return Header{pos, peek_u32(pos & mask_), peek_u32((pos & mask_) + 4)};
}

// ---- the double mapping ----

bool Ring::read_mapped(U64 off, U64 len, std::uint8_t* out, U64* tags) {
  const U64 size = mask_ + 1;
  if (off > 2 * size || len > 2 * size - off) {
    sim_.report(sim::Property::MemorySafety, "read of " + std::to_string(len) + " bytes at offset " + std::to_string(off) +
                                                 " of the double-mapped data area of '" + name_ + "' (2 x " +
                                                 std::to_string(size) + " bytes) runs past its end");
    return false;
  }
  U64 first = off % size, n1 = std::min(len, size - first);
  if (!data_.read(first, out, n1, tags)) return false;
  for (U64 done = n1; done < len;) {  // a length <= 2 * size wraps at most twice
    U64 n = std::min(len - done, size);
    if (!data_.read(0, out + done, n, tags ? tags + done : nullptr)) return false;
    done += n;
  }
  return true;
}

bool Ring::write_sample(const Record& r, U64 at, const std::uint8_t* src, U64 len, U64 tag) {
  const U64 size = mask_ + 1;
  const U64 off = r.sample_off() + at;
  if (off > 2 * size || len > 2 * size - off) {
    sim_.report(sim::Property::MemorySafety,
                "the program writes bytes [" + std::to_string(off) + ", " + std::to_string(off + len) +
                    ") of the double-mapped data area of '" + name_ + "' (2 x " + std::to_string(size) +
                    " bytes): vmalloc-out-of-bounds past the second mapping (record at position " + std::to_string(r.pos) +
                    ", footprint " + std::to_string(r.len) + ")",
                {tag});
    return false;
  }
  U64 first = off % size, n1 = std::min(len, size - first);
  if (!data_.write(first, src, n1, tag, at)) return false;
  for (U64 done = n1; done < len;) {
    U64 n = std::min(len - done, size);
    if (!data_.write(0, src + done, n, tag, at + done)) return false;
    done += n;
  }
  return true;
}

// ---- the lock ----

bool Ring::lock_irqsave(unsigned long& flags) {
  if (!v_.rqspinlock) {
    // Spinlock era: NMI may not spin (trylock, failure = NULL); anyone else spins, and a
    // same-CPU re-entry is reported by sim::SpinLock as the hang it is.
    if (sim_.in_nmi()) {
      if (lock_.trylock_irqsave(flags)) return true;
      sim_.note(note_nmi_);
      return false;
    }
    flags = lock_.lock_irqsave();
    return true;
  }
  // rqspinlock: the fast path, then AA detection (the holder is this context or one it
  // interrupted on this CPU) → -EDEADLK; NMI waiters try once (0d80e7f951be); else queue and spin.
  if (lock_.trylock_irqsave(flags)) return true;
  const int holder = lock_.holder();
  if (holder >= 0 && sim_.is_below_on_same_cpu(holder)) {
    sim_.note(note_aa_);
    return false;
  }
  if (sim_.in_nmi() && v_.rq_nmi_trylock) {
    sim_.note(note_nmi_);
    return false;
  }
  flags = lock_.lock_irqsave();
  return true;
}

void Ring::unlock_irqrestore(unsigned long flags) { lock_.unlock_irqrestore(flags); }

// ---- reserve ----

bool Ring::has_space(U64 new_prod, U64 cons, U64 pend) const {
  if (v_.pending_pos && new_prod - pend > mask_) return false;  // busy span would exceed the ring
  if (overwrite_) return true;
  return new_prod - cons <= mask_;
}

Record Ring::reserve(U64 size, U64 flags) {
  if (flags) {
    Record r;
    r.fail = Record::Fail::Flags;
    return r;
  }
  return __bpf_ringbuf_reserve(size);
}

Record Ring::__bpf_ringbuf_reserve(U64 size) {
  Record r;
  r.size = static_cast<U32>(size);
  if (size > kMaxRecordSz) {
    r.fail = Record::Fail::TooBig;
    return r;
  }
  const U32 len = static_cast<U32>((size + kHdrSz + 7) / 8 * 8);
  r.len = len;
  if (v_.size_check && len > mask_ + 1) {
    r.fail = Record::Fail::TooBig;
    return r;
  }
  const U64 cons = consumer_pos_.load(Mo::Acquire);
  unsigned long flags = 0;
  if (!lock_irqsave(flags)) {
    r.fail = Record::Fail::Lock;
    return r;
  }
  if (in_lock_hook) in_lock_hook();
  U64 pend = v_.pending_pos ? pending_pos_.load() : 0;
  const U64 prod = producer_pos_.load();
  const U64 new_prod = prod + len;
  if (v_.pending_pos) {
    while (pend < prod) {  // READ_ONCE of each header; stops at the oldest busy record
      const U32 hdr_len = load_hdr_len(pend, Mo::Relaxed);
      if (hdr_len & kBusyBit) break;
      pend += footprint(hdr_len);
    }
    pending_pos_.store(pend);
  }
  if (!has_space(new_prod, cons, pend)) {
    unlock_irqrestore(flags);
    r.fail = Record::Fail::NoSpace;
    return r;
  }
  if (overwrite_) {
    // Advance overwrite_pos on record boundaries until the new record fits; has_space made sure
    // this never steps over a busy record.
    U64 over = overwrite_pos_.load();
    while (new_prod - over > mask_) over += footprint(load_hdr_len(over, Mo::Relaxed));
    overwrite_pos_.store(over);  // WRITE_ONCE, ordered by the release of producer_pos below
  }
  r.pos = prod;
  r.hdr_off = prod & mask_;
  sim_.yield_point();  // hdr->len = size | BUSY; hdr->pg_off = pg_off (plain stores)
  poke_u32(r.hdr_off, static_cast<U32>(size) | kBusyBit);
  poke_u32(r.hdr_off + 4, pg_off_of(r.hdr_off));
  sim_.record(sim::Op::Store, data_.id(), static_cast<U32>(size) | kBusyBit, r.hdr_off, Mo::Relaxed);
  producer_pos_.store(new_prod, Mo::Release);
  r.ok = true;
  if (on_reserved) on_reserved(r);
  unlock_irqrestore(flags);
  return r;
}

// ---- commit ----

void Ring::commit(const Record& r, U64 flags, bool discard) {
  sim_.yield_point();  // hdr->len and hdr->pg_off, plain loads
  const U32 len = peek_u32(r.hdr_off);
  const U32 pg_off = peek_u32(r.hdr_off + 4);
  sim_.record(sim::Op::Load, data_.id(), len, r.hdr_off, Mo::Relaxed);
  if (pg_off != pg_off_of(r.hdr_off)) {
    sim_.note(note_pgoff_, pg_off);
    sim_.report(sim::Property::MemorySafety,
                "bpf_ringbuf_commit of the record at position " + std::to_string(r.pos) + ": its header's pg_off is " +
                    std::to_string(pg_off) + " instead of " + std::to_string(pg_off_of(r.hdr_off)) +
                    ", so bpf_ringbuf_restore_from_rec computes a wild struct bpf_ringbuf pointer");
    return;
  }
  U32 new_len = len ^ kBusyBit;
  if (discard) new_len |= kDiscardBit;
  sim_.yield_point();  // xchg(&hdr->len, new_len): a full barrier
  if (sim::Memory* m = sim_.memory()) [[unlikely]]
    m->fence(sim::Fence::Mb);
  poke_u32(r.hdr_off, new_len);
  sim_.record(sim::Op::Xchg, data_.id(), new_len, len, Mo::SeqCst);
  if (on_committed) on_committed(r, discard);
  const U64 rec_pos = r.hdr_off;
  const U64 cons = consumer_pos_.load(Mo::Acquire) & mask_;
  bool wake = false;
  if (flags & kForceWakeup) wake = true;
  else if (cons == rec_pos && !(flags & kNoWakeup)) wake = true;
  if (wake && sim_.irq_work_queue(work_)) ++work_queued_;
}

void Ring::notify() {
  waitq_.wake_up();
  for (auto& w : watchers_) w();
  ++work_done_;
}

// ---- other helpers ----

int Ring::output(const std::uint8_t* data, U64 size, U64 flags, U64 tag, Record* out) {
  if (flags & ~(kNoWakeup | kForceWakeup)) return -kEINVAL;
  Record r = __bpf_ringbuf_reserve(size);
  if (out) *out = r;
  if (!r.ok) return -kEAGAIN;
  if (!write_sample(r, 0, data, size, tag)) return 0;
  submit(r, flags);
  return 0;
}

U64 Ring::query(U64 flag) {
  switch (flag) {
    case kAvailData: {
      const U64 cons = consumer_pos_.load(Mo::Acquire), prod = producer_pos_.load(Mo::Acquire);
      if (!overwrite_) return prod - cons;
      const U64 over = overwrite_pos_.load(Mo::Acquire);
      const U64 avail = prod - std::max(cons, over);
      return std::min(avail, mask_ + 1);
    }
    case kRingSize: return mask_ + 1;
    case kConsPos: return consumer_pos_.load(Mo::Acquire);
    case kProdPos: return producer_pos_.load(Mo::Acquire);
    case kOverwritePos: return v_.overwrite_supported ? overwrite_pos_.load(Mo::Acquire) : 0;
    default: return 0;
  }
}

int Ring::reserve_dynptr(U64 size, U64 flags, Record* out) {
  *out = Record{};
  if (flags) {
    out->fail = Record::Fail::Flags;
    return -kEINVAL;
  }
  if (size > kDynptrMaxSize) {
    out->fail = Record::Fail::TooBig;
    return -kE2BIG;
  }
  Record r = __bpf_ringbuf_reserve(size);
  if (!r.ok) {
    out->fail = r.fail;
    return -kEINVAL;
  }
  *out = r;
  return 0;
}

void Ring::submit_dynptr(Record& d, U64 flags) {
  if (!d.ok) return;
  commit(d, flags, false);
  d.ok = false;
}

void Ring::discard_dynptr(Record& d, U64 flags) {
  if (!d.ok) return;
  commit(d, flags, true);
  d.ok = false;
}

int Ring::map_poll() {
  const U64 cons = consumer_pos_.load(Mo::Acquire), prod = producer_pos_.load(Mo::Acquire);
  return prod - cons ? 0x41 : 0;  // EPOLLIN | EPOLLRDNORM
}

// ringbuf_map_poll_user: avail_data < ringbuf_total_data_sz -> EPOLLOUT | EPOLLWRNORM.
int Ring::map_poll_user() {
  const U64 cons = consumer_pos_.load(Mo::Acquire), prod = producer_pos_.load(Mo::Acquire);
  return prod - cons < mask_ + 1 ? 0x104 : 0;
}

// ringbuf_map_mmap_kern (kernel/bpf/ringbuf.c:263-277): a writable mapping only of the consumer
// page alone (-EPERM); then remap_vmalloc_range from RINGBUF_PGOFF + pgoff: a non-empty range
// inside the area's consumer page, producer page and twice the data pages (-EINVAL).
long Ring::map_mmap(U64 pgoff, U64 pages, bool writable) {
  if (writable && (pgoff != 0 || pages != 1)) return -1;  // -EPERM
  const U64 area = 2 + 2 * ((mask_ + 1) / kPageSize);
  if (pages == 0 || pgoff > area || pages > area - pgoff) return -kEINVAL;
  return 0;
}

// ---- ghost state ----

Ring::State Ring::state() const {
  State s;
  s.consumer_pos = consumer_pos_.peek();
  s.producer_pos = producer_pos_.peek();
  s.pending_pos = pending_pos_.peek();
  s.overwrite_pos = overwrite_pos_.peek();
  if (!overwrite_) s.avail_data = s.producer_pos - s.consumer_pos;
  else s.avail_data = std::min(s.producer_pos - std::max(s.consumer_pos, s.overwrite_pos), mask_ + 1);
  return s;
}

std::vector<RingApi::Header> RingApi::chain(U64 from, bool* exact, std::size_t limit) const {
  std::vector<Header> out;
  const U64 prod = state().producer_pos;
  U64 p = from;
  while (p < prod && out.size() < limit) {
    Header h = header_at(p);
    out.push_back(h);
    p += footprint(h.len);
  }
  if (exact) *exact = p == prod;
  return out;
}

}  // namespace model::bpf_ringbuf
