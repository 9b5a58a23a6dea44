// sim/memory.cpp — the tso and lkmm memory models (see memory.h for their rules).
#include "sim/memory.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

namespace sim {

void Memory::note_stale(std::uint32_t obj, std::string text) {
  sim_.trace_only(Op::StaleRead, obj >= kExternal ? kNoObject : obj, 0, sim_.note_id(text));
}

std::uint32_t Memory::attach(MemoryClient* c) {
  if (clients_.size() >= (0xffffffffu - kExternal) / kClientBlock) throw std::logic_error("memory: too many clients");
  clients_.push_back(c);
  return kExternal + static_cast<std::uint32_t>(clients_.size() - 1) * kClientBlock;
}

std::string Memory::location_name(std::uint32_t obj) const {
  if (obj < kExternal) return sim_.object_name(obj);
  const std::size_t i = (obj - kExternal) / kClientBlock;
  if (i < clients_.size() && clients_[i]) return clients_[i]->location_name(obj);
  return "location " + std::to_string(obj - kExternal);
}

namespace {

std::string who(std::uint64_t step, int cpu) {
  if (cpu < 0) return "the initial value";
  return "the store of step " + std::to_string(step) + " on CPU " + std::to_string(cpu);
}

// Dense location indices for object ids (stable for the life of the Sim).
class LocationMap {
 public:
  /// The index of `obj`, and whether it is new.
  std::pair<std::uint32_t, bool> index(std::uint32_t obj) {
    if (obj >= Memory::kExternal) {
      auto [it, fresh] = external_.try_emplace(obj, count_);
      if (fresh) ++count_;
      return {it->second, fresh};
    }
    if (obj >= dense_.size()) dense_.resize(obj + 1, kNone);
    if (dense_[obj] != kNone) return {dense_[obj], false};
    dense_[obj] = count_++;
    return {dense_[obj], true};
  }
  std::uint32_t find(std::uint32_t obj) const {
    if (obj >= Memory::kExternal) {
      auto it = external_.find(obj);
      return it == external_.end() ? kNone : it->second;
    }
    return obj < dense_.size() ? dense_[obj] : kNone;
  }
  static constexpr std::uint32_t kNone = 0xffffffffu;

 private:
  std::vector<std::uint32_t> dense_;
  std::unordered_map<std::uint32_t, std::uint32_t> external_;  // client locations (Memory::kExternal and up)
  std::uint32_t count_ = 0;
};

// ---------------------------------------------------------------------------------------------
// x86-TSO.

class Tso final : public Memory {
 public:
  explicit Tso(Sim& sim) : Memory(sim) {}

  void begin() override {
    bufs_.assign(static_cast<std::size_t>(sim_.cpus()), {});
    for (Loc& l : locs_) l = Loc{l.obj, l.init, l.init, 0, -1};
    stale_reads_ = 0;
  }
  void drain() override {
    for (int c = 0; c < static_cast<int>(bufs_.size()); ++c) drain(c, bufs_[c].size());
  }

