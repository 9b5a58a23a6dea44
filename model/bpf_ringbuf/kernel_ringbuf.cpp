// model/bpf_ringbuf/kernel_ringbuf.cpp — see kernel_ringbuf.h.
#include "model/bpf_ringbuf/kernel_ringbuf.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernel/runtime.h"

namespace model::bpf_ringbuf {
namespace {

using U64 = std::uint64_t;
using U32 = std::uint32_t;
constexpr U64 kPage = 4096;
constexpr int kContextLevels = 4;  // task, softirq, hardirq, NMI
constexpr int kNesting = 2;        // a program, and a tracing program inside its locked section

// Mirrors struct rs_rb_view in kernel_client.c.
struct RsRbView {
  void *rb, *data, *waitq, *work, *lock;
  unsigned long *consumer_pos, *producer_pos, *pending_pos;
  unsigned long mask, meta_pages;
};

using SampleC = int (*)(void* ctx, void* data, std::size_t size);  // ring_buffer_sample_fn

struct Api {
  explicit Api(const kernel::Subject& s)
      : create(s.function<long (*)(U32, U32, U32, U32, void**)>("rs_rb_map_create")),
        mmap(s.function<long (*)(void*, unsigned long, unsigned long, int, void**)>("rs_rb_mmap")),
        reserve(s.function<void* (*)(void*, U64, U64)>("rs_rb_reserve")),
        commit(s.function<void (*)(void*, U64, int)>("rs_rb_commit")),
        output(s.function<long (*)(void*, const void*, U64, U64)>("rs_rb_output")),
        query(s.function<U64 (*)(void*, U64)>("rs_rb_query")),
        reserve_dynptr(s.function<long (*)(void*, U64, U64, void**)>("rs_rb_reserve_dynptr")),
        commit_dynptr(s.function<void (*)(void*, U32, U64, int)>("rs_rb_commit_dynptr")),
        prog_write(s.function<void (*)(void*, const void*, U64)>("rs_prog_write")),
        poll(s.function<unsigned (*)(void*)>("rs_rb_poll")),
        poll_user(s.function<unsigned (*)(void*)>("rs_rb_poll_user")),
        load_ulong(s.function<unsigned long (*)(const unsigned long*, int)>("rs_user_load_ulong")),
        store_ulong(s.function<void (*)(unsigned long*, unsigned long, int)>("rs_user_store_ulong")),
        load_u32(s.function<U32 (*)(const U32*, int)>("rs_user_load_u32")),
        view(s.function<void (*)(void*, RsRbView*)>("rs_rb_view")),
        map_info(s.function<long (*)(void*, void*, std::uint32_t)>("rs_rb_map_info")) {}
  // libbpf's API (tools/lib/bpf/ringbuf.c), looked up only when a consumer is asked for.
  struct Libbpf {
    explicit Libbpf(const kernel::Subject& s)
        : rb_new(s.function<void* (*)(int, SampleC, void*, const void*)>("ring_buffer__new")),
          rb_add(s.function<int (*)(void*, int, SampleC, void*)>("ring_buffer__add")),
          rb_poll(s.function<int (*)(void*, int)>("ring_buffer__poll")),
          rb_consume(s.function<int (*)(void*)>("ring_buffer__consume")),
          rb_consume_n(s.function<int (*)(void*, std::size_t)>("ring_buffer__consume_n")),
          rb_ring(s.function<void* (*)(void*, unsigned)>("ring_buffer__ring")),
          ring_consume_n(s.function<int (*)(void*, std::size_t)>("ring__consume_n")) {}
    void* (*rb_new)(int, SampleC, void*, const void*);
    int (*rb_add)(void*, int, SampleC, void*);
    int (*rb_poll)(void*, int);
    int (*rb_consume)(void*);
    int (*rb_consume_n)(void*, std::size_t);
    void* (*rb_ring)(void*, unsigned);
    int (*ring_consume_n)(void*, std::size_t);
  };
  long (*create)(U32, U32, U32, U32, void**);
  long (*mmap)(void*, unsigned long, unsigned long, int, void**);
  void* (*reserve)(void*, U64, U64);
  void (*commit)(void*, U64, int);
  long (*output)(void*, const void*, U64, U64);
  U64 (*query)(void*, U64);
  long (*reserve_dynptr)(void*, U64, U64, void**);
  void (*commit_dynptr)(void*, U32, U64, int);
  void (*prog_write)(void*, const void*, U64);
  unsigned (*poll)(void*);
  unsigned (*poll_user)(void*);
  unsigned long (*load_ulong)(const unsigned long*, int);
  void (*store_ulong)(unsigned long*, unsigned long, int);
  U32 (*load_u32)(const U32*, int);
  void (*view)(void*, RsRbView*);
  long (*map_info)(void*, void*, std::uint32_t);
};

class KernelRing;
class KernelConsumer;

struct __attribute__((packed)) EpollEvent {  // struct epoll_event in kernel/shim/rs_user.h
  std::uint32_t events;
  std::uint64_t data;
};

constexpr int kFirstMapFd = 100;  // map i is fd 100 + i
constexpr int kEpollFd = 99;

// One loaded subject: the runtime, the helpers, and the runtime's observers dispatched to rings;
// for libbpf, the fds and the epoll instance its system calls see.
struct Core {
  sim::Sim& sim;
  std::unique_ptr<kernel::Runtime> rt;
  std::unique_ptr<Api> api;
  std::vector<KernelRing*> rings;
  int cpus = 1;
  KernelConsumer* consumer = nullptr;
  bool epoll_created = false;
  std::vector<std::pair<int, std::uint64_t>> epoll_items;  // (map fd, epoll data), add order
  explicit Core(sim::Sim& s) : sim(s) {}
  ~Core();
  KernelRing* ring_of_lock(const void* lock) const;
  KernelRing* ring_of_waitq(const void* head) const;
  KernelRing* ring_of_fd(int fd) const {
    const int i = fd - kFirstMapFd;
    return i >= 0 && i < static_cast<int>(rings.size()) ? rings[static_cast<std::size_t>(i)] : nullptr;
  }
};

// The cores of this thread's simulations: libbpf's system calls find theirs by the current runtime.
thread_local std::vector<Core*> t_cores;
Core::~Core() { t_cores.erase(std::remove(t_cores.begin(), t_cores.end(), this), t_cores.end()); }

Core* current_core() {
  kernel::Runtime* rt = kernel::Runtime::current();
  for (Core* c : t_cores)
    if (c->rt.get() == rt) return c;
  throw std::logic_error("libbpf called the system with no BPF ring buffer subject current on this thread");
}

class KernelRing final : public RingApi {
 public:
  KernelRing(std::shared_ptr<Core> core, void* map, const Params& p, std::string name)
      : core_(std::move(core)), map_(map), p_(p), name_(std::move(name)), size_(p.max_entries), mask_(size_ - 1) {
    core_->api->view(map_, &v_);
    data_ = static_cast<std::uint8_t*>(v_.data);
  }

