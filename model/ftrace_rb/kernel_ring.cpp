// model/ftrace_rb/kernel_ring.cpp — see kernel_ring.h.
#include "model/ftrace_rb/kernel_ring.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernel/runtime.h"
#include "kernel/shim_ftrace.h"
#include "sim/buffer.h"

namespace model::ftrace_rb {
namespace {

constexpr U64 kPoolPage = 4096;
constexpr U32 kPageHdr = 16;  // BUF_PAGE_HDR_SIZE: time_stamp + commit
constexpr U64 kRbPageUpdate = 2;
constexpr unsigned long kVmMayshare = 0x80, kVmShared = 0x8;
constexpr int kContexts = 4;

// Mirror struct rs_ft_state / rs_ft_page in kernel_client.c.
struct FtState {
  void *cpu_buffer, *head, *tail, *commit, *reader;
  unsigned long entries, overrun, commit_overrun, dropped_events, entries_bytes, read, read_bytes, pages_touched,
      pages_lost, pages_read, lost_events, last_overrun, committing, nr_pages, mapped, user_mapped;
  void *meta, *overrun_word, *waiters;
  unsigned long subbuf_size, max_data_size, subbuf_order, write_off;
};
struct FtPage {
  void *bpage, *data;
  unsigned long write, entries, commit, real_end, read, id, next_flag;
  void* next;
  unsigned long order;
};

struct Api {
  explicit Api(const kernel::Subject& s)
      : alloc(s.function<void* (*)(unsigned long, int)>("rs_ft_alloc")),
        reserve(s.function<void* (*)(void*, unsigned long)>("rs_ft_reserve")),
        fill(s.function<void (*)(void*, const void*, unsigned long)>("rs_ft_fill")),
        commit(s.function<int (*)(void*)>("rs_ft_commit")),
        consume(s.function<long (*)(void*, int, void*, unsigned long, unsigned long*)>("rs_ft_consume")),
        alloc_read_page(s.function<void* (*)(void*, int)>("rs_ft_alloc_read_page")),
        read_page(s.function<int (*)(void*, void*, int, int)>("rs_ft_read_page")),
        read_page_data(s.function<void* (*)(void*)>("rs_ft_read_page_data")),
        map(s.function<int (*)(void*, int, unsigned long, unsigned long, unsigned long, void**)>("rs_ft_map")),
        unmap(s.function<int (*)(void*, int)>("rs_ft_unmap")),
        get_reader(s.function<int (*)(void*, int)>("rs_ft_get_reader")),
        load64(s.function<U64 (*)(const U64*, int)>("rs_ft_user_load64")),
        load32(s.function<U32 (*)(const U32*, int)>("rs_ft_user_load32")),
        user_read(s.function<void (*)(void*, const void*, unsigned long)>("rs_ft_user_read")),
        resize(s.function<int (*)(void*, unsigned long, int)>("rs_ft_resize")),
        wait(s.function<int (*)(void*, int)>("rs_ft_wait")),
        wake(s.function<void (*)(void*, int)>("rs_ft_wake_waiters")),
        state(s.function<void (*)(void*, int, FtState*)>("rs_ft_state")),
        page(s.function<void (*)(void*, FtPage*)>("rs_ft_page")),
        prev(s.function<void* (*)(void*)>("rs_ft_prev")),
        reset_cpu(s.function<void (*)(void*, int)>("rs_ft_reset_cpu")),
        reset_all(s.function<void (*)(void*, int)>("rs_ft_reset_all")),
        order_set(s.function<int (*)(void*, int)>("rs_ft_order_set")),
        swap_cpu(s.function<int (*)(void*, void*, int)>("rs_ft_swap_cpu")) {}
  void* (*alloc)(unsigned long, int);
  void* (*reserve)(void*, unsigned long);
  void (*fill)(void*, const void*, unsigned long);
  int (*commit)(void*);
  long (*consume)(void*, int, void*, unsigned long, unsigned long*);
  void* (*alloc_read_page)(void*, int);
  int (*read_page)(void*, void*, int, int);
  void* (*read_page_data)(void*);
  int (*map)(void*, int, unsigned long, unsigned long, unsigned long, void**);
  int (*unmap)(void*, int);
  int (*get_reader)(void*, int);
  U64 (*load64)(const U64*, int);
  U32 (*load32)(const U32*, int);
  void (*user_read)(void*, const void*, unsigned long);
  int (*resize)(void*, unsigned long, int);
  int (*wait)(void*, int);
  void (*wake)(void*, int);
  void (*state)(void*, int, FtState*);
  void (*page)(void*, FtPage*);
  void* (*prev)(void*);
  void (*reset_cpu)(void*, int);
  void (*reset_all)(void*, int);
  int (*order_set)(void*, int);
  int (*swap_cpu)(void*, void*, int);
};

class KernelCpuBuffer;

struct Core {
  sim::Sim& sim;
  std::unique_ptr<kernel::Runtime> rt;
  std::unique_ptr<Api> api;
  void* buffer = nullptr;
  void* snapshot = nullptr;  // tr->max_buffer.buffer, when the exec asks for a snapshot buffer
  Params params;
  unsigned long page_size = 0;
  std::vector<KernelCpuBuffer*> cpus;
  explicit Core(sim::Sim& s) : sim(s) {}
};

U32 hdr_length(const std::uint8_t* e, U32* type, U32* body, U32* data_off) {
  U32 h;
  std::memcpy(&h, e, 4);
  const U32 type_len = h & 31;
  U32 a0;
  std::memcpy(&a0, e + 4, 4);
  *type = type_len;
  *data_off = 4;
  *body = 0;
  switch (type_len) {
    case 29: return (h >> 5) == 0 ? 0 : a0 + 4;  // padding (a null event ends the page)
    case 30:
    case 31: return 8;  // time extend / time stamp
    case 0:
      *data_off = 8;
      *body = a0 - 4;
      return a0 + 4;
    default: *body = type_len * 4; return type_len * 4 + 4;
  }
}

class KernelCpuBuffer final : public RingApi {
 public:
  KernelCpuBuffer(std::shared_ptr<Core> core, int cpu, bool snapshot)
      : core_(std::move(core)), cpu_(cpu), snapshot_(snapshot), params_(core_->params) {}

