// kernel/runtime.cpp — see runtime.h.
#include "kernel/runtime.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "sim/buffer.h"

namespace kernel {
namespace {

constexpr std::size_t kPage = 4096;
constexpr std::size_t kPercpuUnit = 1024;  // RS_PERCPU_UNIT in kernel/shim/rs_kernel.h
constexpr int kMaxCpus = 64;

thread_local Runtime* g_current = nullptr;

// Names for trace lines (the subject's data, wait queues); nothing to reset. Their events read
// like the pool's.
class Named final : public sim::SimObject {
 public:
  Named(sim::Sim& s, std::string_view name, const Runtime* rt) : SimObject(s, name), rt_(rt) {}
  void reset() override {}
  std::string describe(const sim::TraceEvent& e) const override { return rt_->describe(e); }

 private:
  const Runtime* rt_;
};

std::string trim_path(std::string f) {
  for (const char* marker : {"/src/", "/real/"}) {
    auto at = f.rfind(marker);
    if (at != std::string::npos) return (std::string(marker) == "/real/" ? "include/" : "") + f.substr(at + std::strlen(marker));
  }
  auto at = f.rfind("/model/");
  return at != std::string::npos ? f.substr(at + 1) : f;
}

}  // namespace

Runtime* Runtime::current() { return g_current; }

Runtime::Runtime(sim::Sim& sim, std::shared_ptr<Subject> subject, RuntimeOptions options)
    : SimObject(sim, "kernel.memory"), subject_(std::move(subject)), options_(options) {
  subject_->restore_pristine();
  pool_pages_ = (options_.pool_bytes + kPage - 1) / kPage;
  memfd_ = memfd_create("relaysim-kernel-pool", MFD_CLOEXEC);
  if (memfd_ < 0 || ftruncate(memfd_, static_cast<off_t>(pool_pages_ * kPage)) != 0)
    throw std::runtime_error(std::string("kernel pool: memfd: ") + std::strerror(errno));
  void* p = mmap(nullptr, pool_pages_ * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, memfd_, 0);
  if (p == MAP_FAILED) throw std::runtime_error(std::string("kernel pool: mmap: ") + std::strerror(errno));
  pool_ = static_cast<std::uint8_t*>(p);
  window_bytes_ = pool_pages_ * kPage * 2;
  p = mmap(nullptr, window_bytes_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::runtime_error(std::string("kernel pool: view window: ") + std::strerror(errno));
  window_ = static_cast<std::uint8_t*>(p);
  window_pfn_.assign(window_bytes_ / kPage, -1);
  pages_.resize(pool_pages_);
  for (std::size_t i = 0; i < pool_pages_; ++i) pages_[i] = PageInfo{i, 0, 0};
  shadow_.resize(pool_pages_);
  heap_next_ = kPage;  // physical offset 0 stays unused
  data_object_ = names_.emplace_back(std::make_unique<Named>(sim, "kernel.data", this))->id();
  for (int i = 0; i < options_.wait_queues; ++i)
    wait_objects_.push_back(names_.emplace_back(std::make_unique<Named>(sim, "kernel.waitq" + std::to_string(i), this))->id());
  irq_work_.resize(static_cast<std::size_t>(options_.irq_work_slots));
  for (int i = 0; i < options_.irq_work_slots; ++i)
    irq_work_[static_cast<std::size_t>(i)].source = sim.add_irq_work("irq_work" + std::to_string(i), [this, i] {
      IrqWorkSlot& w = irq_work_[static_cast<std::size_t>(i)];
      if (w.func) w.func(w.work);
      w.busy = false;
      ++w.done;
    });
  note_warn_ = sim.note_id("kernel WARN");
  note_fence_ = sim.note_id("smp_mb");
  mem_ = sim.memory();
  if (mem_) ext_base_ = mem_->attach(this);
}

Runtime::~Runtime() {
  // No Memory::detach: like every SimObject, a client outlives the executions of its Sim, and the
  // Sim (with its Memory) may be destroyed first (the explorer's workers destroy the workload last).
  if (g_current == this) g_current = nullptr;
  if (pool_) munmap(pool_, pool_pages_ * kPage);
  if (window_) munmap(window_, window_bytes_);
  if (memfd_ >= 0) close(memfd_);
}

void Runtime::make_current() { g_current = this; }

void Runtime::freeze() {
  frozen_ = true;
  frozen_heap_ = heap_next_;
  frozen_window_ = window_next_;
  frozen_percpu_ = percpu_next_;
  heap_snapshot_.assign(pool_, pool_ + heap_next_);
  pages_snapshot_.assign(pages_.begin(), pages_.begin() + static_cast<long>(heap_next_ / kPage + 1));
  data_snapshot_.assign(subject_->data_begin(), subject_->data_end());
  for (std::uint32_t pg : tagged_pages_) std::fill(shadow_[pg].get(), shadow_[pg].get() + kPage, 0);
}

void Runtime::reset() {
  make_current();
  if (!frozen_) return;
  std::memcpy(pool_, heap_snapshot_.data(), heap_snapshot_.size());
  std::copy(pages_snapshot_.begin(), pages_snapshot_.end(), pages_.begin());
  std::memcpy(subject_->data_begin(), data_snapshot_.data(), data_snapshot_.size());
  if (window_next_ > frozen_window_) {  // views made during the last execution
    mmap(window_ + frozen_window_, window_next_ - frozen_window_, PROT_NONE,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    std::fill(window_pfn_.begin() + static_cast<long>(frozen_window_ / kPage),
              window_pfn_.begin() + static_cast<long>(window_next_ / kPage), -1);
  }
  heap_next_ = frozen_heap_;
  window_next_ = frozen_window_;
  percpu_next_ = frozen_percpu_;
  for (std::uint32_t pg : tagged_pages_) std::fill(shadow_[pg].get(), shadow_[pg].get() + kPage, 0);
  for (auto& l : locks_) l->state.holder = -1;
  for (auto& w : irq_work_) {
    w.busy = false;
    w.queued = w.done = 0;
  }
  pollers_.clear();
  std::fill(landed_.begin(), landed_.end(), -1);
  ghost_ = 0;
  cpu_override_ = -1;
  pending_watch_ = -1;
  pending_ = Pending::None;  // the memory was restored from the frozen state
}

// ---- trace text --------------------------------------------------------------------------------------

std::string Runtime::where(std::uint64_t code) const {
  if (!code) return "";
  auto it = symbols_.find(code);
  if (it != symbols_.end()) return it->second;
  // One addr2line run for every code offset of the recorded trace not yet known.
  std::vector<std::uint64_t> todo;
  for (const sim::TraceEvent& e : sim_.trace()) {
    std::uint64_t c = 0;
    const sim::SimObject* o = e.object == sim::kNoObject ? nullptr : sim_.object(e.object);
    if (o == this || (o && dynamic_cast<const Named*>(o))) c = e.extra >> 16;
    if (c && offset_of(c) && !symbols_.count(c) && std::find(todo.begin(), todo.end(), c) == todo.end()) todo.push_back(c);
  }
  if (!offset_of(code)) return symbols_[code] = "??";
  if (std::find(todo.begin(), todo.end(), code) == todo.end()) todo.push_back(code);
  std::string cmd = "addr2line -f -e '" + subject_->so_path() + "'";
  for (auto c : todo) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " 0x%llx", static_cast<unsigned long long>(offset_of(c) - 1));  // the call, not the return
    cmd += buf;
  }
  std::vector<std::string> lines;
  if (FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r")) {
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) {
      std::string l(buf);
      while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
      lines.push_back(l);
    }
    pclose(p);
  }
  for (std::size_t i = 0; i < todo.size(); ++i) {
    std::string fn = 2 * i < lines.size() ? lines[2 * i] : "??";
    std::string file = 2 * i + 1 < lines.size() ? lines[2 * i + 1] : "??";
    if (auto d = file.find(" (discriminator"); d != std::string::npos) file.resize(d);
    symbols_[todo[i]] = fn + "() " + trim_path(file);
  }
  return symbols_[code];
}

