// model/ftrace_rb/config.h — a parsed tracing ring buffer scenario (format in workload.h) and the
// named variants.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/ftrace_rb/ring.h"
#include "model/scenario_fields.h"
#include "scenarios/spec.h"
#include "sim/property.h"

namespace model::ftrace_rb {

struct NamedVariant {
  std::string name, description;
  Variant kernel;
};
/// The variants, mainline first.
const std::vector<NamedVariant>& variants();
const NamedVariant* find_variant(const std::string& name);

struct Writer {
  std::string name;
  int cpu = 0;
  sim::Ctx ctx = sim::Ctx::Task;
  std::uint32_t fires = 1;
  model::Messages messages;
};

struct Reader {
  enum class Kind : std::uint8_t { Consume, ReadPage, Mmap } kind = Kind::Consume;
  int buffer = 0;  // which CPU's buffer it reads
  int cpu = 0;     // where the reader task runs
  bool after_writers = false;
  std::uint32_t pause = 0;  // yields between reads (a slow reader)
  bool poll = false;        // wait = "poll": block on the per-CPU waiters instead of yielding
  int maps = 1;             // mmap: nested mappings of the same buffer (unmapped at the end)
};

struct Config {
  Params params;
  Variant variant;
  int cpus = 1;
  std::vector<Writer> writers;
  std::vector<Reader> readers;
};

/// Reads the model's sections of `spec` (throws scenario::ScenarioError).
Config parse(const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root);

}  // namespace model::ftrace_rb