  // Setup: libbpf's mappings and the user buffers (kernel::Runtime::setup only).
  void map_user(int slots) {
    void* cons = nullptr;
    void* prod = nullptr;
    if (long e = core_->api->mmap(map_, 0, kPage, 1, &cons))
      throw std::logic_error("ringbuf_map_mmap_kern refused the consumer page: " + std::to_string(e));
    if (long e = core_->api->mmap(map_, 1, kPage + 2 * size_, 0, &prod))
      throw std::logic_error("ringbuf_map_mmap_kern refused the producer and data pages: " + std::to_string(e));
    user_cons_ = static_cast<unsigned long*>(cons);
    user_prod_ = static_cast<unsigned long*>(prod);
    user_data_ = static_cast<std::uint8_t*>(prod) + kPage;
    for (int i = 0; i < slots; ++i) scratch_.push_back(static_cast<std::uint8_t*>(core_->rt->alloc_user(size_)));
    read_buf_ = static_cast<std::uint8_t*>(core_->rt->alloc_user(2 * size_));
  }

  const RsRbView& view() const { return v_; }
  void* map() const { return map_; }
  const Params& params() const { return p_; }
  /// The data mapping a sample pointer of user space lies in: libbpf's own or the adapter's.
  const std::uint8_t* user_data_of(const void* p) const {
    const auto* b = static_cast<const std::uint8_t*>(p);
    return lib_data_ && b >= lib_data_ && b < lib_data_ + 2 * size_ ? lib_data_ : user_data_;
  }
  /// mmap(2) of the map for libbpf: 0 and the mapping, or a negative errno (map_mmap's).
  long mmap_for_user(unsigned long pgoff, unsigned long len, bool writable, void** view) {
    const long err = core_->api->mmap(map_, pgoff, len, writable ? 1 : 0, view);
    if (!err && pgoff == 1) lib_data_ = static_cast<std::uint8_t*>(*view) + kPage;
    return err;
  }

