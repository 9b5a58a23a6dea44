// model/perf_buf/kernel_perf.cpp — see kernel_perf.h.
#include "model/perf_buf/kernel_perf.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernel/runtime.h"

namespace model::perf_buf {
namespace {

using U64 = std::uint64_t;
using U32 = std::uint32_t;
constexpr int kContextLevels = 4;          // task, softirq, hardirq, NMI: one payload slot each
constexpr std::size_t kMaxPayload = 65536;  // parse.cpp caps a message at 60000 bytes

// Mirrors struct rs_perf_view in kernel_client.c.
struct RsPerfView {
  void *rb, *user_page, *waitq, *work;
  void** data_pages;
  long *head, *wakeup, *lost, *events;
  unsigned* nest;
  int *paused, *poll;
  U64 *data_head, *data_tail, *data_offset, *data_size;
  long long* lost_samples;
  long watermark;
  int overwrite, nr_pages;
};

using ReservedFn = void (*)(void* ctx, unsigned long page, unsigned long offset);

struct Api {
  explicit Api(const kernel::Subject& s)
      : open(s.function<long (*)(int, unsigned, unsigned, unsigned, int, int, unsigned long long, void**)>("rs_perf_open")),
        output(s.function<long (*)(void*, const void*, U32, ReservedFn, void*)>("rs_perf_event_output")),
        poll(s.function<unsigned (*)(void*)>("rs_perf_poll")),
        pause(s.function<void (*)(void*, int)>("rs_perf_pause")),
        load(s.function<U64 (*)(const U64*, int)>("rs_user_load_u64")),
        store(s.function<void (*)(U64*, U64, int)>("rs_user_store_u64")),
        copy(s.function<void (*)(void*, const void*, unsigned long)>("rs_user_copy")),
        view(s.function<void (*)(void*, RsPerfView*)>("rs_perf_view")) {}
  long (*open)(int, unsigned, unsigned, unsigned, int, int, unsigned long long, void**);
  long (*output)(void*, const void*, U32, ReservedFn, void*);
  unsigned (*poll)(void*);
  void (*pause)(void*, int);
  U64 (*load)(const U64*, int);
  void (*store)(U64*, U64, int);
  void (*copy)(void*, const void*, unsigned long);
  void (*view)(void*, RsPerfView*);
};

struct Core {
  sim::Sim& sim;
  std::unique_ptr<kernel::Runtime> rt;
  std::unique_ptr<Api> api;
  explicit Core(sim::Sim& s) : sim(s) {}
};

class KernelPerfBuffer final : public BufferApi {
 public:
  KernelPerfBuffer(std::shared_ptr<Core> core, void* event, const Params& p, std::string name)
      : core_(std::move(core)), event_(event), p_(p), name_(std::move(name)) {
    core_->api->view(event_, &v_);
    size_ = U64{static_cast<unsigned>(v_.nr_pages)} * kPageSize;
    ubuf_ = static_cast<std::uint8_t*>(core_->rt->alloc_user(std::max<U64>(size_, 64)));
    for (int i = 0; i < kContextLevels; ++i) scratch_[i] = static_cast<std::uint8_t*>(core_->rt->alloc_user(kMaxPayload));
  }
  void watch() {
    core_->rt->watch(v_.data_head, [this](U64 old_head, U64 new_head, const std::string&) {
      if (on_publish) on_publish(old_head, new_head);
    });
  }
  void atomic(const void* addr, sim::Op op) {
    if (addr != v_.lost || op != sim::Op::Xchg) return;
    const std::size_t a = static_cast<std::size_t>(core_->sim.current_actor());
    if (lost_.size() <= a) lost_.resize(a + 1);
    lost_[a] = {true, static_cast<U64>(*v_.lost)};  // local_xchg(&rb->lost, 0) is about to take it
  }