std::string Runtime::describe(const sim::TraceEvent& e) const {
  const std::uint64_t size = e.extra & 0xffff, code = e.extra >> 16;
  const char* what = "";
  switch (e.op) {
    case sim::Op::Load: what = "read"; break;
    case sim::Op::Store: what = "write"; break;
    case sim::Op::Xchg: what = "xchg"; break;
    case sim::Op::CasOk: what = "cmpxchg"; break;
    case sim::Op::FetchAdd: what = "atomic add"; break;
    case sim::Op::FetchOr: what = "atomic or"; break;
    case sim::Op::FetchAnd: what = "atomic and"; break;
    case sim::Op::Lock: what = "lock"; break;
    case sim::Op::Unlock: what = "unlock"; break;
    case sim::Op::LockBlocked: return "lock " + sim_.object_name(e.object) + "+" + std::to_string(e.value) +
                                      " blocks (held by " + sim_.actor_name(static_cast<int>(e.extra)) + ")";
    case sim::Op::TryLockFail: what = "trylock fails"; break;
    case sim::Op::CopyIn: what = "copy in"; break;
    case sim::Op::CopyOut: what = "copy out"; break;
    case sim::Op::Wake: return "wake_up " + sim_.object_name(e.object) + "+" + std::to_string(e.value) + " " + where(code);
    default: return "";
  }
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s %llu bytes at %s+0x%llx", what, static_cast<unsigned long long>(size),
                sim_.object_name(e.object).c_str(), static_cast<unsigned long long>(e.value));
  std::string s = buf;
  if (e.mo != sim::Mo::Relaxed) s += e.mo == sim::Mo::Acquire ? " (acquire)" : e.mo == sim::Mo::Release ? " (release)" : " (full)";
  std::string w = where(code);
  return w.empty() ? s : s + "  " + w;
}

// ---- translation and shadow ---------------------------------------------------------------------

Loc Runtime::translate(const void* p) const {
  auto a = reinterpret_cast<std::uintptr_t>(p);
  auto pool = reinterpret_cast<std::uintptr_t>(pool_);
  if (a - pool < pool_pages_ * kPage) return Loc{id_, a - pool};
  auto win = reinterpret_cast<std::uintptr_t>(window_);
  if (a - win < window_bytes_) {
    std::int32_t pfn = window_pfn_[(a - win) / kPage];
    if (pfn >= 0) return Loc{id_, std::uint64_t(pfn) * kPage + (a - win) % kPage};
    return Loc{};
  }
  auto lo = reinterpret_cast<std::uintptr_t>(subject_->data_begin());
  if (a - lo < static_cast<std::uintptr_t>(subject_->data_end() - subject_->data_begin())) return Loc{data_object_, a - lo};
  return Loc{};
}

Loc Runtime::must_translate(const void* p, const char* what) const {
  Loc l = translate(p);
  if (!l.valid()) throw std::logic_error(std::string(what) + " on an address outside the kernel subject's memory");
  return l;
}

std::uint64_t* Runtime::shadow_page(std::uint64_t pfn, bool create) {
  if (!shadow_[pfn] && create) {
    shadow_[pfn] = std::make_unique<std::uint64_t[]>(kPage);
    tagged_pages_.push_back(static_cast<std::uint32_t>(pfn));
  }
  return shadow_[pfn].get();
}

