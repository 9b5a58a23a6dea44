// sim/property.h — the properties relaysim checks and the violation record every layer reports.
//
// One enum for all models (GenMC's habit: one error enum, grouped, plus a details struct), so that
// explorers, reports and the command can count and compare verdicts without parsing strings.
// The table of what each property means is in DESIGN.md ("Properties").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sim {

enum class Property : std::uint8_t {
  // Message-level properties, checked with the ledger (properties/).
  NoSplit,
  NoSilentLoss,
  NoCorruption,
  NoDuplication,
  Order,
  Padding,
  Counters,
  LostWakeup,
  // Engine-level properties, checked by sim/ itself.
  MemorySafety,
  Deadlock,
  StepBound,
  // A model's or toy workload's own assertion (Relacy's RL_ASSERT).
  Assertion,
  kCount
};

inline constexpr std::string_view kPropertyNames[] = {
    "no-split", "no-silent-loss", "no-corruption", "no-duplication", "order",      "padding",
    "counters", "lost-wakeup",    "memory-safety", "deadlock",       "step-bound", "assertion"};
static_assert(std::size(kPropertyNames) == static_cast<std::size_t>(Property::kCount));

constexpr std::string_view property_name(Property p) {
  return kPropertyNames[static_cast<std::size_t>(p)];
}
std::optional<Property> property_from_name(std::string_view name);

/// Execution context kinds, innermost last (a CPU's context stack only grows in this order).
enum class Ctx : std::uint8_t { Task, Softirq, Hardirq, Nmi };
constexpr std::string_view ctx_name(Ctx c) {
  constexpr std::string_view names[] = {"task", "softirq", "hardirq", "nmi"};
  return names[static_cast<int>(c)];
}

/// What a checker found. `step` is the engine step at which it was seen; `messages` are ledger ids.
struct Violation {
  Property property = Property::Assertion;
  std::uint64_t step = 0;
  int actor = -1;  // -1: found by an end-of-execution check, outside any actor
  int cpu = -1;
  Ctx ctx = Ctx::Task;
  std::string message;
  std::vector<std::uint64_t> messages;
};

}  // namespace sim
