// sim/dfs.cpp — the stateless DFS with bounds, sleep sets, coverage and work stealing (see dfs.h).
#include "sim/dfs.h"
#include "sim/workers.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "sim/access.h"

namespace sim {
namespace {

constexpr double kWeightScale = 1152921504606846976.0;  // 2^60: leaf weights summed as integers

struct Bounds {
  std::optional<std::uint32_t> preemptions, interrupts, depth;
};

// The cost of taking option j (see dfs.h for what counts).
std::uint32_t preemption_cost(const Option* o, std::uint32_t n, std::uint32_t j, int running) {
  if (j == 0 || o[j].kind == Option::Fire || o[j].kind == Option::Memory) return 0;  // a memory choice is free
  if (o[0].kind == Option::Continue) return 1;
  // A spinner (listed last) yielded: the canonical next actor (option 0) is free, any other is not.
  return o[n - 1].kind != Option::Fire && static_cast<int>(o[n - 1].actor) == running ? 1 : 0;
}
// A firing counts when it interrupts code that could go on; after a finish, block or yield it is free.
std::uint32_t interrupt_cost(const Option* o, std::uint32_t j) {
  return o[j].kind == Option::Fire && o[0].kind == Option::Continue ? 1 : 0;
}

struct Node {
  std::vector<Option> options;
  std::uint32_t n = 0, chosen = 0, hi = 0;
  std::uint32_t pre_before = 0, irq_before = 0;
  int running = -1;
  std::vector<StepAccess> sleep;  // asleep at this node
  std::vector<StepAccess> done;   // first steps of the children explored so far
  StepAccess child_step;          // first step of the chosen child (this execution)
  bool child_known = false;
  bool frozen = false;  // a prefix node of a donated item: replayed, never backtracked
  double weight = 1;    // share of the tree below this node (Knuth: split evenly among children)
  std::uint32_t eligible = 1;
  // Source-DPOR: per option 0 = not in the backtrack set, 1 = to explore, 2 = explored.
  std::vector<std::uint8_t> mark;
  std::ptrdiff_t step = -1;  // index of the step the chosen child began with (this execution)
};

/// A subtree: its frozen prefix nodes and its base node (none for the whole tree).
struct Item {
  std::vector<std::uint32_t> key;  // choices of the prefix, then the base node's first child
  std::vector<Node> stack;
};

struct ItemResult {
  std::vector<std::uint32_t> key;
  std::uint64_t executions = 0;
  bool finished = false;
  std::optional<DfsViolation> first;  // execution = index within the item
};

struct WorkerTotals {
  std::uint64_t executions = 0, steps = 0, blocked = 0, bounded_out = 0, weight = 0;
  std::vector<std::uint64_t> classes, end_states, outcomes;
  std::array<std::uint64_t, static_cast<std::size_t>(Property::kCount)> violations{};
  std::vector<ItemResult> items;
  std::exception_ptr setup_error;
  std::optional<std::string> error;
  std::vector<std::uint32_t> error_choices;
};

struct Pool {
  std::mutex m;
  std::condition_variable cv;
  std::deque<Item> pool;
  unsigned busy = 0;
  std::atomic<int> hungry{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> budget_hit{false};
  std::atomic<std::uint64_t> executions{0};
  std::atomic<std::uint64_t> violations{0};
  std::uint64_t limit = UINT64_MAX;
  double seconds = 0;
  std::chrono::steady_clock::time_point t0;
  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); }
};

class Searcher final : public ChoiceSource {
 public:
  Searcher(Sim& sim, const Bounds& bounds, bool reduction, bool dpor)
      : sim_(sim), rec_(sim), bounds_(bounds), reduction_(reduction), dpor_(reduction && dpor),
        actors_(static_cast<std::size_t>(sim.actor_count())) {
    sim_.set_observer(&rec_);
  }
  ~Searcher() override { sim_.set_observer(nullptr); }

  void load(Item&& item) {
    size_ = item.stack.size();
    if (stack_.size() < size_) stack_.resize(size_);
    for (std::size_t i = 0; i < size_; ++i) stack_[i] = std::move(item.stack[i]);
    frozen_ = size_ ? size_ - 1 : 0;
  }