void Runtime::set_tags(const void* p, std::size_t n, std::uint64_t id) {
  const auto* b = static_cast<const std::uint8_t*>(p);
  for (std::size_t i = 0; i < n; ++i) {
    Loc l = translate(b + i);
    if (!l.valid() || l.object != id_) continue;
    std::uint64_t* sh = shadow_page(l.offset / kPage, id != 0);
    if (sh) sh[l.offset % kPage] = id ? (id & sim::kTagIdMask) | (std::uint64_t(i) << 40) : 0;
  }
}

void Runtime::get_tags(const void* p, std::size_t n, std::uint64_t* out) const {
  const auto* b = static_cast<const std::uint8_t*>(p);
  for (std::size_t i = 0; i < n; ++i) {
    Loc l = translate(b + i);
    out[i] = 0;
    if (!l.valid() || l.object != id_) continue;
    const std::uint64_t* sh = shadow_[l.offset / kPage].get();
    if (sh) out[i] = sh[l.offset % kPage];
  }
}

std::int64_t Runtime::landed(std::uint64_t id) const { return id < landed_.size() ? landed_[id] : -1; }

// ---- steps -----------------------------------------------------------------------------------------

int Runtime::cpu() const {
  if (cpu_override_ >= 0) return cpu_override_;
  return sim_.current_actor() >= 0 ? sim_.smp_processor_id() : 0;
}

std::uint64_t Runtime::code_offset(const void* pc) const {
  // Only addresses inside the subject have a stable identity; host code (an adapter) records 0.
  const auto a = reinterpret_cast<std::uintptr_t>(pc);
  PcSlot& slot = pc_cache_[(a >> 1) % std::size(pc_cache_)];
  if (slot.pc == a) return slot.code;
  const auto base = subject_->load_base();
  const auto end = reinterpret_cast<std::uintptr_t>(subject_->data_begin());
  const std::uint64_t offset = a >= base && a < end ? a - base : 0;
  const std::uint64_t code = offset ? subject_->code_identity(offset) : 0;
  if (code) offset_of_code_.emplace(code, offset);
  slot = PcSlot{a, code};
  return code;
}

std::uint64_t Runtime::offset_of(std::uint64_t code) const {
  auto it = offset_of_code_.find(code);
  return it == offset_of_code_.end() ? 0 : it->second;
}

void Runtime::step(sim::Op op, const Loc& l, std::uint64_t size, const void* pc, sim::Mo mo) {
  sim_.yield_point();
  // value: the physical offset; extra: the access size and the code offset of the access (both
  // independent of where anything was mapped).
  sim_.record(op, l.object, l.offset, size | (code_offset(pc) << 16), mo);
}

void Runtime::watch(const void* word, WatchFn fn) {
  watches_.push_back(Watch{static_cast<const std::uint64_t*>(word), must_translate(word, "watch"), std::move(fn)});
}

void Runtime::deliver_watch() {
  const Watch& w = watches_[static_cast<std::size_t>(pending_watch_)];
  pending_watch_ = -1;
  const std::uint64_t now = *w.word;
  if (now != pending_old_) w.fn(pending_old_, now, innermost_function(pending_code_));
}

std::string Runtime::innermost_function(std::uint64_t code) const {
  auto it = innermost_.find(code);
  if (it != innermost_.end()) return it->second;
  char cmd[1024];
  std::snprintf(cmd, sizeof cmd, "addr2line -f -i -e '%s' 0x%llx 2>/dev/null", subject_->so_path().c_str(),
                static_cast<unsigned long long>(offset_of(code) ? offset_of(code) - 1 : 0));
  std::string fn = "??";
  if (FILE* p = popen(cmd, "r")) {
    char buf[1024];
    if (std::fgets(buf, sizeof buf, p)) {
      fn = buf;
      while (!fn.empty() && (fn.back() == '\n' || fn.back() == '\r')) fn.pop_back();
    }
    pclose(p);
  }
  return innermost_[code] = fn;
}

// A watched word (Runtime::watch): deliver the previous write's note, and remember this write's
// old value and code address until the next access shows the new one.
void Runtime::note_watches(const void* addr, Access kind, const void* pc) {
  if (pending_watch_ >= 0) deliver_watch();
  if (kind == Access::Write)
    for (std::size_t i = 0; i < watches_.size(); ++i)
      if (static_cast<const void*>(watches_[i].word) == addr) {
        pending_watch_ = static_cast<int>(i);
        pending_old_ = *watches_[i].word;
        pending_code_ = code_offset(pc);
      }
}

void Runtime::access(const void* addr, unsigned size, Access kind, bool marked, const void* pc) {
  if (mem_) [[unlikely]] {
    access_weak(addr, size, kind, marked, pc);
    return;
  }
  if (!stepping()) return;
  if (!watches_.empty()) note_watches(addr, kind, pc);
  if (options_.marked_only && !marked) return;
  Loc l = translate(addr);
  if (!l.valid()) return;
  step(kind == Access::Read ? sim::Op::Load : sim::Op::Store, l, size, pc);  // sc (tso/lkmm: access_weak)
}

void Runtime::atomic_step(const void* addr, unsigned size, sim::Op op, sim::Mo mo, const void* pc) {
  if (mem_) [[unlikely]]
    sync_memory();
  if (!stepping()) return;
  Loc l = translate(addr);
  if (!l.valid()) return;
  step(op, l, size, pc, mo);
  if (on_atomic) on_atomic(addr, op);
}

