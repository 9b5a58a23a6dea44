// cli/diff.h — `relaysim diff`: the same schedules against two variants of one scenario.
//
// For each execution index i, the schedule that variant A runs under (strategy, seed, i) is
// recorded and replayed on variant B (leniently: where B offers fewer options, option 0), and the
// schedule B runs under (strategy, seed, i) is replayed on A. Per property, the command counts
// executions that violate it under A only, under B only, and under both, and writes the first
// schedule of each one-sided difference to --out, ready for `relaysim replay`. Deterministic for
// any --jobs (results are merged by execution index).
#pragma once

#include <string>

namespace cli {

struct DiffOptions {
  std::string scenario, variant_a, variant_b, strategy, seed = "1", out = "relaysim-out";
  std::uint64_t executions = 0;
  unsigned jobs = 1, pct_depth = 0;
  bool json = false;
  std::string memory_model;  // empty: the scenario's
};

int cmd_diff(const DiffOptions& o);

}  // namespace cli
