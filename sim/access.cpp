// sim/access.cpp — the per-step access record (see access.h).
#include "sim/access.h"

#include "sim/rng.h"

namespace sim {

AccessRecord::AccessRecord(const Sim& sim) : sim_(sim), timers_(sim.has_timers()), objects_(sim.object_count()) {
  std::vector<int> tasks(static_cast<std::size_t>(sim.cpus()), 0);
  for (int a = 0; a < sim.actor_count(); ++a)
    if (sim.actor_ctx(a) == Ctx::Task && ++tasks[static_cast<std::size_t>(sim.actor_cpu(a))] > 1) shared_cpus_ = true;
  steps_.reserve(1024);
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
  for (const StepAccess& s : steps_) {
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
  return splitmix64_mix(sum ^ steps_.size());
}

}  // namespace sim