  // Setup (inside Runtime::setup): the user buffers and the first page numbering.
  void setup() {
    kernel::Runtime& rt = *core_->rt;
    buffer_ = snapshot_ ? core_->snapshot : core_->buffer;
    for (int i = 0; i < kContexts; ++i) scratch_[i] = static_cast<std::uint8_t*>(rt.alloc_user(core_->page_size));
    user_buf_ = static_cast<std::uint8_t*>(rt.alloc_user(2 * core_->page_size));
    rpage_ = core_->api->alloc_read_page(buffer_, cpu_);
    FtState s = state();
    void* p = s.head;
    do {
      pages_.push_back(p);
      p = page(p).next;
    } while (p != s.head && pages_.size() < 4096);
    pages_.push_back(s.reader);
    frozen_pages_ = pages_.size();
    ghost_.assign(pages_.size(), {});
    overrun_word_ = s.overrun_word;
    write_off_ = s.write_off;
  }

  const Params& params() const override { return params_; }
  void reset_ghost() override {
    kernel::set_ftrace_page_size(core_->page_size);
    kernel::ftrace_unreported_missed() = 0;
    pages_.resize(frozen_pages_);
    first_live_ = 0;
    ghost_.assign(pages_.size(), {});
    view_ = nullptr;
    stamp_ = 0;
    stamps_.clear();
  }