  std::uint64_t load(std::uint32_t obj, std::uint64_t init, Mo) override {
    const std::uint32_t x = loc(obj, init);
    const int c = cpu();
    const Buf& mine = bufs_[c];
    for (std::size_t i = mine.size(); i-- > 0;)
      if (!mine[i].marker && mine[i].loc == x) return mine[i].value;  // store forwarding
    // Buffered stores to x on other CPUs: option 0 drains all of them, 1 reads memory as it is,
    // then one option per buffered store (its CPU drains up to it).
    cand_.clear();
    for (int d = 0; d < static_cast<int>(bufs_.size()); ++d)
      if (d != c)
        for (std::size_t i = 0; i < bufs_[d].size(); ++i)
          if (!bufs_[d][i].marker && bufs_[d][i].loc == x) cand_.push_back({d, i});
    if (cand_.empty()) return locs_[x].value;
    const std::uint32_t k = choose(static_cast<std::uint32_t>(cand_.size() + 2));
    if (k == 0) {
      for (int d = 0; d < static_cast<int>(bufs_.size()); ++d)
        if (d != c) {
          std::size_t last = 0;
          for (std::size_t i = 0; i < bufs_[d].size(); ++i)
            if (!bufs_[d][i].marker && bufs_[d][i].loc == x) last = i + 1;
          drain(d, last);
        }
    } else if (k >= 2) {
      drain(cand_[k - 2].first, cand_[k - 2].second + 1);
    }
    const Loc& l = locs_[x];
    // Stale: some other CPU still buffers a store to x.
    for (int d = 0; d < static_cast<int>(bufs_.size()); ++d)
      if (d != c)
        for (const Entry& e : bufs_[d])
          if (!e.marker && e.loc == x) {
            ++stale_reads_;
            if (sim_.recording())
              note_stale(obj, "stale read of " + location_name(obj) + ": read " + std::to_string(l.value) + " (" +
                                  who(l.step, l.cpu) + ") while " + std::to_string(e.value) + " (" + who(e.step, d) +
                                  ") is still in CPU " + std::to_string(d) + "'s store buffer");
            return l.value;
          }
    return l.value;
  }
  void store(std::uint32_t obj, std::uint64_t init, std::uint64_t v, Mo) override {
    const std::uint32_t x = loc(obj, init);
    const int c = cpu();
    // One CPU: nothing can observe the buffer; write through.
    if (bufs_.size() > 1 && choose(2) == 1) {
      bufs_[c].push_back(Entry{x, v, sim_.steps(), false});
      return;
    }
    drain(c, bufs_[c].size());
    write(x, v, sim_.steps(), c);
  }
  std::uint64_t rmw_read(std::uint32_t obj, std::uint64_t init, Mo) override {
    const std::uint32_t x = loc(obj, init);
    drain(cpu(), bufs_[cpu()].size());  // a locked instruction
    rmw_loc_ = x;
    return locs_[x].value;
  }
  void rmw_write(std::uint32_t obj, std::uint64_t v, Mo) override {
    if (locs_[rmw_loc_].obj != obj) throw std::logic_error("tso: rmw_write without its rmw_read");
    write(rmw_loc_, v, sim_.steps(), cpu());
  }
  void rmw_fail(std::uint32_t, Mo) override {}
  void fence(Fence f) override {
    // smp_mb() is a locked or mfence instruction; the others are compiler barriers on x86.
    if (f == Fence::Mb || f == Fence::MbBeforeAtomic || f == Fence::MbAfterAtomic) drain(cpu(), bufs_[cpu()].size());
  }
  void lock_acquired(std::uint32_t lock) override {
    const int c = cpu();
    drain(c, bufs_[c].size());
    // The previous holder's unlock (a buffered store to the lock word) is what this acquire read:
    // its CPU's buffer drains up to it.
    for (int d = 0; d < static_cast<int>(bufs_.size()); ++d) {
      std::size_t last = 0;
      for (std::size_t i = 0; i < bufs_[d].size(); ++i)
        if (bufs_[d][i].marker && bufs_[d][i].loc == lock) last = i + 1;
      drain(d, last);
    }
  }
  void lock_released(std::uint32_t lock) override {
    Buf& b = bufs_[cpu()];
    if (!b.empty()) b.push_back(Entry{lock, 0, sim_.steps(), true});
  }
  std::uint64_t latest(std::uint32_t obj, std::uint64_t init) const override {
    const std::uint32_t x = map_.find(obj);
    if (x == LocationMap::kNone || x >= locs_.size()) return init;
    std::uint64_t v = locs_[x].value, step = 0;
    bool found = false;
    for (const Buf& b : bufs_)
      for (const Entry& e : b)
        if (!e.marker && e.loc == x && (!found || e.step >= step)) v = e.value, step = e.step, found = true;
    return v;
  }
  void poke(std::uint32_t obj, std::uint64_t init, std::uint64_t v) override {
    const std::uint32_t x = loc(obj, init);
    for (Buf& b : bufs_) std::erase_if(b, [x](const Entry& e) { return !e.marker && e.loc == x; });
    locs_[x].value = v;
  }