  // ---- observers (from the runtime, on the running context) ----
  void locked() {
    Actor& a = actor();
    a.lock_taken = true;
    if (in_lock_hook && a.depth < kNesting - 1) {
      ++a.depth;
      in_lock_hook();
      --actor().depth;
    }
  }
  void unlocking() {
    const U64 prod = *v_.producer_pos;
    if (prod == last_prod_) return;  // no reservation (no space): nothing handed out
    Record r;
    r.ok = true;
    r.pos = last_prod_;
    r.hdr_off = last_prod_ & mask_;
    r.len = static_cast<U32>(prod - last_prod_);
    r.size = hdr_u32(r.hdr_off) & ~(kBusyBit | kDiscardBit);
    last_prod_ = prod;
    actor().reserved = r;
    if (on_reserved) on_reserved(r);
  }
  void atomic(const void* addr, sim::Op op) {
    if (op != sim::Op::Xchg) return;
    Actor& a = actor();
    if (!a.committing) return;
    const Record& r = a.commit_from_reserve ? a.reserved : a.commit_rec;
    if (addr != data_ + r.hdr_off) return;
    a.committing = false;
    if (on_committed) on_committed(r, a.commit_discard);
  }
  void woken() {
    for (auto& w : watchers_) w();
  }

  // ---- BPF program side ----
  Record reserve(U64 size, U64 flags) override {
    Actor saved = begin_call();
    void* s = core_->api->reserve(map_, size, flags);
    Record r = end_reserve(s != nullptr, size, flags, saved);
    if (s && static_cast<std::uint8_t*>(s) != data_ + r.sample_off())
      throw std::logic_error("bpf_ringbuf_reserve returned a sample the adapter did not see reserved");
    return r;
  }

  bool write_sample(const Record& r, U64 at, const std::uint8_t* src, U64 len, U64 tag) override {
    const U64 off = r.sample_off() + at;
    if (off > 2 * size_ || len > 2 * size_ - off) {
      core_->sim.report(sim::Property::MemorySafety,
                        "the program writes bytes [" + std::to_string(off) + ", " + std::to_string(off + len) +
                            ") of the double-mapped data area of '" + name_ + "' (2 x " + std::to_string(size_) +
                            " bytes): vmalloc-out-of-bounds past the second mapping (record at position " +
                            std::to_string(r.pos) + ", footprint " + std::to_string(r.len) + ")",
                        {tag});
      return false;
    }
    if (len == 0) return true;
    std::uint8_t* s = payload(src, at, len, tag);
    core_->api->prog_write(data_ + off, s + at, len);
    return true;
  }

  void commit(const Record& r, U64 flags, bool discard) override {
    if (!header_leads_back(r)) return;
    Actor& a = actor();
    a.committing = true;
    a.commit_from_reserve = false;
    a.commit_rec = r;
    a.commit_discard = discard;
    core_->api->commit(data_ + r.sample_off(), flags, discard ? 1 : 0);
    actor().committing = false;
  }

  int output(const std::uint8_t* data, U64 size, U64 flags, U64 tag, Record* out) override {
    std::uint8_t* s = payload(data, 0, std::min<U64>(size, size_), tag);
    Actor saved = begin_call();
    Actor& a = actor();
    a.committing = true;
    a.commit_from_reserve = true;
    a.commit_discard = false;
    const long ret = core_->api->output(map_, s, size, flags);
    actor().committing = false;
    if (ret == -kEINVAL) {  // flags: the helper returns before reserving
      end_call(saved);
      return static_cast<int>(ret);
    }
    Record r = end_reserve(ret == 0, size, 0, saved);
    if (out) *out = r;
    return static_cast<int>(ret);
  }

  U64 query(U64 flag) override { return core_->api->query(map_, flag); }