  // ---- writers ----
  Slot lock_reserve(U32 len, U64 id) override {
    const FtState before = state();
    void* e = core_->api->reserve(buffer_, len);
    Slot s;
    if (!e) {
      const FtState after = state();
      s.fail = len > before.max_data_size ? Slot::Fail::TooBig
               : after.dropped_events != before.dropped_events ? Slot::Fail::Dropped
               : after.commit_overrun != before.commit_overrun ? Slot::Fail::CommitOverrun
                                                                 : Slot::Fail::Warn;
      return s;
    }
    kernel::Runtime::Ghost g(*core_->rt);
    const auto a = reinterpret_cast<std::uintptr_t>(e);
    const int pg = page_of_data(reinterpret_cast<void*>(a & ~(kPoolPage - 1)));
    s.ok = true;
    s.page = pg;
    s.offset = static_cast<U32>((a & (kPoolPage - 1)) - kPageHdr);
    U32 type = 0, body = 0, off = 0;
    s.length = hdr_length(static_cast<const std::uint8_t*>(e), &type, &body, &off);
    s.handle = a;
    if (pg >= 0) ghost_[static_cast<std::size_t>(pg)].push_back(id);
    const int me = core_->sim.current_actor();
    const U64 stamp = me >= 0 && static_cast<std::size_t>(me) < stamps_.size() ? stamps_[static_cast<std::size_t>(me)] : ++stamp_;
    if (on_reserved) on_reserved(id, pg, s.offset, s.length, stamp);
    return s;
  }
  bool write_event(const Slot& s, const std::uint8_t* body, U32 len, U64 id) override {
    std::uint8_t* src = scratch_[ctx_index()];
    std::memcpy(src, body, len);
    core_->rt->set_tags(src, len, id);
    core_->api->fill(reinterpret_cast<void*>(s.handle), src, len);
    return true;
  }
  void unlock_commit() override { core_->api->commit(buffer_); }

  // ---- blocking readers ----
  void enable_wakeups() override {}  // rb_wakeups always runs in the kernel
  void wait(const std::function<bool()>& or_stop) override {
    kernel::set_ftrace_stop(or_stop);
    core_->api->wait(buffer_, cpu_);
    kernel::set_ftrace_stop({});
  }
  void wake_waiters() override { core_->api->wake(buffer_, cpu_); }
  U64 wakeups_queued() const override { return 0; }

  // ---- consuming readers ----
  bool consume(ReadEvent& ev) override {
    unsigned long lost = 0;
    const long n = core_->api->consume(buffer_, cpu_, user_buf_, 2 * core_->page_size, &lost);
    if (n < 0) return false;
    take(user_buf_, static_cast<U64>(n), ev);
    ev.lost = lost;
    return true;
  }
  PageRead read_page() override {
    PageRead out;
    const int ret = core_->api->read_page(buffer_, rpage_, cpu_, 0);
    if (ret < 0) return out;
    out.ret = ret;
    kernel::Runtime::Ghost g(*core_->rt);
    const auto* d = static_cast<const std::uint8_t*>(core_->api->read_page_data(rpage_));
    U64 commit;
    std::memcpy(&commit, d + 8, 8);
    const U64 size = commit & ~kMissedFlags & kWriteMask;
    for (U64 at = 0; at < size;) {
      U32 type = 0, body = 0, off = 0;
      const U32 l = hdr_length(d + kPageHdr + at, &type, &body, &off);
      if (l == 0) break;
      if (type <= 28) {
        ReadEvent ev;
        take(const_cast<std::uint8_t*>(d + kPageHdr + at + off), body, ev);
        out.events.push_back(std::move(ev));
      }
      at += l;
    }
    if (commit & kMissedEvents) {
      if (commit & kMissedStored) {
        U64 m;
        std::memcpy(&m, d + kPageHdr + size, 8);
        out.missed = static_cast<std::int64_t>(m);
      } else {
        out.missed = -1;
      }
    }
    return out;
  }

  // ---- the mapping ----
  int map() override {
    const FtState s = state();
    const unsigned long pages = (s.nr_pages + 2) << s.subbuf_order;
    void* view = nullptr;
    const int err = core_->api->map(buffer_, cpu_, 0, pages, kVmMayshare | kVmShared, &view);
    if (!err && !view_) view_ = static_cast<std::uint8_t*>(view);
    return err;
  }
  int map_range(U64 pgoff, U64 pages, bool writable) override {
    void* view = nullptr;
    const unsigned long flags = kVmMayshare | kVmShared | (writable ? 0x2UL : 0);  // VM_WRITE
    const int err = core_->api->map(buffer_, cpu_, pgoff, pages, flags, &view);
    if (!err && pgoff == 0 && !view_) view_ = static_cast<std::uint8_t*>(view);
    return err;
  }
  int unmap() override {
    const int err = core_->api->unmap(buffer_, cpu_);
    if (!err && state().user_mapped == 0) view_ = nullptr;
    return err;
  }
  int map_get_reader() override { return core_->api->get_reader(buffer_, cpu_); }
  int resize_check() override {
    const FtState s = state();
    // tracefs buffer_size_kb: ring_buffer_resize(RING_BUFFER_ALL_CPUS) with the current size: the
    // mapped check (resize_disabled) comes before the size comparison on that path.
    return core_->api->resize(buffer_, s.nr_pages * (core_->page_size - kPageHdr), -1);
  }
  int mapped() const override { return static_cast<int>(state().user_mapped); }