 private:
  struct Entry {
    std::uint32_t loc;  // a location, or a lock object id (marker)
    std::uint64_t value;
    std::uint64_t step;
    bool marker;  // spin_unlock of lock `loc`
  };
  using Buf = std::vector<Entry>;
  struct Loc {
    std::uint32_t obj;
    std::uint64_t init, value, step;
    int cpu;
  };
  std::uint32_t loc(std::uint32_t obj, std::uint64_t init) {
    auto [x, fresh] = map_.index(obj);
    if (fresh) locs_.push_back(Loc{obj, init, init, 0, -1});
    return x;
  }
  void write(std::uint32_t x, std::uint64_t v, std::uint64_t step, int c) {
    locs_[x].value = v;
    locs_[x].step = step;
    locs_[x].cpu = c;
  }
  /// CPU c's first n buffered stores reach memory (FIFO).
  void drain(int c, std::size_t n) {
    Buf& b = bufs_[c];
    if (n == 0) return;
    for (std::size_t i = 0; i < n; ++i)
      if (!b[i].marker) write(b[i].loc, b[i].value, b[i].step, c);
    b.erase(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
  }

  LocationMap map_;
  std::vector<Loc> locs_;
  std::vector<Buf> bufs_;
  std::vector<std::pair<int, std::size_t>> cand_;
  std::uint32_t rmw_loc_ = 0;
};

// ---------------------------------------------------------------------------------------------
// lkmm.

using View = std::vector<std::uint64_t>;  // per location index: a timestamp (0 = the initial store)

inline std::uint64_t at(const View& v, std::uint32_t x) { return x < v.size() ? v[x] : 0; }
inline void raise(View& v, std::uint32_t x, std::uint64_t ts) {
  if (x >= v.size()) v.resize(x + 1, 0);
  if (v[x] < ts) v[x] = ts;
}
inline void join(View& a, const View& b) {
  if (a.size() < b.size()) a.resize(b.size(), 0);
  for (std::size_t i = 0; i < b.size(); ++i)
    if (a[i] < b[i]) a[i] = b[i];
}

class Lkmm final : public Memory {
 public:
  Lkmm(Sim& sim, unsigned promise_bound) : Memory(sim), promise_bound_(promise_bound) {}

  void begin() override {
    cpus_.assign(static_cast<std::size_t>(sim_.cpus()), CpuState{});
    for (Loc& l : locs_) reset_loc(l);
    for (LockState& l : locks_) l = LockState{l.obj, {}};
    global_.clear();
    promises_.clear();
    for (Domain& d : domains_) d.stores = 0;
    stale_reads_ = 0;
  }
  bool wants_priming() const override { return promise_bound_ > 0 && !primed_ && !priming_; }
  void set_priming(bool on) override {
    priming_ = on;
    loaded_.clear();
    if (!on) primed_ = true;
  }

  void before_load(Mo mo) override {
    mark_loaded();
    if (mo == Mo::Acquire || mo == Mo::AcqRel || mo == Mo::SeqCst) break_promises("an acquire load");
    else maybe_promise();
  }