  void begin(const Sim&) override {
    pos_ = 0;
    processed_ = 0;
    path_.clear();
    asleep_.clear();
    blocked_ = pruned_ = false;
    blocked_at_ = SIZE_MAX;
    pending_child_ = -1;
    cur_pre_ = cur_irq_ = 0;
    weight_ = 1;
    rec_.begin();
  }

  std::uint32_t pick(const Option* o, std::uint32_t n, const Sim& sim) override {
    rec_.close();
    process();
    if (blocked_ || pruned_) return take(0);
    const std::size_t idx = pos_++;
    const int running = sim.current_actor();
    if (idx < size_) {  // on the current path: replay
      Node& nd = stack_[idx];
      if (nd.n != n)
        throw std::logic_error("dfs: the execution diverged from its prefix at choice " + std::to_string(idx) + " (" +
                               std::to_string(n) + " options, " + std::to_string(nd.n) +
                               " before): the workload is not deterministic");
      cur_pre_ += preemption_cost(o, n, nd.chosen, running);
      cur_irq_ += interrupt_cost(o, nd.chosen);
      if (nd.frozen) return take(nd.chosen);
      if (reduction_) {
        asleep_ = nd.sleep;
        asleep_.insert(asleep_.end(), nd.done.begin(), nd.done.end());
      }
      weight_ = nd.weight / nd.eligible;
      pending_child_ = static_cast<std::ptrdiff_t>(idx);
      return take(nd.chosen);
    }
    if (bounds_.depth && idx >= *bounds_.depth) return take(0);  // past the depth bound: no branching
    if (stack_.size() <= size_) stack_.emplace_back();
    Node& nd = stack_[size_];
    nd.options.assign(o, o + n);
    nd.n = nd.hi = n;
    nd.pre_before = cur_pre_;
    nd.irq_before = cur_irq_;
    nd.running = running;
    nd.sleep = asleep_;
    nd.done.clear();
    nd.child_known = false;
    nd.frozen = false;
    nd.weight = weight_;
    std::uint32_t count = 0, first = n;
    for (std::uint32_t j = 0; j < n; ++j)
      if (eligible(nd, j)) {
        if (first == n) first = j;
        ++count;
      }
    if (count == 0) {
      (reduction_ && !nd.sleep.empty() ? blocked_ : pruned_) = true;
      if (blocked_) blocked_at_ = rec_.steps().size();
      return take(0);
    }
    ++size_;
    nd.chosen = first;
    nd.eligible = count;
    if (dpor_) {
      nd.mark.assign(n, 0);
      nd.mark[first] = 2;
    }
    cur_pre_ += preemption_cost(o, n, first, running);
    cur_irq_ += interrupt_cost(o, first);
    weight_ = nd.weight / count;
    pending_child_ = static_cast<std::ptrdiff_t>(idx);
    return take(first);
  }

  /// After an execution: completes the access record.
  void finish(bool truncated) {
    rec_.close();
    process();
    if (!dpor_) return;
    analyze(std::min(blocked_at_, rec_.steps().size()));
    // An execution cut short by a violation or a deadlock never ran the pending steps of the other
    // actors, so the races they would have had are unknown: every node of it backtracks fully.
    if (truncated && !blocked_)
      for (std::size_t i = frozen_; i < size_; ++i)
        for (auto& m : stack_[i].mark)
          if (!m) m = 1;
  }

  /// Moves to the next execution of the item; false when the item is exhausted.
  bool next() {
    while (size_ > frozen_) {
      Node& nd = stack_[size_ - 1];
      if (nd.child_known && reduction_) nd.done.push_back(nd.child_step);
      nd.child_known = false;
      if (dpor_) {
        for (std::uint32_t j = 0; j < nd.n; ++j)
          if (nd.mark[j] == 1 && eligible(nd, j)) {
            nd.mark[j] = 2;
            nd.chosen = j;
            return true;
          }
        --size_;
        continue;
      }
      for (std::uint32_t j = nd.chosen + 1; j < nd.hi; ++j)
        if (eligible(nd, j)) {
          nd.chosen = j;
          return true;
        }
      --size_;
    }
    return false;
  }