  // ---- tracefs's buffer operations ----
  void reset_cpu() override { core_->api->reset_cpu(buffer_, cpu_); }
  void reset_all_cpus(bool online, const std::vector<RingApi*>&) override { core_->api->reset_all(buffer_, online ? 1 : 0); }
  int subbuf_order_set(int order) override {
    const unsigned long before = state().subbuf_order;
    const int err = core_->api->order_set(buffer_, order);
    const FtState s = state();
    if (err || s.subbuf_order == before) return err;
    // The old pages are freed: number the new ones as the model does (the ring from the new head,
    // then the reader page) and take a spare page of the new order for ring_buffer_read_page, as
    // tracing_buffers_read does when the sub-buffer size changed.
    {
      kernel::Runtime::Ghost g(*core_->rt);
      first_live_ = pages_.size();
      void* p = s.head;
      for (unsigned long n = 0; n < s.nr_pages; ++n, p = page(p).next) pages_.push_back(p);
      pages_.push_back(s.reader);
      ghost_.resize(pages_.size());
      params_.subbuf_size = static_cast<U32>(s.subbuf_size - kPageHdr);
      params_.nr_pages = static_cast<U32>(s.nr_pages);
    }
    rpage_ = core_->api->alloc_read_page(buffer_, cpu_);  // the old spare is not freed (exec mode only)
    return err;
  }
  int subbuf_order() const override { return static_cast<int>(state().subbuf_order); }
  int swap_cpu(RingApi& max) override {
    auto* a = dynamic_cast<KernelCpuBuffer*>(&max);
    if (!a) throw std::logic_error("ftrace_rb: swap_cpu between sources");
    const int err = core_->api->swap_cpu(a->buffer_, buffer_, cpu_);
    if (!err) std::swap(buffer_, a->buffer_);  // each object follows its own per-CPU buffer
    return err;
  }
  int first_live_page() const override { return static_cast<int>(first_live_); }

  U64 meta_load(MetaField f, sim::Mo mo) override {
    if (!view_) return meta_peek(f);
    const int acq = mo == sim::Mo::Acquire ? 1 : 0;
    const std::size_t off = meta_offset(f);
    if (meta_is_u32(f)) return core_->api->load32(reinterpret_cast<const U32*>(view_ + off), acq);
    return core_->api->load64(reinterpret_cast<const U64*>(view_ + off), acq);
  }
  U64 meta_peek(MetaField f) const override {
    const FtState s = state();
    if (!s.meta) return 0;
    const auto* m = static_cast<const std::uint8_t*>(s.meta) + meta_offset(f);
    if (meta_is_u32(f)) {
      U32 v;
      std::memcpy(&v, m, 4);
      return v;
    }
    U64 v;
    std::memcpy(&v, m, 8);
    return v;
  }
  // The meta page region of the offset-0 view: one pool page per subject page (PAGE_SIZE bytes
  // used of each), the meta page first, then __rb_map_vma's ZERO_PAGEs.
  bool read_meta(U64 off, U64 n, std::uint8_t* out) override {
    const U64 size = meta_peek(MetaField::MetaPageSize);
    if (!view_ || !mapped() || off > size || n > size - off) return false;
    const U64 page = core_->page_size;
    for (U64 done = 0; done < n;) {
      const U64 at = off + done, in = at % page, chunk = std::min(n - done, page - in);
      core_->api->user_read(user_buf_, view_ + at / page * kPoolPage + in, chunk);
      std::memcpy(out + done, user_buf_, chunk);
      done += chunk;
    }
    return true;
  }
  int page_of_id(U64 id) const override {
    if (!mapped()) return -1;
    for (std::size_t i = first_live_; i < pages_.size(); ++i)
      if (page(pages_[i]).id == id && on_buffer(pages_[i])) return static_cast<int>(i);
    return -1;
  }
  int id_of_page(int pg) const override {
    if (!mapped() || pg < 0) return -1;
    return static_cast<int>(page(pages_[static_cast<std::size_t>(pg)]).id);
  }
  U64 load_commit(int pg, sim::Mo mo) override {
    const std::uint8_t* sub = user_subbuf(pg);
    if (!sub) return 0;
    return core_->api->load64(reinterpret_cast<const U64*>(sub + 8), mo == sim::Mo::Acquire ? 1 : 0);
  }
  bool read_subbuf(int pg, U64 off, std::uint8_t* out, U64 n, U64* tags) override {
    const std::uint8_t* sub = user_subbuf(pg);
    if (!sub || off + n > state().subbuf_size) return false;
    core_->api->user_read(user_buf_, sub + kPageHdr + off, n);
    std::memcpy(out, user_buf_, n);
    if (tags) core_->rt->get_tags(user_buf_, n, tags);
    return true;
  }

