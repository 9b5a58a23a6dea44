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
#include <unordered_map>
#include <unordered_set>

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

struct Slot;  // parallel source-DPOR: a backtrack entry given to another thread (explore_dpor_forks)

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
  // Source-DPOR: per option 0 = not in the backtrack set, 1 = to explore (a race's reversal),
  // 2 = explored, 3 = to explore (BPOR's conservative point), 4 = beyond the bounds.
  std::vector<std::uint8_t> mark;
  // Source-DPOR: the options marked 1 or 3, in the order they were marked. The backtrack set is
  // explored in that order (FIFO; `next`), so the run of a pending option is known before its
  // turn: the parallel search gives it away (see `Slot`). `cursor`: the next one to try.
  std::vector<std::uint32_t> order;
  std::uint32_t cursor = 0;
  std::ptrdiff_t step = -1;  // index of the step the chosen child began with (this execution)
  // Parallel source-DPOR: the entries of `order` given to other threads (position in `order`,
  // the entry's slot), by position. `next` merges each one when its turn comes.
  std::vector<std::pair<std::uint32_t, std::shared_ptr<Slot>>> gifts;
};

/// What source-DPOR's analysis of one execution does to the backtrack sets, in order (the
/// parallel search records it for the nodes above a given-away subtree; their owner applies it
/// when the subtree's turn comes, Searcher::absorb). The walk over the run's races does not
/// depend on the backtrack sets, only what each step adds.
struct DporOp {
  enum Kind : std::uint8_t { Initial, Conservative, Enqueue, Truncate } kind;
  std::uint32_t node = 0;
  // Enqueue: the option. Conservative: 1 when `initials` holds the actor (the Initial before it
  // was applied where it was recorded), 0 when the actor is the result of replaying that Initial.
  std::uint32_t option = 0;
  std::uint64_t initials = 0;  // Initial: the actors that are initials of v (bit per actor)
};

/// Parallel source-DPOR: one pending backtrack entry to give away. Its run is fixed:
/// the prefix replays `choices` (the chosen option of every node above `base`, then `option`) and
/// the sleep set at `base` is the node's own plus the first steps of the options it explores
/// before `option` (sleep sets are per node, and the backtrack set is explored in FIFO order).
struct Task {
  std::ptrdiff_t base = -1;  // its node's depth (-1: the first execution, from the root)
  std::uint32_t option = 0;
  std::vector<std::uint32_t> choices;  // 0..base
  std::vector<std::uint32_t> counts;   // the nodes' option counts (the replay checks them)
  std::vector<StepAccess> asleep;      // the sleep set at base once `option` is taken there
  double weight = 1;
  std::uint32_t eligible = 1;
  // Searcher::add_prefix: the options of nodes 0..base and the steps nodes 0..base-1 began
  // their chosen child with, for the taker's analysis of the whole walk.
  std::vector<Option> options;         // node k's: options[offsets[k] .. offsets[k + 1])
  std::vector<std::uint32_t> offsets;
  std::vector<std::ptrdiff_t> steps;
};

/// Fork-join parallel source-DPOR (explore_dpor_forks): what one execution adds to the totals,
/// kept until it is counted in the one-thread order.
struct RunRec {
  std::uint64_t steps = 0, weight = 0, fingerprint = 0, end_state = 0, outcome = 0;
  std::uint64_t cut = 0;  // reversals the bounds cut, counted after it and before the next run
  bool blocked = false, pruned = false, has_end = false, has_outcome = false;
  std::vector<std::uint32_t> path;  // with an on_execution callback, a violation or an error
  std::optional<Violation> violation;
  std::optional<std::string> error;
};