  int reserve_dynptr(U64 size, U64 flags, Record* out) override {
    Actor saved = begin_call();
    void* data = nullptr;
    const long err = core_->api->reserve_dynptr(map_, size, flags, &data);
    Record r = end_reserve(err == 0, size, flags, saved);
    if (err == -kE2BIG) r.fail = Record::Fail::TooBig;  // bpf_dynptr_check_size
    *out = err == 0 ? r : Record{false, r.fail};
    return static_cast<int>(err);
  }
  void submit_dynptr(Record& d, U64 flags) override { commit_dynptr(d, flags, false); }
  void discard_dynptr(Record& d, U64 flags) override { commit_dynptr(d, flags, true); }

  // ---- user space, through libbpf's mappings ----
  U64 load_consumer_pos(sim::Mo mo) override { return core_->api->load_ulong(user_cons_, mo == sim::Mo::Relaxed ? 0 : 1); }
  U64 load_producer_pos(sim::Mo mo) override { return core_->api->load_ulong(user_prod_, mo == sim::Mo::Relaxed ? 0 : 1); }
  void store_consumer_pos(U64 v, sim::Mo mo) override {
    core_->api->store_ulong(user_cons_, static_cast<unsigned long>(v), mo == sim::Mo::Relaxed ? 0 : 1);
  }
  U32 load_hdr_len(U64 pos, sim::Mo mo) override {
    return core_->api->load_u32(reinterpret_cast<const U32*>(user_data_ + (pos & mask_)), mo == sim::Mo::Relaxed ? 0 : 1);
  }
  bool read_mapped(U64 off, U64 len, std::uint8_t* out, U64* tags) override {
    if (off > 2 * size_ || len > 2 * size_ - off) {
      core_->sim.report(sim::Property::MemorySafety, "read of " + std::to_string(len) + " bytes at offset " + std::to_string(off) +
                                                         " of the double-mapped data area of '" + name_ + "' (2 x " +
                                                         std::to_string(size_) + " bytes) runs past its end");
      return false;
    }
    if (len == 0) return true;
    core_->rt->copy(read_buf_, user_data_ + off, len, false, nullptr);  // the callback reads its sample
    if (out) std::memcpy(out, read_buf_, len);
    if (tags) core_->rt->get_tags(read_buf_, len, tags);
    return true;
  }
  int map_poll() override { return static_cast<int>(core_->api->poll(map_)); }
  int map_poll_user() override { return static_cast<int>(core_->api->poll_user(map_)); }
  long map_mmap(U64 pgoff, U64 pages, bool writable) override {
    void* view = nullptr;  // a new view of the pool pages; the exec mode does not read it
    return core_->api->mmap(map_, pgoff, pages * kPage, writable ? 1 : 0, &view);
  }

  // ---- wakeups ----
  void add_watcher(std::function<void()> wake) override { watchers_.push_back(std::move(wake)); }
  bool wakeup_pending() const override { return core_->rt->irq_work_pending(v_.work); }
  U64 wakeups_queued() const override { return core_->rt->irq_work_queued(v_.work); }

  // ---- ghost state ----
  State state() const override {
    State s;
    s.consumer_pos = *v_.consumer_pos;
    s.producer_pos = *v_.producer_pos;
    s.pending_pos = *v_.pending_pos;
    s.overwrite_pos = 0;  // 6.12 has no overwrite mode
    s.avail_data = s.producer_pos - s.consumer_pos;
    return s;
  }
  Header header_at(U64 pos) const override { return Header{pos, hdr_u32(pos & mask_), hdr_u32((pos & mask_) + 4)}; }
  U32 record_pg_off(const Record& r) const override { return hdr_u32(r.hdr_off + 4); }
  U64 size() const override { return size_; }
  U64 mask() const override { return mask_; }
  bool overwrite_mode() const override { return false; }
  const std::string& name() const override { return name_; }
  void reset_ghost() override {
    last_prod_ = 0;
    actors_.clear();
  }

 private:
  struct Actor {
    bool lock_taken = false;
    int depth = 0;
    Record reserved;
    bool committing = false, commit_from_reserve = false, commit_discard = false;
    Record commit_rec;
  };