void Runtime::fence(sim::Mo mo, const void* pc) {
  if (mem_) [[unlikely]]
    sync_memory();
  if (!stepping()) return;
  sim_.yield_point();
  sim_.record(sim::Op::Note, sim::kNoObject, code_offset(pc), note_fence_);
  if (mem_) [[unlikely]] {
    sync_memory();
    // smp_mb() is __atomic_thread_fence(seq_cst); rs_smp_rmb / rs_smp_wmb pass acquire / release.
    const sim::Fence f = mo == sim::Mo::Acquire ? sim::Fence::Rmb : mo == sim::Mo::Release ? sim::Fence::Wmb : sim::Fence::Mb;
    mem_->act_as(cpu());
    sim_.fence(f);
    mem_->act_as(-1);
  }
}

void Runtime::copy(void* dst, const void* src, std::size_t n, bool move, const void* pc) {
  auto* d = static_cast<std::uint8_t*>(dst);
  const auto* s = static_cast<const std::uint8_t*>(src);
  if (mem_) [[unlikely]]
    sync_memory();
  if (n == 0) return;
  const Loc dl = translate(d), sl = translate(s);
  const bool step_it = stepping() && (dl.valid() || sl.valid());
  std::size_t granule = n;
  if (step_it) switch (sim_.granularity()) {
      case sim::Granularity::Message: granule = n; break;
      case sim::Granularity::Word: granule = 8; break;
      case sim::Granularity::Byte: granule = 1; break;
    }
  std::uint64_t tags_buf[64];
  for (std::size_t at = 0; at < n;) {
    std::size_t len = std::min(granule, n - at);
    if (step_it) {
      if (mem_ && sl.valid()) [[unlikely]]
        mem_->before_load();  // lkmm: reading the subject's memory is a load (a promise point)
      sim_.yield_point();
      if (mem_) [[unlikely]]
        sync_memory();
      const Loc& where = dl.valid() ? dl : sl;
      sim_.record(dl.valid() ? sim::Op::CopyIn : sim::Op::CopyOut, where.object, where.offset + at,
                  len | (code_offset(pc) << 16));
    }
    // The bytes, then their ghost tags (through a bounce buffer: source and destination may alias).
    if (move) std::memmove(d + at, s + at, len); else std::memcpy(d + at, s + at, len);
    for (std::size_t k = 0; k < len; k += 64) {
      std::size_t m = std::min<std::size_t>(64, len - k);
      get_tags(s + at + k, m, tags_buf);
      for (std::size_t i = 0; i < m; ++i) {
        Loc l = translate(d + at + k + i);
        if (!l.valid() || l.object != id_) continue;
        std::uint64_t* sh = shadow_page(l.offset / kPage, tags_buf[i] != 0);
        if (sh) sh[l.offset % kPage] = tags_buf[i];
        if (tags_buf[i] && sim::tag_index(tags_buf[i]) == 0) {
          std::uint64_t id = sim::tag_id(tags_buf[i]);
          if (id >= landed_.size()) landed_.resize(id + 1, -1);
          landed_[id] = static_cast<std::int64_t>(l.offset);
        }
      }
    }
    at += len;
  }
}

void Runtime::fill(void* dst, int c, std::size_t n, const void* pc) {
  auto* d = static_cast<std::uint8_t*>(dst);
  if (mem_) [[unlikely]]
    sync_memory();
  if (n == 0) return;
  const Loc dl = translate(d);
  if (stepping() && dl.valid()) {
    sim_.yield_point();
    if (mem_) [[unlikely]]
      sync_memory();
    sim_.record(sim::Op::CopyIn, dl.object, dl.offset, n | (code_offset(pc) << 16));
  }
  std::memset(d, c, n);
  for (std::size_t i = 0; i < n; ++i) {
    Loc l = translate(d + i);
    if (!l.valid() || l.object != id_) continue;
    if (std::uint64_t* sh = shadow_page(l.offset / kPage, false)) sh[l.offset % kPage] = 0;
  }
}

// ---- weak memory ---------------------------------------------------------------------------------
//
// Under --memory-model tso|lkmm the subject's marked accesses go through the Sim's memory model
// (sim/memory.h), at the same seam as a model's sim::Shared<T>:
//   - atomics (__tsan_atomicN_*: smp_load_acquire, smp_store_release, xchg, cmpxchg, atomic_*):
//     the hook asks the model (weak_load / weak_store / weak_rmw) and returns the model's value;
//     the hook performs no access of its own, the Runtime writes the word;
//   - READ_ONCE / WRITE_ONCE (the volatile hooks): the compiler performs the access right after
//     the hook, so the hook cannot hand back a value. A load: the hook asks the model, and when the
//     model picks a store other than the newest, writes that (stale) value into the word for this
//     one load (Pending::Stale). A store: the hook notes the word (Pending::Store); the value is the
//     word's content once the compiler has stored it. Either is settled (sync_memory) at the next
//     entry into the Runtime by anyone (every hook and shim call, before and after its yield
//     point), at settle(), and before the execution ends (MemoryClient::settle from Memory::end):
//     a stale value is replaced by the newest one, a pending store becomes the model's store, for
//     the CPU that made it (Memory::act_as). This is exact in the engine's single-threaded fiber
//     world: between a hook and the compiler's access no other actor runs (switches happen only
//     at yield points, inside hooks), and no access of any actor reaches memory before the next
//     entry into the Runtime settles the pending one;
//   - smp_mb / smp_rmb / smp_wmb (__tsan_atomic_thread_fence, rs_smp_rmb / rs_smp_wmb) are the
//     model's fences; spin_lock / spin_unlock its lock hand-over; wake_up and poll_wait's
//     add_wait_queue take the wait queue's lock (ordering the waker's stores before the sleeper's
//     re-check, as wq_head->lock does); irq_work_queue's claim is a fully ordered RMW; copies out
//     of the subject's memory are loads (lkmm: promise points, as a model's ByteBuffer copy-out).
// Invariant: outside that one window the memory holds, for every word of the model, its newest
// value (Memory::latest). Plain (unmarked) accesses, memcpy and memset stay sequentially
// consistent: they read and write that newest value. When a marked access finds a word changed
// behind the model's back (a plain store, a copy, the frozen state at the start of an execution:
// each word's history starts at 0), the model takes the word's bytes as a store every CPU sees at
// once (Memory::poke) before the access. Words are (region, physical offset, size) of sizes 1, 2,
// 4 and 8, aligned; other marked accesses stay sc. Mixed-size marked accesses to the same bytes are
// different words, each made coherent with the bytes at its accesses.