  /// Gives away the untried options of the shallowest open node (call between finish and next).
  bool donate(Item& out) {
    for (std::size_t i = frozen_; i < size_; ++i) {
      Node& nd = stack_[i];
      std::uint32_t j = nd.chosen + 1;
      while (j < nd.hi && !eligible(nd, j)) ++j;
      if (j >= nd.hi) continue;
      out.key.clear();
      out.stack.clear();
      for (std::size_t k = 0; k < i; ++k) {
        out.key.push_back(stack_[k].chosen);
        Node f;
        f.n = stack_[k].n;
        f.chosen = stack_[k].chosen;
        f.frozen = true;
        out.stack.push_back(std::move(f));
      }
      out.key.push_back(j);
      Node base = nd;
      base.chosen = j;
      if (reduction_ && nd.child_known) base.done.push_back(nd.child_step);
      base.child_known = false;
      out.stack.push_back(std::move(base));
      nd.hi = j;
      return true;
    }
    return false;
  }

  const std::vector<std::uint32_t>& path() const { return path_; }
  bool blocked() const { return blocked_; }
  bool pruned() const { return pruned_; }
  double weight() const { return weight_; }
  const AccessRecord& record() const { return rec_; }

 private:
  std::uint32_t take(std::uint32_t k) {
    path_.push_back(k);
    return k;
  }
  bool eligible(const Node& nd, std::uint32_t j) const {
    if (nd.options[j].kind == Option::Memory) return true;  // the memory model's choice (no reduction)
    // Without a preemption bound, yield() is fair: a spinner does not run again while another
    // actor can (otherwise the tree holds every starving spin up to the step bound).
    if (!bounds_.preemptions && j + 1 == nd.n && nd.options[j].kind != Option::Fire &&
        static_cast<int>(nd.options[j].actor) == nd.running)
      return false;
    if (bounds_.preemptions && nd.pre_before + preemption_cost(nd.options.data(), nd.n, j, nd.running) > *bounds_.preemptions)
      return false;
    if (bounds_.interrupts && nd.irq_before + interrupt_cost(nd.options.data(), j) > *bounds_.interrupts) return false;
    if (reduction_)
      for (const StepAccess& q : nd.sleep)
        if (q.actor == nd.options[j].actor) return false;
    return true;
  }
  // Folds the steps recorded since the last call into the sleep set.
  void process() {
    const std::vector<StepAccess>& st = rec_.steps();
    const std::size_t closed = st.size();
    for (; processed_ < closed; ++processed_) {
      const StepAccess& s = st[processed_];
      if (pending_child_ >= 0) {
        stack_[static_cast<std::size_t>(pending_child_)].child_step = s;
        stack_[static_cast<std::size_t>(pending_child_)].child_known = true;
        stack_[static_cast<std::size_t>(pending_child_)].step = static_cast<std::ptrdiff_t>(processed_);
        pending_child_ = -1;
      }
      if (!reduction_ || blocked_ || asleep_.empty()) continue;
      for (const StepAccess& q : asleep_)
        if (q.actor == s.actor) blocked_ = true;  // a sleeping actor ran (it was the only option)
      if (blocked_) {
        blocked_at_ = processed_;
        continue;
      }
      std::erase_if(asleep_, [&](const StepAccess& q) { return dependent(q, s); });
    }
  }