  std::uint64_t load(std::uint32_t obj, std::uint64_t init, Mo mo) override {
    const std::uint32_t x = loc(obj, init);
    const bool acquire = mo == Mo::Acquire || mo == Mo::AcqRel || mo == Mo::SeqCst;
    Loc& l = locs_[x];
    CpuState& c = cpus_[cpu()];
    const std::uint64_t lo = at(c.cur, x);
    // Readable: every message not older than cur[x], newest first (option 0 = the newest), but
    // not this CPU's own promise (a store po-after this load).
    // While this CPU has promised a store to x, it reads only what is co-before that store.
    std::uint64_t hi = ~std::uint64_t{0};
    for (const Promise& p : promises_)
      if (p.cpu == cpu() && p.loc == x && !p.fulfilled) hi = p.ts;
    cand_.clear();
    for (std::size_t i = l.hist.size(); i-- > 0 && l.hist[i].ts >= lo;)
      if (l.hist[i].ts < hi) cand_.push_back(static_cast<std::uint32_t>(i));
    if (cand_.empty()) cand_.push_back(0);  // unreachable: cur[x] is some message's timestamp
    const std::uint32_t k = choose(static_cast<std::uint32_t>(cand_.size()));
    const Msg& m = l.hist[cand_[k]];
    if (k > 0) {
      ++stale_reads_;
      if (sim_.recording()) {
        const Msg& newer = l.hist[cand_[0]];
        note_stale(obj, "stale read of " + location_name(obj) + ": read " + std::to_string(m.value) + " (" +
                            who(m.step, m.cpu) + "), skipped the newer " + std::to_string(newer.value) + " (" +
                            who(newer.step, newer.cpu) + (k > 1 ? ", and " + std::to_string(k - 1) + " more" : "") + ")");
      }
    }
    read_msg(c, x, m, acquire);
    return m.value;
  }

  void store(std::uint32_t obj, std::uint64_t init, std::uint64_t v, Mo mo) override {
    const std::uint32_t x = loc(obj, init);
    const bool release = mo == Mo::Release || mo == Mo::AcqRel || mo == Mo::SeqCst;
    if (priming_) learn(x, v, release);
    const bool fulfilled = fulfil(x, v, release);
    count_store(x);
    if (fulfilled) return;
    Loc& l = locs_[x];
    CpuState& c = cpus_[cpu()];
    // Positions: option 0 appends; option j inserts before the j-th newest message when that one
    // is newer than this CPU's view of x and is not the write half of an RMW, and a gap is left.
    const std::uint64_t lo = at(c.cur, x);
    std::uint32_t slots = 1;
    for (std::size_t j = 1; j < l.hist.size(); ++j) {
      const Msg& before = l.hist[l.hist.size() - j];
      const Msg& prev = l.hist[l.hist.size() - j - 1];
      if (before.ts <= lo || prev.ts < lo) break;
      if (before.rmw || before.ts - prev.ts < 2) break;
      ++slots;
    }
    const std::uint32_t k = slots > 1 ? choose(slots) : 0;
    Msg m;
    m.value = v;
    m.step = sim_.steps();
    m.cpu = cpu();
    m.view = release ? c.cur : c.frel;
    std::size_t pos = l.hist.size();
    if (k == 0) {
      m.ts = l.hist.back().ts + kGap;
    } else {
      pos = l.hist.size() - k;
      m.ts = l.hist[pos - 1].ts + (l.hist[pos].ts - l.hist[pos - 1].ts) / 2;
    }
    raise(m.view, x, m.ts);
    const std::uint64_t ts = m.ts;
    l.hist.insert(l.hist.begin() + static_cast<std::ptrdiff_t>(pos), std::move(m));
    raise(c.cur, x, ts);
    raise(c.acq, x, ts);
    raise(c.own, x, ts);
  }

