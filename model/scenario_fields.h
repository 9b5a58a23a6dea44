// model/scenario_fields.h — scenario fields every model reads the same way: the CPU count
// ([[cpu]] count = N), an actor's `cpu` (or another index such as a ring), and a producer's
// `messages = { count, size = N | [min, max], must_fit }` with the per-message sizes derived from it.
// Errors carry file:line:column and the field, like every scenario error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "scenarios/spec.h"

namespace model {

struct Messages {
  std::uint32_t count = 1, min = 8, max = 8;
};

/// The size of message k of producer `producer`: fixed per scenario (a hash of both, with a
/// model's own salt), so executions differ only in their schedules.
std::uint32_t message_size(const Messages& m, std::size_t producer, std::uint32_t k, std::uint64_t salt);

/// `messages` of table `t` (defaults when absent). Sizes are in [1, max_size]. With `fit_room`,
/// `must_fit = true` rejects sizes above it (the room of one sub-buffer or record).
Messages parse_messages(scenario::TableReader& t, const std::string& file, Messages defaults, std::uint32_t max_size,
                        std::optional<std::uint64_t> fit_room = std::nullopt);

/// An index field (`cpu`, `ring`, ...) in [0, limit), default 0: "writer[1].cpu = 5 but the
/// scenario has 2 CPUs".
int parse_index(scenario::TableReader& t, const std::string& key, int limit, const std::string& what, const std::string& path);
inline int parse_cpu(scenario::TableReader& t, int cpus, const std::string& path) { return parse_index(t, "cpu", cpus, "CPU", path); }

/// The sum of the [[cpu]] tables' counts (1 if none), at most 64.
int parse_cpu_count(scenario::TableReader& root, const std::string& file);

}  // namespace model