std::string Runtime::location_name(std::uint32_t loc) const {
  const std::uint32_t i = loc - ext_base_;
  if (i < words_.size()) {
    const Word& w = words_[i];
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s+0x%llx (%u bytes)", sim_.object_name(w.loc.object).c_str(),
                  static_cast<unsigned long long>(w.loc.offset), w.size);
    return buf;
  }
  return "kernel lock or wait queue " + std::to_string(i);
}

int Runtime::word(const Loc& l, unsigned size) {
  if ((size != 1 && size != 2 && size != 4 && size != 8) || l.offset % size) return -1;
  const std::uint64_t k = (std::uint64_t(l.object) << 48) ^ (std::uint64_t(size) << 40) ^ l.offset;
  auto [it, fresh] = word_of_.try_emplace(k, static_cast<int>(words_.size()));
  if (fresh) {
    if (words_.size() >= (1u << 22)) throw std::logic_error("weak memory: too many kernel words");
    std::uint8_t* phys = l.object == id_ ? pool_ + l.offset : subject_->data_begin() + l.offset;
    words_.push_back(Word{phys, l, size, ext_base_ + static_cast<std::uint32_t>(words_.size())});
  }
  return it->second;
}

std::uint64_t Runtime::read_word(const Word& w) const {
  std::uint64_t v = 0;
  std::memcpy(&v, w.phys, w.size);  // little-endian: the low bytes
  return v;
}

void Runtime::write_word(const Word& w, std::uint64_t v) { std::memcpy(w.phys, &v, w.size); }

void Runtime::coherent(const Word& w) {
  const std::uint64_t now = read_word(w);
  if (now != mem_->latest(w.id, 0)) mem_->poke(w.id, 0, now);
}

void Runtime::sync_memory() {
  if (pending_ == Pending::None) return;
  const Pending p = pending_;
  pending_ = Pending::None;
  const Word& w = words_[static_cast<std::size_t>(pending_word_)];
  if (p == Pending::Store) {
    const std::uint64_t v = read_word(w);  // what the compiler stored after the hook
    mem_->act_as(pending_cpu_);
    mem_->store(w.id, 0, v, sim::Mo::Relaxed);
    mem_->act_as(-1);
  }
  write_word(w, mem_->latest(w.id, 0));
}

void Runtime::lock_memory(std::uint32_t id, bool acquire) {
  mem_->act_as(cpu());
  if (acquire) mem_->lock_acquired(id);
  else mem_->lock_released(id);
  mem_->act_as(-1);
}

void Runtime::access_weak(const void* addr, unsigned size, Access kind, bool marked, const void* pc) {
  sync_memory();
  if (!stepping()) return;
  if (!watches_.empty()) note_watches(addr, kind, pc);
  if (options_.marked_only && !marked) return;
  Loc l = translate(addr);
  if (!l.valid()) return;
  const int wi = marked ? word(l, size) : -1;  // plain accesses: sc, against the newest value
  if (wi >= 0 && kind == Access::Read) {
    mem_->act_as(cpu());
    mem_->before_load(sim::Mo::Relaxed);  // lkmm: a promise may be made before the yield point
    mem_->act_as(-1);
  }
  step(kind == Access::Read ? sim::Op::Load : sim::Op::Store, l, size, pc);
  sync_memory();  // whatever ran at the yield point left nothing pending
  if (wi < 0) return;
  const Word& w = words_[static_cast<std::size_t>(wi)];
  coherent(w);
  if (kind == Access::Write) {  // READ_ONCE's value is known once the compiler has stored it
    pending_ = Pending::Store;
    pending_word_ = wi;
    pending_cpu_ = cpu();
    return;
  }
  mem_->act_as(cpu());
  const std::uint64_t v = mem_->load(w.id, 0, sim::Mo::Relaxed);
  mem_->act_as(-1);
  if (v != read_word(w)) {  // a stale read: the compiler's load reads this value, once
    write_word(w, v);
    pending_ = Pending::Stale;
    pending_word_ = wi;
  }
}

// What weak_load, weak_store and weak_rmw share: the access made a step on a marked word of the
// model (a load first applies its ordering), and that word brought up to date; nullptr when the
// access is not on such a word (the caller then performs it as sc).
const Runtime::Word* Runtime::weak_step(const void* addr, unsigned size, sim::Op op, sim::Mo mo, const void* pc) {
  sync_memory();
  if (!stepping()) return nullptr;
  const Loc l = translate(addr);
  if (!l.valid()) return nullptr;
  const int wi = word(l, size);
  if (wi < 0) return nullptr;
  if (op == sim::Op::Load) {
    mem_->act_as(cpu());
    mem_->before_load(mo);
    mem_->act_as(-1);
  }
  step(op, l, size, pc, mo);
  sync_memory();
  if (on_atomic) on_atomic(addr, op);
  const Word& w = words_[static_cast<std::size_t>(wi)];
  coherent(w);
  return &w;
}

