// litmus/lkmm.cpp — the axiomatic LKMM checker (see lkmm.h). Relations are 64x64 bit matrices;
// each definition below is the line of tools/memory-model/linux-kernel.cat, linux-kernel.bell or
// lock.cat of the same name, in the same order, so that the two can be read side by side.
#include "litmus/lkmm.h"

#include <algorithm>
#include <array>
#include <bit>
#include <functional>
#include <map>
#include <set>

#include "litmus/parser.h"

namespace litmus {

std::string Result::observation() const {
  if (positive == 0) return "Never";
  if (negative == 0) return "Always";
  return "Sometimes";
}

namespace {

constexpr int kMaxEvents = 64;
using Set = std::uint64_t;

Set bit(int i) { return Set{1} << i; }

/// A relation over at most 64 events: row i is the set of j with (i, j).
struct Rel {
  std::array<Set, kMaxEvents> r{};
  int n = 0;

  explicit Rel(int events = 0) : n(events) {}
  bool has(int i, int j) const { return (r[static_cast<std::size_t>(i)] >> j) & 1; }
  void add(int i, int j) { r[static_cast<std::size_t>(i)] |= bit(j); }
  bool empty() const {
    for (int i = 0; i < n; ++i)
      if (r[static_cast<std::size_t>(i)]) return false;
    return true;
  }
  Set domain() const {
    Set s = 0;
    for (int i = 0; i < n; ++i)
      if (r[static_cast<std::size_t>(i)]) s |= bit(i);
    return s;
  }
  Set range() const {
    Set s = 0;
    for (int i = 0; i < n; ++i) s |= r[static_cast<std::size_t>(i)];
    return s;
  }
};

Rel operator|(Rel a, const Rel& b) {
  for (int i = 0; i < a.n; ++i) a.r[static_cast<std::size_t>(i)] |= b.r[static_cast<std::size_t>(i)];
  return a;
}
Rel operator&(Rel a, const Rel& b) {
  for (int i = 0; i < a.n; ++i) a.r[static_cast<std::size_t>(i)] &= b.r[static_cast<std::size_t>(i)];
  return a;
}
Rel operator-(Rel a, const Rel& b) {  // cat's `\`
  for (int i = 0; i < a.n; ++i) a.r[static_cast<std::size_t>(i)] &= ~b.r[static_cast<std::size_t>(i)];
  return a;
}
// cat's `;`
Rel seq(const Rel& a, const Rel& b) {
  Rel out(a.n);
  for (int i = 0; i < a.n; ++i) {
    Set x = a.r[static_cast<std::size_t>(i)], o = 0;
    while (x) {
      const int j = std::countr_zero(x);
      x &= x - 1;
      o |= b.r[static_cast<std::size_t>(j)];
    }
    out.r[static_cast<std::size_t>(i)] = o;
  }
  return out;
}
template <typename... Rs>
Rel seq(const Rel& a, const Rel& b, const Rs&... rest) {
  return seq(seq(a, b), rest...);
}
Rel inverse(const Rel& a) {
  Rel out(a.n);
  for (int i = 0; i < a.n; ++i)
    for (Set x = a.r[static_cast<std::size_t>(i)]; x; x &= x - 1) out.add(std::countr_zero(x), i);
  return out;
}
Rel id(int n, Set s) {  // [s]
  Rel out(n);
  for (int i = 0; i < n; ++i)
    if ((s >> i) & 1) out.add(i, i);
  return out;
}
Rel cross(int n, Set a, Set b) {  // a * b
  Rel out(n);
  for (int i = 0; i < n; ++i)
    if ((a >> i) & 1) out.r[static_cast<std::size_t>(i)] = b;
  return out;
}
Rel plus(Rel a) {  // r+
  for (int k = 0; k < a.n; ++k)
    for (int i = 0; i < a.n; ++i)
      if (a.has(i, k)) a.r[static_cast<std::size_t>(i)] |= a.r[static_cast<std::size_t>(k)];
  return a;
}
Set all_events(int n) { return n == 64 ? ~Set{0} : bit(n) - 1; }
Rel star(const Rel& a) { return plus(a) | id(a.n, all_events(a.n)); }  // r*
Rel opt(const Rel& a) { return a | id(a.n, all_events(a.n)); }         // r?
bool irreflexive(const Rel& a) {
  for (int i = 0; i < a.n; ++i)
    if (a.has(i, i)) return false;
  return true;
}
bool acyclic(const Rel& a) { return irreflexive(plus(a)); }
Rel restrict(Set dom, const Rel& a, Set ran) {  // [dom] ; a ; [ran]
  Rel out(a.n);
  for (int i = 0; i < a.n; ++i)
    if ((dom >> i) & 1) out.r[static_cast<std::size_t>(i)] = a.r[static_cast<std::size_t>(i)] & ran;
  return out;
}

// ---- events -----------------------------------------------------------------------------------

enum class Ev : std::uint8_t { R, W, F };

// Annotation bits (linux-kernel.bell and lock.cat sets).
enum : std::uint32_t {
  kOnce = 1u << 0, kAcquire = 1u << 1, kRelease = 1u << 2, kNoreturn = 1u << 3,
  kLKR = 1u << 4, kLKW = 1u << 5, kUL = 1u << 6, kLF = 1u << 7, kRL = 1u << 8, kRU = 1u << 9,
  kIW = 1u << 10, kAtomic = 1u << 11,
};

struct Event {
  Ev kind = Ev::F;
  int loc = -1;
  Value value;
  std::uint32_t ann = 0;
  FenceKind fence = FenceKind::Mb;
  int thread = -1;  // -1: an initial write
  int po = 0;       // index in the thread
  int rmw_with = -1;  // local index of the atomic RMW partner (the R names its W)
  Set addr = 0, data = 0, ctrl = 0;  // local indices of the reads this event depends on
};

// One path of one thread: its events (local indices) and final registers.
struct Path {
  std::vector<Event> events;
  std::vector<Value> regs;
  int fault_line = 0;  // the path stopped at an access through a non-pointer (line), or 0
};

// The values a thread's read may return from other threads or the initial state, per location,
// sorted (its own earlier stores of the path are added at the read: ThreadRunner::candidates).
struct Domains {
  std::vector<std::vector<Value>> values;
};

class ThreadRunner {
 public:
  ThreadRunner(const Program& p, const Thread& t, const Domains& d, const std::vector<bool>& lock_loc)
      : p_(p), t_(t), d_(d), lock_loc_(lock_loc) {}