  Output perf_event_output(const std::uint8_t* data, U32 len, U64 tag) override {
    std::uint8_t* buf = scratch_[static_cast<int>(core_->sim.current_ctx())];
    std::memcpy(buf, data, len);
    core_->rt->set_tags(buf, len, tag);
    Output o;
    o.size = sample_record_size(len);
    const std::size_t a = static_cast<std::size_t>(core_->sim.current_actor());
    if (lost_.size() <= a) lost_.resize(a + 1);
    lost_[a] = LostSeen{};
    Call call{this, &o};
    o.ret = static_cast<int>(core_->api->output(event_, buf, len, &KernelPerfBuffer::reserved_cb, &call));
    core_->rt->settle();
    return o;
  }
  struct Call {
    KernelPerfBuffer* self;
    Output* o;
  };
  /// Called by the client right after perf_output_begin succeeded (uninstrumented, no steps).
  static void reserved_cb(void* ctx, unsigned long page, unsigned long offset) {
    Call& c = *static_cast<Call*>(ctx);
    c.o->pos = page * kPageSize + offset;
    c.self->complete(*c.o);
  }

  U64 load_data_head(sim::Mo mo) override { return core_->api->load(v_.data_head, mo == sim::Mo::Acquire); }
  U64 load_data_tail(sim::Mo mo) override { return core_->api->load(v_.data_tail, mo == sim::Mo::Acquire); }
  void store_data_tail(U64 v, sim::Mo mo) override { core_->api->store(v_.data_tail, v, mo == sim::Mo::Release); }
  bool read_data(U64 pos, U64 len, std::uint8_t* out, U64* tags) override {
    if (len > size_) {
      core_->sim.report(sim::Property::MemorySafety, "read of " + std::to_string(len) + " bytes from the " +
                                                         std::to_string(size_) + "-byte data area of '" + name_ + "'");
      return false;
    }
    U64 done = 0, at = size_ ? pos % size_ : 0;
    while (done < len) {  // page by page: the data pages are separate pages (no vmalloc variant)
      const U64 page = at / kPageSize, off = at % kPageSize, n = std::min(len - done, kPageSize - off);
      core_->api->copy(ubuf_ + done, static_cast<std::uint8_t*>(v_.data_pages[page]) + off, n);
      done += n;
      at = (at + n) % size_;
    }
    std::memcpy(out, ubuf_, len);
    if (tags) core_->rt->get_tags(ubuf_, len, tags);
    return true;
  }
  unsigned perf_poll() override { return core_->api->poll(event_); }
  void poll_wait(bool (*stop)(void*), void* ctx) override {
    const std::uint32_t q = core_->rt->wait_queue_id(v_.waitq);
    for (;;) {
      core_->sim.prepare_wait(q);
      if (perf_poll() != 0 || stop(ctx)) break;
      core_->sim.sleep_running(q);
    }
    core_->sim.finish_wait();
  }
  void signal_reader() override { core_->rt->wake_up(v_.waitq, nullptr); }
  void pause_output(bool pause) override { core_->api->pause(event_, pause ? 1 : 0); }

  State state() const override {
    State s;
    s.head = static_cast<U64>(*v_.head);
    s.wakeup = static_cast<U64>(*v_.wakeup);
    s.lost = static_cast<U64>(*v_.lost);
    s.events = static_cast<U64>(*v_.events);
    s.nest = *v_.nest;
    s.data_head = *v_.data_head;
    s.data_tail = *v_.data_tail;
    s.data_offset = *v_.data_offset;
    s.data_size = *v_.data_size;
    s.poll = static_cast<unsigned>(*v_.poll);
    s.paused = *v_.paused != 0;
    s.overwrite = v_.overwrite != 0;
    s.watermark = v_.watermark;
    s.lost_samples = static_cast<U64>(*v_.lost_samples);
    return s;
  }
  U64 data_size() const override { return size_; }
  void peek(U64 pos, U64 len, std::uint8_t* out) const override {
    for (U64 i = 0; i < len; ++i) {
      const U64 at = (pos + i) % size_;
      out[i] = static_cast<const std::uint8_t*>(v_.data_pages[at / kPageSize])[at % kPageSize];
    }
  }
  bool wakeup_pending() const override { return core_->rt->irq_work_pending(v_.work); }
  U64 wakeups_queued() const override { return core_->rt->irq_work_queued(v_.work); }
  const std::string& name() const override { return name_; }
  void reset_ghost() override { std::fill(lost_.begin(), lost_.end(), LostSeen{}); }