  Actor& actor() {
    const int me = std::max(0, core_->sim.current_actor());
    if (static_cast<std::size_t>(me) >= actors_.size()) actors_.resize(static_cast<std::size_t>(me) + 1);
    return actors_[static_cast<std::size_t>(me)];
  }
  // A reserve-like call: its own lock flag and reservation, the caller's restored afterwards (a
  // tracing program inside the locked section runs on the same context).
  Actor begin_call() {
    Actor& a = actor();
    Actor saved = a;
    a.lock_taken = false;
    a.reserved = Record{};
    return saved;
  }
  void end_call(const Actor& saved) {
    Actor& a = actor();
    a.lock_taken = saved.lock_taken;
    a.reserved = saved.reserved;
  }
  Record end_reserve(bool ok, U64 size, U64 flags, const Actor& saved) {
    Actor& a = actor();
    Record r;
    if (ok) {
      r = a.reserved;
    } else {
      r.size = static_cast<U32>(size);
      if (flags) r.fail = Record::Fail::Flags;
      else if (size > kMaxRecordSz || (size + kHdrSz + 7) / 8 * 8 > size_) r.fail = Record::Fail::TooBig;
      else r.fail = a.lock_taken ? Record::Fail::NoSpace : Record::Fail::Lock;
      if (!flags && size <= kMaxRecordSz) r.len = static_cast<U32>((size + kHdrSz + 7) / 8 * 8);
    }
    end_call(saved);
    return r;
  }

  void commit_dynptr(Record& d, U64 flags, bool discard) {
    if (!d.ok) {  // a null dynptr: the helper returns at once
      core_->api->commit_dynptr(nullptr, 0, flags, discard ? 1 : 0);
      return;
    }
    if (!header_leads_back(d)) return;
    Actor& a = actor();
    a.committing = true;
    a.commit_from_reserve = false;
    a.commit_rec = d;
    a.commit_discard = discard;
    core_->api->commit_dynptr(data_ + d.sample_off(), d.size, flags, discard ? 1 : 0);
    actor().committing = false;
    d.ok = false;
  }

  bool header_leads_back(const Record& r) {
    const U32 pg_off = hdr_u32(r.hdr_off + 4);
    const U32 want = static_cast<U32>(v_.meta_pages + (r.hdr_off >> 12));
    if (pg_off == want) return true;
    core_->sim.report(sim::Property::MemorySafety,
                      "bpf_ringbuf_commit of the record at position " + std::to_string(r.pos) + ": its header's pg_off is " +
                          std::to_string(pg_off) + " instead of " + std::to_string(want) +
                          ", so bpf_ringbuf_restore_from_rec computes a wild struct bpf_ringbuf pointer");
    return false;
  }

  // The program's source buffer: pool memory whose bytes carry the message's tag (index = offset).
  std::uint8_t* payload(const std::uint8_t* src, U64 at, U64 len, U64 tag) {
    const int cpu = core_->sim.current_actor() >= 0 ? core_->sim.smp_processor_id() : 0;
    const int level = core_->sim.current_actor() >= 0 ? static_cast<int>(core_->sim.current_ctx()) : 0;
    const std::size_t slot = static_cast<std::size_t>((cpu * kContextLevels + level) * kNesting + actor().depth);
    if (slot >= scratch_.size()) throw std::logic_error("bpf_ringbuf kernel adapter: no payload buffer for this context");
    std::uint8_t* s = scratch_[slot];
    const U64 n = std::min<U64>(at + len, size_);
    if (at < n) std::memcpy(s + at, src, n - at);
    core_->rt->set_tags(s, n, tag);
    return s;
  }

  U32 hdr_u32(U64 off) const {
    U32 v;
    std::memcpy(&v, data_ + off, 4);  // off < 2 * size: inside the double mapping
    return v;
  }

  std::shared_ptr<Core> core_;
  void* map_;
  Params p_;
  std::string name_;
  U64 size_, mask_;
  RsRbView v_{};
  std::uint8_t* data_ = nullptr;
  unsigned long* user_cons_ = nullptr;
  unsigned long* user_prod_ = nullptr;
  std::uint8_t* user_data_ = nullptr;
  std::uint8_t* lib_data_ = nullptr;  // libbpf's data mapping
  std::vector<std::uint8_t*> scratch_;
  std::uint8_t* read_buf_ = nullptr;
  std::vector<std::function<void()>> watchers_;
  // ghost, per execution
  U64 last_prod_ = 0;
  std::vector<Actor> actors_;
};

// libbpf's struct ring_buffer over every ring of a core (kernel_ringbuf.h).
class KernelConsumer final : public ConsumerApi {
 public:
  KernelConsumer(std::shared_ptr<Core> core, RingBuffer::SampleFn cb)
      : core_(std::move(core)), lib_(core_->rt->subject()), cb_(std::move(cb)),
        wq_(core_->sim, "ring_buffer.epoll"), interrupted_(core_->sim, "ring_buffer.signal", 0) {
    core_->consumer = this;
  }
  ~KernelConsumer() override {
    if (core_->consumer == this) core_->consumer = nullptr;
  }