  std::uint64_t rmw_read(std::uint32_t obj, std::uint64_t init, Mo) override {
    const std::uint32_t x = loc(obj, init);
    mark_loaded();
    rmw_loc_ = x;
    return locs_[x].hist.back().value;  // an RMW reads the newest message
  }
  void rmw_write(std::uint32_t obj, std::uint64_t v, Mo mo) override {
    const std::uint32_t x = rmw_loc_;
    if (locs_[x].obj != obj) throw std::logic_error("lkmm: rmw_write without its rmw_read");
    const bool full = mo == Mo::SeqCst || mo == Mo::AcqRel;
    const bool acquire = full || mo == Mo::Acquire;
    const bool release = full || mo == Mo::Release;
    if (acquire) break_promises("an acquire or fully ordered RMW");
    for (Promise& p : promises_)
      if (p.cpu == cpu() && p.loc == x && !p.fulfilled) p.broken = true;  // an RMW is not the promised store
    if (priming_) learn(x, v, true);
    count_store(x);
    if (full) fence(Fence::Mb);
    CpuState& c = cpus_[cpu()];
    Loc& l = locs_[x];
    read_msg(c, x, l.hist.back(), acquire);
    Msg m;
    m.value = v;
    m.step = sim_.steps();
    m.cpu = cpu();
    m.rmw = true;
    m.view = release ? c.cur : c.frel;
    join(m.view, l.hist.back().view);  // the rmw-sequence: a release before it still counts
    m.ts = l.hist.back().ts + kGap;
    raise(m.view, x, m.ts);
    raise(c.cur, x, m.ts);
    raise(c.acq, x, m.ts);
    raise(c.own, x, m.ts);
    l.hist.push_back(std::move(m));
    if (full) fence(Fence::Mb);
  }
  void rmw_fail(std::uint32_t, Mo) override {
    // A failed cmpxchg is a relaxed read of the newest message (no ordering).
    read_msg(cpus_[cpu()], rmw_loc_, locs_[rmw_loc_].hist.back(), false);
  }

  void fence(Fence f) override {
    CpuState& c = cpus_[cpu()];
    switch (f) {
      case Fence::Rmb:
        join(c.cur, c.acq);
        break;
      case Fence::Wmb:
        break_promises("smp_wmb()");
        join(c.frel, c.own);
        break;
      case Fence::Mb:
      case Fence::MbBeforeAtomic:
      case Fence::MbAfterAtomic:
        break_promises("a full barrier");
        join(c.cur, c.acq);
        join(global_, c.cur);
        join(c.cur, global_);
        join(c.acq, c.cur);
        c.frel = c.cur;
        break;
    }
  }

  void ctrl_dependency() override { break_promises("a control dependency"); }
  void never_promise(std::uint32_t first, std::uint32_t count) override { unpromisable_.push_back({first, count}); }

  void lock_acquired(std::uint32_t lock) override {
    break_promises("spin_lock");
    CpuState& c = cpus_[cpu()];
    LockState& l = lock_state(lock);
    if (c.last_unlock == lock) {  // po-unlock-lock-po: an smp_rmb and an smp_wmb here
      join(c.cur, c.acq);
      join(c.frel, c.own);
    }
    join(c.cur, l.view);
    join(c.acq, l.view);
  }
  void lock_released(std::uint32_t lock) override {
    CpuState& c = cpus_[cpu()];
    lock_state(lock).view = c.cur;
    c.last_unlock = lock;
  }

  std::uint64_t latest(std::uint32_t obj, std::uint64_t init) const override {
    const std::uint32_t x = map_.find(obj);
    if (x == LocationMap::kNone || x >= locs_.size()) return init;
    const auto& h = locs_[x].hist;
    for (std::size_t i = h.size(); i-- > 0;)
      if (!h[i].promised) return h[i].value;
    return init;
  }
  void poke(std::uint32_t obj, std::uint64_t init, std::uint64_t v) override {
    const std::uint32_t x = loc(obj, init);
    Loc& l = locs_[x];
    Msg m;
    m.value = v;
    m.ts = l.hist.back().ts + kGap;
    m.step = sim_.steps();
    l.hist.push_back(m);
    for (CpuState& c : cpus_) raise(c.cur, x, m.ts), raise(c.acq, x, m.ts);
  }
  bool outstanding() const override {
    for (const Promise& p : promises_)
      if (!p.fulfilled) return true;
    return false;
  }
  bool unjustified() const override {
    for (const Promise& p : promises_)
      if (!p.fulfilled || p.broken) return true;
    return false;
  }