  void run(const std::function<void(const Path&)>& on_path) {
    State s;
    s.regs.assign(t_.registers.size(), Value::integer(0));
    s.taint.assign(t_.registers.size(), 0);
    for (const auto& [r, v] : t_.reg_init) s.regs[static_cast<std::size_t>(r)] = v;
    on_path_ = &on_path;
    step(std::move(s));
  }

 private:
  struct Scope {
    int join;
    Set taint;
  };
  struct State {
    int pc = 0;
    std::vector<Value> regs;
    std::vector<Set> taint;
    std::vector<Scope> scopes;
    std::vector<Event> events;
  };

  Set taint_of(const Expr& e, const State& s) const {
    if (e.op == Expr::Op::Reg) return s.taint[static_cast<std::size_t>(e.reg)];
    Set t = 0;
    for (const auto& a : e.args) t |= taint_of(a, s);
    return t;
  }
  static Set ctrl_of(const State& s) {
    Set t = 0;
    for (const auto& sc : s.scopes) t |= sc.taint;
    return t;
  }

  int add(State& s, Event e) {
    if (s.events.size() >= kMaxEvents)
      throw LitmusError(p_.file, t_.code[static_cast<std::size_t>(s.pc)].line, "unsupported: more than 64 events in one thread");
    e.thread = t_.id;
    e.po = static_cast<int>(s.events.size());
    e.ctrl = ctrl_of(s);
    s.events.push_back(e);
    return e.po;
  }

  // The location an instruction accesses; -1 when the address is not a pointer (the path is dropped:
  // it can only come from a read value no execution delivers, or herd7 would fault).
  int location(const Instr& in, const State& s, bool lock_op) const {
    const Value a = eval(in.addr, s.regs);
    if (!a.is_loc()) return -1;
    const int l = static_cast<int>(a.v);
    if (lock_op != lock_loc_[static_cast<std::size_t>(l)])
      throw LitmusError(p_.file, in.line,
                        lock_op ? "unsupported: lock operation on '" + p_.locations[static_cast<std::size_t>(l)] + "', which is also accessed as memory"
                                : "unsupported: ordinary access to spinlock '" + p_.locations[static_cast<std::size_t>(l)] + "' (lock.cat: mixed-lock-accesses)");
    return l;
  }

  // What a read of l may return on this path: the domain, and this path's own earlier stores to l.
  std::vector<Value> candidates(const State& s, int l) const {
    std::set<Value> v(d_.values[static_cast<std::size_t>(l)].begin(), d_.values[static_cast<std::size_t>(l)].end());
    for (const Event& e : s.events)
      if (e.kind == Ev::W && e.loc == l) v.insert(e.value);
    return {v.begin(), v.end()};
  }

  // An access through a value that is not a pointer ends the path here. Such paths exist because
  // the read values are over-approximated; the checker raises an error only if one takes part in
  // an execution the model allows (herd7 would fault there).
  void fault(State s, const Instr& in) {
    Path path{std::move(s.events), std::move(s.regs), in.line};
    (*on_path_)(path);
  }

  void set_reg(State& s, int r, Value v, Set taint) {
    if (r < 0) return;
    s.regs[static_cast<std::size_t>(r)] = v;
    s.taint[static_cast<std::size_t>(r)] = taint;
  }

  static Value apply(Expr::Op op, Value a, Value b) {
    Expr e;
    e.op = op;
    Expr x, y;
    x.value = a;
    y.value = b;
    e.args = {x, y};
    return eval(e, {});
  }

  Event mem(Ev k, int loc, Value v, std::uint32_t ann, Set addr_taint) const {
    Event e;
    e.kind = k;
    e.loc = loc;
    e.value = v;
    e.ann = ann;
    e.addr = addr_taint;
    return e;
  }
  Event fence(FenceKind k) const {
    Event e;
    e.kind = Ev::F;
    e.fence = k;
    return e;
  }

  static std::uint32_t ann_of(Order o) {
    switch (o) {
      case Order::Plain: return 0;
      case Order::Once: return kOnce;
      case Order::Acquire: return kAcquire;
      case Order::Release: return kRelease;
      case Order::Noreturn: return kNoreturn;
      case Order::Mb: return kOnce;
    }
    return 0;
  }

