// model/perf_buf/config.h — a parsed perf buffer scenario (format in workload.h) and the named
// variants.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/perf_buf/perf_buf.h"
#include "model/scenario_fields.h"
#include "scenarios/spec.h"

namespace model::perf_buf {

struct NamedVariant {
  std::string name, description;
  Variant v;
};
/// The variants, mainline first.
const std::vector<NamedVariant>& variants();
const NamedVariant* find_variant(const std::string& name);

using model::Messages;

/// A BPF program calling bpf_perf_event_output(ctx, &map, BPF_F_CURRENT_CPU, data, len): it writes
/// to the perf event of the CPU it runs on.
struct Producer {
  std::string name;
  int cpu = 0;
  sim::Ctx ctx = sim::Ctx::Task;
  std::uint32_t fires = 1;
  Messages messages;
};

/// A user-space reader of one CPU's buffer.
struct Reader {
  int cpu = 0;     // where the reader task runs
  int buffer = 0;  // whose buffer it reads (the CPU of the perf event)
  /// read_simple: libbpf's perf_buffer (epoll, then perf_event_read_simple) on a writable mapping;
  /// snapshot: perf record --overwrite's reader of a backward, read-only buffer: pause, read the
  /// newest records from data_head, after the programs are done.
  enum class Kind : std::uint8_t { ReadSimple, Snapshot } kind = Kind::ReadSimple;
  bool pause_live = false;  // snapshot: pause output while the programs still run
};

struct Config {
  Params params;
  Variant variant;
  int cpus = 1;
  int bpf_nest_limit = 3;  // bpf_trace.c: bpf_trace_sds holds 3 perf_sample_data per CPU
  bool allow_lost_wakeup = false;
  std::vector<Producer> producers;
  std::vector<Reader> readers;
};

/// Reads the model's sections of `spec` (throws scenario::ScenarioError).
Config parse(const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root);

}  // namespace model::perf_buf
