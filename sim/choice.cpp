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
  // Interrupt points: each interrupt source's first firing is due at a uniform step in [1, k].
  next_fire_.assign(n, kNever);
  for (std::uint32_t i = 0; i < n; ++i)
    if (sim.is_interrupt_source(static_cast<int>(i))) next_fire_[i] = draw_point(0);
  min_due_ = n ? *std::min_element(next_fire_.begin(), next_fire_.end()) : kNever;
}

std::uint64_t PctSource::draw_point(std::uint64_t after) {
  std::uint64_t kk = k_ > 0xffffffffULL ? 0xffffffffULL : k_;
  return after + 1 + rng_.below(static_cast<std::uint32_t>(kk));
}

void PctSource::fired(int actor, std::uint64_t now) {
  next_fire_[static_cast<std::size_t>(actor)] = draw_point(now);
  min_due_ = *std::min_element(next_fire_.begin(), next_fire_.end());
}

void PctSource::before_ranked_pick(const Sim& sim) {
  // Change points: the running actor moves below every other actor, as a yield does.
  while (next_change_ < change_points_.size() && sim.steps() >= change_points_[next_change_]) {
    int running = sim.current_actor();
    if (running >= 0) {
      priority_[running] = --lowest_ - static_cast<std::int64_t>(depth_) - 1;
      order_.unlink(running);
      order_.push_back(running);
    }
    ++next_change_;
  }
}

std::uint32_t PctSource::pick(const Option* options, std::uint32_t n, const Sim& sim) {
  // A choice of the memory model (tso/lkmm; never under sc): uniform, priorities are for actors.
  if (options[0].kind == Option::Memory) return rng_.below(n);
  before_ranked_pick(sim);  // the change points due
  // An interrupt whose point is due fires (the first in option order); one not due is not offered.
  // Only when nothing but interrupts is enabled does the highest priority among them fire.
  const std::uint64_t now = sim.steps();
  std::uint32_t best = n;
  for (std::uint32_t i = 0; i < n; ++i) {
    const Option& o = options[i];
    if (o.kind == Option::Fire) {
      if (next_fire_[o.actor] <= now) {
        fired(o.actor, now);
        return i;
      }
      continue;
    }
    if (best == n || priority_[o.actor] > priority_[options[best].actor]) best = i;
  }
  if (best != n) return best;
  best = 0;
  for (std::uint32_t i = 1; i < n; ++i)
    if (priority_[options[i].actor] > priority_[options[best].actor]) best = i;
  fired(options[best].actor, now);
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