  // Source-DPOR (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014), stateless form: after each
  // execution, every race e < e' between steps of different actors (dependent, and e not known
  // to the actor of e' before e') at a node N (the step e began right after N's choice) asks N to
  // also explore one initial of v = notdep(e).e' (the steps after e that do not happen after it,
  // then e'), unless one already is in N's backtrack set. If no initial is an option at N (our
  // dependency over-approximates, so v may not be executable there), every option of N is added.
  void analyze(std::size_t m) {
    const std::vector<StepAccess>& st = rec_.steps();
    const std::size_t A = actors_;
    clocks_.assign(m * A, 0);
    actor_clock_.assign(A * A, 0);
    const std::uint32_t slots = rec_.object_slots();
    last_write_.assign(slots, -1);
    if (reads_.size() < slots) reads_.resize(slots);
    for (auto& r : reads_) r.clear();
    node_at_step_.assign(m, -1);
    for (std::size_t i = frozen_; i < size_; ++i)
      if (stack_[i].step >= 0 && static_cast<std::size_t>(stack_[i].step) < m)
        node_at_step_[static_cast<std::size_t>(stack_[i].step)] = static_cast<std::ptrdiff_t>(i);
    std::vector<std::uint32_t> prev(A);
    for (std::size_t k = 0; k < m; ++k) {
      const StepAccess& s = st[k];
      const std::size_t a = static_cast<std::size_t>(s.actor);
      std::uint32_t* C = &clocks_[k * A];
      std::copy_n(&actor_clock_[a * A], A, C);
      std::copy_n(C, A, prev.begin());
      candidates_.clear();
      auto depend = [&](std::ptrdiff_t j) {
        const std::uint32_t* J = &clocks_[static_cast<std::size_t>(j) * A];
        for (std::size_t b = 0; b < A; ++b) C[b] = std::max(C[b], J[b]);
        if (static_cast<std::size_t>(st[static_cast<std::size_t>(j)].actor) != a) candidates_.push_back(j);
      };
      if (s.overflow) {
        for (std::size_t j = 0; j < k; ++j) depend(static_cast<std::ptrdiff_t>(j));
      } else {
        for (int i = 0; i < s.n; ++i) {
          const std::uint32_t d = rec_.dense(s.acc[i].object);
          if (last_write_[d] >= 0) depend(last_write_[d]);
          if (s.acc[i].write)
            for (std::ptrdiff_t r : reads_[d]) depend(r);
        }
      }
      C[a] = prev[a] + 1;
      std::copy_n(C, A, &actor_clock_[a * A]);
      if (s.overflow) {
        for (std::uint32_t d = 0; d < slots; ++d) {
          last_write_[d] = static_cast<std::ptrdiff_t>(k);
          reads_[d].clear();
        }
      } else {
        for (int i = 0; i < s.n; ++i) {
          const std::uint32_t d = rec_.dense(s.acc[i].object);
          if (s.acc[i].write) {
            last_write_[d] = static_cast<std::ptrdiff_t>(k);
            reads_[d].clear();
          } else {
            reads_[d].push_back(static_cast<std::ptrdiff_t>(k));
          }
        }
      }
      for (std::ptrdiff_t j : candidates_) {
        const std::size_t b = static_cast<std::size_t>(st[static_cast<std::size_t>(j)].actor);
        if (prev[b] >= clocks_[static_cast<std::size_t>(j) * A + b]) continue;  // ordered before k already
        race(static_cast<std::size_t>(j), k);
      }
    }
  }
  void race(std::size_t j, std::size_t k) {
    const std::vector<StepAccess>& st = rec_.steps();
    // e ran with nothing else enabled (inside an irq-off or preempt-off region, say): the
    // reversal has to happen before it, at the nearest earlier node (Flanagan & Godefroid take
    // the last co-enabled dependent transition); that node's step must not be k's own actor's.
    std::ptrdiff_t at = node_at_step_[j];
    while (at < 0 || st[j].actor == st[k].actor) {
      if (j == 0) return;
      --j;
      at = node_at_step_[j];
    }
    auto option_of = [](const Node& n, int actor) {
      for (std::uint32_t o = 0; o < n.n; ++o)
        if (static_cast<int>(n.options[o].actor) == actor) return o;
      return n.n;
    };
    if (option_of(stack_[static_cast<std::size_t>(at)], st[k].actor) == stack_[static_cast<std::size_t>(at)].n) {
      // k's actor was not enabled there (an interrupt while irqs were off, a task while its CPU
      // could not switch): the race cannot be reversed at that node, and v need not be executable
      // from it. As Flanagan & Godefroid, reverse it at the last earlier node where that actor was
      // enabled, by adding the actor itself.
      for (std::size_t x = j; x-- > 0;) {
        const std::ptrdiff_t n2 = node_at_step_[x];
        if (n2 < 0) continue;
        Node& e = stack_[static_cast<std::size_t>(n2)];
        const std::uint32_t o = option_of(e, st[k].actor);
        if (o == e.n) continue;
        if (!e.mark[o]) e.mark[o] = 1;
        return;
      }
      return;
    }
    Node& nd = stack_[static_cast<std::size_t>(at)];
    const std::size_t A = actors_;
    const std::size_t bj = static_cast<std::size_t>(st[j].actor);
    const std::uint32_t jc = clocks_[j * A + bj];
    v_.clear();
    for (std::size_t h = j + 1; h < k; ++h)
      if (clocks_[h * A + bj] < jc) v_.push_back(h);
    v_.push_back(k);
    seen_.assign(A, 0);
    initials_.clear();
    for (std::size_t x = 0; x < v_.size(); ++x) {
      const std::size_t h = v_[x];
      const std::size_t ha = static_cast<std::size_t>(st[h].actor);
      if (seen_[ha]) continue;
      seen_[ha] = 1;
      bool initial = true;
      for (std::size_t y = 0; y < x && initial; ++y) {
        const std::size_t g = v_[y];
        const std::size_t ga = static_cast<std::size_t>(st[g].actor);
        if (clocks_[h * A + ga] >= clocks_[g * A + ga]) initial = false;  // g happens before h
      }
      if (initial) initials_.push_back(static_cast<int>(ha));
    }
    std::uint32_t pick = nd.n;
    for (std::uint32_t o = 0; o < nd.n; ++o)
      for (int q : initials_)
        if (static_cast<int>(nd.options[o].actor) == q) {
          if (nd.mark[o]) return;  // an initial is already in the backtrack set
          if (pick == nd.n) pick = o;
        }
    if (pick < nd.n) {
      nd.mark[pick] = 1;
    } else {
      for (std::uint32_t o = 0; o < nd.n; ++o)
        if (!nd.mark[o]) nd.mark[o] = 1;
    }
  }