  void step(State s) {
    const auto& code = t_.code;
    for (;;) {
      while (!s.scopes.empty() && s.scopes.back().join == s.pc) s.scopes.pop_back();
      if (s.pc >= static_cast<int>(code.size())) {
        Path path{std::move(s.events), std::move(s.regs)};
        (*on_path_)(path);
        return;
      }
      const Instr& in = code[static_cast<std::size_t>(s.pc)];
      switch (in.kind) {
        case Instr::Kind::Assign:
          set_reg(s, in.dst, eval(in.a, s.regs), taint_of(in.a, s));
          ++s.pc;
          break;
        case Instr::Kind::Branch: {
          const bool taken = truthy(eval(in.a, s.regs));
          s.scopes.push_back({in.join, taint_of(in.a, s)});
          s.pc = taken ? s.pc + 1 : in.target;
          break;
        }
        case Instr::Kind::Jump: s.pc = in.target; break;
        case Instr::Kind::Fence:
          add(s, fence(in.fence));
          ++s.pc;
          break;
        case Instr::Kind::Store: {
          const int l = location(in, s, false);
          if (l < 0) return fault(std::move(s), in);
          Event e = mem(Ev::W, l, eval(in.a, s.regs), ann_of(in.order), taint_of(in.addr, s));
          e.data = taint_of(in.a, s);
          add(s, e);
          ++s.pc;
          break;
        }
        case Instr::Kind::Load: {
          const int l = location(in, s, false);
          if (l < 0) return fault(std::move(s), in);
          for (const Value& v : candidates(s, l)) {
            State c = s;
            const int e = add(c, mem(Ev::R, l, v, ann_of(in.order), taint_of(in.addr, c)));
            set_reg(c, in.dst, v, bit(e));
            ++c.pc;
            step(std::move(c));
          }
          return;
        }
        case Instr::Kind::Rmw: {
          const int l = location(in, s, false);
          if (l < 0) return fault(std::move(s), in);
          for (const Value& old : candidates(s, l)) rmw(s, in, l, old);
          return;
        }
        case Instr::Kind::Lock:
        case Instr::Kind::TryLock: {
          const int l = location(in, s, true);
          if (l < 0) return fault(std::move(s), in);
          {
            State c = s;
            const Set at = taint_of(in.addr, c);
            const int r = add(c, mem(Ev::R, l, Value::integer(0), kLKR, at));
            const int w = add(c, mem(Ev::W, l, Value::integer(1), kLKW, at));
            c.events[static_cast<std::size_t>(r)].rmw_with = w;
            set_reg(c, in.dst, Value::integer(1), 0);
            ++c.pc;
            step(std::move(c));
          }
          if (in.kind == Instr::Kind::TryLock) {
            State c = s;
            add(c, mem(Ev::R, l, Value::integer(1), kLF, taint_of(in.addr, c)));
            set_reg(c, in.dst, Value::integer(0), 0);
            ++c.pc;
            step(std::move(c));
          }
          return;
        }
        case Instr::Kind::Unlock: {
          const int l = location(in, s, true);
          if (l < 0) return fault(std::move(s), in);
          add(s, mem(Ev::W, l, Value::integer(0), kUL, taint_of(in.addr, s)));
          ++s.pc;
          break;
        }
        case Instr::Kind::IsLocked: {
          const int l = location(in, s, true);
          if (l < 0) return fault(std::move(s), in);
          for (const bool locked : {true, false}) {
            State c = s;
            add(c, mem(Ev::R, l, Value::integer(locked ? 1 : 0), locked ? (kRL | kLF) : kRU, taint_of(in.addr, c)));
            set_reg(c, in.dst, Value::integer(locked ? 1 : 0), 0);
            ++c.pc;
            step(std::move(c));
          }
          return;
        }
      }
    }
  }

  // herd7 lkmmv1 (CSem.ml): mb = F[mb]; R once; W once; F[mb]; _acquire: R acquire, W once;
  // _release: R once, W release; _relaxed: both once; a failed cmpxchg is one once read; a
  // non-returning atomic_op reads Noreturn and writes once.
  void rmw(const State& s0, const Instr& in, int l, Value old) {
    State s = s0;
    const Set at = taint_of(in.addr, s);
    const bool mb = in.order == Order::Mb;
    std::uint32_t ra = kOnce, wa = kOnce;
    if (in.order == Order::Acquire) ra = kAcquire;
    if (in.order == Order::Release) wa = kRelease;
    if (in.rmw == RmwKind::OpNoReturn) ra = kNoreturn;
    if (in.rmw == RmwKind::Cmpxchg && !(old == eval(in.a, s.regs))) {
      add(s, mem(Ev::R, l, old, kOnce | kAtomic, at));
      const int r = static_cast<int>(s.events.size()) - 1;
      set_reg(s, in.dst, old, bit(r));
      ++s.pc;
      step(std::move(s));
      return;
    }
    Value stored;
    Set data = 0;
    switch (in.rmw) {
      case RmwKind::Xchg:
        stored = eval(in.a, s.regs);
        data = taint_of(in.a, s);
        break;
      case RmwKind::Cmpxchg:
        stored = eval(in.b, s.regs);
        data = taint_of(in.b, s);
        break;
      case RmwKind::OpReturn:
      case RmwKind::FetchOp:
      case RmwKind::OpNoReturn:
        stored = apply(in.rmw_op, old, eval(in.a, s.regs));
        data = taint_of(in.a, s);
        break;
    }
    if (mb) add(s, fence(FenceKind::Mb));
    const int r = add(s, mem(Ev::R, l, old, ra | kAtomic, at));
    if (in.rmw == RmwKind::OpReturn || in.rmw == RmwKind::FetchOp || in.rmw == RmwKind::OpNoReturn) data |= bit(r);
    Event w = mem(Ev::W, l, stored, wa | kAtomic, at);
    w.data = data;
    const int wi = add(s, w);
    s.events[static_cast<std::size_t>(r)].rmw_with = wi;
    if (mb) add(s, fence(FenceKind::Mb));
    set_reg(s, in.dst, in.rmw == RmwKind::OpReturn ? stored : old, bit(r));
    ++s.pc;
    step(std::move(s));
  }

  const Program& p_;
  const Thread& t_;
  const Domains& d_;
  const std::vector<bool>& lock_loc_;
  const std::function<void(const Path&)>* on_path_ = nullptr;
};

// ---- one combination of thread paths ----------------------------------------------------------

class Checker {
 public:
  Checker(const Program& p, const CheckOptions& o, const std::vector<bool>& lock_loc, Result& res,
          std::map<FinalState, std::uint64_t>& states, std::set<std::string>& flags)
      : p_(p), o_(o), lock_loc_(lock_loc), res_(res), states_(states), flags_(flags) {}

  void combination(const std::vector<const Path*>& paths) {
    paths_ = &paths;
    build_events(paths);
    static_relations();
    choose_rf(0);
  }