 private:
  static constexpr std::uint64_t kGap = std::uint64_t{1} << 24;
  static constexpr std::size_t kDomain = 64;  // stores learned per (CPU, location)
  struct Msg {
    std::uint64_t value = 0, ts = 0, step = 0;
    int cpu = -1;
    bool rmw = false;
    bool promised = false;  // a promise not yet fulfilled by its CPU's store
    View view;
  };
  struct Loc {
    std::uint32_t obj;
    std::uint64_t init;
    std::vector<Msg> hist;  // in modification order
  };
  struct CpuState {
    View cur, acq, frel, own;
    std::uint32_t last_unlock = LocationMap::kNone;
  };
  struct LockState {
    std::uint32_t obj;
    View view;
  };
  struct Promise {
    int cpu;
    std::uint32_t loc;
    std::uint64_t value, ts;
    bool fulfilled = false, broken = false;
  };
  struct Store {
    std::uint64_t value;
    bool promisable;  // relaxed, after a load of its CPU
  };
  struct Domain {
    int cpu;
    std::uint32_t loc;
    std::vector<Store> values;  // the CPU's stores to loc in the priming run, in order
    std::uint32_t stores = 0;           // this execution: the CPU's stores to loc so far
  };
  void count_store(std::uint32_t x) {
    for (Domain& d : domains_)
      if (d.cpu == cpu() && d.loc == x) ++d.stores;
  }

  static void reset_loc(Loc& l) {
    l.hist.clear();
    Msg init;
    init.value = l.init;
    l.hist.push_back(init);
  }
  std::uint32_t loc(std::uint32_t obj, std::uint64_t init) {
    auto [x, fresh] = map_.index(obj);
    if (fresh) {
      locs_.push_back(Loc{obj, init, {}});
      reset_loc(locs_.back());
    }
    return x;
  }
  LockState& lock_state(std::uint32_t lock) {
    for (LockState& l : locks_)
      if (l.obj == lock) return l;
    locks_.push_back(LockState{lock, {}});
    return locks_.back();
  }
  void read_msg(CpuState& c, std::uint32_t x, const Msg& m, bool acquire) {
    raise(c.cur, x, m.ts);
    raise(c.acq, x, m.ts);
    join(c.acq, m.view);
    if (acquire) join(c.cur, m.view);
  }