  /// The reservation seen by reserved_cb: its logical position from rb->head now, and the
  /// PERF_RECORD_LOST this actor's perf_output_begin wrote, if any.
  void complete(Output& o) {
    const U64 mod = o.pos, head = static_cast<U64>(*v_.head);
    // The record lies within data_size of rb->head: forward, it ends at or before head; backward,
    // it starts at or after head.
    o.pos = p_.write_backward ? head + ((mod - head) % size_) : head - (((head - mod - 1) % size_) + 1);
    const std::size_t a = static_cast<std::size_t>(core_->sim.current_actor());
    if (a < lost_.size() && lost_[a].seen) {
      o.lost_record = true;
      o.lost_count = lost_[a].count;
    }
    o.raw_pos = o.pos + kHeaderSize + 4;
    if (on_reserved) on_reserved(o);
  }

 private:
  struct LostSeen {
    bool seen = false;
    U64 count = 0;
  };
  std::shared_ptr<Core> core_;
  void* event_;
  Params p_;
  std::string name_;
  RsPerfView v_{};
  U64 size_ = 0;
  std::uint8_t* ubuf_ = nullptr;
  std::uint8_t* scratch_[kContextLevels] = {};
  std::vector<LostSeen> lost_;  // per actor
};

}  // namespace

kernel::SubjectSpec perf_subject() {
  kernel::SubjectSpec s;
  s.name = "perf_buf";
  // ring_buffer.c is compiled inside the client that includes it (kernel_client.c), beside its
  // internal.h; the uapi header is the real one (the user page, the record types, the attributes).
  s.real_headers = {{"include/uapi/linux/perf_event.h", "uapi/linux/perf_event.h"},
                    {"kernel/events/ring_buffer.c", "rs/src/kernel/events/ring_buffer.c"},
                    {"kernel/events/internal.h", "rs/src/kernel/events/internal.h"}};
  s.client_files = {"model/perf_buf/kernel_client.c"};
  return s;
}

std::vector<std::unique_ptr<BufferApi>> make_kernel_buffers(sim::Sim& sim, const Params& p, int cpus, const KernelSource& source,
                                                            long* error) {
  const std::string so = kernel::build_subject(perf_subject(), source.tree);
  auto core = std::make_shared<Core>(sim);
  kernel::RuntimeOptions ro;
  ro.marked_only = source.marked_only;
  ro.irq_work_slots = cpus;
  ro.wait_queues = cpus;
  ro.pool_bytes = (std::size_t{8} << 20) + static_cast<std::size_t>(cpus) *
                                             (2 * std::size_t{(p.nr_pages <= kModelMaxPages ? p.nr_pages : 0) + 1} * kPageSize + kContextLevels * kMaxPayload + 8 * kPageSize);
  core->rt = std::make_unique<kernel::Runtime>(sim, kernel::Subject::acquire(so), ro);
  core->api = std::make_unique<Api>(core->rt->subject());
  std::vector<std::unique_ptr<KernelPerfBuffer>> bufs;
  // The model's allocation limit (256 data pages) holds for both sources: the pool has no room
  // for more, so rb_alloc would fail as the model does (-ENOMEM).
  long failed = p.nr_pages > kModelMaxPages ? -kENOMEM : 0;
  core->rt->setup([&] {
    if (failed) return;
    for (int cpu = 0; cpu < cpus; ++cpu) {
      void* event = nullptr;
      core->rt->set_cpu_override(cpu);
      const long err = core->api->open(cpu, p.nr_pages, p.wakeup_events, p.wakeup_watermark, p.write_backward ? 1 : 0,
                                       p.overwrite ? 1 : 0, p.id, &event);
      if (err) {
        failed = err;
        break;
      }
      bufs.push_back(std::make_unique<KernelPerfBuffer>(core, event, p, "rb" + std::to_string(cpu)));
    }
    core->rt->set_cpu_override(-1);
  });
  if (failed) {
    if (!error) throw std::invalid_argument("perf_mmap failed in the kernel's rb_alloc: " + std::to_string(failed));
    *error = failed;
    return {};
  }
  std::vector<KernelPerfBuffer*> raw;
  for (auto& b : bufs) {
    b->watch();
    raw.push_back(b.get());
  }
  core->rt->on_atomic = [raw](const void* addr, sim::Op op) {
    for (KernelPerfBuffer* b : raw) b->atomic(addr, op);
  };
  std::vector<std::unique_ptr<BufferApi>> out;
  for (auto& b : bufs) out.push_back(std::move(b));
  return out;
}

}  // namespace model::perf_buf