/// A backtrack entry given to another thread, and what its subtree produced: its runs in the
/// one-thread order (with the entries given away inside it merged at their places) and their
/// effects on the backtrack sets above it, in order (DporOp; the owner applies them when the
/// entry's turn comes). `first`: the step the entry began with, once its first run is made
/// (the sleep sets of the entries after it at its node need it).
struct Slot {
  Task task;
  std::atomic<int> state{0};  // 0 queued, 1 taken, 2 done
  std::atomic<bool> first_known{false};
  bool first_has = false;
  StepAccess first;
  std::vector<RunRec> recs;
  std::vector<DporOp> ops;
  bool ended = false;  // stopped before its subtree was done (an error, a fault, a stop)
  std::exception_ptr fault;
};
bool slot_first_step(const Slot& g, StepAccess& out) {
  if (!g.first_known.load(std::memory_order_acquire) || !g.first_has) return false;
  out = g.first;
  return true;
}


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
  std::uint64_t executions = 0, steps = 0, blocked = 0, bounded_out = 0, weight = 0, cut = 0;
  std::uint64_t gifts = 0;   // parallel source-DPOR: entries given to another thread
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
  // sleep: sleep sets; dpor: source-DPOR backtrack sets (with a bound, without sleep sets).
  // observe: installs the access record on the Sim (off for the parallel search's tree, which
  // only commits runs made by others).
  Searcher(Sim& sim, const Bounds& bounds, bool sleep, bool dpor, bool spin_pruning, bool observe = true)
      : sim_(sim), rec_(sim), bounds_(bounds), reduction_(sleep), dpor_(dpor),
        bounded_(bounds.preemptions.has_value() || bounds.interrupts.has_value()),
        observe_(observe), actors_(static_cast<std::size_t>(sim.actor_count())) {
    rec_.set_spin_pruning(spin_pruning);
    if (observe_) sim_.set_observer(&rec_);
  }
  ~Searcher() override {
    if (observe_) sim_.set_observer(nullptr);
  }

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
    block_node_ = false;
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
    nd.order.clear();
    nd.cursor = 0;
    nd.gifts.clear();
    std::uint32_t count = 0, first = n;
    for (std::uint32_t j = 0; j < n; ++j)
      if (eligible(nd, j)) {
        if (first == n) first = j;
        ++count;
      }
    if (count == 0) {
      (reduction_ && !nd.sleep.empty() ? blocked_ : pruned_) = true;
      if (blocked_) {
        blocked_at_ = rec_.steps().size();
        block_node_ = true;  // stack_[size_] holds the options where it blocked
      }
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

  /// After an execution: completes the access record, then (source-DPOR) adds its races'
  /// reversals to the backtrack sets.
  void finish(bool truncated) {
    complete();
    races(truncated);
  }
  void complete() {
    rec_.close();
    process();
    rec_.finalize();
  }
  void races(bool truncated) {
    if (!dpor_) return;
    analyze(std::min(blocked_at_, rec_.steps().size()));
    disabled(std::min(blocked_at_, rec_.steps().size()));
    // An execution cut short by a violation or a deadlock never ran the pending steps of the other
    // actors, so the races they would have had are unknown: every node of it backtracks fully.
    if (truncated && !blocked_) {
      if (record_ops_) ops_.push_back(DporOp{DporOp::Truncate});
      for (std::size_t i = std::max(frozen_, touch_from_); i < size_; ++i) {
        Node& nd = stack_[i];
        for (std::uint32_t o = 0; o < nd.n; ++o) enqueue(nd, o, 1);
      }
    }
  }

  // --- the parallel source-DPOR (search_dpor_parallel) ---

  /// Sets up the Task's run: its prefix frozen, its base node with the Task's sleep set.
  void load_task(const Task& t) {
    const std::size_t base = t.base < 0 ? 0 : static_cast<std::size_t>(t.base) + 1;
    if (stack_.size() < base) stack_.resize(base);
    for (std::size_t k = 0; k < base; ++k) {
      Node& f = stack_[k];
      f.n = t.counts[k];
      f.chosen = t.choices[k];
      f.frozen = k + 1 < base;
      f.child_known = false;
    }
    if (t.base >= 0) {
      Node& b = stack_[base - 1];
      b.sleep = t.asleep;
      b.done.clear();
      b.weight = t.weight;
      b.eligible = t.eligible;
    }
    const bool prefix = t.base >= 0 && t.offsets.size() == base + 1;
    for (std::size_t k = 0; k < base; ++k) {
      if (prefix) stack_[k].options.assign(t.options.begin() + t.offsets[k], t.options.begin() + t.offsets[k + 1]);
      if (k + 1 < base) stack_[k].step = prefix ? t.steps[k] : -1;
    }
    record_ops_ = prefix && actors_ <= 64;
    size_ = base;
    frozen_ = t.base < 0 ? 0 : base - 1;
    touch_from_ = base;
  }
  /// A given-away entry: the prefix its taker needs to analyse the whole walk of its runs.
  void add_prefix(Task& t) const {
    const std::size_t b = static_cast<std::size_t>(t.base);
    t.options.clear();
    t.offsets.resize(b + 2);
    t.steps.resize(b);
    for (std::size_t k = 0; k <= b; ++k) {
      t.offsets[k] = static_cast<std::uint32_t>(t.options.size());
      t.options.insert(t.options.end(), stack_[k].options.begin(), stack_[k].options.end());
    }
    t.offsets[b + 1] = static_cast<std::uint32_t>(t.options.size());
    for (std::size_t k = 0; k < b; ++k) t.steps[k] = stack_[k].step;
  }
  /// Moves to the next execution of the item; false when the item is exhausted.
  bool next() {
    const Next r = advance();
    if (r == Next::Gift) throw std::logic_error("dfs: a given-away entry reached outside the parallel search");
    return r == Next::Run;
  }
  /// next(), for the parallel source-DPOR: Gift when the next entry was given to another thread
  /// (`gift()` returns it; merge it with `absorb`, then call advance again).
  enum class Next { Run, Done, Gift };
  Next advance() {
    while (size_ > std::max(frozen_, touch_from_)) {
      Node& nd = stack_[size_ - 1];
      if (nd.child_known && reduction_) nd.done.push_back(nd.child_step);
      nd.child_known = false;
      if (dpor_) {
        // The backtrack set in the order its entries were added (FIFO): whatever is added to it
        // later comes after every entry already there, so an entry's sleep set (the node's own
        // and the first steps of the options explored before it) is fixed once it is added.
        while (nd.cursor < nd.order.size()) {
          if (!nd.gifts.empty() && nd.gifts.front().first == nd.cursor) {
            nd.mark[nd.order[nd.cursor++]] = 2;
            gift_ = std::move(nd.gifts.front().second);
            nd.gifts.erase(nd.gifts.begin());
            gift_node_ = size_ - 1;
            return Next::Gift;
          }
          const std::uint32_t j = nd.order[nd.cursor++];
          if (!within_bounds(nd, j)) {
            // A reversal the bounds do not allow: a race's own (1) is counted, BPOR's extra (3) not.
            if (nd.mark[j] == 1) ++cut_;
            nd.mark[j] = 4;
            continue;
          }
          if (eligible(nd, j)) {
            nd.mark[j] = 2;
            nd.chosen = j;
            return Next::Run;
          }
        }
        --size_;
        continue;
      }
      for (std::uint32_t j = nd.chosen + 1; j < nd.hi; ++j)
        if (eligible(nd, j)) {
          nd.chosen = j;
          return Next::Run;
        }
      --size_;
    }
    return Next::Done;
  }
  std::shared_ptr<Slot> take_gift() { return std::move(gift_); }

  // --- the fork-join parallel source-DPOR (explore_dpor_forks) ---

  /// Gives the shallowest pending backtrack entry whose run is fixed now to another thread: its
  /// prefix, and its sleep set (the node's own, the first steps of the options explored there,
  /// of the chosen one, and of the entries given away before it, which must be known). The
  /// entry's subtree is then fixed too (nothing outside it changes its nodes' backtrack sets).
  /// Not at the deepest node (its next entry is this thread's next run). False when none is.
  template <class Make>
  bool gift(const Make& make) {
    if (!dpor_ || actors_ > 64 || size_ < 2) return false;
    for (std::size_t i = touch_from_; i + 1 < size_; ++i) {
      Node& nd = stack_[i];
      if (!nd.child_known || nd.cursor >= nd.order.size()) continue;
      asleep_into(nd, scratch_);
      if (reduction_) scratch_.push_back(nd.child_step);
      std::size_t g = 0;
      for (std::uint32_t p = nd.cursor; p < nd.order.size(); ++p) {
        const std::uint32_t j = nd.order[p];
        if (!within_bounds(nd, j) || !eligible(nd, j)) continue;  // advance() skips it
        if (g < nd.gifts.size() && nd.gifts[g].first == p) {
          const Slot& earlier = *nd.gifts[g++].second;
          if (!earlier.first_known.load(std::memory_order_acquire)) break;  // nor are the sleep sets after it
          if (reduction_ && earlier.first_has) scratch_.push_back(earlier.first);
          continue;
        }
        Task t;
        fill_task(t, i, j, scratch_);
        add_prefix(t);
        nd.gifts.insert(nd.gifts.begin() + static_cast<std::ptrdiff_t>(g), {p, make(std::move(t))});
        return true;
      }
    }
    return false;
  }
  /// After advance() returned Gift: merges the given-away entry's results into this tree, as if
  /// its runs had been made here: its first step joins its node's explored ones, and the
  /// recorded effects of its runs on the backtrack sets above its subtree are applied to this
  /// searcher's nodes and the rest appended to `up` (this searcher's own given-away effects).
  void absorb(const Slot& g, std::vector<DporOp>& up) {
    Node& b = stack_[gift_node_];
    StepAccess first;
    if (reduction_ && slot_first_step(g, first)) b.done.push_back(first);
    int last = -1;
    bool here = false;  // the last Initial was applied here
    for (const DporOp& op : g.ops) {
      const bool mine = op.node >= touch_from_;
      switch (op.kind) {
        case DporOp::Initial:
          here = mine;
          if (mine) last = apply_initial(stack_[op.node], [&](int actor) { return (op.initials >> actor) & 1u; });
          else up.push_back(op);
          break;
        case DporOp::Conservative:
          if (mine) {
            apply_conservative(stack_[op.node], op.option ? static_cast<int>(op.initials) : last);
          } else {
            DporOp f = op;
            if (!op.option && here) {
              f.option = 1;
              f.initials = static_cast<std::uint64_t>(last);
            }
            up.push_back(f);
          }
          break;
        case DporOp::Enqueue:
          if (mine) enqueue(stack_[op.node], op.option, 1);
          else up.push_back(op);
          break;
        case DporOp::Truncate:
          for (std::size_t i = touch_from_; i <= gift_node_; ++i)
            for (std::uint32_t o = 0; o < stack_[i].n; ++o) enqueue(stack_[i], o, 1);
          if (touch_from_ > 0) up.push_back(op);
          break;
      }
    }
  }
  /// After complete(): the races of the run just made, applied to this searcher's nodes, and
  /// their effects on the nodes above its subtree (a loaded Task's) appended to `up`.
  void races_into(bool truncated, std::vector<DporOp>& up) {
    ops_.clear();
    races(truncated);
    for (const DporOp& op : ops_)
      if (op.kind == DporOp::Truncate || op.node < touch_from_) up.push_back(op);
  }
  /// The first step the loaded Task's option began with (after its first run).
  bool base_step(StepAccess& out) const {
    if (size_ == 0 || touch_from_ == 0) return false;
    const Node& b = stack_[touch_from_ - 1];
    if (!b.child_known) return false;
    out = b.child_step;
    return true;
  }
  std::size_t actors() const { return actors_; }

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
  /// Race reversals (source-DPOR backtrack points) the bounds did not allow, so far.
  std::uint64_t cut() const { return cut_; }

 private:
  std::uint32_t take(std::uint32_t k) {
    path_.push_back(k);
    return k;
  }
  bool within_bounds(const Node& nd, std::uint32_t j) const {
    if (bounds_.preemptions && nd.pre_before + preemption_cost(nd.options.data(), nd.n, j, nd.running) > *bounds_.preemptions)
      return false;
    return !(bounds_.interrupts && nd.irq_before + interrupt_cost(nd.options.data(), j) > *bounds_.interrupts);
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

  // Source-DPOR (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014), stateless form. After each
  // execution E (up to a sleep-set block), for every race e ⋖ e' (different actors, e happens
  // before e' through a dependency and through no third step) the reversal is requested: at the
  // node N before e, one initial of v = notdep(e).e' (the steps after e that do not happen after
  // it, then e') joins N's backtrack set, unless one already is there.
  //
  // The textbook rule assumes v can run from N. Here it can fail in one way, and the rule is
  // generalised for it (`reverse`): e' may be disabled at N because of its CPU's state (an
  // interrupt inside an irq-off region, a task on a CPU that cannot switch, a timer not yet due).
  // Every step that changes what may run on a CPU writes that CPU's pseudo-object (access.h), so
  // such an e' is re-enabled only by a step writing its CPU: moving e' before e then means moving
  // it before the step that disabled it. The walk goes back from e over the steps x that write
  // e''s CPU (or the clock), stopping at q's own steps and at steps that happen before q's
  // previous step (q = e''s actor: program order cannot be reversed), and applies the rule at the
  // first node where v_x = notdep(x).e' is executable:
  //   - the CPU state v_x runs in: when the last writer w of e''s CPU before e' is x itself or
  //     happens after x, every writer of that CPU after x is left out of v_x, so the CPU is as it
  //     was at x's node, and e' is enabled there iff q is an option at x's node; otherwise w is in
  //     v_x and e' runs in the CPU state it had in E;
  //   - v_x's first steps: some initial of v_x must be an option at x's node (steps disabled by
  //     their own actor's earlier step, a lock attempt or a sleep, are re-enabled only after a
  //     step this race does not reverse: the walk goes on, and such a race has its reversal
  //     through the attempt's or the sleep's own race).
  // e itself is the first candidate (the textbook case). Tests: DfsProp.SourceDpor*.
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
    last_of_actor_.assign(A, -1);
    for (std::size_t i = record_ops_ ? 0 : frozen_; i < size_; ++i)
      if (stack_[i].step >= 0 && static_cast<std::size_t>(stack_[i].step) < m)
        node_at_step_[static_cast<std::size_t>(stack_[i].step)] = static_cast<std::ptrdiff_t>(i);
    prev_.resize(A);
    // Spin pruning (access.h): after a weak tail its actor's next iteration fails the same way
    // until another actor writes what the tail read; that first write (`unblock_`) is what lets
    // it make progress.
    // Watching for it starts at the tail's first step; races are skipped only after its yield.
    const std::vector<SpinTail>& tails = rec_.spin_tails();
    tail_begin_.assign(m, -1);
    tail_end_.assign(m, -1);
    for (std::size_t t = 0; t < tails.size(); ++t) {
      if (tails[t].begin < m) tail_begin_[tails[t].begin] = static_cast<std::ptrdiff_t>(t);
      if (tails[t].end < m) tail_end_[tails[t].end] = static_cast<std::ptrdiff_t>(t);
    }
    unblock_.assign(A, -1);
    waiting_.assign(A, -1);
    armed_.assign(A, 0);
    for (std::size_t k = 0; k < m; ++k) {
      const StepAccess& s = st[k];
      const std::size_t a = static_cast<std::size_t>(s.actor);
      if (tail_begin_[k] >= 0) {
        waiting_[a] = tail_begin_[k];
        unblock_[a] = -1;
        armed_[a] = 0;
      }
      for (std::size_t b = 0; b < A; ++b)
        if (waiting_[b] >= 0 && b != a) {
          const SpinTail& blk = tails[static_cast<std::size_t>(waiting_[b])];
          for (int i = 0; i < blk.n; ++i)
            if (writes(s, blk.reads[i])) {
              unblock_[b] = static_cast<std::ptrdiff_t>(k);
              waiting_[b] = -1;
              break;
            }
        }
      std::uint32_t* C = &clocks_[k * A];
      std::copy_n(&actor_clock_[a * A], A, C);
      std::copy_n(C, A, prev_.begin());
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
      C[a] = prev_[a] + 1;
      std::copy_n(C, A, &actor_clock_[a * A]);
      // What decides whether k's actor can run (its support, see reverse), with the last writer of
      // each before k: its CPU, the clock (timers), and what its previous step touched (a lock it
      // was blocked on, a wait queue it slept on).
      nsupport_ = 0;
      auto support = [&](std::uint32_t object) {
        for (std::size_t i = 0; i < nsupport_; ++i)
          if (support_[i].object == object) return;
        if (nsupport_ == kMaxSupport) return;
        support_[nsupport_++] = Support{object, last_write_[rec_.dense(object)]};
      };
      if (s.cpu >= 0) support(kCpuObject | static_cast<std::uint32_t>(s.cpu));
      if (rec_.timers()) support(kClockObject);
      if (last_of_actor_[a] >= 0) {
        const StepAccess& p = st[static_cast<std::size_t>(last_of_actor_[a])];
        for (int i = 0; i < p.n; ++i) support(p.acc[i].object);
      }
      std::sort(candidates_.begin(), candidates_.end());
      candidates_.erase(std::unique(candidates_.begin(), candidates_.end()), candidates_.end());
      for (std::ptrdiff_t j : candidates_) {
        const std::size_t b = static_cast<std::size_t>(st[static_cast<std::size_t>(j)].actor);
        const std::uint32_t jc = clocks_[static_cast<std::size_t>(j) * A + b];
        if (prev_[b] >= jc) continue;  // j happens before k's actor's previous step
        // j is the first write to what k's actor's last weak tail read: before j its next
        // iteration could only fail the same way again, so the reversal is the re-poll after j.
        if (armed_[a] && j == unblock_[a]) continue;
        bool immediate = true;         // no other direct predecessor of k happens after j
        for (std::ptrdiff_t o : candidates_)
          if (o != j && clocks_[static_cast<std::size_t>(o) * A + b] >= jc) immediate = false;
        if (immediate) reverse(static_cast<std::size_t>(j), k, last_of_actor_[a]);
      }
      last_of_actor_[a] = static_cast<std::ptrdiff_t>(k);
      if (tail_end_[k] >= 0) armed_[a] = 1;
      // A silent step (a failed spin iteration repeated, access.h) is ordered after what it read
      // and races with it (the reversal reads an older value), but is no step's predecessor: a
      // later write is not ordered after it and does not race with it (that order is the repeat).
      if (s.silent) continue;
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
    }
  }

  // An actor that was an option at a node and is not one at the next (or where the execution was
  // sleep-set blocked), without having run in between, was disabled by a step there (a task
  // behind a preempt_disable or irq-off region on its CPU, an interrupt whose CPU entered a
  // handler). DPOR's races assume that steps are never disabled; a disabled actor's next step
  // never runs in this execution, so its races with the disabling step are never seen. They are
  // reversed here, as a race with an unknown step: the actor joins the node's backtrack set.
  void disabled(std::size_t m) {
    const std::vector<StepAccess>& st = rec_.steps();
    for (std::size_t i = record_ops_ ? 0 : std::max(frozen_, touch_from_); i < size_; ++i) {
      Node& nd = stack_[i];
      if (nd.step < 0) break;
      const bool mine = i >= touch_from_;  // a given-away subtree's searcher knows its own marks only
      const Option* next = nullptr;
      std::uint32_t n_next = 0;
      std::size_t to = m;
      int only = -1;
      if (i + 1 < size_) {
        next = stack_[i + 1].options.data();
        n_next = stack_[i + 1].n;
        to = stack_[i + 1].step < 0 ? m : static_cast<std::size_t>(stack_[i + 1].step);
      } else if (blocked_ && block_node_) {
        next = stack_[size_].options.data();
        n_next = stack_[size_].n;
      } else if (blocked_ && blocked_at_ < st.size()) {
        only = st[blocked_at_].actor;  // a sleeping actor was the only option
      } else {
        break;  // the execution went on to its end
      }
      const std::size_t from = static_cast<std::size_t>(nd.step);
      for (std::uint32_t o = 0; o < nd.n; ++o) {
        if (mine && nd.mark[o]) continue;
        const int q = nd.options[o].actor;
        bool still = q == only;
        for (std::uint32_t z = 0; z < n_next && !still; ++z) still = static_cast<int>(next[z].actor) == q;
        for (std::size_t h = from; h < to && h < m && !still; ++h) still = st[h].actor == q;
        if (still) continue;
        if (record_ops_) ops_.push_back(DporOp{DporOp::Enqueue, static_cast<std::uint32_t>(i), o});
        if (mine) enqueue(nd, o, 1);
      }
    }
  }

  // Adds option o to nd's backtrack set (m: 1 a race's reversal, 3 BPOR's conservative point),
  // at the end of its order, unless it is already there or was explored.
  static void enqueue(Node& nd, std::uint32_t o, std::uint8_t m) {
    if (nd.mark[o]) return;
    nd.mark[o] = m;
    nd.order.push_back(o);
  }
  // The sleep set of the node's chosen child when it is taken (the one-thread search's asleep_).
  void asleep_into(const Node& nd, std::vector<StepAccess>& a) const {
    a.clear();
    if (!reduction_) return;
    a.insert(a.end(), nd.sleep.begin(), nd.sleep.end());
    a.insert(a.end(), nd.done.begin(), nd.done.end());
  }
  bool same_asleep(const Node& nd, const std::vector<StepAccess>& b) const {
    if (!reduction_) return b.empty();
    if (nd.sleep.size() + nd.done.size() != b.size()) return false;
    for (std::size_t i = 0; i < b.size(); ++i) {
      const StepAccess& x = i < nd.sleep.size() ? nd.sleep[i] : nd.done[i - nd.sleep.size()];
      const StepAccess& y = b[i];
      if (x.actor != y.actor || x.n != y.n || x.overflow != y.overflow) return false;
      for (int k = 0; k < x.n; ++k)
        if (x.acc[k].object != y.acc[k].object || x.acc[k].write != y.acc[k].write) return false;
    }
    return true;
  }
  void fill_task(Task& t, std::size_t b, std::uint32_t option, const std::vector<StepAccess>& asleep) const {
    t.base = static_cast<std::ptrdiff_t>(b);
    t.option = option;
    t.choices.resize(b + 1);
    t.counts.resize(b + 1);
    for (std::size_t k = 0; k < b; ++k) {
      t.choices[k] = stack_[k].chosen;
      t.counts[k] = stack_[k].n;
    }
    t.choices[b] = option;
    t.counts[b] = stack_[b].n;
    t.asleep = asleep;
    t.weight = stack_[b].weight;
    t.eligible = stack_[b].eligible;
  }

  bool hb(std::size_t x, std::size_t y) const {  // step x happens before (or is) step y
    const std::size_t ax = static_cast<std::size_t>(rec_.steps()[x].actor);
    return clocks_[y * actors_ + ax] >= clocks_[x * actors_ + ax];
  }
  static bool writes(const StepAccess& s, std::uint32_t object) {
    if (s.overflow) return true;
    for (int i = 0; i < s.n; ++i)
      if (s.acc[i].object == object && s.acc[i].write) return true;
    return false;
  }
  static std::uint32_t option_of(const Node& n, int actor) {
    for (std::uint32_t o = 0; o < n.n; ++o)
      if (static_cast<int>(n.options[o].actor) == actor) return o;
    return n.n;
  }

  // The race j ⋖ k (see analyze); pq: k's actor's previous step. Candidates x: j, then every
  // earlier step writing a support object of k. At each, v_x = notdep(x).k runs from x's node in
  // a state where each support object S is as in E before k (S's last writer before k is in
  // v_x), or as at x's node (x writes S: every later writer of S happens after x and is left
  // out), or unknown (a writer of S happens after x, x does not write S). Whether k's actor may
  // run is a conjunction of one condition per support object (its CPU's state, the lock's
  // holder, the queue's wake-up), so v_x is certainly executable when no S is unknown and, if
  // some S is as at x's node, k's actor is an option there. Where it is certain, an initial of
  // v_x is added and the walk ends; where it is not, one is added too (a useless addition is only
  // work) and the walk goes on.
  void reverse(std::size_t j, std::size_t k, std::ptrdiff_t pq) {
    const std::vector<StepAccess>& st = rec_.steps();
    const int q = st[k].actor;
    for (std::size_t x = j + 1; x-- > 0;) {
      const StepAccess& sx = st[x];
      bool candidate = x == j;
      for (std::size_t i = 0; i < nsupport_ && !candidate; ++i) candidate = writes(sx, support_[i].object);
      if (!candidate) continue;
      if (sx.actor == q) return;                                   // program order
      if (pq >= 0 && hb(x, static_cast<std::size_t>(pq))) return;  // q's earlier step needs x first
      const std::ptrdiff_t at = node_at_step_[x];
      if (at < 0) continue;  // x ran alone: nothing can be scheduled before it there
      // A subtree's searcher that does not record: the rest of the walk is above its subtree.
      if (!record_ops_ && static_cast<std::size_t>(at) < touch_from_) return;
      Node& nd = stack_[static_cast<std::size_t>(at)];
      bool certain = true, reverted = false;
      for (std::size_t i = 0; i < nsupport_; ++i) {
        const std::ptrdiff_t w = support_[i].last_writer;
        if (w < 0 || !hb(x, static_cast<std::size_t>(w))) continue;  // as in E
        if (writes(sx, support_[i].object)) reverted = true;
        else certain = false;
      }
      if (reverted && option_of(nd, q) == nd.n) certain = false;
      const int added = mark_initial(static_cast<std::size_t>(at), x, k);
      if (added >= 0 && bounded_) conservative(x, added, static_cast<std::size_t>(at) >= touch_from_);
      if (added >= 0 && certain) return;
    }
  }

  // Bounded partial-order reduction (Coons, Musuvathi & McKinley, OOPSLA 2013): the reversal
  // asked for at x's node may cost a preemption (or a firing) the bound does not allow, while the
  // same reordering started where x's actor began its run costs no more than the schedule already
  // paid there. So the actor is also added at the node where the run containing x began (the
  // latest step y <= x whose predecessor is another actor's), or every option there when that
  // actor is not one.
  // resolved: `actor` is what the Initial before it did here (its node is this searcher's own).
  void conservative(std::size_t x, int actor, bool resolved) {
    const std::vector<StepAccess>& st = rec_.steps();
    std::size_t y = x;
    while (y > 0 && st[y - 1].actor == st[x].actor) --y;
    const std::ptrdiff_t at = node_at_step_[y];
    if (at < 0) return;  // nothing else could run where the run began
    if (record_ops_)
      ops_.push_back(DporOp{DporOp::Conservative, static_cast<std::uint32_t>(at), resolved ? 1u : 0u,
                            resolved ? static_cast<std::uint64_t>(actor) : 0u});
    if (static_cast<std::size_t>(at) < touch_from_) return;  // above a given-away subtree
    apply_conservative(stack_[static_cast<std::size_t>(at)], actor);
  }
  static void apply_conservative(Node& nd, int actor) {
    const std::uint32_t o = option_of(nd, actor);
    if (o < nd.n) {
      enqueue(nd, o, 3);
      return;
    }
    for (std::uint32_t p = 0; p < nd.n; ++p) enqueue(nd, p, 3);
  }

  // Adds to nd's backtrack set one initial of v = notdep(x).k that is an option at nd, unless one
  // already is in it; returns that initial's actor, or -1 when no initial of v is an option at nd.
  int mark_initial(std::size_t at, std::size_t x, std::size_t k) {
    Node& nd = stack_[at];
    const std::vector<StepAccess>& st = rec_.steps();
    const std::size_t A = actors_;
    first_in_v_.assign(A, 0);  // 1 + the own clock of each actor's first step in v (0: none yet)
    initial_.assign(A, 0);
    auto visit = [&](std::size_t h) {
      const std::size_t ha = static_cast<std::size_t>(st[h].actor);
      if (first_in_v_[ha]) return;
      bool init = true;
      for (std::size_t g = 0; g < A && init; ++g)
        if (first_in_v_[g] && clocks_[h * A + g] >= first_in_v_[g] - 1) init = false;
      first_in_v_[ha] = clocks_[h * A + ha] + 1;
      initial_[ha] = init;
    };
    for (std::size_t h = x + 1; h < k; ++h)
      if (!st[h].weak && !hb(x, h)) visit(h);
    visit(k);
    auto initial = [&](int actor) { return initial_[static_cast<std::size_t>(actor)] != 0; };
    if (record_ops_) {
      std::uint64_t bits = 0;
      for (std::size_t a = 0; a < A; ++a)
        if (initial_[a]) bits |= std::uint64_t{1} << a;
      ops_.push_back(DporOp{DporOp::Initial, static_cast<std::uint32_t>(at), 0, bits});
    }
    if (at < touch_from_) {
      // Above a given-away subtree (its owner applies it): whether some initial is an option.
      for (std::uint32_t o = 0; o < nd.n; ++o)
        if (initial(nd.options[o].actor)) return nd.options[o].actor;
      return -1;
    }
    return apply_initial(nd, initial);
  }
  template <class Initial>
  static int apply_initial(Node& nd, const Initial& initial) {
    std::uint32_t pick = nd.n;
    bool pick_asleep = true;
    for (std::uint32_t o = 0; o < nd.n; ++o) {
      const int actor = nd.options[o].actor;
      if (!initial(actor)) continue;
      if (nd.mark[o]) return actor;  // an initial is already in the backtrack set
      bool asleep = false;
      for (const StepAccess& z : nd.sleep)
        if (z.actor == actor) asleep = true;
      if (pick == nd.n || (pick_asleep && !asleep)) {
        pick = o;
        pick_asleep = asleep;
      }
    }
    if (pick == nd.n) return -1;
    enqueue(nd, pick, 1);
    return nd.options[pick].actor;
  }

  Sim& sim_;
  AccessRecord rec_;
  Bounds bounds_;
  bool reduction_;  // sleep sets
  bool dpor_;
  bool bounded_;    // DPOR under a preemption or interrupt bound (the conservative points of BPOR)
  bool observe_;
  std::uint64_t cut_ = 0;
  std::size_t touch_from_ = 0;  // a given-away subtree: the nodes above it are not touched
  bool record_ops_ = false;     // a given-away subtree: the analysis is recorded (ops_) for its owner
  std::vector<DporOp> ops_;
  std::shared_ptr<Slot> gift_;
  std::size_t gift_node_ = 0;
  bool last_all_finished_ = true;
  mutable std::vector<StepAccess> scratch_;
  std::size_t actors_;
  std::size_t blocked_at_ = SIZE_MAX;
  std::vector<std::uint32_t> clocks_, actor_clock_;
  std::vector<std::ptrdiff_t> last_write_, node_at_step_, candidates_, last_of_actor_, unblock_, waiting_,
      tail_begin_, tail_end_;
  std::vector<std::uint8_t> armed_;
  std::vector<std::vector<std::ptrdiff_t>> reads_;
  std::vector<std::uint32_t> prev_, first_in_v_;
  std::vector<std::uint8_t> initial_;
  struct Support {
    std::uint32_t object;
    std::ptrdiff_t last_writer;
  };
  static constexpr std::size_t kMaxSupport = 2 + StepAccess::kMax;
  Support support_[kMaxSupport];
  std::size_t nsupport_ = 0;
  std::vector<Node> stack_;
  std::size_t size_ = 0, frozen_ = 0;
  std::size_t pos_ = 0, processed_ = 0;
  std::ptrdiff_t pending_child_ = -1;
  std::vector<std::uint32_t> path_;
  std::vector<StepAccess> asleep_;
  bool blocked_ = false, pruned_ = false;
  bool block_node_ = false;  // blocked where a new node found no eligible option
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

// What one execution (finished: s.finish, or committed: s.adopt and s.races) adds to the totals;
// false when it ends the search (an internal fault in model code).
bool account(const Searcher& s, const ExecResult& r, std::uint64_t fingerprint, Pool& sh, WorkerTotals& w, ItemResult& res,
             const DfsConfig& cfg) {
  ++w.executions;
  w.steps += r.steps;
  w.weight += static_cast<std::uint64_t>(std::llround(s.weight() * kWeightScale));
  const std::uint64_t index = res.executions++;
  if (cfg.on_execution) cfg.on_execution(s.path(), fingerprint, s.blocked() || s.pruned());
  if (s.blocked()) {
    ++w.blocked;
  } else if (s.pruned()) {
    ++w.bounded_out;
  } else {
    w.classes.push_back(fingerprint);
    if (r.end == ExecResult::End::Finished && !r.infeasible) w.end_states.push_back(r.end_state_hash);
    if (cfg.collect_outcomes && r.end != ExecResult::End::Error && !r.infeasible) w.outcomes.push_back(outcome_of(r));
    if (r.end == ExecResult::End::Error) {
      w.error = describe(r.error);
      w.error_choices = s.path();
      sh.stop = true;
      return false;
    }
    if (r.end == ExecResult::End::Violation) {
      ++w.violations[static_cast<std::size_t>(r.violation->property)];
      sh.violations.fetch_add(1, std::memory_order_relaxed);
      if (!res.first) res.first = DfsViolation{s.path(), *r.violation, std::nullopt, index};
    }
  }
  return true;
}

void explore_item(Searcher& s, Sim& sim, Item item, Pool& sh, WorkerTotals& w, const DfsConfig& cfg) {
  ItemResult res;
  res.key = item.key;
  s.load(std::move(item));
  const std::uint64_t cut_before = s.cut();
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
    if (!account(s, r, s.record().class_fingerprint(), sh, w, res, cfg)) break;
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
  w.cut += s.cut() - cut_before;
  w.items.push_back(std::move(res));
}

// Fork-join parallel source-DPOR (the default with jobs > 1). A pending backtrack entry's run
// is fixed once the entries before it at its node have begun (FIFO: its sleep set is the
// node's own plus their first steps), and so is its whole subtree: a run's races change the
// backtrack sets of the nodes it passed, so runs outside the subtree never change the nodes
// inside it, and what the subtree's runs do to the nodes above it is only a list of requests
// (DporOp) whose outcome depends on those nodes' state. So a thread gives such an entry away
// (Searcher::gift) when another is idle; the taker explores the subtree as the one-thread
// search would, applying its runs' races inside it and recording the requests above it, in
// order, with a record of each run (RunRec). When the giver's search reaches the entry
// (Searcher::advance returns Gift) it waits for it, helping with the entries given away inside
// it meanwhile (leapfrogging: nothing else, so the wait ends as soon as the entry's subtree
// does), then applies the requests to its own nodes and passes the rest up (absorb), and
// counts the runs in their place. The root thread counts every run in the one-thread order:
// the executions, their order, classes, end states, violations, the first violation, the
// Knuth weight and the reversals cut are those of one thread, under an execution budget too
// (the runs past it that others made are dropped). Nested gifts are explored with a Sim and a
// Searcher per nesting level of each thread.
/// The workloads and engines of one explore_dfs call, kept across its bounds (0, 1, ..., K) and
/// its threads: a Sim resets everything at every run, so one built for bound 0 serves the later
/// bounds too, and building one (the workload's objects, the fibers' stacks) costs more than a
/// small search. An engine a search stopped with an exception in flight is not reused.
struct Engine {
  std::unique_ptr<Workload> workload;
  std::unique_ptr<Sim> sim;
};
class Engines {
 public:
  Engines(const WorkloadFactory& factory, const Sim::Config& config) : factory_(factory), config_(config) {}
  std::unique_ptr<Engine> take() {
    {
      std::lock_guard<std::mutex> lock(m_);
      if (!free_.empty()) {
        std::unique_ptr<Engine> e = std::move(free_.back());
        free_.pop_back();
        return e;
      }
    }
    auto e = std::make_unique<Engine>();
    e->workload = factory_();
    e->sim = std::make_unique<Sim>(config_);
    e->sim->load(*e->workload);
    return e;
  }
  void give(std::unique_ptr<Engine> e) {
    if (!e || std::uncaught_exceptions() > 0) return;
    std::lock_guard<std::mutex> lock(m_);
    free_.push_back(std::move(e));
  }

 private:
  const WorkloadFactory& factory_;
  const Sim::Config& config_;
  std::mutex m_;
  std::vector<std::unique_ptr<Engine>> free_;
};
/// An engine borrowed for one search.
struct Lease {
  Engines& engines;
  std::unique_ptr<Engine> e;
  explicit Lease(Engines& pool) : engines(pool), e(pool.take()) {}
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { engines.give(std::move(e)); }
  Sim& sim() { return *e->sim; }
};

struct Forks {
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::shared_ptr<Slot>> queue;
  std::atomic<int> hungry{0};
  bool over = false;  // the root's search ended: the other threads leave
  std::uint64_t gifts = 0;
};

class ForkWorker {
 public:
  ForkWorker(Engines& engines, const DfsConfig& cfg, const Bounds& bounds, bool sleep, Pool& sh, Forks& fk)
      : engines_(engines), cfg_(cfg), bounds_(bounds), sleep_(sleep), sh_(sh), fk_(fk) {}

  /// The whole tree, on this thread, every run counted in order into w.
  bool root(WorkerTotals& w, ItemResult& res) {
    RootSink sink{*this, w, res};
    return explore(0, nullptr, sink);
  }
  /// The other threads: given-away entries, until the root is done.
  void serve() {
    for (;;) {
      std::shared_ptr<Slot> q;
      {
        std::unique_lock<std::mutex> lock(fk_.m);
        fk_.hungry.fetch_add(1);
        fk_.cv.wait(lock, [&] { return fk_.over || !fk_.queue.empty(); });
        fk_.hungry.fetch_sub(1);
        if (fk_.over) return;
        q = std::move(fk_.queue.front());
        fk_.queue.pop_front();
        q->state = 1;
      }
      run_item(*q, 0);
    }
  }

 private:
  struct Ctx {
    Lease engine;
    Searcher s;
    Ctx(Engines& engines, const Bounds& b, bool sleep, bool spin_pruning)
        : engine(engines), s(engine.sim(), b, sleep, true, spin_pruning) {}
  };
  Ctx& ctx(std::size_t level) {
    while (ctxs_.size() <= level) ctxs_.push_back(std::make_unique<Ctx>(engines_, bounds_, sleep_, cfg_.spin_pruning));
    return *ctxs_[level];
  }

  // Where a search's runs go: the root counts them (account, in order), a given-away entry's
  // search keeps them for its giver.
  struct Sink {
    virtual ~Sink() = default;
    virtual bool full() = 0;                 // before a run: the search stops here
    virtual bool push(RunRec&& r) = 0;       // false: the search stops after it
    virtual void add_cut(std::uint64_t n) = 0;
    virtual std::vector<DporOp>* up() = 0;   // the requests above the subtree (none at the root)
  };
  struct RootSink final : Sink {
    ForkWorker& f;
    WorkerTotals& w;
    ItemResult& res;
    std::vector<DporOp> none;
    RootSink(ForkWorker& fw, WorkerTotals& wt, ItemResult& r) : f(fw), w(wt), res(r) {}
    bool over_budget() {
      if (res.executions >= f.sh_.limit || (f.sh_.seconds > 0 && f.sh_.elapsed() >= f.sh_.seconds)) {
        f.sh_.budget_hit = true;
        f.sh_.stop = true;
        return true;
      }
      return false;
    }
    bool full() override { return f.sh_.stop.load(std::memory_order_relaxed) || over_budget(); }
    bool push(RunRec&& r) override {
      if (over_budget()) return false;
      const DfsConfig& cfg = f.cfg_;
      ++w.executions;
      w.steps += r.steps;
      w.weight += r.weight;
      w.cut += r.cut;
      const std::uint64_t index = res.executions++;
      f.sh_.executions.store(res.executions, std::memory_order_relaxed);
      if (cfg.on_execution) cfg.on_execution(r.path, r.fingerprint, r.blocked || r.pruned);
      if (r.blocked) {
        ++w.blocked;
      } else if (r.pruned) {
        ++w.bounded_out;
      } else {
        w.classes.push_back(r.fingerprint);
        if (r.has_end) w.end_states.push_back(r.end_state);
        if (r.has_outcome) w.outcomes.push_back(r.outcome);
        if (r.error) {
          w.error = *r.error;
          w.error_choices = r.path;
          f.sh_.stop = true;
          return false;
        }
        if (r.violation) {
          ++w.violations[static_cast<std::size_t>(r.violation->property)];
          f.sh_.violations.fetch_add(1, std::memory_order_relaxed);
          if (!res.first) res.first = DfsViolation{r.path, *r.violation, std::nullopt, index};
        }
      }
      return true;
    }
    void add_cut(std::uint64_t n) override { w.cut += n; }
    std::vector<DporOp>* up() override { return &none; }
  };
  struct ItemSink final : Sink {
    ForkWorker& f;
    Slot& g;
    ItemSink(ForkWorker& fw, Slot& slot) : f(fw), g(slot) {}
    bool full() override {
      if (f.sh_.stop.load(std::memory_order_relaxed)) return true;
      if (f.sh_.seconds > 0 && f.sh_.elapsed() >= f.sh_.seconds) {
        f.sh_.budget_hit = true;
        f.sh_.stop = true;
        return true;
      }
      // The runs the root has counted come before this subtree's (it has not reached it yet, or
      // waits for it): runs past the budget would be dropped, so they are not made.
      return g.recs.size() + f.sh_.executions.load(std::memory_order_relaxed) >= f.sh_.limit;
    }
    bool push(RunRec&& r) override {
      const bool error = r.error.has_value() && !r.blocked && !r.pruned;
      g.recs.push_back(std::move(r));
      return !error;  // the one-thread search ends at an error
    }
    void add_cut(std::uint64_t n) override {
      if (!g.recs.empty()) g.recs.back().cut += n;
    }
    std::vector<DporOp>* up() override { return &g.ops; }
  };

  RunRec record(const Searcher& s, const ExecResult& r) const {
    RunRec rec;
    rec.steps = r.steps;
    rec.weight = static_cast<std::uint64_t>(std::llround(s.weight() * kWeightScale));
    rec.fingerprint = s.record().class_fingerprint();
    rec.blocked = s.blocked();
    rec.pruned = s.pruned();
    if (!rec.blocked && !rec.pruned) {
      rec.has_end = r.end == ExecResult::End::Finished && !r.infeasible;
      rec.end_state = r.end_state_hash;
      rec.has_outcome = cfg_.collect_outcomes && r.end != ExecResult::End::Error && !r.infeasible;
      if (rec.has_outcome) rec.outcome = outcome_of(r);
      if (r.end == ExecResult::End::Error) rec.error = describe(r.error);
      if (r.end == ExecResult::End::Violation) rec.violation = *r.violation;
    }
    if (cfg_.on_execution || rec.violation || rec.error) rec.path = s.path();
    return rec;
  }

  void run_item(Slot& g, std::size_t level) {
    bool finished = false;
    try {
      ItemSink sink(*this, g);
      finished = explore(level, &g, sink);
    } catch (...) {
      g.fault = std::current_exception();
    }
    g.ended = !finished;
    if (!g.first_known.load(std::memory_order_relaxed)) g.first_known.store(true, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lock(fk_.m);
      g.state = 2;
    }
    fk_.cv.notify_all();
  }

  // Waits until g's subtree is done, exploring meanwhile the entries given away inside it (or
  // g itself when nobody took it). False: the search stopped before anyone took it.
  bool join(Slot& g, std::size_t level) {
    std::unique_lock<std::mutex> lock(fk_.m);
    fk_.hungry.fetch_add(1);
    bool ok = true;
    for (;;) {
      if (g.state.load() == 2) break;
      if (g.state.load() == 0) {
        for (auto it = fk_.queue.begin(); it != fk_.queue.end(); ++it)
          if (it->get() == &g) {
            fk_.queue.erase(it);
            break;
          }
        if (sh_.stop.load()) {
          ok = false;
          break;
        }
        g.state = 1;
        fk_.hungry.fetch_sub(1);
        lock.unlock();
        run_item(g, level + 1);
        lock.lock();
        fk_.hungry.fetch_add(1);
        continue;
      }
      std::shared_ptr<Slot> d;
      const auto& key = g.task.choices;
      for (auto it = fk_.queue.begin(); it != fk_.queue.end(); ++it) {
        const auto& c = (*it)->task.choices;
        if (c.size() > key.size() && std::equal(key.begin(), key.end(), c.begin())) {
          d = std::move(*it);
          fk_.queue.erase(it);
          break;
        }
      }
      if (d) {
        d->state = 1;
        fk_.hungry.fetch_sub(1);
        lock.unlock();
        run_item(*d, level + 1);
        lock.lock();
        fk_.hungry.fetch_add(1);
        continue;
      }
      fk_.cv.wait(lock);
    }
    fk_.hungry.fetch_sub(1);
    return ok;
  }

  void maybe_gift(Searcher& s) {
    if (fk_.hungry.load(std::memory_order_relaxed) <= 0) return;
    std::lock_guard<std::mutex> lock(fk_.m);
    if (!fk_.queue.empty()) return;
    if (s.gift([&](Task&& t) {
          auto g = std::make_shared<Slot>();
          g->task = std::move(t);
          fk_.queue.push_back(g);
          return g;
        })) {
      ++fk_.gifts;
      fk_.cv.notify_all();
    }
  }

  // One search: the whole tree (g null) or a given-away entry's subtree. True when it is done.
  bool explore(std::size_t level, Slot* g, Sink& sink) {
    Ctx& c = ctx(level);
    Searcher& s = c.s;
    Sim& sim = c.engine.sim();
    if (g) s.load_task(g->task);
    else s.load(Item{});
    std::uint64_t mark = s.cut();
    bool first = g != nullptr;
    std::vector<DporOp>& up = *sink.up();
    for (;;) {
      if (sink.full()) return false;
      ExecResult r = sim.run(s);
      if (g) {
        s.complete();
        s.races_into(!r.all_finished, up);
      } else {
        s.finish(!r.all_finished);
      }
      if (first) {
        g->first_has = s.base_step(g->first);
        g->first_known.store(true, std::memory_order_release);
        first = false;
      }
      if (!sink.push(record(s, r))) return false;
      maybe_gift(s);
      for (;;) {
        const Searcher::Next x = s.advance();
        sink.add_cut(s.cut() - mark);  // counted after the last run pushed
        mark = s.cut();
        if (x == Searcher::Next::Run) break;
        if (x == Searcher::Next::Done) return true;
        const std::shared_ptr<Slot> h = s.take_gift();
        if (!join(*h, level)) return false;
        if (h->fault) std::rethrow_exception(h->fault);
        s.absorb(*h, up);
        for (RunRec& rec : h->recs)
          if (!sink.push(std::move(rec))) return false;
        if (h->ended) {
          sink.full();  // the root: a subtree that stopped at the budget has more runs, so the budget ends the search
          return false;
        }
      }
    }
  }

  Engines& engines_;
  const DfsConfig& cfg_;
  Bounds bounds_;
  bool sleep_;
  Pool& sh_;
  Forks& fk_;
  std::vector<std::unique_ptr<Ctx>> ctxs_;  // per nesting level: the searcher is destroyed before its engine returns
};

void explore_dpor_forks(Engines& engines, const DfsConfig& cfg, const Bounds& bounds, bool sleep, unsigned jobs,
                        Pool& sh, WorkerTotals& w) {
  Forks fk;
  std::vector<std::thread> helpers;
  std::mutex failed_m;
  std::exception_ptr failed;
  struct Join {
    Forks& fk;
    Pool& sh;
    std::vector<std::thread>& helpers;
    ~Join() {
      {
        std::lock_guard<std::mutex> lock(fk.m);
        fk.over = true;
        sh.stop = true;
      }
      fk.cv.notify_all();
      for (auto& t : helpers) t.join();
    }
  } join{fk, sh, helpers};
  for (unsigned h = 1; h < jobs; ++h)
    helpers.emplace_back([&] {
      try {
        ForkWorker f(engines, cfg, bounds, sleep, sh, fk);
        f.serve();
      } catch (...) {
        std::lock_guard<std::mutex> lock(failed_m);
        failed = std::current_exception();
      }
    });
  ForkWorker f(engines, cfg, bounds, sleep, sh, fk);
  ItemResult res;
  res.finished = f.root(w, res);
  w.gifts += fk.gifts;
  w.items.push_back(std::move(res));
  std::lock_guard<std::mutex> lock(failed_m);
  if (failed) std::rethrow_exception(failed);
}

DfsCoverage search_once(Engines& engines, const DfsConfig& cfg,
                        const Bounds& bounds, bool reduction, std::uint64_t budget_left, double seconds_left,
                        DfsResult& out) {
  // Source-DPOR adds backtrack points to ancestors of the node being explored, so its tree is
  // not split by work stealing: with jobs > 1 pending entries are given away and merged in
  // their turn (explore_dpor_forks).
  const bool dpor = reduction && cfg.dpor;
  const bool sleep = reduction && !(bounds.preemptions || bounds.interrupts || bounds.depth);
  const unsigned dpor_jobs = dpor ? std::max(1u, cfg.jobs) : 1u;
  const unsigned jobs = dpor ? 1u : std::max(1u, cfg.jobs);
  Pool sh;
  sh.limit = budget_left ? budget_left : UINT64_MAX;
  sh.seconds = seconds_left;
  sh.t0 = std::chrono::steady_clock::now();
  sh.pool.push_back(Item{});
  std::vector<WorkerTotals> workers(jobs);

  auto work = [&](WorkerTotals& w) {
    if (dpor_jobs > 1) {
      try {
        explore_dpor_forks(engines, cfg, bounds, sleep, dpor_jobs, sh, w);
        std::lock_guard<std::mutex> lock(sh.m);
        sh.pool.clear();
      } catch (...) {
        w.setup_error = std::current_exception();
        sh.stop = true;
      }
      return;
    }
    try {
      Lease engine(engines);
      Sim& sim = engine.sim();
      Searcher s(sim, bounds, sleep, dpor, cfg.spin_pruning);
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
        explore_item(s, sim, std::move(item), sh, w, cfg);
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
  std::uint64_t weight = 0, gifts = 0;
  bool all_finished = sh.pool.empty();
  for (auto& w : workers) {
    if (w.setup_error) std::rethrow_exception(w.setup_error);
    cov.executions += w.executions;
    cov.steps += w.steps;
    cov.sleep_blocked += w.blocked;
    cov.bounded_out += w.bounded_out;
    cov.reversals_beyond_bounds += w.cut;
    gifts += w.gifts;
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
  cov.work_items = items.size() + gifts;
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
  Engines engines(factory, config);  // built by the first search that needs one, destroyed after the result
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  DfsResult res;
  const bool bounded = cfg.preemption_bound || cfg.interrupt_bound || cfg.depth_bound;
  // Sleep sets without bounds; source-DPOR also under preemption and interrupt bounds (BPOR, with
  // no sleep sets there); with a depth bound, no reduction. Both are built for scheduling choices:
  // with a memory model's read choices they are not known to be sound, so tso and lkmm search
  // unreduced (the CLI refuses to be asked).
  res.reduction = cfg.reduction && (!bounded || (cfg.dpor && !cfg.depth_bound)) && config.memory_model == MemoryModel::Sc;
  res.sleep_sets = res.reduction && !bounded;
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
    res.iterations.push_back(search_once(engines, cfg, bounds, res.reduction, left, secs, res));
    const DfsCoverage& c = res.iterations.back();
    if (c.complete && b) res.deepest_bound_covered = b;
    if (!c.complete || res.error) break;
    if (res.first && !had && !cfg.keep_going) break;  // the smallest bound with a violation
  }
  res.seconds = elapsed();
  return res;
}

std::uint64_t sampled_classes(const WorkloadFactory& factory, const Sim::Config& config, Strategy strategy,
                              std::uint64_t seed, unsigned pct_depth, std::uint64_t pct_steps, std::uint64_t n) {
  std::unique_ptr<Workload> workload = factory();
  Sim sim(config);
  sim.load(*workload);
  AccessRecord rec(sim);
  sim.set_observer(&rec);
  ExecutionSource src(strategy, pct_depth, strategy == Strategy::Pct ? pct_steps : 1);
  std::vector<std::uint64_t> classes;
  classes.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(n, 1u << 20)));
  for (std::uint64_t i = 0; i < n; ++i) {
    rec.begin();
    sim.run(src.at(seed, i));
    rec.close();
    rec.finalize();
    classes.push_back(rec.class_fingerprint());
  }
  sim.set_observer(nullptr);
  std::sort(classes.begin(), classes.end());
  return static_cast<std::uint64_t>(std::unique(classes.begin(), classes.end()) - classes.begin());
}

}  // namespace sim