  Sim& sim_;
  AccessRecord rec_;
  Bounds bounds_;
  bool reduction_;
  bool dpor_;
  std::size_t actors_;
  std::size_t blocked_at_ = SIZE_MAX;
  std::vector<std::uint32_t> clocks_, actor_clock_;
  std::vector<std::ptrdiff_t> last_write_, node_at_step_, candidates_;
  std::vector<std::vector<std::ptrdiff_t>> reads_;
  std::vector<std::size_t> v_;
  std::vector<std::uint8_t> seen_;
  std::vector<int> initials_;
  std::vector<Node> stack_;
  std::size_t size_ = 0, frozen_ = 0;
  std::size_t pos_ = 0, processed_ = 0;
  std::ptrdiff_t pending_child_ = -1;
  std::vector<std::uint32_t> path_;
  std::vector<StepAccess> asleep_;
  bool blocked_ = false, pruned_ = false;
  std::uint32_t cur_pre_ = 0, cur_irq_ = 0;
  double weight_ = 1;
};

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

std::uint64_t outcome_of(const ExecResult& r) {
  if (r.end != ExecResult::End::Violation) return r.end_state_hash;
  std::uint64_t h = hash_step(kHashSeed ^ 0x5a5a, static_cast<std::uint64_t>(r.violation->property));
  for (char c : r.violation->message) h = hash_step(h, static_cast<unsigned char>(c));
  return h;
}

void explore_item(Searcher& s, Sim& sim, Item item, Pool& sh, WorkerTotals& w, bool collect) {
  ItemResult res;
  res.key = item.key;
  s.load(std::move(item));
  for (;;) {
    if (sh.stop.load(std::memory_order_relaxed)) break;
    if (sh.executions.fetch_add(1, std::memory_order_relaxed) >= sh.limit ||
        (sh.seconds > 0 && sh.elapsed() >= sh.seconds)) {
      sh.budget_hit = true;
      sh.stop = true;
      break;
    }
    ExecResult r = sim.run(s);
    s.finish(!r.all_finished);
    ++w.executions;
    w.steps += r.steps;
    w.weight += static_cast<std::uint64_t>(std::llround(s.weight() * kWeightScale));
    const std::uint64_t index = res.executions++;
    if (s.blocked()) {
      ++w.blocked;
    } else if (s.pruned()) {
      ++w.bounded_out;
    } else {
      w.classes.push_back(s.record().class_fingerprint());
      if (r.end == ExecResult::End::Finished && !r.infeasible) w.end_states.push_back(r.end_state_hash);
      if (collect && r.end != ExecResult::End::Error && !r.infeasible) w.outcomes.push_back(outcome_of(r));
      if (r.end == ExecResult::End::Error) {
        w.error = describe(r.error);
        w.error_choices = s.path();
        sh.stop = true;
        break;
      }
      if (r.end == ExecResult::End::Violation) {
        ++w.violations[static_cast<std::size_t>(r.violation->property)];
        sh.violations.fetch_add(1, std::memory_order_relaxed);
        if (!res.first) res.first = DfsViolation{s.path(), *r.violation, std::nullopt, index};
      }
    }
    if (sh.hungry.load(std::memory_order_relaxed) > 0) {
      std::lock_guard<std::mutex> lock(sh.m);
      Item gift;
      if (sh.pool.empty() && s.donate(gift)) {
        sh.pool.push_back(std::move(gift));
        sh.cv.notify_one();
      }
    }
    if (!s.next()) {
      res.finished = true;
      break;
    }
  }
  w.items.push_back(std::move(res));
}

DfsCoverage search_once(const WorkloadFactory& factory, const Sim::Config& config, const DfsConfig& cfg,
                        const Bounds& bounds, bool reduction, std::uint64_t budget_left, double seconds_left,
                        DfsResult& out) {
  // Source-DPOR adds backtrack points to ancestors of the node being explored, which another
  // thread may own: with it the search runs on one thread.
  const unsigned jobs = reduction && cfg.dpor ? 1u : std::max(1u, cfg.jobs);
  Pool sh;
  sh.limit = budget_left ? budget_left : UINT64_MAX;
  sh.seconds = seconds_left;
  sh.t0 = std::chrono::steady_clock::now();
  sh.pool.push_back(Item{});
  std::vector<WorkerTotals> workers(jobs);

  auto work = [&](WorkerTotals& w) {
    try {
      std::unique_ptr<Workload> workload = factory();
      Sim sim(config);
      sim.load(*workload);
      Searcher s(sim, bounds, reduction, cfg.dpor);
      for (;;) {
        Item item;
        {
          std::unique_lock<std::mutex> lock(sh.m);
          sh.hungry.fetch_add(1);
          sh.cv.wait(lock, [&] { return !sh.pool.empty() || sh.busy == 0 || sh.stop.load(); });
          sh.hungry.fetch_sub(1);
          if (sh.pool.empty() || sh.stop.load()) {
            sh.cv.notify_all();
            return;
          }
          item = std::move(sh.pool.front());
          sh.pool.pop_front();
          ++sh.busy;
        }
        explore_item(s, sim, std::move(item), sh, w, cfg.collect_outcomes);
        {
          std::lock_guard<std::mutex> lock(sh.m);
          --sh.busy;
          sh.cv.notify_all();
        }
      }
    } catch (...) {
      w.setup_error = std::current_exception();
      sh.stop = true;
      std::lock_guard<std::mutex> lock(sh.m);
      sh.cv.notify_all();
    }
  };

  const std::uint64_t before = out.total_executions;
  // busy starts at 0 with one item in the pool: the first worker takes it.
  run_workers(workers, work, cfg.progress ? std::function<void()>([&] {
    cfg.progress(before + std::min(sh.executions.load(), sh.limit), sh.violations.load(), sh.elapsed());
  }) : std::function<void()>());

  DfsCoverage cov;
  cov.preemption_bound = bounds.preemptions;
  cov.seconds = sh.elapsed();
  std::vector<std::uint64_t> classes, ends;
  std::vector<ItemResult> items;
  std::uint64_t weight = 0;
  bool all_finished = sh.pool.empty();
  for (auto& w : workers) {
    if (w.setup_error) std::rethrow_exception(w.setup_error);
    cov.executions += w.executions;
    cov.steps += w.steps;
    cov.sleep_blocked += w.blocked;
    cov.bounded_out += w.bounded_out;
    weight += w.weight;
    classes.insert(classes.end(), w.classes.begin(), w.classes.end());
    ends.insert(ends.end(), w.end_states.begin(), w.end_states.end());
    cov.outcomes.insert(cov.outcomes.end(), w.outcomes.begin(), w.outcomes.end());
    for (std::size_t p = 0; p < w.violations.size(); ++p) out.violations[p] += w.violations[p];
    for (auto& it : w.items) {
      all_finished &= it.finished;
      items.push_back(std::move(it));
    }
    if (w.error && !out.error) {
      out.error = w.error;
      out.error_choices = w.error_choices;
    }
  }
  std::sort(classes.begin(), classes.end());
  cov.classes = static_cast<std::uint64_t>(std::unique(classes.begin(), classes.end()) - classes.begin());
  std::sort(cov.outcomes.begin(), cov.outcomes.end());
  cov.outcomes.erase(std::unique(cov.outcomes.begin(), cov.outcomes.end()), cov.outcomes.end());
  std::sort(ends.begin(), ends.end());
  cov.distinct_end_states = static_cast<std::uint64_t>(std::unique(ends.begin(), ends.end()) - ends.begin());
  cov.complete = all_finished && !sh.budget_hit && !out.error;
  cov.fraction = cov.complete ? 1.0 : std::min(1.0, static_cast<double>(weight) / kWeightScale);
  cov.work_items = items.size();
  // The first violation in the one-thread order: items sorted by key are the tree left to right.
  std::sort(items.begin(), items.end(), [](const ItemResult& a, const ItemResult& b) { return a.key < b.key; });
  std::uint64_t offset = 0;
  for (auto& it : items) {
    if (it.first && !out.first) {
      out.first = std::move(it.first);
      out.first->execution += offset;
      out.first->preemption_bound = bounds.preemptions;
    }
    offset += it.executions;
  }
  out.total_executions += cov.executions;
  return cov;
}

}  // namespace