 private:
  void build_events(const std::vector<const Path*>& paths) {
    ev_.clear();
    const int nloc = static_cast<int>(p_.locations.size());
    for (int l = 0; l < nloc; ++l) {
      Event e;
      e.kind = Ev::W;
      e.loc = l;
      e.value = p_.init[static_cast<std::size_t>(l)];
      e.ann = kIW;
      ev_.push_back(e);
    }
    std::vector<int> base;
    for (const Path* path : paths) {
      base.push_back(static_cast<int>(ev_.size()));
      for (const Event& e : path->events) ev_.push_back(e);
    }
    if (ev_.size() > kMaxEvents)
      throw LitmusError(p_.file, 0, "unsupported: more than 64 events (with one initial write per location) in one execution");
    n_ = static_cast<int>(ev_.size());
    // Local indices (rmw partner, dependency sets) to global ones.
    for (std::size_t t = 0; t < paths.size(); ++t) {
      const int b = base[t];
      for (std::size_t k = 0; k < paths[t]->events.size(); ++k) {
        Event& e = ev_[static_cast<std::size_t>(b) + k];
        if (e.rmw_with >= 0) e.rmw_with += b;
        e.addr <<= b;
        e.data <<= b;
        e.ctrl <<= b;
      }
    }
  }

  Set set_of(const std::function<bool(const Event&)>& f) const {
    Set s = 0;
    for (int i = 0; i < n_; ++i)
      if (f(ev_[static_cast<std::size_t>(i)])) s |= bit(i);
    return s;
  }
  Set ann(std::uint32_t a) const {
    return set_of([a](const Event& e) { return (e.ann & a) != 0; });
  }
  Set fences(FenceKind k) const {
    return set_of([k](const Event& e) { return e.kind == Ev::F && e.fence == k; });
  }
  Rel fencerel(Set s) const { return seq(po_, id(n_, s), po_); }

  void static_relations() {
    all_ = all_events(n_);
    IW_ = ann(kIW);
    LKR_ = ann(kLKR);
    LKW_ = ann(kLKW);
    UL_ = ann(kUL);
    RL_ = ann(kRL);
    LF_ = ann(kLF) | RL_;  // lock.cat: let LF = LF | RL
    RU_ = ann(kRU);
    R_ = set_of([](const Event& e) { return e.kind == Ev::R; });  // includes LKR, LF, RU
    W_ = set_of([](const Event& e) { return e.kind == Ev::W; });  // includes IW, LKW, UL
    M_ = R_ | W_;
    Noreturn_ = ann(kNoreturn);
    Once_ = ann(kOnce);
    Acquire_ = ann(kAcquire) | LKR_;
    Release_ = ann(kRelease) | UL_;
    RMW_ = ann(kAtomic);
    po_ = Rel(n_);
    int_ = Rel(n_);
    loc_ = Rel(n_);
    rmw_atomic_ = Rel(n_);
    addr0_ = Rel(n_);
    data0_ = Rel(n_);
    ctrl0_ = Rel(n_);
    for (int i = 0; i < n_; ++i) {
      const Event& a = ev_[static_cast<std::size_t>(i)];
      if (a.rmw_with >= 0 && !(a.ann & kLKR)) rmw_atomic_.add(i, a.rmw_with);
      for (Set x = a.addr; x; x &= x - 1) addr0_.add(std::countr_zero(x), i);
      for (Set x = a.data; x; x &= x - 1) data0_.add(std::countr_zero(x), i);
      for (Set x = a.ctrl; x; x &= x - 1) ctrl0_.add(std::countr_zero(x), i);
      for (int j = 0; j < n_; ++j) {
        const Event& b = ev_[static_cast<std::size_t>(j)];
        const bool same_thread = a.thread >= 0 && a.thread == b.thread;
        if (same_thread && a.po < b.po) po_.add(i, j);
        if (same_thread || i == j) int_.add(i, j);
        if (a.kind != Ev::F && b.kind != Ev::F && a.loc == b.loc) loc_.add(i, j);
      }
    }
    ext_ = cross(n_, all_, all_) - int_;
    po_loc_ = po_ & loc_;
    // linux-kernel.bell: Marked and Plain.
    Marked_ = (all_ & ~M_) | IW_ | Once_ | Release_ | Acquire_ | rmw_atomic_.domain() | rmw_atomic_.range() | LKR_ | LKW_ |
              UL_ | LF_ | RL_ | RU_;
    Plain_ = M_ & ~Marked_;
    // lock.cat: lk-rmw, critical, UNMATCHED-LKW, rfi-lf.
    lk_rmw_ = restrict(LKR_, po_loc_, LKW_) - seq(po_, po_);
    rmw_ = rmw_atomic_ | lk_rmw_;
    critical_ = restrict(LKW_, po_loc_, UL_) - seq(po_loc_, id(n_, LKW_ | UL_), po_loc_);
    unmatched_lkw_ = LKW_ & ~critical_.domain();
    rfi_lf_ = restrict(LKW_, po_loc_, LF_) - seq(id(n_, LKW_), po_loc_, id(n_, UL_), po_loc_);
    // The reads whose rf this checker chooses, with their candidate sources.
    reads_.clear();
    for (int i = 0; i < n_; ++i) {
      const Event& e = ev_[static_cast<std::size_t>(i)];
      if (e.kind != Ev::R || (LKR_ >> i & 1)) continue;  // LKR reads as lock.cat derives from co
      Set cands = 0;
      if (LF_ >> i & 1) {
        // rfi-lf if in its own critical section; else one external LKW of the lock.
        Set internal = 0;
        for (int w = 0; w < n_; ++w)
          if (rfi_lf_.has(w, i)) internal |= bit(w);
        if (internal) {
          reads_.push_back({i, internal, true});
          continue;
        }
        for (int w = 0; w < n_; ++w)
          if ((LKW_ >> w & 1) && loc_.has(w, i) && ext_.has(w, i)) cands |= bit(w);
      } else if (RU_ >> i & 1) {
        for (int w = 0; w < n_; ++w) {
          if (!(UL_ >> w & 1) || !loc_.has(w, i)) continue;
          if (po_loc_.has(w, i)) {
            bool later_ul = false;
            for (int u = 0; u < n_; ++u) later_ul = later_ul || ((UL_ >> u & 1) && po_loc_.has(w, u) && po_loc_.has(u, i));
            if (!later_ul) cands |= bit(w);
          }
        }
        for (int w = 0; w < n_; ++w)
          if (((UL_ | IW_) >> w & 1) && loc_.has(w, i) && ext_.has(w, i)) cands |= bit(w);
      } else {
        for (int w = 0; w < n_; ++w) {
          const Event& we = ev_[static_cast<std::size_t>(w)];
          if (we.kind == Ev::W && !(we.ann & (kLKW | kUL)) && we.loc == e.loc && we.value == e.value) cands |= bit(w);
        }
      }
      if (!cands) {
        reads_.clear();
        no_candidates_ = true;
        return;
      }
      reads_.push_back({i, cands, false});
    }
    no_candidates_ = false;
    // The writes co orders per location (cos-opt.cat over W = W | LKW, IW first; UL merged later).
    co_writes_.assign(p_.locations.size(), {});
    for (int i = 0; i < n_; ++i) {
      const Event& e = ev_[static_cast<std::size_t>(i)];
      if (e.kind == Ev::W && !(e.ann & (kIW | kUL))) co_writes_[static_cast<std::size_t>(e.loc)].push_back(i);
    }
  }