  // Setup (inside Runtime::setup): ring_buffer__new on the first map, ring_buffer__add the others.
  void create() {
    ctx_.resize(core_->rings.size());
    for (std::size_t i = 0; i < core_->rings.size(); ++i) {
      ctx_[i] = Ctx{this, static_cast<int>(i)};
      const int fd = kFirstMapFd + static_cast<int>(i);
      if (i == 0) {
        rb_ = lib_.rb_new(fd, &sample, &ctx_[i], nullptr);
        if (!rb_) throw std::logic_error("libbpf's ring_buffer__new failed: errno " + std::to_string(errno));
      } else if (int err = lib_.rb_add(rb_, fd, &sample, &ctx_[i])) {
        throw std::logic_error("libbpf's ring_buffer__add failed: " + std::to_string(err));
      }
      core_->rings[i]->add_watcher([this] { wake(); });
    }
  }

  int consume() override { return lib_.rb_consume(rb_); }
  int consume_n(U64 n) override { return lib_.rb_consume_n(rb_, static_cast<std::size_t>(n)); }
  int ring_consume_n(int idx, U64 n) override {
    void* ring = lib_.rb_ring(rb_, static_cast<unsigned>(idx));
    if (!ring) return -34;  // -ERANGE: ring_buffer__ring set errno and returned NULL
    return lib_.ring_consume_n(ring, static_cast<std::size_t>(n));
  }
  int poll(int timeout_ms) override { return lib_.rb_poll(rb_, timeout_ms); }
  void interrupt() override {
    interrupted_.store(1, sim::Mo::Release);
    asleep_ = false;
    wq_.wake_up();
  }
  bool asleep() const override { return asleep_; }
  void reset_ghost() override { asleep_ = false; }
  std::int64_t int_max() const override { return 0x7fffffff; }

  // epoll_wait(2) on the instance: level-triggered readiness is each map's poll, re-evaluated on
  // every call; blocking waits sleep on the instance until a ring's wakeup or the harness's signal.
  int epoll_wait(EpollEvent* events, int maxevents, int timeout);

 private:
  struct Ctx {
    KernelConsumer* self;
    int ring;
  };
  static int sample(void* ctx, void* data, std::size_t size) {
    auto* c = static_cast<Ctx*>(ctx);
    KernelRing& r = *c->self->core_->rings[static_cast<std::size_t>(c->ring)];
    // The record's position: consumer_pos, which libbpf stores only after the callback (ghost).
    const U64 pos = *r.view().consumer_pos;
    const U64 off = static_cast<U64>(static_cast<const std::uint8_t*>(data) - r.user_data_of(data));
    return c->self->cb_(c->ring, r, pos, off, static_cast<U32>(size));
  }
  void wake() {
    // The ghost flag is cleared after the wake-up, not before (as RingBuffer::wake): wake_up() is a
    // step, and a consumer that decides to sleep in between is still woken by it (under lkmm).
    wq_.wake_up();
    asleep_ = false;
  }