bool Runtime::weak_load(const void* addr, unsigned size, sim::Mo mo, const void* pc, std::uint64_t* out) {
  const Word* wp = weak_step(addr, size, sim::Op::Load, mo, pc);
  if (!wp) return false;
  const Word& w = *wp;
  mem_->act_as(cpu());
  *out = mem_->load(w.id, 0, mo);
  mem_->act_as(-1);
  return true;
}

bool Runtime::weak_store(const void* addr, unsigned size, std::uint64_t v, sim::Mo mo, const void* pc) {
  const Word* wp = weak_step(addr, size, sim::Op::Store, mo, pc);
  if (!wp) return false;
  const Word& w = *wp;
  mem_->act_as(cpu());
  mem_->store(w.id, 0, v, mo);
  mem_->act_as(-1);
  write_word(w, mem_->latest(w.id, 0));
  return true;
}

bool Runtime::weak_rmw(const void* addr, unsigned size, sim::Op op, Rmw kind, std::uint64_t arg, std::uint64_t expected,
                       sim::Mo mo, const void* pc, std::uint64_t* old) {
  const Word* wp = weak_step(addr, size, op, mo, pc);
  if (!wp) return false;
  const Word& w = *wp;
  const std::uint64_t mask = size == 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * size)) - 1;
  mem_->act_as(cpu());
  const std::uint64_t o = mem_->rmw_read(w.id, 0, mo) & mask;
  std::uint64_t n = o;
  switch (kind) {
    case Rmw::Xchg: n = arg; break;
    case Rmw::Add: n = o + arg; break;
    case Rmw::Sub: n = o - arg; break;
    case Rmw::And: n = o & arg; break;
    case Rmw::Or: n = o | arg; break;
    case Rmw::Xor: n = o ^ arg; break;
    case Rmw::Nand: n = ~(o & arg); break;
    case Rmw::Cas: n = arg; break;
  }
  if (kind == Rmw::Cas && o != (expected & mask)) mem_->rmw_fail(w.id, mo);
  else mem_->rmw_write(w.id, n & mask, mo);
  mem_->act_as(-1);
  write_word(w, mem_->latest(w.id, 0));
  *old = o;
  return true;
}

// ---- memory ------------------------------------------------------------------------------------------

void* Runtime::kmalloc(std::size_t n, bool zero, std::size_t align) {
  (void)zero;  // always zeroed: what an execution sees never depends on the one before it
  std::size_t at = (heap_next_ + align - 1) & ~(align - 1);
  if (n > pool_pages_ * kPage || at + n > pool_pages_ * kPage) return nullptr;  // the kernel's -ENOMEM
  heap_next_ = at + std::max<std::size_t>(n, 1);
  std::memset(pool_ + at, 0, n);
  for (std::size_t pg = at / kPage; pg <= (at + n) / kPage && pg < pool_pages_; ++pg)
    if (shadow_[pg]) std::fill(shadow_[pg].get(), shadow_[pg].get() + kPage, 0);
  return pool_ + at;
}

void* Runtime::alloc_user(std::size_t n) {
  if (frozen_) throw std::logic_error("kernel::Runtime::alloc_user after setup");
  void* p = kmalloc(n, true);
  if (!p) throw std::runtime_error("kernel pool exhausted (" + std::to_string(options_.pool_bytes) + " bytes)");
  return p;
}

void* Runtime::page_alloc(long* pfn_out) {
  void* p = kmalloc(kPage, true, kPage);
  if (!p) return nullptr;
  std::size_t pfn = (static_cast<std::uint8_t*>(p) - pool_) / kPage;
  pages_[pfn].private_ = 0;
  pages_[pfn].rs_refs = 1;
  if (pfn_out) *pfn_out = static_cast<long>(pfn);
  return &pages_[pfn];
}

void Runtime::page_free(void* page) {
  long pfn = pfn_of(page);
  if (pfn >= 0) --pages_[static_cast<std::size_t>(pfn)].rs_refs;
}

long Runtime::pfn_of(const void* page) const {
  auto* pi = static_cast<const PageInfo*>(page);
  if (pi < pages_.data() || pi >= pages_.data() + pages_.size()) return -1;
  return pi - pages_.data();
}

void* Runtime::page_address(const void* page) const {
  long pfn = pfn_of(page);
  return pfn < 0 ? nullptr : pool_ + static_cast<std::size_t>(pfn) * kPage;
}

void* Runtime::vmap(void* const* pages, unsigned count, bool writable) {
  std::size_t bytes = std::size_t(count) * kPage;
  if (window_next_ + bytes + kPage > window_bytes_) return nullptr;
  std::uint8_t* at = window_ + window_next_;
  for (unsigned i = 0; i < count; ++i) {
    long pfn = pfn_of(pages[i]);
    if (pfn < 0) throw std::logic_error("vmap of a page that alloc_page did not hand out");
    void* r = mmap(at + std::size_t(i) * kPage, kPage, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED | MAP_FIXED,
                   memfd_, static_cast<off_t>(pfn) * static_cast<off_t>(kPage));
    if (r == MAP_FAILED) throw std::runtime_error(std::string("vmap: mmap: ") + std::strerror(errno));
    window_pfn_[(window_next_ / kPage) + i] = static_cast<std::int32_t>(pfn);
  }
  window_next_ += bytes + kPage;  // a guard page between views, as vmalloc leaves one
  return at;
}

