// sim/choice.h — choice sources: the strategies that resolve every scheduling choice.
//
// All of them see the same canonical option list (sim.h): index 0 is "the running context goes on",
// so a choice list of zeros is the schedule with no preemption and no interrupt, and shrinking a
// list towards zeros removes preemptions.
//
// - RandomSource: uniform over the options, from Rng (SplitMix64) seeded per execution.
// - PctSource: Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
//   ASPLOS 2010), with two changes for spinning readers and interrupts. Each actor gets a distinct
//   random priority in [d, d+n); d−1 change points are drawn uniformly in [1, k]; at every choice
//   the enabled option whose actor has the highest priority runs.
//   - A change point, like an explicit spin-wait (sim.yield()), moves the running actor below every
//     other actor (as Coyote's PCT does), not to priority i as in the paper. In the paper's scheme
//     a spinner that has yielded sits below every change-point priority, so no change point can
//     ever hand the CPU to it: two readers that wait for the writers and then race each other
//     (relay's two_readers_old_read_pos) never interleaved in 1.2 M executions. A yield still
//     drops the spinner below the actor it waits for, so spinning cannot starve it.
//   - Interrupt points: an interrupt source is not fired by priority (that fires it at the first
//     step it may, or never). Each source's next firing is due at a uniform step in [1, k] after
//     its previous one (the first in [1, k]); from then on it fires at the first step its CPU
//     allows. Only when nothing but interrupts is enabled does the highest-priority one fire.
//   The paper's bound (a depth-d bug is found with probability at least 1 / (n · k^(d−1)) per
//   execution) is stated for threads without yields or interrupts; it is not claimed here.
//   k is an estimate of the steps per execution given by the explorer (a probe execution).
//   The actors are also kept in priority order (ActorRanking): the scheduler walks it and takes the
//   first actor it offers, so a step costs the actors ranked above it that are disabled (usually
//   none: the highest-priority actor runs until it blocks, yields or finishes) plus O(CPUs) to find
//   its canonical index, instead of listing every option. A change point and a yield move one
//   actor to the end (O(1)). The walk never fires an interrupt: while an interrupt point is due
//   (fire_due), or when the walk finds nothing but interrupts, the scheduler takes the full list
//   and pick() decides.
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
  bool fire_due(std::uint64_t step) const override { return step >= min_due_; }

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
  static constexpr std::uint64_t kNever = ~std::uint64_t{0};
  std::vector<std::uint64_t> next_fire_;  // per interrupt source: the step its next firing is due
  std::uint64_t min_due_ = kNever;        // the earliest of them
  std::uint64_t draw_point(std::uint64_t after);
  void fired(int actor, std::uint64_t now);
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
