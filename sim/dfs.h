// sim/dfs.h — systematic search: a stateless depth-first search over the choice seam.
//
// Every execution the search visits is a choice list (the index taken at each yield point with
// more than one option, as sim.h orders them), so `relaysim replay` reproduces any of them. The
// search tree's nodes are those yield points; a node's children are its options.
//
// Bounds (any of them makes the search "bounded"; the coverage claim then says "within the bounds"):
//   - preemption bound K (CHESS, Musuvathi & Qadeer PLDI 2007): a preemption is taking a non-zero
//     option, other than an interrupt firing, while option 0 is "the running actor goes on", or
//     while the running actor spins in yield() (the yield hands the CPU to option 0 for free; any
//     other actor, or the spinner itself, costs one). Switching after an actor finished, blocked
//     or slept is free, to any option. With K, the search is iterated over bounds 0..K and stops
//     at the first bound with a violation: it reports the smallest bound at which one appears.
//   - interrupt bound M: at most M firings that interrupt code that could go on (option 0 is
//     "the running actor goes on"). A firing where the running actor finished, blocked, slept or
//     yielded is free, like a switch there; the scenario's firing counts stay the limit.
//   - depth bound D: only the first D choice points branch; after them option 0 is taken.
// Without a preemption bound, yield() is taken as fair: a spinner (sim.yield()) does not run again
// while another actor can. This drops only schedules in which a spin loop polls more than once
// with nothing else run in between; with a preemption bound such a re-poll costs one preemption.
//
// Reduction (`reduction`, default on): sleep sets (Godefroid 1996) over the per-step access record
// of sim/access.h. After option p was explored at a node, p's first step sleeps in the siblings
// explored later until a step dependent with it runs; a sleeping actor is not chosen, and an
// execution whose every enabled actor sleeps is abandoned ("sleep-set blocked"). Over the whole
// tree this explores exactly one execution per Mazurkiewicz class that is not blocked (checked
// by tests against the unreduced search). It is sound with respect to the dependency relation
// (access.h; interrupts, spinlocks, wait queues, irq_work and timers included). Sleep sets are
// NOT combined with bounds: Coons, Musuvathi & McKinley (OOPSLA 2013) show that bounding and
// reduction together lose schedules, so with any bound they are off.
// `dpor`: source-DPOR backtrack sets (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014). A node's
// backtrack set is explored in the order its entries were added (FIFO). Without bounds, on top of the sleep sets: one execution per class on readers(N) and
// indexer(N) (indexer(12): 8, indexer(13): 64, as published). Two generalisations of the race
// rule make it sound for relaysim (dfs.cpp, `reverse` and `disabled`): a race whose later step is
// disabled at the earlier step's node (by its CPU's state, or a lock it is blocked on) is
// reversed at the node where the enabling objects let it run; and an actor disabled by another's
// step (a preempt/irq-off region, a firing) is added where it was last enabled. Checked against
// the unreduced search on random programs (DfsProp.SourceDporAgreesWithTheUnreducedSearch).
// Spin pruning (`spin_pruning`, with the engine's spin rule): a failed spin iteration that the
// next one repeats is no event (AccessRecord weak steps, access.h): source-DPOR races it only as
// the later step (and not at all as the earlier one where the repeat covers that order), and
// does not reverse the write that let a spinner make progress with the spinner's later steps.
// It assumes a failed iteration changes nothing (no poll counter that can run out). Checked by
// DfsProp.SpinPrunedSourceDporAgreesWithTheUnreducedSearch.
// With a preemption or interrupt bound (not a depth bound): source-DPOR without sleep sets, with
// BPOR's conservative points, counting the reversals the bounds cut
// (DfsCoverage::reversals_beyond_bounds). With none cut, every class was explored within the
// bounds; otherwise classes reached only through a cut reversal may be missing.
// Parallel: `jobs` threads share the tree by work stealing. A worker that sees an idle one donates
// the untried options of its shallowest open node (with that node's sleep set), so every subtree is
// explored with the sleep sets the one-thread search would use. Items are ordered by their prefix;
// the reported violation is the first in the one-thread order, and when the search completes (or
// stops at a violation) every count is the same for any number of jobs. An execution or time budget
// that ends the search first makes what was covered depend on timing when jobs > 1.
// Source-DPOR's tree is not split that way (a run's races add backtrack entries to the nodes
// above it). With jobs > 1 it is split fork-join: under FIFO a pending entry's run is fixed once
// the entries before it at its node have begun (its prefix, and its sleep set: the node's own
// plus their first steps), and so is the subtree below it (only runs made there change its
// nodes). A thread that sees an idle one gives away its shallowest such entry; the taker explores
// the subtree as the one-thread search would, recording each run (RunRec) and, in order, what the
// runs' races ask of the nodes above the subtree (DporOp). When the giver's search reaches the
// entry it waits for it, exploring meanwhile only entries given away inside it, then applies
// those requests to its own nodes (passing the rest up) and counts the runs in their place. The
// first thread counts every run in the one-thread order, so budgets, counts, classes, the Knuth
// estimate, the reversals cut and the first violation are identical for every jobs, with an
// execution budget too (a time budget depends on timing for any jobs).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/explorer.h"
#include "sim/sim.h"