  bool user_record(int pg, U64 pos, U64 size, Record& out) override {
    const std::uint8_t* sub = user_subbuf(pg);
    if (!sub || pos + 4 > state().subbuf_size - kPageHdr) return false;
    const std::uint8_t* at = sub + kPageHdr + pos;
    const U32 h = core_->api->load32(reinterpret_cast<const U32*>(at), 0);
    const U32 type_len = h & 31;
    out = Record{};
    switch (type_len) {
      case 29:  // padding: a null event (no delta) fills the rest of the page
        if ((h >> 5) == 0) {
          out.length = static_cast<U32>(size - pos);
          return true;
        }
        out.length = core_->api->load32(reinterpret_cast<const U32*>(at + 4), 0) + 4;
        return true;
      case 30:
      case 31: out.length = 8; return true;  // time extend / absolute time stamp
      case 0: {
        const U32 a0 = core_->api->load32(reinterpret_cast<const U32*>(at + 4), 0);
        out = Record{a0 + 4, 8, a0 >= 4 ? a0 - 4 : 0, true};
        return true;
      }
      default: out = Record{type_len * 4 + 4, 4, type_len * 4, true}; return true;
    }
  }
  void trim(ReadEvent& ev) const override {
    std::size_t k = 0;
    const U64 id0 = ev.tags.empty() ? 0 : sim::tag_id(ev.tags[0]);
    while (k < ev.tags.size() && id0 && sim::tag_id(ev.tags[k]) == id0 && sim::tag_index(ev.tags[k]) == k) ++k;
    ev.body.resize(k);
    ev.tags.resize(k);
  }

  // ---- observable state ----
  PageState page_state(int pg) const override {
    const FtPage p = page(pages_[static_cast<std::size_t>(pg)]);
    const bool m = mapped();
    U64 ts = 0;
    std::memcpy(&ts, p.data, 8);
    return PageState{pg, m ? static_cast<int>(p.id) : -1, p.write, p.entries, p.commit, p.real_end, p.read, ts,
                     static_cast<U64>(index_of(p.next)), p.next_flag,
                     static_cast<U64>(index_of(core_->api->prev(pages_[static_cast<std::size_t>(pg)])))};
  }
  bool out_of_ring(int pg) const override {
    void* bp = pages_[static_cast<std::size_t>(pg)];
    return page(core_->api->prev(bp)).next != bp;
  }
  int pages_total() const override {
    const FtState s = state();
    for (void* p : {s.head, s.tail, s.commit, s.reader}) index_of(p);
    return static_cast<int>(pages_.size());
  }
  int tail_page() const override { return index_of(state().tail); }
  int commit_page() const override { return index_of(state().commit); }
  int reader_page() const override { return index_of(state().reader); }
  Counters counters() const override {
    const FtState s = state();
    return Counters{s.entries,      s.overrun,       s.commit_overrun, s.dropped_events, s.entries_bytes,
                    s.read,         s.read_bytes,    s.pages_touched,  s.pages_lost,     s.pages_read,
                    s.lost_events,  s.last_overrun,  s.committing};
  }
  U64 unreported_missed() const override { return kernel::ftrace_unreported_missed(); }

