// sim/choice.h — choice sources: the strategies that resolve every scheduling choice.
//
// All of them see the same canonical option list (sim.h): index 0 is "the running context goes on",
// so a choice list of zeros is the schedule with no preemption and no interrupt, and shrinking a
// list towards zeros removes preemptions.
//
// - RandomSource: uniform over the options, from Rng (SplitMix64) seeded per execution.
// - PctSource: Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
//   ASPLOS 2010). Each actor (task or interrupt handler) gets a distinct random priority in
//   [d, d+n); d−1 change points are drawn uniformly in [1, k]; at every choice the enabled option
//   whose actor has the highest priority runs; when the step count reaches change point i, the
//   running actor's priority drops to i (below every initial priority). An explicit spin-wait
//   (sim.yield()) drops the spinner to the lowest priority so that spinning cannot starve the
//   actor it waits for. Guarantee (from the paper): for a bug of depth d, with n actors and k
//   steps, each execution finds it with probability at least 1 / (n · k^(d−1)).
//   k is an estimate of the steps per execution given by the explorer (a probe execution).
//   The actors are also kept in priority order (ActorRanking): the scheduler walks it and takes the
//   first actor it offers, so a step costs the actors ranked above it that are disabled (usually
//   none: the highest-priority actor runs until it blocks, yields or finishes) plus O(CPUs) to find
//   its canonical index, instead of listing every option. A change point reinserts one actor
//   (O(actors), d-1 times per execution), a yield moves the spinner to the end (O(1)).
// - ReplaySource: a recorded list; past its end, option 0. Strict mode flags a recorded index that
//   is out of range (the schedule does not belong to this scenario/version); lenient mode (the
//   shrinker) takes option 0 instead.
// - BytesSource: a byte string (RapidCheck, libFuzzer): byte % n, then option 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/rng.h"
#include "sim/sim.h"

namespace sim {

class RandomSource final : public ChoiceSource {
 public:
  explicit RandomSource(std::uint64_t seed = 0) : rng_(seed) { uniform = &rng_; }
  void reseed(std::uint64_t seed) { rng_.reseed(seed); }
  std::uint32_t pick(const Option*, std::uint32_t n, const Sim&) override { return rng_.below(n); }

 private:
  Rng rng_;
};

class PctSource final : public ChoiceSource {
 public:
  PctSource(std::uint64_t seed, unsigned depth, std::uint64_t steps_estimate)
      : rng_(seed), depth_(depth < 1 ? 1 : depth), k_(steps_estimate < 1 ? 1 : steps_estimate) {
    ranking = &order_;
  }
  PctSource(const PctSource&) = delete;  // `ranking` points into this object
  PctSource& operator=(const PctSource&) = delete;
  void reseed(std::uint64_t seed) { rng_.reseed(seed); }
  void set_steps_estimate(std::uint64_t k) { k_ = k < 1 ? 1 : k; }
  void begin(const Sim& sim) override;
  std::uint32_t pick(const Option* options, std::uint32_t n, const Sim& sim) override;
  void on_yield(int actor) override;
  void before_ranked_pick(const Sim& sim) override;

 private:
  Rng rng_;
  unsigned depth_;
  std::uint64_t k_;
  std::vector<std::int64_t> priority_;
  ActorRanking order_;  // every actor by priority_, highest first (the scheduler walks it)
  std::vector<std::uint16_t> scratch_;
  std::vector<std::uint64_t> change_points_;  // sorted
  std::size_t next_change_ = 0;
  std::int64_t lowest_ = 0;
};

class ReplaySource final : public ChoiceSource {
 public:
  explicit ReplaySource(std::vector<std::uint32_t> choices, bool strict = true)
      : choices_(std::move(choices)), strict_(strict) {
    blind = true;
  }
  void begin(const Sim&) override {
    pos_ = 0;
    out_of_range_ = 0;
    divergence_.reset();
  }
  std::uint32_t pick(const Option*, std::uint32_t n, const Sim& sim) override;
  /// Set (strict mode) when a recorded choice did not fit the options offered.
  const std::optional<std::string>& divergence() const { return divergence_; }
  std::size_t consumed() const { return pos_; }
  /// Recorded choices that did not fit the options offered (replaced by 0), in either mode: a
  /// replay with none followed its schedule exactly as far as it went.
  std::size_t out_of_range() const { return out_of_range_; }

 private:
  std::vector<std::uint32_t> choices_;
  bool strict_;
  std::size_t pos_ = 0;
  std::size_t out_of_range_ = 0;
  std::optional<std::string> divergence_;
};

class BytesSource final : public ChoiceSource {
 public:
  BytesSource(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) { blind = true; }
  void begin(const Sim&) override { pos_ = 0; }
  std::uint32_t pick(const Option*, std::uint32_t n, const Sim&) override {
    return pos_ < size_ ? data_[pos_++] % n : 0;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace sim
