// sim/explorer.h — many executions under a strategy and a budget, on --jobs threads.
//
// Execution i of a run with master seed s is a pure function of (workload, i, s): its choice
// source is seeded with derive_seed(s, i). Threads take indices in ascending chunks and never run
// an index above the smallest violation found so far, so every index below it is run by someone:
// with an execution budget, the reported violation (the one with the smallest index) is identical
// for any number of jobs, and so are all statistics when no violation stops the run early (a run
// that stops may have finished a few executions beyond the reported one). With a time budget, which
// executions are run depends on the machine; the reported violation is still the smallest found.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sim/choice.h"
#include "sim/sim.h"

namespace sim {

enum class Strategy : std::uint8_t { Random, Pct, Replay };
std::string_view strategy_name(Strategy s);
std::optional<Strategy> strategy_from_name(std::string_view name);

using WorkloadFactory = std::function<std::unique_ptr<Workload>()>;

struct ExploreConfig {
  Strategy strategy = Strategy::Random;
  std::uint64_t seed = 1;
  std::uint64_t executions = 10'000;  // 0: no execution budget (then seconds must be set)
  double seconds = 0;                 // 0: no time budget
  unsigned jobs = 1;
  unsigned pct_depth = 3;
  bool keep_going = false;  // run the whole budget; count violations per property
  /// Called about twice a second from a separate thread while exploring (progress line).
  std::function<void(std::uint64_t executions, std::uint64_t violations, double seconds)> progress;
};

struct FoundViolation {
  std::uint64_t execution = 0;
  Violation violation;
};

struct ExploreResult {
  std::uint64_t executions = 0;
  std::uint64_t steps = 0;
  std::uint64_t preemptions = 0;
  std::uint64_t interrupts = 0;
  std::uint64_t distinct_end_states = 0;
  bool end_states_saturated = false;
  double seconds = 0;
  std::uint64_t pct_steps_estimate = 0;
  std::optional<FoundViolation> first;          // smallest execution index with a violation
  std::array<std::uint64_t, static_cast<std::size_t>(Property::kCount)> violations{};  // keep_going counts
  std::array<std::optional<std::uint64_t>, static_cast<std::size_t>(Property::kCount)> first_by_property{};
  std::optional<std::uint64_t> error_execution;  // an internal fault (exception) in model code
  std::string error_message;
};

/// The choice source execution `index` uses under (strategy, seed). PCT needs a steps estimate.
class ExecutionSource {
 public:
  ExecutionSource(Strategy strategy, unsigned pct_depth, std::uint64_t pct_steps)
      : strategy_(strategy), random_(0), pct_(0, pct_depth, pct_steps) {}
  ChoiceSource& at(std::uint64_t seed, std::uint64_t index) {
    std::uint64_t s = derive_seed(seed, index);
    if (strategy_ == Strategy::Pct) {
      pct_.reseed(s);
      return pct_;
    }
    random_.reseed(s);
    return random_;
  }

 private:
  Strategy strategy_;
  RandomSource random_;
  PctSource pct_;
};

/// The steps of the all-zeros schedule: PCT's k (deterministic, the same on every thread).
std::uint64_t pct_steps_estimate(Sim& sim);

ExploreResult explore(const WorkloadFactory& factory, const Sim::Config& config, const ExploreConfig& explore);

/// Runs execution `index` of (strategy, seed) once more, recording its trace and choices.
ExecResult rerun(Sim& sim, Strategy strategy, std::uint64_t seed, std::uint64_t index, unsigned pct_depth,
                 bool record = true);

}  // namespace sim