  struct ReadChoice {
    int read;
    Set sources;
    bool all;  // rfi-lf: every source at once (a relation, not a choice)
  };

  void choose_rf(std::size_t k) {
    if (no_candidates_) return;
    if (k == 0) rf_chosen_ = Rel(n_);
    if (k == reads_.size()) {
      co_ = Rel(n_);
      choose_co(0);
      return;
    }
    const ReadChoice& rc = reads_[k];
    if (rc.all) {
      Rel saved = rf_chosen_;
      for (Set x = rc.sources; x; x &= x - 1) rf_chosen_.add(std::countr_zero(x), rc.read);
      choose_rf(k + 1);
      rf_chosen_ = saved;
      return;
    }
    for (Set x = rc.sources; x; x &= x - 1) {
      const int w = std::countr_zero(x);
      rf_chosen_.add(w, rc.read);
      choose_rf(k + 1);
      rf_chosen_.r[static_cast<std::size_t>(w)] &= ~bit(rc.read);
    }
  }

  void choose_co(std::size_t loc) {
    if (loc == co_writes_.size()) {
      evaluate();
      return;
    }
    std::vector<int> ws = co_writes_[loc];
    std::sort(ws.begin(), ws.end());
    const int iw = static_cast<int>(loc);
    do {
      // co0: [IW];loc;[W] and ([LKW];loc;[UNMATCHED-LKW]) \ [UNMATCHED-LKW]: an unmatched lock
      // write comes after every other lock write of its lock.
      bool ok = true;
      for (std::size_t a = 0; a < ws.size() && ok; ++a)
        if (unmatched_lkw_ >> ws[a] & 1)
          for (std::size_t b = a + 1; b < ws.size() && ok; ++b) ok = !(LKW_ >> ws[b] & 1);
      if (!ok) continue;
      Rel saved = co_;
      std::vector<int> order{iw};
      order.insert(order.end(), ws.begin(), ws.end());
      for (std::size_t a = 0; a < order.size(); ++a)
        for (std::size_t b = a + 1; b < order.size(); ++b) co_.add(order[a], order[b]);
      if (coherent_at(static_cast<int>(loc))) choose_co(loc + 1);
      co_ = saved;
    } while (std::next_permutation(ws.begin(), ws.end()));
  }

  bool skip(Axiom a) const { return o_.skip[static_cast<int>(a)]; }

  // The coherence axiom restricted to one location (it only relates accesses of one location), so
  // that an incoherent co is cut before the next location's orders are enumerated. Lock locations
  // are left to evaluate(): their co and rf are completed there (lock.cat).
  bool coherent_at(int loc) const {
    if (skip(Axiom::Coherence) || lock_loc_[static_cast<std::size_t>(loc)]) return true;
    Set at = 0;
    for (int i = 0; i < n_; ++i)
      if (ev_[static_cast<std::size_t>(i)].kind != Ev::F && ev_[static_cast<std::size_t>(i)].loc == loc) at |= bit(i);
    const Rel rf = restrict(at, rf_chosen_, at), co = restrict(at, co_, at);
    return acyclic(restrict(at, po_loc_, at) | rf | co | seq(inverse(rf), co));
  }

