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

#include "reports/output.h"  // write_file_atomic
#include "sim/sim.h"

namespace reports {

inline constexpr int kScheduleVersion = 1;
/// The largest pct_depth a schedule (or a scenario, or --pct-depth) may name.
inline constexpr unsigned kMaxPctDepth = 64;
/// JSON nesting limit for schedule files (a schedule needs 3 levels).
inline constexpr int kMaxScheduleDepth = 16;

class ScheduleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How a kernel-source run was built (absent: the model ran). Paths are absolute; an empty tree is
/// Debian's linux-source-6.12 (kernel/build.h).
struct KernelSourceRecord {
  std::string tree;
  std::vector<std::string> patches;
  bool marked_only = false;  // --points marked
  bool operator==(const KernelSourceRecord&) const = default;
};

struct Schedule {
  std::string scenario;       // path of the scenario file, as given to the command
  std::string scenario_name;  // its `name`
  std::string model, variant;
  std::optional<KernelSourceRecord> kernel;  // the run used the kernel's own source
  /// The memory model it ran under (sim/memory.h); written only when it is not sc, so a schedule
  /// of an sc run is the same file as before memory models existed.
  sim::MemoryModel memory_model = sim::MemoryModel::Sc;
  /// Whether the engine's spin rule was on (sim/sim.h, Config::spin_wait): written as
  /// `"spin_wait": true` only when on, so a file without the field (every schedule written before
  /// the rule became the default) replays with the rule off, as it was recorded.
  bool spin_wait = false;
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
/// Validates j against the rules of reports/schedule.schema.json (one place: here) and converts it;
/// anything else is a one-line ScheduleError naming the field.
Schedule schedule_from_json(const nlohmann::json& j, const std::string& file);
/// Parses text as exactly one JSON value (trailing bytes refused), nesting at most
/// kMaxScheduleDepth, then schedule_from_json.
Schedule schedule_from_text(const std::string& text, const std::string& file);
/// Reads a file and schedule_from_text (the command reads through cli::read_input_file instead).
Schedule read_schedule_file(const std::string& path);
/// The schema's field lists and strategy names, as the code applies them.
const std::vector<std::string>& schedule_fields();
const std::vector<std::string>& schedule_required_fields();
const std::vector<std::string>& schedule_strategies();

std::string hex64(std::uint64_t v);

}  // namespace reports