  // ---- the overwrite ghost (Runtime::on_atomic) ----
  void atomic(const void* addr, sim::Op op) {
    if (op != sim::Op::FetchAdd) return;
    if (addr != overrun_word_) {
      // __rb_reserve_next's local_add_return on the tail page's write index: the reservation (the
      // last such add of a writer before ring_buffer_lock_reserve returns is its successful one).
      const auto a = static_cast<const std::uint8_t*>(addr);
      for (std::size_t i = first_live_; i < pages_.size(); ++i)
        if (a == static_cast<const std::uint8_t*>(pages_[i]) + write_off_) {
          const int me = core_->sim.current_actor();
          if (me < 0) return;
          if (static_cast<std::size_t>(me) >= stamps_.size()) stamps_.resize(static_cast<std::size_t>(me) + 1, 0);
          stamps_[static_cast<std::size_t>(me)] = ++stamp_;
          return;
        }
      return;
    }
    // rb_handle_head_page's local_add(entries, &cpu_buffer->overrun): the page being pushed is
    // the one whose list pointer this writer turned from HEAD to UPDATE.
    for (std::size_t i = first_live_; i < pages_.size(); ++i) {
      if (!on_buffer(pages_[i])) continue;
      void* prev = core_->api->prev(pages_[i]);
      const FtPage pp = page(prev);
      if (pp.next != pages_[i] || pp.next_flag != kRbPageUpdate) continue;
      for (U64 id : ghost_[i])
        if (!(delivered && delivered(id)) && on_overrun) on_overrun(id);
      ghost_[i].clear();
      return;
    }
  }

 private:
  FtState state() const {
    FtState s{};
    core_->api->state(buffer_, cpu_, &s);
    return s;
  }
  FtPage page(void* bp) const {
    FtPage p{};
    core_->api->page(bp, &p);
    return p;
  }
  bool on_buffer(void* bp) const {
    const FtState s = state();
    if (bp == s.reader) return true;
    void* p = s.head;
    for (unsigned long n = 0; n <= s.nr_pages + 1; ++n, p = page(p).next)
      if (p == bp) return true;
    return false;
  }
  int index_of(void* bp) const {
    for (std::size_t i = first_live_; i < pages_.size(); ++i)
      if (pages_[i] == bp) return static_cast<int>(i);
    pages_.push_back(bp);
    ghost_.emplace_back();
    return static_cast<int>(pages_.size() - 1);
  }
  int page_of_data(void* data) const {
    for (std::size_t i = first_live_; i < pages_.size(); ++i)
      if (page(pages_[i]).data == data) return static_cast<int>(i);
    const FtState s = state();
    void* p = s.head;
    for (unsigned long n = 0; n <= s.nr_pages; ++n, p = page(p).next)
      if (page(p).data == data) return index_of(p);
    return -1;
  }
  const std::uint8_t* user_subbuf(int pg) const {
    const int id = id_of_page(pg);
    if (!view_ || id < 0) return nullptr;
    return view_ + ((static_cast<U64>(id) + 1) << state().subbuf_order) * kPoolPage;
  }
  int ctx_index() const {
    if (!core_->rt->stepping()) return 0;
    switch (core_->sim.current_ctx()) {
      case sim::Ctx::Nmi: return 3;
      case sim::Ctx::Hardirq: return 2;
      case sim::Ctx::Softirq: return 1;
      default: return 0;
    }
  }
  // A reader's copy of an event's data: the bytes of the message they begin with (the kernel
  // keeps lengths in 4-byte units; the slack after the message is no one's).
  void take(std::uint8_t* at, U64 n, ReadEvent& ev) const {
    tags_.resize(n);
    core_->rt->get_tags(at, n, tags_.data());
    U64 k = 0;
    const U64 id0 = n ? sim::tag_id(tags_[0]) : 0;
    while (k < n && id0 && sim::tag_id(tags_[k]) == id0 && sim::tag_index(tags_[k]) == k) ++k;
    ev.body.assign(at, at + k);
    ev.tags.assign(tags_.begin(), tags_.begin() + static_cast<long>(k));
  }