  void evaluate() {
    ++res_.candidates;
    const int n = n_;
    const Rel ID = id(n, all_);
    auto S = [n](Set s) { return id(n, s); };
    // lock.cat: merge UL into co; LKR reads from the co-predecessor of its LKW.
    Rel co = plus(co_ | critical_ | seq(inverse(critical_), co_));
    const Rel co_imm = co - seq(co, co);  // singlestep(co)
    Rel rf = rf_chosen_ | seq(S(IW_ | UL_), co_imm, inverse(lk_rmw_));
    // Every read has exactly one source (herd7 builds rf that way); an LKR whose lock write follows
    // no IW or UL has none: not a candidate.
    for (int i = 0; i < n; ++i)
      if ((LKR_ >> i & 1) && std::popcount(inverse(rf).r[static_cast<std::size_t>(i)]) != 1) return;
    const Rel fr = seq(inverse(rf), co);
    const Rel rfe = rf & ext_, rfi = rf & int_, coe = co & ext_, fre = fr & ext_;
    // lock.cat's axioms.
    if (!(restrict(unmatched_lkw_, loc_, unmatched_lkw_) - ID).empty()) return;  // unmatched-locks
    const Rel po_ul_po = seq(po_loc_, S(UL_), po_loc_);
    if (!(restrict(LKW_, po_loc_, LKR_) - po_ul_po).empty()) return;  // lock-nest
    if (!(restrict(LKW_, po_loc_, RU_) - po_ul_po).empty()) return;   // nested-is-locked

    // linux-kernel.bell: dependencies carried through plain accesses.
    const Rel carry_dep = star(seq(data0_, rfi));  // (data ; [~Srcu-unlock] ; rfi)*
    const Rel addr = seq(carry_dep, addr0_);
    const Rel ctrl = seq(carry_dep, ctrl0_);
    const Rel data = seq(carry_dep, data0_);

    // Basic relations.
    const Rel acq_po = seq(S(Acquire_), po_, S(M_));
    const Rel po_rel = seq(S(M_), po_, S(Release_));
    const Rel po_unlock_lock_po = seq(po_, S(UL_), po_ | rf, S(LKR_), po_);
    const Set R4rmb = R_ & ~Noreturn_;
    const Rel rmb = restrict(R4rmb, fencerel(fences(FenceKind::Rmb)), R4rmb);
    const Rel wmb = restrict(W_, fencerel(fences(FenceKind::Wmb)), W_);
    const Rel mb = restrict(M_, fencerel(fences(FenceKind::Mb)), M_) |
                   seq(S(M_), fencerel(fences(FenceKind::BeforeAtomic)), S(RMW_), opt(po_), S(M_)) |
                   seq(S(M_), opt(po_), S(RMW_), fencerel(fences(FenceKind::AfterAtomic)), S(M_)) |
                   seq(S(M_), opt(po_), S(LKW_), fencerel(fences(FenceKind::AfterSpinlock)), S(M_)) |
                   seq(S(M_), po_unlock_lock_po, S(fences(FenceKind::AfterUnlockLock)), po_, S(M_));
    const Set sync_rcu = fences(FenceKind::SyncRcu);
    const Rel gp = seq(po_, S(sync_rcu), opt(po_));
    const Rel strong_fence = mb | gp;
    const Rel nonrw_fence = strong_fence | po_rel | acq_po;
    const Rel fence = nonrw_fence | wmb | rmb;
    const Rel barrier = fencerel(fences(FenceKind::Barrier) | fences(FenceKind::Rmb) | fences(FenceKind::Wmb) |
                                 fences(FenceKind::Mb) | sync_rcu | fences(FenceKind::BeforeAtomic) |
                                 fences(FenceKind::AfterAtomic) | Acquire_ | Release_ | fences(FenceKind::RcuLock) |
                                 fences(FenceKind::RcuUnlock)) |
                        seq(po_, S(Release_)) | seq(S(Acquire_), po_);

    // Coherence and atomicity.
    const Rel com = rf | co | fr;
    if (!skip(Axiom::Coherence) && !acyclic(po_loc_ | com)) return;
    if (!skip(Axiom::Atomic) && !(rmw_ & seq(fre, coe)).empty()) return;

    // Preserved program order.
    const Rel dep = addr | data;
    const Rel rwdep = seq(dep | ctrl, S(W_));
    const Rel overwrite = co | fr;
    const Rel to_w = rwdep | (overwrite & int_) | seq(addr, S(Plain_), wmb);
    const Rel to_r = seq(addr, S(R_)) | seq(dep, S(Marked_), rfi);
    const Rel ppo = to_r | to_w | (fence & int_) | (po_unlock_lock_po & int_);

    // Propagation.
    auto A_cumul = [&](const Rel& r) { return seq(opt(seq(rfe, S(Marked_))), r); };
    const Rel rmw_sequence = star(seq(rf, rmw_));
    const Rel cumul_fence = seq(S(Marked_), A_cumul(strong_fence | po_rel) | wmb | po_unlock_lock_po, S(Marked_), rmw_sequence);
    const Rel prop = seq(S(Marked_), opt(overwrite & ext_), star(cumul_fence), S(Marked_), opt(rfe), S(Marked_));

    const Rel hb = restrict(Marked_, ppo | rfe | ((prop - ID) & int_), Marked_);
    if (!skip(Axiom::HappensBefore) && !acyclic(hb)) return;
    const Rel hb_star = star(hb);
    const Rel pb = seq(prop, strong_fence, hb_star, S(Marked_));
    if (!skip(Axiom::Propagation) && !acyclic(pb)) return;
    const Rel pb_star = star(pb);

    // RCU.
    const Rel rcu_rscsi = inverse(rcu_rscs());
    const Rel rcu_gp = S(sync_rcu);
    const Rel rcu_link = seq(opt(po_), hb_star, pb_star, prop, po_);
    Rel rcu_order = rcu_gp | seq(rcu_gp, rcu_link, rcu_rscsi) | seq(rcu_rscsi, rcu_link, rcu_gp);
    for (;;) {  // the least fixpoint of `let rec rcu-order`
      const Rel next = rcu_order | seq(rcu_gp, rcu_link, rcu_order, rcu_link, rcu_rscsi) |
                       seq(rcu_rscsi, rcu_link, rcu_order, rcu_link, rcu_gp) | seq(rcu_order, rcu_link, rcu_order);
      if ((next - rcu_order).empty()) break;
      rcu_order = next;
    }
    const Rel rcu_fence = seq(po_, rcu_order, opt(po_));
    const Rel fence2 = fence | rcu_fence;
    const Rel strong_fence2 = strong_fence | rcu_fence;
    const Rel rb = seq(prop, rcu_fence, hb_star, pb_star, S(Marked_));
    if (!skip(Axiom::Rcu) && !irreflexive(rb)) return;

    // Plain accesses and data races.
    std::vector<std::string> flags;
    const Rel mixed = seq(S(Plain_ & W_), po_loc_ - barrier, S(Marked_)) | seq(S(Marked_), po_loc_ - barrier, S(Plain_ & W_));
    if (!mixed.empty()) flags.push_back("mixed-accesses");
    const Rel xbstar = star(hb | pb | rb);
    const Rel vis = seq(star(cumul_fence), opt(rfe), S(Marked_), seq(strong_fence2, S(Marked_), xbstar) | (xbstar & int_));
    const Rel w_pre_bounded = seq(S(Marked_), opt(addr | fence2));
    const Rel r_pre_bounded =
        seq(S(Marked_), opt(addr | nonrw_fence | restrict(R4rmb, fencerel(fences(FenceKind::Rmb)), all_ & ~Noreturn_)));
    const Rel w_post_bounded = seq(opt(fence2), S(Marked_), rmw_sequence);
    const Rel r_post_bounded =
        seq(opt(nonrw_fence | restrict(all_ & ~Noreturn_, fencerel(fences(FenceKind::Rmb)), R4rmb)), S(Marked_));
    const Rel ww_vis = fence2 | seq(strong_fence2, xbstar, w_pre_bounded) | seq(w_post_bounded, vis, w_pre_bounded);
    const Rel wr_vis = fence2 | seq(strong_fence2, xbstar, r_pre_bounded) | seq(w_post_bounded, vis, r_pre_bounded);
    const Rel rw_xbstar = fence2 | seq(r_post_bounded, xbstar, w_pre_bounded);
    const Rel pre_race = ext_ & (cross(n, Plain_, M_) | cross(n, M_ & ~IW_, Plain_));
    const Rel wr_incoh = pre_race & rf & inverse(rw_xbstar);
    const Rel rw_incoh = pre_race & fr & inverse(wr_vis);
    const Rel ww_incoh = pre_race & co & inverse(ww_vis);
    if (!skip(Axiom::PlainCoherence) && !(wr_incoh | rw_incoh | ww_incoh).empty()) return;
    const Rel ww_nonrace = ww_vis & (cross(n, Marked_, W_) | rw_xbstar) & (cross(n, W_, Marked_) | wr_vis);
    const Rel ww_race = (pre_race & co) - ww_nonrace;
    const Rel wr_race = ((pre_race & seq(opt(co), rf)) - wr_vis) - inverse(rw_xbstar);
    const Rel rw_race = (pre_race & fr) - rw_xbstar;
    if (!(ww_race | wr_race | rw_race).empty()) flags.push_back("data-race");

    // linux-kernel.bell and lock.cat flags.
    if (rcu_unmatched_lock_) flags.push_back("unmatched-rcu-lock");
    if (rcu_unmatched_unlock_) flags.push_back("unmatched-rcu-unlock");
    if (UL_ & ~critical_.range()) flags.push_back("unmatched-unlock");

    record(co, flags);
  }

