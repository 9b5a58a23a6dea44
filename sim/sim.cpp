// sim/sim.cpp — the engine's scheduler, context stacks and fiber switching (see sim.h).
#include "sim/sim.h"
#include "sim/memory.h"
#include "sim/choice.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace sim {

namespace ctx = boost::context;

std::string_view op_name(Op op) {
  constexpr std::string_view names[] = {
      "start", "finish",  "fire",      "load",   "store", "xchg",     "cmpxchg", "cmpxchg-fail",
      "fetch_add", "fetch_or", "fetch_and", "lock", "lock-blocked", "trylock-fail", "unlock",
      "yield", "copy-in", "copy-out", "wait", "wake", "note", "stale-read", "fence"};
  static_assert(std::size(names) == static_cast<std::size_t>(Op::kCount));
  return names[static_cast<int>(op)];
}

std::optional<Property> property_from_name(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kPropertyNames); ++i)
    if (kPropertyNames[i] == name) return static_cast<Property>(i);
  return std::nullopt;
}

std::string_view memory_model_name(MemoryModel m) {
  switch (m) {
    case MemoryModel::Sc: return "sc";
    case MemoryModel::Tso: return "tso";
    case MemoryModel::Lkmm: return "lkmm";
  }
  return "?";
}

std::optional<MemoryModel> memory_model_from_name(std::string_view name) {
  for (MemoryModel m : {MemoryModel::Sc, MemoryModel::Tso, MemoryModel::Lkmm})
    if (memory_model_name(m) == name) return m;
  return std::nullopt;
}

SimObject::SimObject(Sim& sim, std::string_view name) : sim_(sim), id_(sim.register_object(this, name)) {}

Sim::Sim(Config config) : config_(config), stack_alloc_(config.stack_size), cpus_(1) {
  // The spin rule holds under sc only: under tso and lkmm a load may read a newer store (a buffer
  // draining, a later store in coherence order) with no recorded write in between, so a pure
  // iteration re-run without one is not a no-op. config() says what is in effect.
  if (config_.memory_model != MemoryModel::Sc) config_.spin_wait = false;
  memory_ = make_memory(*this, config.memory_model, config.promise_bound);
}

std::uint32_t Sim::choose_memory(std::uint32_t n, bool rare) {
  if (n < 2 || !source_) return 0;
  if (n > kMaxOptions) n = kMaxOptions;
  std::uint32_t k;
  if (source_->uniform && rare) {
    k = source_->uniform->below(n - 1 + kRareWeight);
    k = k < kRareWeight ? 0 : k - kRareWeight + 1;
  } else if (source_->uniform) {
    k = source_->uniform->below(n);
  } else if (source_->blind) {
    k = source_->pick(nullptr, n, *this);
  } else {
    Option opts[kMaxOptions];
    for (std::uint32_t i = 0; i < n; ++i) opts[i] = Option{static_cast<std::uint16_t>(running_), Option::Memory};
    k = source_->pick(opts, n, *this);
  }
  ++n_choices_;
  if (recording_) choices_.push_back(k);
  return k;
}

void Sim::fence(Fence f) {
  if (recording_) push_event(Op::Fence, kNoObject, static_cast<std::uint64_t>(f), 0, Mo::SeqCst);
  if (memory_) memory_->fence(f);
}

std::string_view fence_name(Fence f) {
  switch (f) {
    case Fence::Mb: return "smp_mb()";
    case Fence::Rmb: return "smp_rmb()";
    case Fence::Wmb: return "smp_wmb()";
    case Fence::MbBeforeAtomic: return "smp_mb__before_atomic()";
    case Fence::MbAfterAtomic: return "smp_mb__after_atomic()";
  }
  return "?";
}

void Sim::trace_only(Op op, std::uint32_t object, std::uint64_t value, std::uint64_t extra) {
  if (recording_) push_event(op, object, value, extra, Mo::Relaxed);
}

Sim::~Sim() {
  // Unwind every fiber that is still inside its body (forced_unwind), then drop the parked ones.
  // A fiber that never ran is entered once by its destruction under the ucontext backend: the
  // flag makes it return at once instead of running its body against destroyed model objects.
  destroying_ = true;
  for (auto& a : actors_) a.fiber = {};
}

void Sim::set_cpus(int n) {
  if (n < 1 || n > 64) throw std::invalid_argument("cpu count must be in [1, 64]");
  if (!actors_.empty()) throw std::logic_error("set_cpus after actors were added");
  cpus_.assign(static_cast<std::size_t>(n), Cpu{});
}

int Sim::add_actor(std::string name, int cpu, Ctx c, std::function<void()> body, int source) {
  if (actors_.size() >= 0xffff) throw std::invalid_argument("too many actors");
  Actor a;
  a.name = std::move(name);
  a.body = std::move(body);
  a.cpu = cpu;
  a.ctx = c;
  a.source = source;
  actors_.push_back(std::move(a));
  return static_cast<int>(actors_.size() - 1);
}

