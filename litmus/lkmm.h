// litmus/lkmm.h — the exhaustive axiomatic checker of the Linux-kernel memory model: herd7's way
// of running tools/memory-model/linux-kernel.cat (with linux-kernel.bell and lock.cat) on a litmus
// Program.
//
// Every candidate execution is enumerated: each thread's paths under each choice of read values
// (values from a fixpoint of what the program can write), then for each combination of paths each
// read's rf source (a write of the value it read; lock reads as lock.cat generates them), then
// each location's coherence order (co) as a total order of its writes. A candidate is an
// execution when it satisfies every axiom of the cat files: coherence, atomic, happens-before,
// propagation, rcu, plain-coherence and lock.cat's lock-nest, nested-is-locked and unmatched-locks.
// Flags (data-race, mixed-accesses, unmatched-rcu-lock, unmatched-rcu-unlock, unmatched-unlock)
// are collected from the executions, as herd7 reports them.
//
// Deterministic: the result depends on the program only; states are sorted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "litmus/ir.h"

namespace litmus {

struct StateCount {
  FinalState state;
  std::uint64_t count = 0;  // executions ending in this state
};

struct Result {
  std::vector<StateCount> states;  // sorted: integers before addresses (by location name)
  std::uint64_t positive = 0;      // executions whose final state satisfies the proposition
  std::uint64_t negative = 0;      // executions whose final state does not
  std::uint64_t candidates = 0;    // candidates that reached the axioms (an rf/co choice incoherent
                                   // at one location is cut before: not counted)
  std::vector<std::string> flags;  // sorted flag names seen in some execution
  bool ok = false;                 // the condition holds: exists: positive > 0; ~exists: positive == 0;
                                   // forall: negative == 0
  std::string observation() const;  // Never (no positive), Always (no negative), else Sometimes
};

/// Which axiom of linux-kernel.cat to leave out (for tests that show each axiom matters).
enum class Axiom : std::uint8_t { Coherence, Atomic, HappensBefore, Propagation, Rcu, PlainCoherence, Count };

struct CheckOptions {
  bool skip[static_cast<int>(Axiom::Count)] = {};  // all false: the model as written
};

/// Runs the program under the LKMM. Throws LitmusError for what the checker cannot handle
/// (more than 64 events in one execution, an access through a non-pointer, ...).
Result check(const Program& p, const CheckOptions& options = {});

}  // namespace litmus