DfsResult explore_dfs(const WorkloadFactory& factory, const Sim::Config& config, const DfsConfig& cfg) {
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  DfsResult res;
  const bool bounded = cfg.preemption_bound || cfg.interrupt_bound || cfg.depth_bound;
  // Sleep sets and DPOR are built for scheduling choices: with a memory model's read choices they
  // are not known to be sound, so tso and lkmm search unreduced (the CLI refuses to be asked).
  res.reduction = cfg.reduction && !bounded && config.memory_model == MemoryModel::Sc;
  std::vector<std::optional<std::uint32_t>> rounds;
  if (cfg.preemption_bound && cfg.iterate)
    for (std::uint32_t b = 0; b <= *cfg.preemption_bound; ++b) rounds.emplace_back(b);
  else
    rounds.push_back(cfg.preemption_bound);
  for (const auto& b : rounds) {
    std::uint64_t left = 0;
    if (cfg.executions) {
      if (res.total_executions >= cfg.executions) break;
      left = cfg.executions - res.total_executions;
    }
    double secs = 0;
    if (cfg.seconds > 0) {
      secs = cfg.seconds - elapsed();
      if (secs <= 0) break;
    }
    Bounds bounds{b, cfg.interrupt_bound, cfg.depth_bound};
    const bool had = res.first.has_value();
    res.iterations.push_back(search_once(factory, config, cfg, bounds, res.reduction, left, secs, res));
    const DfsCoverage& c = res.iterations.back();
    if (c.complete && b) res.deepest_bound_covered = b;
    if (!c.complete || res.error) break;
    if (res.first && !had && !cfg.keep_going) break;  // the smallest bound with a violation
  }
  res.seconds = elapsed();
  return res;
}

}  // namespace sim