int Sim::add_task(std::string name, int cpu, std::function<void()> body) {
  if (cpu < 0 || cpu >= cpus()) throw std::invalid_argument("task cpu out of range");
  int id = add_actor(std::move(name), cpu, Ctx::Task, std::move(body), -1);
  cpus_[cpu].tasks.push_back(id);
  cpus_[cpu].ready.reserve(cpus_[cpu].tasks.size());  // never grows during an execution
  return id;
}

int Sim::add_interrupt(std::string name, int cpu, Ctx kind, std::uint32_t fires, std::function<void()> body) {
  if (cpu < 0 || cpu >= cpus()) throw std::invalid_argument("interrupt cpu out of range");
  if (kind == Ctx::Task) throw std::invalid_argument("an interrupt source needs an interrupt context");
  Source s{Source::Interrupt, -1, cpu, kind, fires, fires, false, 0};
  sources_.push_back(s);
  int src = static_cast<int>(sources_.size() - 1);
  sources_[src].actor = add_actor(std::move(name), cpu, kind, std::move(body), src);
  return src;
}

int Sim::add_irq_work(std::string name, std::function<void()> body) {
  Source s{Source::IrqWork, -1, -1, Ctx::Hardirq, 0, 0, false, 0};
  sources_.push_back(s);
  int src = static_cast<int>(sources_.size() - 1);
  sources_[src].actor = add_actor(std::move(name), 0, Ctx::Hardirq, std::move(body), src);
  return src;
}

int Sim::add_timer(std::string name, int cpu, std::function<void()> body) {
  if (cpu < 0 || cpu >= cpus()) throw std::invalid_argument("timer cpu out of range");
  Source s{Source::Timer, -1, cpu, Ctx::Softirq, 0, 0, false, 0};
  sources_.push_back(s);
  int src = static_cast<int>(sources_.size() - 1);
  sources_[src].actor = add_actor(std::move(name), cpu, Ctx::Softirq, std::move(body), src);
  return src;
}

void Sim::load(Workload& workload) {
  workload_ = &workload;
  workload.build(*this);
  if (actors_.size() + 1 > kMaxOptions) throw std::invalid_argument("too many actors for one simulation");
}

std::uint32_t Sim::register_object(SimObject* obj, std::string_view name) {
  objects_.push_back(obj);
  std::uint32_t same = 0;  // earlier objects of the same name: the key stays unique and stable
  for (const std::string& n : object_names_) same += n == name;
  object_names_.emplace_back(name);
  object_keys_.push_back(static_cast<std::uint32_t>(splitmix64_mix(hash_step(stable_text_hash(name), same))));
  return static_cast<std::uint32_t>(objects_.size() - 1);
}

std::uint32_t Sim::note_id(std::string_view text) {
  for (std::size_t i = 0; i < notes_.size(); ++i)
    if (notes_[i] == text) return static_cast<std::uint32_t>(i);
  notes_.emplace_back(text);
  note_keys_.push_back(static_cast<std::uint32_t>(splitmix64_mix(stable_text_hash(text))));
  return static_cast<std::uint32_t>(notes_.size() - 1);
}

// ---------------------------------------------------------------------------------------------
// Fibers. Switching is symmetric: the running fiber resumes the target directly and, when some
// fiber later resumes it, stores that fiber's continuation in the slot of whoever switched.

void Sim::make_fiber(int id) {
  actors_[id].fiber = ctx::fiber(std::allocator_arg, stack_alloc_, [this, id](ctx::fiber&& caller) -> ctx::fiber {
    if (destroying_) return std::move(caller);
    if (switching_from_ == kDriver)
      driver_ = std::move(caller);
    else
      actors_[switching_from_].fiber = std::move(caller);
    actor_loop(id);
  });
}