  std::shared_ptr<Core> core_;
  Api::Libbpf lib_;
  RingBuffer::SampleFn cb_;
  sim::WaitQueue wq_;
  sim::Shared<int> interrupted_;
  std::vector<Ctx> ctx_;
  void* rb_ = nullptr;
  bool asleep_ = false;
};

int KernelConsumer::epoll_wait(EpollEvent* events, int maxevents, int timeout) {
  auto ready = [&] {
    int n = 0;
    for (const auto& [fd, data] : core_->epoll_items) {
      if (n >= maxevents) break;
      KernelRing* r = core_->ring_of_fd(fd);
      if (r && (r->map_poll() & 0x1)) events[n++] = EpollEvent{0x1, data};  // EPOLLIN
    }
    return n;
  };
  if (timeout == 0) return ready();
  int n = 0;
  for (;;) {
    core_->sim.prepare_wait(wq_.id());
    if (interrupted_.load(sim::Mo::Acquire)) {
      core_->sim.finish_wait();
      errno = EINTR;
      return -1;
    }
    n = ready();
    if (n) break;
    asleep_ = true;
    core_->sim.sleep_running(wq_.id());
    asleep_ = false;
  }
  core_->sim.finish_wait();
  return n;
}

KernelRing* Core::ring_of_lock(const void* lock) const {
  for (KernelRing* r : rings)
    if (r->view().lock == lock) return r;
  return nullptr;
}
KernelRing* Core::ring_of_waitq(const void* head) const {
  for (KernelRing* r : rings)
    if (r->view().waitq == head) return r;
  return nullptr;
}

}  // namespace

kernel::SubjectSpec ringbuf_subject() {
  kernel::SubjectSpec s;
  s.name = "bpf_ringbuf";
  // kernel/bpf/ringbuf.c and libbpf's tools/lib/bpf/ringbuf.c are compiled inside the client
  // files that include them (kernel_client.c, kernel_libbpf.c), so they are listed among the real
  // headers, at paths whose trace names are their tree paths; libbpf's API headers sit beside its
  // ringbuf.c, as in the tree.
  s.real_headers = {{"include/uapi/linux/bpf.h", "uapi/linux/bpf.h"},
                    {"include/uapi/linux/bpf_common.h", "linux/bpf_common.h"},
                    {"kernel/bpf/ringbuf.c", "rs/src/kernel/bpf/ringbuf.c"},
                    {"tools/lib/bpf/ringbuf.c", "rs/src/tools/lib/bpf/ringbuf.c"},
                    {"tools/lib/bpf/libbpf.h", "rs/src/tools/lib/bpf/libbpf.h"},
                    {"tools/lib/bpf/libbpf_common.h", "rs/src/tools/lib/bpf/libbpf_common.h"},
                    {"tools/lib/bpf/libbpf_legacy.h", "rs/src/tools/lib/bpf/libbpf_legacy.h"},
                    {"tools/lib/bpf/libbpf_version.h", "rs/src/tools/lib/bpf/libbpf_version.h"},
                    {"tools/lib/bpf/bpf.h", "rs/src/tools/lib/bpf/bpf.h"}};
  s.client_files = {"model/bpf_ringbuf/kernel_client.c", "model/bpf_ringbuf/kernel_libbpf.c"};
  return s;
}

KernelMaps make_kernel_rings(sim::Sim& sim, const Params& p, int n, const KernelSource& source, RingBuffer::SampleFn sample_cb) {
  const std::string so = kernel::build_subject(ringbuf_subject(), source.tree);
  auto core = std::make_shared<Core>(sim);
  core->cpus = std::max(1, sim.cpus());
  kernel::RuntimeOptions ro;
  ro.marked_only = source.marked_only;
  ro.irq_work_slots = n;
  ro.wait_queues = n;
  const int slots = core->cpus * kContextLevels * kNesting;
  // Per map: its pages, the payload buffers and the read buffer; a ring beyond 16 MiB (the
  // model's limit) gets no room, so its allocation fails with -ENOMEM as the model's does.
  const U64 entries = p.max_entries <= kModelMaxEntries ? p.max_entries : 0;
  ro.pool_bytes = static_cast<std::size_t>(8u << 20) + static_cast<std::size_t>(n) * static_cast<std::size_t>(entries) * (4 + slots);
  core->rt = std::make_unique<kernel::Runtime>(sim, kernel::Subject::acquire(so), ro);
  core->api = std::make_unique<Api>(core->rt->subject());
  KernelMaps out;
  std::vector<std::unique_ptr<KernelRing>> rings;
  std::unique_ptr<KernelConsumer> consumer;
  if (sample_cb) consumer = std::make_unique<KernelConsumer>(core, std::move(sample_cb));
  t_cores.push_back(core.get());
  core->rt->setup([&] {
    for (int i = 0; i < n; ++i) {
      void* map = nullptr;
      const long err = core->api->create(p.max_entries, p.key_size, p.value_size, static_cast<U32>(p.map_flags), &map);
      if (err) {
        out.error = err;
        return;
      }
      rings.push_back(std::make_unique<KernelRing>(core, map, p, "rb" + std::to_string(i)));
      rings.back()->map_user(slots);
      core->rings.push_back(rings.back().get());
    }
    if (consumer) consumer->create();
  });
  if (out.error) return out;
  Core* c = core.get();
  kernel::Runtime& rt = *core->rt;
  rt.on_lock_acquired = [c](void* lock) {
    if (KernelRing* r = c->ring_of_lock(lock)) r->locked();
  };
  rt.on_unlock = [c](void* lock) {
    if (KernelRing* r = c->ring_of_lock(lock)) r->unlocking();
  };
  rt.on_atomic = [c](const void* addr, sim::Op op) {
    for (KernelRing* r : c->rings) r->atomic(addr, op);
  };
  rt.on_wake_up = [c](void* head) {
    if (KernelRing* r = c->ring_of_waitq(head)) r->woken();
  };
  for (auto& r : rings) out.rings.push_back(std::move(r));
  out.consumer = std::move(consumer);
  return out;
}

long kernel_map_create(const Params& p, const KernelSource& source) {
  sim::Sim s(sim::Sim::Config{});
  return make_kernel_rings(s, p, 1, source).error;
}

}  // namespace model::bpf_ringbuf

