// sim/access.cpp — the per-step access record (see access.h).
#include "sim/access.h"

#include <algorithm>

#include "sim/rng.h"

namespace sim {

AccessRecord::AccessRecord(const Sim& sim) : sim_(sim), timers_(sim.has_timers()), objects_(sim.object_count()) {
  std::vector<int> tasks(static_cast<std::size_t>(sim.cpus()), 0);
  for (int a = 0; a < sim.actor_count(); ++a)
    if (sim.actor_ctx(a) == Ctx::Task && ++tasks[static_cast<std::size_t>(sim.actor_cpu(a))] > 1) shared_cpus_ = true;
  steps_.reserve(1024);
  spin_rule_ = spin_ = sim.config().spin_wait;
  by_actor_.resize(static_cast<std::size_t>(sim.actor_count()));
  tails_.reserve(64);
  versions_.assign(objects_ + static_cast<std::uint32_t>(sim.cpus()) + static_cast<std::uint32_t>(sim.source_count()) + 1, 0);
  actor_steps_.assign(static_cast<std::size_t>(sim.actor_count()), 0);
}

void AccessRecord::on_access(int actor, Op op, std::uint32_t object) {
  if (!open_ || actor < 0) return;
  StepAccess& s = steps_.back();
  if (actor != s.actor) {
    // A start/fire record is made under the chosen actor's id inside its own step: never another.
    s.overflow = true;
    return;
  }
  if (spin_) spin_access(op, object);
  auto all_cpus = [&] {
    for (int c = 0; c < sim_.cpus(); ++c) s.add(kCpuObject | static_cast<std::uint32_t>(c), true);
  };
  switch (op) {
    case Op::Fire:
      if (object != kNoObject) {  // irq_work_queue / mod_timer on source `object`
        s.add(kSourceObject | object, true);
        all_cpus();
      }
      return;
    case Op::Start: case Op::Finish: case Op::Yield: case Op::Note: case Op::StaleRead: case Op::Fence: case Op::kCount:
      return;
    case Op::Load: case Op::CasFail: case Op::LockBlocked: case Op::TryLockFail: case Op::CopyOut:
      if (object != kNoObject) s.add(object, false);
      return;
    case Op::Wake: case Op::Unlock:
      if (shared_cpus_) all_cpus();
      [[fallthrough]];
    case Op::Store: case Op::Xchg: case Op::CasOk: case Op::FetchAdd: case Op::FetchOr: case Op::FetchAnd:
    case Op::Lock: case Op::CopyIn: case Op::Wait:
      if (object != kNoObject) s.add(object, true);
      return;
  }
}

// What weak steps and SpinTails are made of (access.h).
void AccessRecord::spin_access(Op op, std::uint32_t object) {
  StepAccess& s = steps_.back();
  switch (op) {
    case Op::Note: case Op::Fence: case Op::StaleRead:  // annotations: not what is compared
      return;
    case Op::Finish:  // ends the step it is in; the access before it is what is compared
      s.impure = true;
      return;
    default:
      break;
  }
  s.ops = hash_step(s.ops + 0x9e37, (static_cast<std::uint64_t>(op) << 32) | object);
  switch (op) {
    case Op::Yield:
      s.yield = true;
      return;
    case Op::Load: case Op::CasFail: case Op::TryLockFail: case Op::CopyOut:
      return;
    default:  // a write, a lock attempt, a start or a firing: nothing a spin iteration re-runs
      s.impure = true;
      return;
  }
}

namespace {
bool writes_object(const StepAccess& s, std::uint32_t object) {
  if (s.overflow) return true;
  for (int i = 0; i < s.n; ++i)
    if (s.acc[i].object == object && s.acc[i].write) return true;
  return false;
}
}  // namespace

void AccessRecord::finalize() {
  if (!spin_ || finalized_) return;
  finalized_ = true;
  for (auto& v : by_actor_) v.clear();
  for (std::size_t i = 0; i < steps_.size(); ++i) by_actor_[static_cast<std::size_t>(steps_[i].actor)].push_back(i);
  for (const auto& mine : by_actor_) {
    // Iterations are separated by the actor's yield steps; for each yield at y, the pure tail
    // before it runs from after the last impure step (or the previous yield) to y.
    std::size_t begin = 0;  // first step (index into mine) of the current iteration
    for (std::size_t y = 0; y < mine.size(); ++y) {
      if (!steps_[mine[y]].yield) continue;
      std::size_t tail = y;  // the pure tail is mine[tail .. y)
      while (tail > begin && !steps_[mine[tail - 1]].impure && !steps_[mine[tail - 1]].yield) --tail;
      std::size_t next_end = y + 1;  // the next iteration is mine[y+1 .. next_end)
      while (next_end < mine.size() && !steps_[mine[next_end]].yield) ++next_end;
      // The longest end of the tail that the next iteration begins with.
      for (std::size_t len = std::min(y - tail, next_end - (y + 1)); len > 0; --len) {
        bool same = true;
        for (std::size_t i = 0; i < len && same; ++i) same = steps_[mine[y - len + i]].ops == steps_[mine[y + 1 + i]].ops;
        if (!same) continue;
        SpinTail t;
        t.begin = mine[y - len];
        t.end = mine[y];
        t.actor = steps_[mine[y]].actor;
        // silent: what the tail read before this step was not written by another actor from
        // the tail's first step to the end of the repeat.
        const std::size_t from = mine[y - len], to = mine[y + len];
        bool written = false;
        for (std::size_t i = y - len; i <= y; ++i) {
          StepAccess& w = steps_[mine[i]];
          w.weak = true;
          w.silent = !written;
          for (int a = 0; a < w.n && !written; ++a) {
            const Access& acc = w.acc[a];
            if (acc.write || (acc.object & (kCpuObject | kSourceObject | kClockObject))) continue;
            for (std::size_t h = from + 1; h < to && !written; ++h)
              if (steps_[h].actor != w.actor && writes_object(steps_[h], acc.object)) written = true;
          }
          if (w.overflow) t.actor = -1;  // what it read is unknown: no SpinTail
          for (int a = 0; a < w.n; ++a) {
            const Access& acc = w.acc[a];
            if (acc.write || (acc.object & (kCpuObject | kSourceObject | kClockObject))) continue;
            bool seen = false;
            for (int b = 0; b < t.n; ++b) seen |= t.reads[b] == acc.object;
            if (seen) continue;
            if (t.n == SpinTail::kMax) t.actor = -1;  // too much to wait on: no SpinTail
            else t.reads[t.n++] = acc.object;
          }
        }
        if (t.actor >= 0) tails_.push_back(t);
        break;
      }
      begin = y + 1;
    }
  }
}

void AccessRecord::close() {
  if (!open_) return;
  open_ = false;
  StepAccess& s = steps_.back();
  s.cpu = static_cast<std::int16_t>(sim_.actor_cpu(s.actor));
  s.add(kCpuObject | static_cast<std::uint32_t>(s.cpu), true);
  const int src = sim_.actor_source(s.actor);
  if (src >= 0) s.add(kSourceObject | static_cast<std::uint32_t>(src), true);
  if (timers_) s.add(kClockObject, true);  // every step advances the clock mod_timer reads
}

std::uint32_t AccessRecord::dense(std::uint32_t object) const {
  if (object & kCpuObject) return objects_ + (object & ~kCpuObject);
  if (object & kSourceObject) return objects_ + static_cast<std::uint32_t>(sim_.cpus()) + (object & ~kSourceObject);
  if (object & kClockObject) return static_cast<std::uint32_t>(versions_.size() - 1);
  return object;
}

std::uint64_t AccessRecord::class_fingerprint() const {
  std::fill(versions_.begin(), versions_.end(), 0);
  std::fill(actor_steps_.begin(), actor_steps_.end(), 0);
  std::uint64_t sum = 0;
  std::uint64_t counted = 0;
  for (const StepAccess& s : steps_) {
    if (s.weak) continue;  // a failed spin iteration repeated: not an event (access.h)
    ++counted;
    std::uint64_t h = hash_step(kHashSeed, (static_cast<std::uint64_t>(s.actor) << 32) | actor_steps_[s.actor]++);
    if (s.overflow) {
      // Dependent with everything: its position in the whole execution is part of its class.
      h = hash_step(h, 0xfffffffffULL);
      for (std::uint32_t& v : versions_) h = hash_step(h, v++);
    } else {
      for (int i = 0; i < s.n; ++i) {
        std::uint32_t& v = versions_[dense(s.acc[i].object)];
        h = hash_step(h, (static_cast<std::uint64_t>(s.acc[i].object) << 33) | (std::uint64_t(s.acc[i].write) << 32) | v);
        if (s.acc[i].write) ++v;
      }
    }
    sum += splitmix64_mix(h);
  }
  return splitmix64_mix(sum ^ counted);
}

}  // namespace sim