void* Runtime::remap_view(const void* kaddr, std::size_t pgoff, std::size_t pages, bool writable) {
  auto a = reinterpret_cast<std::uintptr_t>(kaddr), win = reinterpret_cast<std::uintptr_t>(window_);
  if (a - win >= window_bytes_ || pages == 0) return nullptr;
  // The area runs from kaddr's page to the next page no view shows (vmap leaves a guard page).
  const std::size_t first = (a - win) / kPage + pgoff;
  std::vector<void*> list;
  for (std::size_t i = 0; i < pages; ++i) {
    const std::size_t w = first + i;
    if (w >= window_pfn_.size() || window_pfn_[w] < 0) return nullptr;
    list.push_back(&pages_[static_cast<std::size_t>(window_pfn_[w])]);
  }
  for (std::size_t w = (a - win) / kPage; w < first; ++w)
    if (window_pfn_[w] < 0) return nullptr;
  return vmap(list.data(), static_cast<unsigned>(list.size()), writable);
}

void* Runtime::vmalloc_to_page(const void* addr) const {
  auto a = reinterpret_cast<std::uintptr_t>(addr), win = reinterpret_cast<std::uintptr_t>(window_);
  if (a - win >= window_bytes_) return nullptr;
  std::int32_t pfn = window_pfn_[(a - win) / kPage];
  return pfn < 0 ? nullptr : const_cast<PageInfo*>(&pages_[static_cast<std::size_t>(pfn)]);
}

void* Runtime::virt_to_page(const void* addr) const {
  const Loc l = translate(addr);
  if (!l.valid() || l.object != id_) return nullptr;
  return const_cast<PageInfo*>(&pages_[static_cast<std::size_t>(l.offset / kPage)]);
}

void* Runtime::alloc_percpu(std::size_t size, std::size_t align) {
  if (!percpu_) {
    percpu_ = static_cast<std::uint8_t*>(kmalloc(kPercpuUnit * kMaxCpus, true, kPage));
    if (!percpu_) return nullptr;
  }
  std::size_t at = (percpu_next_ + align - 1) & ~(align - 1);
  if (at + size > kPercpuUnit) return nullptr;
  percpu_next_ = at + size;
  for (int c = 0; c < kMaxCpus; ++c) std::memset(percpu_ + c * kPercpuUnit + at, 0, size);
  return percpu_ + at;
}

// ---- locks -------------------------------------------------------------------------------------------

Runtime::LockSlot& Runtime::lock_slot(void* lock) {
  Loc l = must_translate(lock, "spin_lock");
  auto [it, fresh] = lock_of_.try_emplace(key(l), locks_.size());
  if (fresh) {
    auto slot = std::make_unique<LockSlot>();
    slot->index = sim_.register_lock(&slot->state);
    locks_.push_back(std::move(slot));
  }
  return *locks_[it->second];
}

// A lock some actor waits on changes hands: the engine's enabled sets must hear of it (sim/lock.h).
void Runtime::set_holder(LockSlot& s, int actor) {
  s.state.holder = actor;
  if (s.state.blocked) sim_.lock_changed(s.index);
}

void Runtime::lock(void* lock, bool preempt_off, const void* pc) {
  if (mem_) [[unlikely]]
    sync_memory();
  if (!stepping()) return;  // setup is single-threaded
  if (preempt_off) sim_.preempt_disable();
  LockSlot& s = lock_slot(lock);
  Loc l = translate(lock);
  sim_.yield_point();
  for (;;) {
    const int holder = s.state.holder;
    if (holder < 0) {
      set_holder(s, sim_.current_actor());
      sim_.record(sim::Op::Lock, l.object, l.offset, 1 | (code_offset(pc) << 16));
      if (mem_) [[unlikely]]
        lock_memory(sync_id(1, s.index), true);
      if (on_lock_acquired) on_lock_acquired(lock);
      return;
    }
    sim_.record(sim::Op::LockBlocked, l.object, l.offset, static_cast<std::uint64_t>(holder));
    if (sim_.is_below_on_same_cpu(holder)) {
      sim_.report(sim::Property::Deadlock, "'" + sim_.actor_name(sim_.current_actor()) + "' (" +
                                               std::string(sim::ctx_name(sim_.current_ctx())) + " on CPU " +
                                               std::to_string(sim_.smp_processor_id()) +
                                               ") spins on a kernel lock held by '" + sim_.actor_name(holder) +
                                               "' on the same CPU, which cannot run until this context returns");
      return;
    }
    sim_.block_on_lock(s.index);
  }
}

bool Runtime::trylock(void* lock, const void* pc) {
  if (mem_) [[unlikely]]
    sync_memory();
  if (!stepping()) return true;
  LockSlot& s = lock_slot(lock);
  Loc l = translate(lock);
  sim_.yield_point();
  if (s.state.holder < 0) {
    set_holder(s, sim_.current_actor());
    sim_.record(sim::Op::Lock, l.object, l.offset, 1 | (code_offset(pc) << 16));
    if (mem_) [[unlikely]]
      lock_memory(sync_id(1, s.index), true);
    if (on_lock_acquired) on_lock_acquired(lock);
    return true;
  }
  sim_.record(sim::Op::TryLockFail, l.object, l.offset, static_cast<std::uint64_t>(s.state.holder));
  return false;
}

void Runtime::unlock(void* lock, bool preempt_on, const void* pc) {
  if (mem_) [[unlikely]]
    sync_memory();
  if (!stepping()) return;
  if (on_unlock) on_unlock(lock);
  LockSlot& s = lock_slot(lock);
  Loc l = translate(lock);
  sim_.yield_point();
  if (mem_) [[unlikely]]
    lock_memory(sync_id(1, s.index), false);
  set_holder(s, -1);
  sim_.record(sim::Op::Unlock, l.object, l.offset, code_offset(pc) << 16);
  if (preempt_on) sim_.preempt_enable();
}

// ---- wait queues and poll -----------------------------------------------------------------------------