// ---- libbpf's system calls (kernel/shim/rs_user.h), for the current subject ----
using model::bpf_ringbuf::Core;
using model::bpf_ringbuf::KernelRing;

extern "C" {

void* rs_user_mmap(void*, std::size_t len, int prot, int, int fd, long off) {
  KernelRing* r = model::bpf_ringbuf::current_core()->ring_of_fd(fd);
  if (!r) {
    errno = EBADF;
    return reinterpret_cast<void*>(-1);
  }
  if (off < 0 || off % 4096) {
    errno = EINVAL;
    return reinterpret_cast<void*>(-1);
  }
  void* view = nullptr;
  const long err = r->mmap_for_user(static_cast<unsigned long>(off) / 4096, len, (prot & 0x2) != 0, &view);
  if (err) {
    errno = static_cast<int>(-err);
    return reinterpret_cast<void*>(-1);
  }
  return view;
}
int rs_user_munmap(void*, std::size_t) { return 0; }  // views live as long as the subject's pool

int rs_user_epoll_create1(int) {
  Core* c = model::bpf_ringbuf::current_core();
  if (c->epoll_created || !c->consumer) {
    errno = EMFILE;
    return -1;
  }
  c->epoll_created = true;
  return model::bpf_ringbuf::kEpollFd;
}
int rs_user_epoll_ctl(int epfd, int op, int fd, model::bpf_ringbuf::EpollEvent* ev) {
  Core* c = model::bpf_ringbuf::current_core();
  if (epfd != model::bpf_ringbuf::kEpollFd || !c->ring_of_fd(fd)) {
    errno = EBADF;
    return -1;
  }
  if (op != 1) {  // EPOLL_CTL_ADD only: libbpf's ringbuf.c never modifies or deletes
    errno = EINVAL;
    return -1;
  }
  for (const auto& item : c->epoll_items)
    if (item.first == fd) {
      errno = EEXIST;
      return -1;
    }
  const std::uint64_t data = ev->data;
  c->epoll_items.emplace_back(fd, data);
  return 0;
}
int rs_user_epoll_wait(int epfd, model::bpf_ringbuf::EpollEvent* events, int maxevents, int timeout) {
  Core* c = model::bpf_ringbuf::current_core();
  if (epfd != model::bpf_ringbuf::kEpollFd || !c->consumer) {
    errno = EBADF;
    return -1;
  }
  if (maxevents <= 0) {
    errno = EINVAL;
    return -1;
  }
  return c->consumer->epoll_wait(events, maxevents, timeout);
}
int rs_user_close(int) { return 0; }
int rs_user_getpagesize() { return 4096; }
int rs_user_clock_gettime(int, void*) {
  errno = ENOSYS;
  return -1;
}

int rs_user_bpf_map_get_info_by_fd(int fd, void* info, std::uint32_t* len) {
  Core* c = model::bpf_ringbuf::current_core();
  KernelRing* r = c->ring_of_fd(fd);
  if (!r) {
    errno = EBADF;
    return -EBADF;
  }
  const long err = c->api->map_info(r->map(), info, *len);  // BPF_OBJ_GET_INFO_BY_FD
  if (err) errno = static_cast<int>(-err);
  return static_cast<int>(err);
}

}  // extern "C"