  // ---- load buffering: promises ----
  /// The priming execution (all option 0, i.e. sc) records the values each CPU stores with a
  /// relaxed store to each location: the values it may later promise.
  void learn(std::uint32_t x, std::uint64_t v, bool release) {
    // A store with no load before it on its CPU gains nothing from a promise: running that CPU
    // earlier gives the same execution. A release store cannot be promised.
    const bool loaded = static_cast<std::size_t>(cpu()) < loaded_.size() && loaded_[static_cast<std::size_t>(cpu())];
    bool allowed = true;
    for (const auto& [first, count] : unpromisable_)
      if (locs_[x].obj >= first && locs_[x].obj - first < count) allowed = false;
    const Store st{v, loaded && !release && allowed};
    for (Domain& d : domains_)
      if (d.cpu == cpu() && d.loc == x) {
        if (d.values.size() < kDomain) d.values.push_back(st);
        return;
      }
    domains_.push_back(Domain{cpu(), x, {st}, 0});
  }
  /// Priming: this CPU has loaded something (its later stores may be promised).
  void mark_loaded() {
    if (!priming_) return;
    if (loaded_.size() < cpus_.size()) loaded_.resize(cpus_.size(), false);
    loaded_[static_cast<std::size_t>(cpu())] = true;
  }
  /// Before one of its relaxed loads (ahead of the load's yield point, so that other actors may
  /// run and read the promise before the load happens): this CPU may promise one of its learned
  /// (location, value) pairs. Option 0: no promise. (Before an acquire load a promise would be
  /// broken at once: none is offered.)
  void maybe_promise() {
    if (priming_ || domains_.empty()) return;
    std::size_t open_now = 0;
    for (const Promise& p : promises_) open_now += !p.fulfilled;
    if (open_now >= promise_bound_) return;
    const int c = cpu();
    auto open = [&](const Domain& d) {
      return d.cpu == c && d.stores < d.values.size() && d.values[d.stores].promisable && !promised_by(c, d.loc);
    };
    std::uint32_t n = 1;
    for (const Domain& d : domains_) n += open(d);
    if (n == 1) return;
    std::uint32_t k = choose(n, true);
    if (k == 0) return;
    for (const Domain& d : domains_)
      if (open(d) && --k == 0) {
        promise(c, d.loc, d.values[d.stores].value);
        return;
      }
  }
  bool promised_by(int c, std::uint32_t x) const {
    for (const Promise& p : promises_)
      if (p.cpu == c && p.loc == x && !p.fulfilled) return true;
    return false;
  }
  /// A message other CPUs may read now, for a relaxed store this CPU has not executed yet.
  void promise(int d, std::uint32_t x, std::uint64_t v) {
    Loc& l = locs_[x];
    CpuState& c = cpus_[d];
    Msg m;
    m.value = v;
    m.step = sim_.steps();
    m.cpu = d;
    m.promised = true;
    m.view = c.frel;
    m.ts = l.hist.back().ts + kGap;
    raise(m.view, x, m.ts);
    promises_.push_back(Promise{d, x, v, m.ts});
    l.hist.push_back(std::move(m));
    if (sim_.recording())
      note_stale(l.obj, "promise: CPU " + std::to_string(d) + " makes its later store " + location_name(l.obj) +
                            " = " + std::to_string(v) + " visible now (load buffering: the loads before that store are"
                            " satisfied after it)");
  }
  /// This CPU's store to x: the one it promised (relaxed, same value) fulfils the promise;
  /// anything else breaks it (the execution is then infeasible).
  bool fulfil(std::uint32_t x, std::uint64_t v, bool release) {
    for (Promise& p : promises_) {
      if (p.cpu != cpu() || p.loc != x || p.fulfilled) continue;
      p.fulfilled = true;
      if (release || p.value != v) p.broken = true;
      Loc& l = locs_[x];
      CpuState& c = cpus_[cpu()];
      for (Msg& m : l.hist)
        if (m.promised && m.cpu == cpu() && m.ts == p.ts) m.promised = false;
      raise(c.cur, x, p.ts);
      raise(c.acq, x, p.ts);
      raise(c.own, x, p.ts);
      sim_.promises_resolved(outstanding(), unjustified());
      return true;
    }
    return false;
  }
  /// An ordering point on this CPU: a later store can no longer have been promised before it.
  void break_promises(const char*) {
    bool any = false;
    for (Promise& p : promises_)
      if (p.cpu == cpu() && !p.fulfilled) p.broken = p.fulfilled = any = true;
    if (any) sim_.promises_resolved(outstanding(), true);
  }

  unsigned promise_bound_;
  bool primed_ = false, priming_ = false;
  LocationMap map_;
  std::vector<Loc> locs_;
  std::vector<CpuState> cpus_;
  std::vector<LockState> locks_;
  std::vector<Domain> domains_;
  std::vector<bool> loaded_;  // priming: the CPU has loaded something
  std::vector<std::pair<std::uint32_t, std::uint32_t>> unpromisable_;  // never_promise ranges
  View global_;
  std::vector<Promise> promises_;
  std::vector<std::uint32_t> cand_;
  std::uint32_t rmw_loc_ = 0;
};

}  // namespace

std::unique_ptr<Memory> make_memory(Sim& sim, MemoryModel m, unsigned promise_bound) {
  switch (m) {
    case MemoryModel::Sc: return nullptr;
    case MemoryModel::Tso: return std::make_unique<Tso>(sim);
    case MemoryModel::Lkmm: return std::make_unique<Lkmm>(sim, promise_bound);
  }
  return nullptr;
}

}  // namespace sim
