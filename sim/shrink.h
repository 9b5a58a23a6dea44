// sim/shrink.h — the first shrinker: smaller choice lists that fail the same property.
//
// A choice list is replayed leniently (an index that no longer fits becomes option 0), and every
// candidate is canonicalised to the choices the replay really consumed, without trailing zeros.
// Candidates are accepted when they violate the same property and are smaller in the order
// (non-zero choices = preemptions and interrupt firings, then the sum of the choices, then the
// length). Passes, repeated until none helps or the run budget is spent:
//   1. truncation (a shorter prefix; the rest is option 0);
//   2. delta debugging over the non-zero positions: zero chunks of n/2, n/4, ..., 1 of them;
//   3. delta debugging by deletion: drop chunks of choices, so later choices move up;
//   4. lowering single choices (to 1, then to v−1).
#pragma once

#include <cstdint>
#include <vector>

#include "sim/sim.h"

namespace sim {

struct ShrinkResult {
  std::vector<std::uint32_t> choices;
  ExecResult result;          // the final replay (recorded)
  std::uint64_t runs = 0;     // replays tried
  std::uint32_t preemptions_before = 0, preemptions_after = 0;
  bool reproduced = false;    // the input failed with the property at all
};

std::uint32_t count_nonzero(const std::vector<std::uint32_t>& choices);

ShrinkResult shrink(Sim& sim, const std::vector<std::uint32_t>& choices, Property property,
                    std::uint64_t max_runs = 20'000);

}  // namespace sim