  // linux-kernel.bell's rcu-rscs: the nesting of rcu_read_lock/unlock per thread.
  Rel rcu_rscs() {
    Rel m(n_);
    rcu_unmatched_lock_ = rcu_unmatched_unlock_ = false;
    std::map<int, std::vector<int>> open;
    for (int i = 0; i < n_; ++i) {
      const Event& e = ev_[static_cast<std::size_t>(i)];
      if (e.kind != Ev::F) continue;
      if (e.fence == FenceKind::RcuLock) open[e.thread].push_back(i);
      if (e.fence == FenceKind::RcuUnlock) {
        auto& st = open[e.thread];
        if (st.empty()) {
          rcu_unmatched_unlock_ = true;
        } else {
          m.add(st.back(), i);
          st.pop_back();
        }
      }
    }
    for (const auto& [t, st] : open) rcu_unmatched_lock_ = rcu_unmatched_lock_ || !st.empty();
    return m;
  }

  Value final_value(const Rel& co, const Observed& o) const {
    if (o.thread >= 0) {
      const Path& path = *(*paths_)[static_cast<std::size_t>(o.thread)];
      const auto& regs = p_.threads[static_cast<std::size_t>(o.thread)].registers;
      const auto it = std::find(regs.begin(), regs.end(), o.name);
      return path.regs[static_cast<std::size_t>(it - regs.begin())];
    }
    const int l = p_.location_index(o.name);
    int last = l;  // the IW
    for (int w = 0; w < n_; ++w)
      if (ev_[static_cast<std::size_t>(w)].kind == Ev::W && ev_[static_cast<std::size_t>(w)].loc == l && co.has(last, w)) last = w;
    return ev_[static_cast<std::size_t>(last)].value;
  }

  void record(const Rel& co, const std::vector<std::string>& flags) {
    for (const Path* path : *paths_)
      if (path->fault_line)
        throw LitmusError(p_.file, path->fault_line, "unsupported: an allowed execution accesses memory through a value that is not a pointer");
    if (p_.filter && !eval_prop(*p_.filter, [&](const Observed& o) { return final_value(co, o); })) return;
    FinalState st;
    for (const Observed& o : p_.observed) st.push_back(final_value(co, o));
    if (eval_prop(p_, p_.condition.prop, st))
      ++res_.positive;
    else
      ++res_.negative;
    ++states_[st];
    for (const auto& f : flags) flags_.insert(f);
  }

  const Program& p_;
  const CheckOptions& o_;
  const std::vector<bool>& lock_loc_;
  Result& res_;
  std::map<FinalState, std::uint64_t>& states_;
  std::set<std::string>& flags_;
  const std::vector<const Path*>* paths_ = nullptr;