  std::shared_ptr<Core> core_;
  int cpu_;
  bool snapshot_;
  Params params_;
  void* buffer_ = nullptr;  // the trace_buffer that holds this per-CPU buffer now (swap_cpu moves it)
  std::size_t first_live_ = 0;
  std::uint8_t* scratch_[kContexts] = {};
  std::uint8_t* user_buf_ = nullptr;
  void* rpage_ = nullptr;
  std::uint8_t* view_ = nullptr;
  const void* overrun_word_ = nullptr;
  unsigned long write_off_ = 0;
  U64 stamp_ = 0;
  std::vector<U64> stamps_;  // per actor: the stamp of its last add to a write index
  mutable std::vector<void*> pages_;
  mutable std::vector<std::vector<U64>> ghost_;
  std::size_t frozen_pages_ = 0;
  mutable std::vector<U64> tags_;
};

}  // namespace

kernel::SubjectSpec ftrace_subject() {
  kernel::SubjectSpec s;
  s.name = "ftrace_rb";
  // ring_buffer.c is compiled inside the client that includes it (kernel_client.c), so it is
  // listed among the real headers at a path whose trace name is its tree path.
  s.real_headers = {{"include/linux/ring_buffer.h", "linux/ring_buffer.h"},
                    {"include/uapi/linux/trace_mmap.h", "uapi/linux/trace_mmap.h"},
                    {"kernel/trace/ring_buffer.c", "rs/src/kernel/trace/ring_buffer.c"}};
  s.client_files = {"model/ftrace_rb/kernel_client.c"};
  s.shim_dirs = {"ftrace"};
  return s;
}

std::vector<std::unique_ptr<RingApi>> make_kernel_buffers(sim::Sim& sim, const Params& p, int cpus,
                                                          const kernel::Source& source, bool snapshot) {
  const std::string so = kernel::build_subject(ftrace_subject(), source.tree);
  auto core = std::make_shared<Core>(sim);
  core->params = p;
  core->page_size = p.subbuf_size + kPageHdr;
  if (core->page_size > kPoolPage) throw std::invalid_argument("subbuf_size: at most 4080 in the kernel source");
  kernel::set_ftrace_page_size(core->page_size);
  kernel::RuntimeOptions ro;
  ro.marked_only = source.marked_only;
  const int buffers = snapshot ? 2 : 1;
  ro.irq_work_slots = buffers * (cpus + 1);     // one rb_irq_work per CPU buffer and the buffer's own
  ro.wait_queues = buffers * 2 * (cpus + 1);    // waiters and full_waiters of each
  core->rt = std::make_unique<kernel::Runtime>(sim, kernel::Subject::acquire(so), ro);
  core->api = std::make_unique<Api>(core->rt->subject());
  std::vector<std::unique_ptr<KernelCpuBuffer>> bufs;
  for (int b = 0; b < buffers; ++b)
    for (int c = 0; c < cpus; ++c) bufs.push_back(std::make_unique<KernelCpuBuffer>(core, c, b == 1));
  core->rt->setup([&] {
    core->buffer = core->api->alloc(static_cast<unsigned long>(p.nr_pages) * p.subbuf_size, p.overwrite ? 1 : 0);
    if (!core->buffer) throw std::runtime_error("__ring_buffer_alloc failed in the kernel source");
    if (snapshot) {  // tracing_alloc_snapshot_instance: a second buffer of the same size and mode
      core->snapshot = core->api->alloc(static_cast<unsigned long>(p.nr_pages) * p.subbuf_size, p.overwrite ? 1 : 0);
      if (!core->snapshot) throw std::runtime_error("__ring_buffer_alloc (snapshot) failed in the kernel source");
    }
    for (auto& b : bufs) b->setup();
  });
  Core* c = core.get();
  for (auto& b : bufs) c->cpus.push_back(b.get());
  core->rt->on_atomic = [c](const void* addr, sim::Op op) {
    for (KernelCpuBuffer* b : c->cpus) b->atomic(addr, op);
  };
  std::vector<std::unique_ptr<RingApi>> out;
  for (auto& b : bufs) out.push_back(std::move(b));
  return out;
}

}  // namespace model::ftrace_rb
