// reports/schedule.h — the replayable schedule file (JSON, versioned; schema in
// reports/schedule.schema.json).
//
// The choice list is authoritative: replaying it against the same scenario and variant reproduces
// the execution, and the trace hash proves it. Steps are informative (for people and tools).
// A file from another format version, or one that is not a schedule, is rejected with a one-line
// error naming the field (ScheduleError; the command exits 2).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/sim.h"

namespace reports {

inline constexpr int kScheduleVersion = 1;

class ScheduleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Schedule {
  std::string scenario;       // path of the scenario file, as given to the command
  std::string scenario_name;  // its `name`
  std::string model, variant;
  std::string strategy;       // how the choices were found: random, pct, shrink
  std::uint64_t seed = 0;
  std::uint64_t execution = 0;
  unsigned pct_depth = 3;
  std::vector<std::uint32_t> choices;
  std::uint64_t trace_hash = 0;
  std::optional<std::string> property;  // the violated property, if any
  std::uint64_t violation_step = 0;
  std::string violation_message;
};

/// The JSON document; with `sim`, adds the informative steps of its recorded trace.
nlohmann::json schedule_to_json(const Schedule& s, const sim::Sim* sim);
Schedule schedule_from_json(const nlohmann::json& j, const std::string& file);
Schedule read_schedule_file(const std::string& path);
/// Writes text to `path` atomically (temporary file + rename): never a partial file.
void write_file_atomic(const std::string& path, const std::string& text);

std::string hex64(std::uint64_t v);

}  // namespace reports