void Sim::actor_loop(int id) {
  for (;;) {
    actors_[id].in_body = true;
    try {
      actors_[id].body();
      actors_[id].in_body = false;
      finish_running();  // parks this fiber until the actor runs again (next firing or execution)
    } catch (const ctx::detail::forced_unwind&) {
      throw;  // a fiber being destroyed: must reach Boost's trampoline
    } catch (...) {
      if (!error_) error_ = std::current_exception();
      actors_[id].in_body = true;
      end_execution(State::Errored);  // never resumed in this execution
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Running an execution.

ExecResult Sim::run(ChoiceSource& source, RunOptions options) {
  if (!workload_) throw std::logic_error("Sim::run before Sim::load");
  if (memory_ && memory_->wants_priming()) {  // lkmm: learn the promisable values (memory.h)
    memory_->set_priming(true);
    ReplaySource zeros({}, false);
    StepObserver* saved = observer_;
    observer_ = nullptr;
    run(zeros);
    observer_ = saved;
    memory_->set_priming(false);
  }
  // Fibers still inside a body (the previous execution stopped mid-way) restart from the top.
  for (int i = 0; i < actor_count(); ++i) {
    Actor& a = actors_[i];
    if (a.in_body || !a.fiber) {
      a.fiber = {};
      a.in_body = false;
      make_fiber(i);
    }
    a.done = a.active = a.asleep = a.woken = false;
    a.spin_pure = true;
    a.spin_blocked = false;
    a.spin_n = 0;
    a.blocked_on = a.sleeping_on = -1;
  }
  for (auto& c : cpus_) {
    c.current_task = -1;
    c.depth = 0;
    c.irqs_disabled = false;
    c.preempt = c.bh = c.nmi = c.hardirq = c.softirq = 0;
  }
  for (auto& s : sources_) {
    s.fires_left = s.fires;
    s.pending = false;
    s.expires = 0;
    if (s.kind == Source::IrqWork) s.cpu = -1;
  }
  for (auto* l : locks_) l->holder = -1, l->blocked = 0;
  for (auto* o : objects_) o->reset();
  if (memory_) memory_->begin();
  for (auto& c : cpus_) c.n_top = c.n_others = c.n_src = 0;
  total_ = total_src_ = 0;
  dirty_ = dirty_tasks_ = cpus_.size() == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << cpus_.size()) - 1;
  next_timer_ = ~std::uint64_t{0};
  steps_ = 0;
  hash_ = kHashSeed;
  preemptions_ = interrupts_ = n_choices_ = 0;
  event_seq_ = 0;
  violation_.reset();
  waiting_.reset();
  error_ = nullptr;
  recording_ = options.record;
  spin_watchers_.assign(objects_.size(), 0);
  spin_epoch_.assign(objects_.size(), 0);
  yielding_ = false;
  trace_.clear();
  choices_.clear();
  state_ = State::Running;
  source_ = &source;
  // choose()'s common path: a uniform source (its generator drawn directly) or a blind one (replay,
  // bytes: pick() without the option list), no enabled-set check, no observer.
  fast_ = (source.uniform || source.blind) && !config_.check_enabled_sets && !observer_;
  fast_rng_ = source.uniform;
  running_ = kDriver;
  workload_->reset(*this);
  source.begin(*this);

  schedule();  // from the driver: returns when the execution has ended

  running_ = kDriver;
  bool infeasible = state_ == State::Infeasible;
  if (infeasible) {
    violation_.reset();
    state_ = State::Running;  // neither finished (no checks) nor violated
  }
  if (memory_ && !infeasible) {
    if (state_ == State::Finished) memory_->end();
    // An open or broken promise: what ran is not an execution of the program (sim/memory.h).
    if (!error_ && (memory_->unjustified() || waiting_)) {
      infeasible = true;
      violation_.reset();
      state_ = State::Running;  // neither finished (no checks) nor violated
    }
  }
  const bool all_finished = state_ == State::Finished;
  if (state_ == State::Finished) workload_->check_final(*this);
  ExecResult r;
  r.infeasible = infeasible;
  if (memory_) r.stale_reads = memory_->stale_reads();
  r.all_finished = all_finished;
  r.steps = steps_;
  r.trace_hash = splitmix64_mix(hash_);
  r.preemptions = preemptions_;
  r.interrupts = interrupts_;
  r.choices = n_choices_;
  if (error_) {
    r.end = ExecResult::End::Error;
    r.error = error_;
  } else if (violation_) {
    r.end = ExecResult::End::Violation;
    r.violation = std::move(violation_);
  } else {
    r.end_state_hash = workload_->end_state_hash(*this);
  }
  source_ = nullptr;
  return r;
}

void Sim::end_execution(State s) {
  state_ = s;
  if (running_ != kDriver) transfer(kDriver);  // the caller's fiber is parked for good
}

void Sim::promises_resolved(bool outstanding, bool infeasible) {
  if (running_ == kDriver || state_ != State::Running) return;
  if (infeasible) {
    end_execution(State::Infeasible);  // never returns to the actor
    return;
  }
  if (!outstanding && waiting_) {  // kept: the violation stands as it was reported
    violation_ = std::move(waiting_);
    waiting_.reset();
    end_execution(State::Violated);
  }
}

void Sim::report(Violation v) {
  const std::uint32_t always = (1u << static_cast<int>(Property::MemorySafety)) |
                               (1u << static_cast<int>(Property::Deadlock)) | (1u << static_cast<int>(Property::StepBound));
  if (!((config_.checked | always) & (1u << static_cast<int>(v.property)))) return;
  if (memory_ && running_ != kDriver && state_ == State::Running && !violation_ && memory_->outstanding()) [[unlikely]] {
    // lkmm, a promise is open: the violation stands only if the promise is kept (sim/memory.h).
    if (v.property == Property::MemorySafety || v.property == Property::Deadlock || v.property == Property::StepBound) {
      end_execution(State::Infeasible);
      return;
    }
    if (!waiting_) {
      v.step = steps_;
      v.actor = running_;
      v.cpu = actors_[running_].cpu;
      v.ctx = actors_[running_].ctx;
      waiting_ = std::move(v);
    }
    return;  // the actor goes on until its promises resolve
  }
  if (violation_ || state_ != State::Running) {
    // A second violation in one execution (end checks): keep the first.
    if (!violation_) violation_ = std::move(v);
    return;
  }
  if (running_ != kDriver) {
    v.step = steps_;
    v.actor = running_;
    v.cpu = actors_[running_].cpu;
    v.ctx = actors_[running_].ctx;
  }
  violation_ = std::move(v);
  if (running_ != kDriver) end_execution(State::Violated);
  else state_ = State::Violated;
}

void Sim::report(Property p, std::string message, std::vector<std::uint64_t> messages) {
  Violation v;
  v.property = p;
  v.step = steps_;
  v.message = std::move(message);
  v.messages = std::move(messages);
  report(std::move(v));
}

void Sim::step_bound_exceeded() {
  report(Property::StepBound, "execution exceeded its step bound of " + std::to_string(config_.step_bound));
}

void Sim::yield() {
  yielding_ = true;  // a spin-wait: the spinner is the last option, not option 0 (see enumerate)
  if (config_.spin_wait && running_ != kDriver) {
    Actor& a = actors_[running_];
    // An iteration that read a value another actor has overwritten since (it was preempted, or the
    // writer runs on another CPU) saw a stale value: re-running it may not spin, so it must not block.
    for (int i = 0; i < a.spin_n && a.spin_pure; ++i)
      if (spin_epoch_[a.spin_reads[i]] != a.spin_epochs[i]) a.spin_pure = false;
    if (a.spin_pure && a.spin_n > 0) {  // a pure iteration: wait for a write to what it read
      a.spin_blocked = true;
      for (int i = 0; i < a.spin_n; ++i) ++spin_watchers_[a.spin_reads[i]];
      touch_tasks(a.cpu);
    }
  }
  yield_point();
  record(Op::Yield, kNoObject, 0);
  if (config_.spin_wait && running_ != kDriver) {  // a new iteration starts
    actors_[running_].spin_pure = true;
    actors_[running_].spin_n = 0;
  }
  if (source_) source_->on_yield(running_);
}

void Sim::spin_unblock(int actor) {
  Actor& a = actors_[actor];
  a.spin_blocked = false;
  for (int i = 0; i < a.spin_n; ++i) --spin_watchers_[a.spin_reads[i]];
  touch_tasks(a.cpu);
}

void Sim::spin_read(Actor& me, std::uint32_t object) {
  for (int i = 0; i < me.spin_n; ++i)
    if (me.spin_reads[i] == object) {
      me.spin_epochs[i] = spin_epoch_[object];
      return;
    }
  if (me.spin_n == kSpinReads) {
    me.spin_pure = false;  // too much read to wait on: never blocks
  } else {
    me.spin_epochs[me.spin_n] = spin_epoch_[object];
    me.spin_reads[me.spin_n++] = object;
  }
}

void Sim::spin_wake(std::uint32_t object) {
  for (int a = 0; a < actor_count(); ++a)
    if (actors_[a].spin_blocked)
      for (int i = 0; i < actors_[a].spin_n; ++i)
        if (actors_[a].spin_reads[i] == object) {
          spin_unblock(a);
          break;
        }
}

bool Sim::runnable(int a) const {
  const Actor& x = actors_[a];
  if (x.asleep || x.spin_blocked) return false;
  if (x.blocked_on >= 0 && locks_[x.blocked_on]->holder >= 0) return false;
  return !x.done;
}

bool Sim::source_allowed(const Source& s) const {
  if (actors_[s.actor].active) return false;
  switch (s.kind) {
    case Source::Interrupt:
      if (s.fires_left == 0) return false;
      break;
    case Source::IrqWork:
      if (!s.pending) return false;
      break;
    case Source::Timer:
      if (!s.pending || steps_ < s.expires) return false;
      break;
  }
  const Cpu& c = cpus_[s.cpu];
  switch (s.ctx) {
    case Ctx::Nmi:
      return c.nmi == 0;
    case Ctx::Hardirq:
      return !c.irqs_disabled && c.nmi == 0 && c.hardirq == 0;
    case Ctx::Softirq:
      return !c.irqs_disabled && c.depth == 0 && c.bh == 0;
    case Ctx::Task:
      break;
  }
  return false;
}


inline std::uint32_t Sim::enumerate(Option* out, bool spinning) const {
  std::uint32_t n = 0;
  // Option 0: the running actor goes on; after a finish, the new top of its CPU.
  int preferred = -1;
  int spinner = -1;  // a running actor in sim.yield(): offered last, so option 0 lets others run
  if (running_ != kDriver && spinning) {
    if (runnable(running_)) spinner = running_;
  } else if (running_ != kDriver) {
    const Actor& r = actors_[running_];
    if (r.active && runnable(running_) && cpus_[r.cpu].top() == running_) {
      preferred = running_;
    } else {
      int top = cpus_[r.cpu].top();
      if (top >= 0 && runnable(top)) preferred = top;
    }
  }
  if (preferred >= 0) out[n++] = Option{static_cast<std::uint16_t>(preferred), Option::Continue};
  // A spinner waits for someone else: pending interrupts come first, so that the all-zero
  // schedule (and a replay past its end) makes progress instead of spinning to the step bound.
  if (spinner >= 0)
    for (const Source& s : sources_)
      if (s.cpu >= 0 && source_allowed(s)) out[n++] = Option{static_cast<std::uint16_t>(s.actor), Option::Fire};
  for (const Cpu& c : cpus_) {
    int top = c.top();
    if (top >= 0 && top != preferred && top != spinner && runnable(top))
      out[n++] = Option{static_cast<std::uint16_t>(top), Option::Switch};
    const bool others = c.tasks.size() > (c.current_task < 0 ? 0u : 1u);
    if (others && c.depth == 0 && (c.current_task < 0 || (c.preempt == 0 && !c.irqs_disabled && c.bh == 0))) {
      for (int t : c.tasks)
        if (t != c.current_task && t != preferred && runnable(t))
          out[n++] = Option{static_cast<std::uint16_t>(t), Option::StartTask};
    }
  }
  if (spinner < 0)
    for (const Source& s : sources_)
      if (s.cpu >= 0 && source_allowed(s)) out[n++] = Option{static_cast<std::uint16_t>(s.actor), Option::Fire};
  if (spinner >= 0) out[n++] = Option{static_cast<std::uint16_t>(spinner), Option::Switch};
  return n;
}


inline void Sim::dispatch(const Option& o) {
  Actor& a = actors_[o.actor];
  switch (o.kind) {
    case Option::Continue:
    case Option::Switch:
    case Option::Memory:  // never offered by the scheduler
      break;
    case Option::StartTask: {
      Cpu& c = cpus_[a.cpu];
      start_task_counts(a.cpu, o.actor);
      c.current_task = o.actor;
      if (!a.active) {
        a.active = true;
        int saved = running_;
        running_ = o.actor;
        record(Op::Start, kNoObject, 0);
        running_ = saved;
      }
      break;
    }
    case Option::Fire: {
      Source& s = sources_[a.source];
      Cpu& c = cpus_[s.cpu];
      c.frames[c.depth++] = Frame{o.actor, c.irqs_disabled, c.preempt, c.bh};
      touch(s.cpu);
      a.cpu = s.cpu;
      a.active = true;
      switch (s.ctx) {
        case Ctx::Nmi: ++c.nmi; c.irqs_disabled = true; break;
        case Ctx::Hardirq: ++c.hardirq; c.irqs_disabled = true; break;
        case Ctx::Softirq: ++c.softirq; break;
        case Ctx::Task: break;
      }
      if (s.kind == Source::Interrupt) --s.fires_left;
      else s.pending = false;  // the kernel clears PENDING before running the work
      ++interrupts_;
      int saved = running_;
      running_ = o.actor;
      record(Op::Fire, kNoObject, static_cast<std::uint64_t>(s.cpu));
      running_ = saved;
      break;
    }
  }
}

void Sim::start_task_counts(int ci, int task) {
  Cpu& c = cpus_[ci];
  if ((dirty_ | dirty_tasks_) & (std::uint64_t{1} << ci)) {
    touch_tasks(ci);
    return;
  }
  // StartTask is offered only on a CPU that may switch (depth 0, preemption, irqs, bh on), and it
  // changes none of that nor any source: the ready list trades `task` for the preempted one.
  const int prev = c.current_task;
  auto it = std::find(c.ready.begin(), c.ready.end(), static_cast<std::uint16_t>(task));
  if (it == c.ready.end()) {  // not from the counts (a source that built its own list): recount
    touch_tasks(ci);
    return;
  }
  c.ready.erase(it);
  if (prev >= 0 && runnable(prev))
    c.ready.insert(std::upper_bound(c.ready.begin(), c.ready.end(), static_cast<std::uint16_t>(prev)),
                   static_cast<std::uint16_t>(prev));
  total_ -= c.n_top + c.n_others;
  c.n_top = 1;
  c.n_others = static_cast<std::uint16_t>(c.ready.size());
  total_ += c.n_top + c.n_others;
}

void Sim::recount(int ci) {
  Cpu& c = cpus_[ci];
  const std::uint32_t before = c.n_top + c.n_others + c.n_src;
  const std::uint32_t src_before = c.n_src;
  const int top = c.top();
  c.n_top = top >= 0 && runnable(top);
  if (dirty_tasks_ & (std::uint64_t{1} << ci)) {
    dirty_tasks_ &= ~(std::uint64_t{1} << ci);
    c.ready.clear();
    for (int t : c.tasks)
      if (t != c.current_task && runnable(t)) c.ready.push_back(static_cast<std::uint16_t>(t));
  }
  const bool switchable = c.depth == 0 && (c.current_task < 0 || (c.preempt == 0 && !c.irqs_disabled && c.bh == 0));
  c.n_others = switchable ? static_cast<std::uint16_t>(c.ready.size()) : 0;
  c.n_src = 0;
  for (const Source& s : sources_) c.n_src += s.cpu == ci && source_allowed(s);
  total_ += c.n_top + c.n_others + c.n_src;
  total_ -= before;
  total_src_ += c.n_src;
  total_src_ -= src_before;
}

void Sim::refresh_timers() {
  // Some pending timer may have expired: its CPU recounts; the next expiry to watch is recomputed
  // (re-arming only ever makes next_timer_ early, which costs one extra pass here).
  std::uint64_t next = ~std::uint64_t{0};
  for (const Source& s : sources_) {
    if (s.kind != Source::Timer || !s.pending) continue;
    if (s.expires <= steps_) touch(s.cpu);
    else if (s.expires < next) next = s.expires;
  }
  next_timer_ = next;
}

Option Sim::nth_option(std::uint32_t j, int skip_top_of) const {
  for (int ci = 0; ci < cpus(); ++ci) {
    const Cpu& c = cpus_[ci];
    const std::uint32_t top = ci == skip_top_of ? 0u : c.n_top;
    if (j < top + c.n_others) {
      if (j < top) return Option{static_cast<std::uint16_t>(c.top()), Option::Switch};
      return Option{c.ready[j - top], Option::StartTask};
    }
    j -= top + c.n_others;
  }
  return nth_source(j);
}

Option Sim::nth_source(std::uint32_t j) const {
  for (const Source& s : sources_)
    if (s.cpu >= 0 && source_allowed(s) && j-- == 0) return Option{static_cast<std::uint16_t>(s.actor), Option::Fire};
  throw std::logic_error("incremental enabled sets: option index past the cached count");
}

void Sim::check_enabled(const Option& got, std::uint32_t n, std::uint32_t k, bool spinning) const {
  Option opts[kMaxOptions];
  const std::uint32_t want = enumerate(opts, spinning);
  if (want != n || opts[k].actor != got.actor || opts[k].kind != got.kind)
    throw std::logic_error("incremental enabled sets differ from the enumeration at step " + std::to_string(steps_) +
                           ": " + std::to_string(n) + " options (enumerated " + std::to_string(want) + "), option " +
                           std::to_string(k) + " is actor " + std::to_string(got.actor) + " kind " + std::to_string(got.kind) +
                           " (enumerated actor " + std::to_string(opts[k < want ? k : 0].actor) + ")");
}

int Sim::choose() {
  if (!fast_ || yielding_ || dirty_ || steps_ >= next_timer_ || running_ == kDriver) [[unlikely]]
    return choose_slow();
  const Cpu& c = cpus_[actors_[running_].cpu];
  const std::uint32_t n = total_;
  if (!c.n_top || n < 2) [[unlikely]] return choose_slow();
  const std::uint32_t k = fast_rng_ ? fast_rng_->below(n) : source_->pick(nullptr, n, *this);
  ++n_choices_;
  if (recording_) [[unlikely]] choices_.push_back(k);
  if (k == 0) return c.top();
  return choose_switch(k);
}

int Sim::choose_switch(std::uint32_t k) {
  // choose()'s inline path drew k >= 1 with option 0 = the top of the running actor's CPU.
  ++preemptions_;
  const Option o = nth_option(k - 1, actors_[running_].cpu);
  if (o.kind != Option::Fire && static_cast<int>(o.actor) == running_) return running_;
  dispatch(o);  // may pick the running fiber itself: a handler that fires again right away
  return o.actor;
}

void Sim::check_ranked(std::uint32_t n, std::uint32_t k, bool spinning) {
  Option opts[kMaxOptions];
  enumerate(opts, spinning);
  if (source_->pick(opts, n, *this) != k)
    throw std::logic_error("ranked choice differs from the source's pick at step " + std::to_string(steps_));
}

int Sim::choose_slow() {
  const bool spinning = yielding_;
  yielding_ = false;
  refresh();
  const std::uint32_t n = total_;
  // No option (the end of every execution): the cached count says so; the enumeration that
  // would confirm it runs under check_enabled_sets (choose_scan).
  if (n == 0 && !config_.check_enabled_sets) return no_option();
  // Fast paths, from the cached counts (the option list is never built):
  //   option 0 = the top of the running actor's CPU, when enabled (the running actor, or after a
  //     finish the context below it), then every CPU's options without it, then the sources;
  //   no option 0 (the driver's first choice, the running actor blocked or asleep): every CPU's
  //     options, then the sources;
  //   a spinner on top of its CPU: the sources, every CPU's options without it, the spinner.
  // Sources that read the option list (PCT, a later DFS) take the full enumeration below.
  if (n >= 1 && (source_->uniform || source_->blind || n == 1)) {
    const int rc = running_ == kDriver ? -1 : actors_[running_].cpu;
    const bool top_here = rc >= 0 && cpus_[rc].n_top;
    const int top = top_here ? cpus_[rc].top() : -1;
    if (!spinning || !top_here || top == running_) {
      std::uint32_t k = 0;
      if (n > 1) {
        k = source_->uniform ? source_->uniform->below(n) : source_->pick(nullptr, n, *this);
        ++n_choices_;
        if (recording_) choices_.push_back(k);
      }
      Option o;
      if (!top_here) {
        o = nth_option(k, -1);
      } else if (!spinning) {
        if (k == 0) {
          if (config_.check_enabled_sets) [[unlikely]] check_enabled(Option{static_cast<std::uint16_t>(top), Option::Continue}, n, k, spinning);
          if (observer_) [[unlikely]] observer_->on_step(top);
          return top;  // Continue: nothing to dispatch
        }
        ++preemptions_;
        o = nth_option(k - 1, rc);
      } else {
        o = k < total_src_ ? nth_source(k)
            : k + 1 < n    ? nth_option(k - total_src_, rc)
                           : Option{static_cast<std::uint16_t>(running_), Option::Switch};
      }
      if (config_.check_enabled_sets) [[unlikely]] check_enabled(o, n, k, spinning);
      if (observer_) [[unlikely]] observer_->on_step(o.actor);
      if (o.kind != Option::Fire && static_cast<int>(o.actor) == running_) return running_;
      dispatch(o);  // may pick the running fiber itself: a handler that fires again right away
      return o.actor;
    }
  }
  if (n >= 2 && source_->ranking) {
    const int rc = running_ == kDriver ? -1 : actors_[running_].cpu;
    const bool top_here = rc >= 0 && cpus_[rc].n_top;
    const int top = top_here ? cpus_[rc].top() : -1;
    if ((!spinning || !top_here || top == running_) && !source_->fire_due(steps_)) {
      source_->before_ranked_pick(*this);
      ActorRanking& rank = *source_->ranking;
      // Option order: [option 0 = top of rc] CPU lists (rc's top skipped) sources; spinning:
      // sources, CPU lists (the spinner skipped), the spinner; no option 0: CPU lists, sources.
      const std::uint32_t cpu_total = total_ - total_src_;
      const bool go_on = top_here && !spinning;
      const std::uint32_t base_cpu = spinning && top_here ? total_src_ : go_on ? 1u : 0u;
      const std::uint32_t base_src = spinning && top_here ? 0u : cpu_total;
      const int skip = top_here ? rc : -1;
      std::uint32_t k = 0;
      Option o{0, Option::Continue};
      bool found = false;
      for (int a = rank.first(); a >= 0;) {
        const int after = rank.next(a);
        Option::Kind kind;
        int idx;
        if (top_here && a == top) {
          idx = spinning ? static_cast<int>(n - 1) : 0;
          kind = spinning ? Option::Switch : Option::Continue;
        } else {
          idx = ranked_index(a, base_cpu, skip, base_src, kind);
        }
        if (idx >= 0 && kind != Option::Fire) {  // interrupts fire only through pick() (fire_due)
          k = static_cast<std::uint32_t>(idx);
          o = Option{static_cast<std::uint16_t>(a), kind};
          found = true;
          break;
        }
        if (actors_[a].done) rank.unlink(a);  // a finished task is never offered again
        a = after;
      }
      if (!found) return choose_scan(spinning);  // nothing but interrupts: pick() chooses among them
      ++n_choices_;
      if (recording_) choices_.push_back(k);
      if (go_on && k != 0) ++preemptions_;
      if (config_.check_enabled_sets) [[unlikely]] {
        check_enabled(o, n, k, spinning);
        check_ranked(n, k, spinning);
      }
      if (observer_) [[unlikely]] observer_->on_step(o.actor);
      if (o.kind == Option::Continue) return top;
      if (o.kind != Option::Fire && static_cast<int>(o.actor) == running_) return running_;
      dispatch(o);
      return o.actor;
    }
  }
  return choose_scan(spinning);
}

int Sim::ranked_index(int actor, std::uint32_t base_cpu, int skip, std::uint32_t base_src, Option::Kind& kind) const {
  const Actor& x = actors_[actor];
  if (x.source >= 0 && !x.active) {  // an interrupt source: offered when it may fire
    const Source& s = sources_[x.source];
    if (s.cpu < 0 || !source_allowed(s)) return -1;
    std::uint32_t j = 0;
    for (int i = 0; i < x.source; ++i) j += sources_[i].cpu >= 0 && source_allowed(sources_[i]);
    kind = Option::Fire;
    return static_cast<int>(base_src + j);
  }
  const int ci = x.cpu;
  const Cpu& c = cpus_[ci];
  std::uint32_t off;
  if (c.top() == actor) {
    if (!c.n_top || ci == skip) return -1;
    off = 0;
    kind = Option::Switch;
  } else {
    if (!c.n_others || x.source >= 0) return -1;  // a handler below the top is not offered
    auto it = std::lower_bound(c.ready.begin(), c.ready.end(), static_cast<std::uint16_t>(actor));
    if (it == c.ready.end() || *it != actor) return -1;
    off = (ci == skip ? 0u : c.n_top) + static_cast<std::uint32_t>(it - c.ready.begin());
    kind = Option::StartTask;
  }
  for (int i = 0; i < ci; ++i) off += (i == skip ? 0u : cpus_[i].n_top) + cpus_[i].n_others;
  return static_cast<int>(base_cpu + off);
}

int Sim::choose_scan(bool spinning) {
  Option opts[kMaxOptions];
  std::uint32_t n = enumerate(opts, spinning);
  if (n != total_)
    throw std::logic_error("incremental enabled sets: " + std::to_string(total_) + " options cached, " +
                           std::to_string(n) + " enumerated at step " + std::to_string(steps_));
  if (n == 0) return no_option();
  std::uint32_t k = 0;
  if (n > 1) {
    k = source_->uniform ? source_->uniform->below(n) : source_->pick(opts, n, *this);
    ++n_choices_;
    if (recording_) choices_.push_back(k);
    if (k != 0 && opts[0].kind == Option::Continue) ++preemptions_;
  }
  const Option& o = opts[k];
  if (observer_) [[unlikely]] observer_->on_step(o.actor);
  if (o.kind != Option::Fire && static_cast<int>(o.actor) == running_) return running_;
  dispatch(o);  // may pick the running fiber itself: a handler that fires again right away
  return o.actor;
}

// Nothing can run: the execution has finished, or it is stuck (a deadlock or a lost wake-up).
int Sim::no_option() {
  {
    bool all_done = true;
    for (const Actor& a : actors_)
      if (a.active || (a.ctx == Ctx::Task && !a.done)) all_done = false;
    for (const Source& s : sources_)
      if ((s.kind == Source::Interrupt && s.fires_left) || s.pending) all_done = false;
    if (all_done) {
      state_ = State::Finished;
      return kDriver;
    }
    Violation v;
    v.property = workload_->stuck_property(*this);
    v.step = steps_;
    std::string who;
    for (int i = 0; i < actor_count(); ++i) {
      const Actor& a = actors_[i];
      if (a.done || !a.active) continue;
      if (!who.empty()) who += ", ";
      who += a.name + (a.blocked_on >= 0 ? " (spinning on a lock)" : a.asleep ? " (asleep)" : a.spin_blocked ? " (spin-waiting on what it read)" : "");
    }
    v.message = "no actor can run: " + (who.empty() ? std::string("pending work cannot fire") : who);
    violation_ = std::move(v);
    state_ = State::Violated;
    return kDriver;
  }
}


void Sim::finish_running() {
  Actor& a = actors_[running_];
  record(Op::Finish, kNoObject, 0);
  Cpu& c = cpus_[a.cpu];
  if (a.ctx == Ctx::Task) {
    if (c.preempt != 0 || c.irqs_disabled || c.bh != 0)
      throw std::logic_error("task '" + a.name + "' finished with irqs off, preemption or bottom halves disabled");
    a.done = true;
    c.current_task = -1;
    // Incremental when the counts are fresh: the finished task was current (not in the ready
    // list); the CPU (depth 0, irqs and preemption on) may now start any ready task.
    if (!((dirty_ | dirty_tasks_) & (std::uint64_t{1} << a.cpu))) {
      total_ -= c.n_top + c.n_others;
      c.n_top = 0;
      c.n_others = static_cast<std::uint16_t>(c.ready.size());
      total_ += c.n_others;
    } else {
      touch_tasks(a.cpu);
    }
  } else {
    touch_tasks(a.cpu);
    Frame f = c.frames[--c.depth];
    if (f.actor != running_)
      throw std::logic_error("interrupt frames unbalanced: finishing " + a.name + " but top is " + actors_[f.actor].name + " depth " + std::to_string(c.depth));
    c.irqs_disabled = f.saved_irqs_disabled;
    c.preempt = f.saved_preempt;
    c.bh = f.saved_bh;
    switch (a.ctx) {
      case Ctx::Nmi: --c.nmi; break;
      case Ctx::Hardirq: --c.hardirq; break;
      case Ctx::Softirq: --c.softirq; break;
      case Ctx::Task: break;
    }
    if (sources_[a.source].kind == Source::IrqWork && !sources_[a.source].pending) sources_[a.source].cpu = -1;
  }
  a.active = false;
  schedule();
}

void Sim::push_event(Op op, std::uint32_t object, std::uint64_t value, std::uint64_t extra, Mo mo) {
  TraceEvent e{};
  e.step = steps_;
  e.actor = static_cast<std::uint32_t>(running_);
  e.op = op;
  e.mo = mo;
  e.object = object;
  e.value = value;
  e.extra = extra;
  if (running_ != kDriver) {
    const Actor& a = actors_[running_];
    const Cpu& c = cpus_[a.cpu];
    e.cpu = static_cast<std::int16_t>(a.cpu);
    e.ctx = a.ctx;
    e.flags = static_cast<std::uint8_t>((c.irqs_disabled ? 1 : 0) | (std::min(c.preempt, 15) << 4));
  } else {
    e.cpu = -1;
  }
  trace_.push_back(e);
}

}  // namespace sim
