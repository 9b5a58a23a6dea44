// tests/sim/pin_digest.h — the digest that pins a bundled scenario's schedules (tests/golden/).
//
// The first `executions` executions of a scenario under one strategy (seed 1) fold their trace
// hash, step count, verdict and choice list into one value. `before_load` may register objects
// and notes on the simulation before the workload builds its own (the hash-stability test adds an
// unrelated shared variable this way and expects the same digest).
#pragma once

#include <functional>
#include <string>

#include "cli/common.h"
#include "sim/choice.h"
#include "sim/explorer.h"

namespace pin {

inline std::uint64_t digest(const std::string& path, sim::Strategy strategy, std::uint64_t executions,
                            const std::function<void(sim::Sim&)>& before_load = {}) {
  cli::Loaded l = cli::load(path, "");
  std::unique_ptr<sim::Workload> w = l.prepared.factory();
  auto s = std::make_unique<sim::Sim>(l.config);
  if (before_load) before_load(*s);
  s->load(*w);
  std::uint64_t h = sim::kHashSeed;
  for (std::uint64_t i = 0; i < executions; ++i) {
    sim::ExecResult r = sim::rerun(*s, strategy, 1, i, 3, true);
    h = sim::hash_step(h, r.trace_hash);
    h = sim::hash_step(h, r.steps);
    h = sim::hash_step(h, (std::uint64_t(r.end) << 32) | (r.violation ? std::uint64_t(r.violation->property) + 1 : 0));
    h = sim::hash_step(h, s->choices().size());
    for (std::uint32_t c : s->choices()) h = sim::hash_step(h, c);
  }
  return sim::splitmix64_mix(h);
}

}  // namespace pin