namespace sim {

struct DfsConfig {
  std::optional<std::uint32_t> preemption_bound;
  std::optional<std::uint32_t> interrupt_bound;
  std::optional<std::uint32_t> depth_bound;
  bool reduction = true;        // sleep sets (off when any bound is set)
  bool dpor = false;            // with reduction: source-DPOR backtrack sets (also under bounds; jobs: runs made ahead)
  bool iterate = true;          // with a preemption bound K: bounds 0, 1, ..., K in turn
  /// With the engine's spin rule (Sim::Config::spin_wait): failed spin iterations that repeat the
  /// one before them are no events (AccessRecord weak steps): source-DPOR does not race them as
  /// the earlier step, and classes are counted without them. Off: every step is an event (tests).
  bool spin_pruning = true;
  std::uint64_t executions = 0;  // budget over all iterations; 0: none
  double seconds = 0;            // 0: none
  unsigned jobs = 1;
  bool keep_going = false;
  bool collect_outcomes = false;  // fill DfsCoverage::outcomes (tests)
  /// Called after each execution with its choice list, its class fingerprint and whether it was
  /// abandoned (sleep-set blocked or out of the bounds); from the worker threads (tests). Under
  /// source-DPOR from the committing thread, in the one-thread order, for any jobs.
  std::function<void(const std::vector<std::uint32_t>& choices, std::uint64_t fingerprint, bool abandoned)> on_execution;
  std::function<void(std::uint64_t executions, std::uint64_t violations, double seconds)> progress;
};

/// What one search at one bound covered.
struct DfsCoverage {
  std::optional<std::uint32_t> preemption_bound;
  bool complete = false;             // the whole tree within the bounds was explored
  std::uint64_t executions = 0;      // every execution run (including abandoned ones)
  std::uint64_t classes = 0;         // distinct Mazurkiewicz classes among the counted ones
  std::uint64_t distinct_end_states = 0;
  std::uint64_t sleep_blocked = 0;   // abandoned: every enabled actor asleep
  std::uint64_t bounded_out = 0;     // abandoned: no option left within the bounds
  /// Source-DPOR under bounds: race reversals (backtrack points) the bounds did not allow. 0 on a
  /// complete search: every equivalence class was explored, within the bounds. More: classes
  /// reached only through those reversals may be missing (the plain bounded search has them).
  std::uint64_t reversals_beyond_bounds = 0;
  std::uint64_t steps = 0;
  double fraction = 0;               // Knuth-style estimate of the explored share of the tree
  double seconds = 0;
  /// Subtrees the threads took (1 on one thread; timing-dependent). Source-DPOR with jobs > 1:
  /// 1 plus the backtrack entries given to another thread.
  std::uint64_t work_items = 0;
  /// With collect_outcomes: every distinct outcome, sorted: the end-state hash of a finished
  /// execution, a hash of (property, message) of a violation.
  std::vector<std::uint64_t> outcomes;
};

struct DfsViolation {
  std::vector<std::uint32_t> choices;  // the execution's choice list (replayable)
  Violation violation;
  std::optional<std::uint32_t> preemption_bound;  // the bound at which it was found
  std::uint64_t execution = 0;  // its position in the one-thread order within that bound
};

struct DfsResult {
  bool reduction = false;                 // some reduction was used (sleep sets, or source-DPOR)
  bool sleep_sets = false;                // sleep sets were used (never under a bound)
  std::vector<DfsCoverage> iterations;    // one per bound searched, in order (last = final)
  std::optional<std::uint32_t> deepest_bound_covered;  // largest preemption bound searched completely
  std::optional<DfsViolation> first;
  std::array<std::uint64_t, static_cast<std::size_t>(Property::kCount)> violations{};  // keep_going counts
  std::uint64_t total_executions = 0;
  double seconds = 0;
  std::optional<std::string> error;  // an internal fault in model code (with its choice list in first)
  std::vector<std::uint32_t> error_choices;
  const DfsCoverage& last() const { return iterations.back(); }
};

DfsResult explore_dfs(const WorkloadFactory& factory, const Sim::Config& config, const DfsConfig& dfs);

/// How many distinct Mazurkiewicz classes (AccessRecord::class_fingerprint, the DFS's notion) the
/// executions 0..n-1 of a sampling run visited: reruns each one (same strategy, seed, index and
/// PCT step estimate as sim::explore) with the access record installed, on one thread. An
/// execution stopped by a violation counts the class of its prefix. For comparing strategies.
std::uint64_t sampled_classes(const WorkloadFactory& factory, const Sim::Config& config, Strategy strategy,
                              std::uint64_t seed, unsigned pct_depth, std::uint64_t pct_steps, std::uint64_t n);

}  // namespace sim
