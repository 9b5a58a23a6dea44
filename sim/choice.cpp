// sim/choice.cpp — PCT and replay (see choice.h for the algorithms and their contracts).
#include "sim/choice.h"

#include <algorithm>

namespace sim {

void PctSource::begin(const Sim& sim) {
  const auto n = static_cast<std::uint32_t>(sim.actor_count());
  priority_.assign(n, 0);
  // A random permutation of [d, d+n) by Fisher–Yates with Rng::below.
  std::vector<std::int64_t>& p = priority_;
  for (std::uint32_t i = 0; i < n; ++i) p[i] = static_cast<std::int64_t>(depth_ + i);
  for (std::uint32_t i = n; i > 1; --i) std::swap(p[i - 1], p[rng_.below(i)]);
  change_points_.clear();
  for (unsigned i = 1; i < depth_; ++i) {
    std::uint64_t kk = k_ > 0xffffffffULL ? 0xffffffffULL : k_;
    change_points_.push_back(1 + rng_.below(static_cast<std::uint32_t>(kk)));
  }
  std::sort(change_points_.begin(), change_points_.end());
  next_change_ = 0;
  lowest_ = 0;
  // The ranking: actors by priority, highest first (priorities are distinct).
  scratch_.resize(n);
  for (std::uint32_t i = 0; i < n; ++i) scratch_[i] = static_cast<std::uint16_t>(i);
  std::sort(scratch_.begin(), scratch_.end(), [&](std::uint16_t a, std::uint16_t b) { return p[a] > p[b]; });
  order_.assign(scratch_);
}

void PctSource::before_ranked_pick(const Sim& sim) {
  // Change points: the running actor's priority drops to i (i = 1..d-1, in order): below every
  // initial priority, above every earlier change point's and every spinner's.
  while (next_change_ < change_points_.size() && sim.steps() >= change_points_[next_change_]) {
    int running = sim.current_actor();
    if (running >= 0) {
      const std::int64_t pr = static_cast<std::int64_t>(next_change_ + 1) - static_cast<std::int64_t>(depth_);
      priority_[running] = pr;
      order_.unlink(running);
      int at = order_.first();
      while (at >= 0 && priority_[at] > pr) at = order_.next(at);
      order_.insert_before(running, at);
    }
    ++next_change_;
  }
}

std::uint32_t PctSource::pick(const Option* options, std::uint32_t n, const Sim& sim) {
  // A choice of the memory model (tso/lkmm; never under sc): uniform, priorities are for actors.
  if (options[0].kind == Option::Memory) return rng_.below(n);
  before_ranked_pick(sim);  // the change points due
  std::uint32_t best = 0;
  for (std::uint32_t i = 1; i < n; ++i)
    if (priority_[options[i].actor] > priority_[options[best].actor]) best = i;
  return best;
}

void PctSource::on_yield(int actor) {
  if (actor < 0) return;
  priority_[actor] = --lowest_ - static_cast<std::int64_t>(depth_) - 1;  // below every other
  order_.unlink(actor);
  order_.push_back(actor);
}

std::uint32_t ReplaySource::pick(const Option*, std::uint32_t n, const Sim& sim) {
  if (pos_ >= choices_.size()) return 0;
  std::uint32_t c = choices_[pos_++];
  if (c < n) return c;
  ++out_of_range_;
  if (strict_ && !divergence_)
    divergence_ = "choice #" + std::to_string(pos_ - 1) + " is " + std::to_string(c) + " but only " +
                  std::to_string(n) + " options are enabled at step " + std::to_string(sim.steps());
  return 0;
}

}  // namespace sim