  std::vector<Event> ev_;
  int n_ = 0;
  Set all_ = 0, IW_ = 0, LKR_ = 0, LKW_ = 0, UL_ = 0, RL_ = 0, LF_ = 0, RU_ = 0, R_ = 0, W_ = 0, M_ = 0, Noreturn_ = 0,
      Once_ = 0, Acquire_ = 0, Release_ = 0, RMW_ = 0, Marked_ = 0, Plain_ = 0, unmatched_lkw_ = 0;
  Rel po_, int_, ext_, loc_, po_loc_, rmw_atomic_, rmw_, lk_rmw_, critical_, rfi_lf_, addr0_, data0_, ctrl0_;
  std::vector<ReadChoice> reads_;
  bool no_candidates_ = false;
  std::vector<std::vector<int>> co_writes_;
  Rel rf_chosen_, co_;
  bool rcu_unmatched_lock_ = false, rcu_unmatched_unlock_ = false;
};

// Locations used by lock operations (declared spinlock_t, or passed to spin_*).
std::vector<bool> lock_locations(const Program& p) {
  std::vector<bool> lock = p.is_lock;
  for (const auto& t : p.threads)
    for (const auto& in : t.code)
      if ((in.kind == Instr::Kind::Lock || in.kind == Instr::Kind::Unlock || in.kind == Instr::Kind::TryLock ||
           in.kind == Instr::Kind::IsLocked) &&
          in.addr.op == Expr::Op::Const && in.addr.value.is_loc())
        lock[static_cast<std::size_t>(in.addr.value.v)] = true;
  return lock;
}

// The values a read may return, per location. herd7 reads symbolic values and solves the
// equations an execution's rf induces, so a load may return a value that only the store it
// justifies produces (`r0 = *x; if (r0 == 1) *y = 1;` and the mirror: both read 1). Here the
// sets start from every integer constant of the program and the initial values (the solutions such
// equalities can have), and grow to the fixpoint of "every value some path of another thread
// stores when its reads return values from its current sets" (a thread's own earlier stores are
// added per path, at the read). A chain of n stores needs n rounds; there are no loops, so
// one execution's chain is at most the number of store instructions long. Values no store of an
// execution writes find no rf source and cost nothing but time.
std::vector<Domains> value_domains(const Program& p, const std::vector<bool>& lock_loc) {
  const std::size_t nloc = p.locations.size(), nthreads = p.threads.size();
  std::size_t stores = 0;
  for (const auto& t : p.threads)
    for (const auto& in : t.code) stores += (in.kind == Instr::Kind::Store || in.kind == Instr::Kind::Rmw);
  std::set<Value> constants;
  std::function<void(const Expr&)> collect = [&](const Expr& e) {
    if (e.op == Expr::Op::Const && !e.value.is_loc()) constants.insert(e.value);
    for (const auto& a : e.args) collect(a);
  };
  for (const auto& t : p.threads)
    for (const auto& in : t.code) {
      collect(in.addr);
      collect(in.a);
      collect(in.b);
    }
  std::vector<std::set<Value>> base(nloc);
  for (std::size_t l = 0; l < nloc; ++l) {
    base[l] = constants;
    base[l].insert(p.init[l]);
  }
  std::vector<Domains> d(nthreads);
  for (auto& dt : d)
    for (std::size_t l = 0; l < nloc; ++l) dt.values.emplace_back(base[l].begin(), base[l].end());
  for (std::size_t round = 0; round <= stores + 1; ++round) {
    // What each thread stores, per location, when its reads return values from its domain.
    std::vector<std::vector<std::set<Value>>> stored(nthreads, std::vector<std::set<Value>>(nloc));
    for (std::size_t t = 0; t < nthreads; ++t) {
      ThreadRunner run(p, p.threads[t], d[t], lock_loc);
      run.run([&](const Path& path) {
        for (const auto& e : path.events)
          if (e.kind == Ev::W && !(e.ann & (kLKW | kUL))) stored[t][static_cast<std::size_t>(e.loc)].insert(e.value);
      });
    }
    bool changed = false;
    for (std::size_t t = 0; t < nthreads; ++t)
      for (std::size_t l = 0; l < nloc; ++l) {
        std::set<Value> v = base[l];
        for (std::size_t u = 0; u < nthreads; ++u)
          if (u != t) v.insert(stored[u][l].begin(), stored[u][l].end());
        if (v.size() > 64) throw LitmusError(p.file, 0, "unsupported: more than 64 possible values of '" + p.locations[l] + "'");
        std::vector<Value> next(v.begin(), v.end());
        changed = changed || next != d[t].values[l];
        d[t].values[l] = std::move(next);
      }
    if (!changed) break;
  }
  return d;
}

}  // namespace

Result check(const Program& p, const CheckOptions& options) {
  const std::vector<bool> lock_loc = lock_locations(p);
  const std::vector<Domains> d = value_domains(p, lock_loc);
  std::vector<std::vector<Path>> paths(p.threads.size());
  for (std::size_t t = 0; t < p.threads.size(); ++t) {
    ThreadRunner run(p, p.threads[t], d[t], lock_loc);
    run.run([&](const Path& path) { paths[t].push_back(path); });
  }
  Result res;
  std::map<FinalState, std::uint64_t> states;
  std::set<std::string> flags;
  Checker checker(p, options, lock_loc, res, states, flags);
  std::vector<const Path*> combo(p.threads.size(), nullptr);
  std::function<void(std::size_t)> pick = [&](std::size_t t) {
    if (t == paths.size()) {
      checker.combination(combo);
      return;
    }
    for (const Path& path : paths[t]) {
      combo[t] = &path;
      pick(t + 1);
    }
  };
  pick(0);
  for (const auto& [s, c] : states) res.states.push_back({s, c});
  // herd7's order: integers before addresses, integers by value, addresses by location name.
  auto less = [&p](const Value& a, const Value& b) {
    if (a.kind != b.kind) return a.kind < b.kind;
    if (a.is_loc()) return p.locations[static_cast<std::size_t>(a.v)] < p.locations[static_cast<std::size_t>(b.v)];
    return a.v < b.v;
  };
  std::stable_sort(res.states.begin(), res.states.end(), [&](const StateCount& x, const StateCount& y) {
    return std::lexicographical_compare(x.state.begin(), x.state.end(), y.state.begin(), y.state.end(), less);
  });
  res.flags.assign(flags.begin(), flags.end());
  switch (p.condition.quantifier) {
    case Condition::Quantifier::Exists: res.ok = res.positive > 0; break;
    case Condition::Quantifier::NotExists: res.ok = res.positive == 0; break;
    case Condition::Quantifier::Forall: res.ok = res.negative == 0; break;
  }
  return res;
}

}  // namespace litmus