void Runtime::init_waitqueue(void* head) {
  Loc l = must_translate(head, "init_waitqueue_head");
  if (wait_of_.count(key(l))) return;
  if (wait_of_.size() >= wait_objects_.size())
    throw std::logic_error("the kernel subject initialised more wait queues than its adapter declared (" +
                           std::to_string(wait_objects_.size()) + ")");
  wait_of_.emplace(key(l), static_cast<std::uint32_t>(wait_of_.size()));
}

std::uint32_t Runtime::wait_queue_id(const void* head) const {
  Loc l = translate(head);
  auto it = wait_of_.find(key(l));
  if (!l.valid() || it == wait_of_.end()) throw std::logic_error("a wait queue head that init_waitqueue_head never saw");
  return wait_objects_[it->second];
}

bool Runtime::waitqueue_active(void* head, const void* pc) {
  auto* waiters = static_cast<unsigned*>(head);  // wait_queue_head_t.rs_waiters
  if (mem_) [[unlikely]]
    sync_memory();
  if (stepping()) step(sim::Op::Load, translate(head), 4, pc);
  if (mem_) [[unlikely]]
    sync_memory();
  return *waiters != 0;
}

void Runtime::wake_up(void* head, const void* pc) {
  if (mem_) [[unlikely]]
    sync_memory();
  if (!stepping()) return;
  Loc l = translate(head);
  sim_.yield_point();
  if (mem_) [[unlikely]] {  // __wake_up takes and releases wq_head->lock
    sync_memory();
    lock_memory(sync_id(2, wait_queue_id(head)), true);
    lock_memory(sync_id(2, wait_queue_id(head)), false);
  }
  int n = sim_.wake_all(wait_queue_id(head));
  sim_.record(sim::Op::Wake, l.object, l.offset, static_cast<std::uint64_t>(n) | (code_offset(pc) << 16));
  if (on_wake_up) on_wake_up(head);
}

void Runtime::poll_wait(void* head) {
  if (mem_) [[unlikely]]
    sync_memory();
  if (!stepping()) return;
  if (mem_) [[unlikely]] {  // add_wait_queue takes and releases wq_head->lock (as wake_up does)
    Loc hl = translate(head);
    auto it = wait_of_.find(key(hl));
    if (hl.valid() && it != wait_of_.end()) {
      lock_memory(sync_id(2, wait_objects_[it->second]), true);
      lock_memory(sync_id(2, wait_objects_[it->second]), false);
    }
  }
  const int me = sim_.current_actor();
  for (const Poller& p : pollers_)
    if (p.actor == me && p.head == head) return;  // do_poll adds each queue once per poll(2)
  pollers_.push_back(Poller{me, head});
  ++*static_cast<unsigned*>(head);
}

void Runtime::poll_freewait() {
  const int me = sim_.current_actor();
  for (std::size_t i = 0; i < pollers_.size();) {
    if (pollers_[i].actor == me) {
      --*static_cast<unsigned*>(pollers_[i].head);
      pollers_[i] = pollers_.back();
      pollers_.pop_back();
    } else {
      ++i;
    }
  }
}

// ---- irq_work ----------------------------------------------------------------------------------------

Runtime::IrqWorkSlot* Runtime::irq_work_slot(void* work) {
  for (auto& w : irq_work_)
    if (w.work == work) return &w;
  return nullptr;
}

void Runtime::init_irq_work(void* work, void (*func)(void*)) {
  IrqWorkSlot* w = irq_work_slot(work);
  if (!w) {
    for (auto& x : irq_work_)
      if (!x.work) {
        w = &x;
        break;
      }
  }
  if (!w)
    throw std::logic_error("the kernel subject initialised more irq_work items than its adapter declared (" +
                           std::to_string(irq_work_.size()) + ")");
  w->work = work;
  w->func = func;
}

bool Runtime::irq_work_queue(void* work, const void* pc) {
  IrqWorkSlot* w = irq_work_slot(work);
  if (!w) throw std::logic_error("irq_work_queue on an irq_work that init_irq_work never saw");
  if (mem_) [[unlikely]]
    sync_memory();
  if (!stepping()) return false;
  step(sim::Op::CasOk, translate(work), 8, pc, sim::Mo::SeqCst);  // the kernel's claim: a cmpxchg on flags
  if (mem_) [[unlikely]] {  // irq_work_claim's atomic_fetch_or is fully ordered
    sync_memory();
    mem_->act_as(cpu());
    mem_->fence(sim::Fence::Mb);
    mem_->act_as(-1);
  }
  bool queued = sim_.irq_work_queue(w->source);
  if (queued) {
    w->busy = true;
    ++w->queued;
  }
  return queued;
}

bool Runtime::irq_work_pending(const void* work) const {
  for (const auto& w : irq_work_)
    if (w.work == work) return w.queued != w.done;
  return false;
}

std::uint64_t Runtime::irq_work_queued(const void* work) const {
  for (const auto& w : irq_work_)
    if (w.work == work) return w.queued;
  return 0;
}

void Runtime::irq_work_sync(void* work) {
  IrqWorkSlot* w = irq_work_slot(work);
  if (!w || !stepping()) return;
  while (w->busy) sim_.yield();  // irq_work_sync: while (irq_work_is_busy(work)) cpu_relax();
}

// ---- BUG and WARN ------------------------------------------------------------------------------------

void Runtime::bug(const char* file, int line, const char* what) {
  std::string msg = std::string("kernel ") + what + " at " + file + ":" + std::to_string(line);
  if (stepping()) sim_.report(sim::Property::Assertion, msg);
  throw std::runtime_error(msg);
}

void Runtime::warn(const char* file, int line, const char* what) {
  (void)file;
  if (stepping()) sim_.note(note_warn_, static_cast<std::uint64_t>(line));
  (void)what;
}

}  // namespace kernel
