// model/bpf_relay_map/workload.h — BPF relay map scenarios: BPF programs calling bpf_relay_output
// in task, softirq, hardirq and NMI context, the map's setup through map_update_elem, and user-space
// readers of the per-CPU (or global) debugfs files, all checked with the ledger.
//
// Scenario sections (errors carry file:line:column and the field):
//   [map]         max_entries (sub-buffer size), map_extra (sub-buffer count, 0 -> 8),
//                 overwrite = bool (BPF_F_OVERWRITE), map_flags (raw, instead of overwrite),
//                 key_size, value_size, map_name. Validated as BPF_MAP_CREATE would (-EINVAL).
//   [setup]       when = "before" (update_elem ran before the programs were attached; default) |
//                 "concurrent" (`updaters` tasks call map_update_elem while the programs run) |
//                 "never" (no files: every call returns -ENOENT);
//                 dir, updaters, same_dir (all updaters use `dir`, else dir0, dir1, ...),
//                 fail_file_cpu (inject a debugfs_create_file failure for that CPU's file), cpu
//   [[cpu]]       count = N
//   [[program]]   cpu, context = "task" | "softirq" | "hardirq" | "nmi",
//                 attach = "fentry" | "raw_tp" (no bpf_prog_active) | "kprobe" | "tracepoint" |
//                 "perf_event" (trace_call_bpf / bpf_overflow_handler: skipped while another such
//                 program runs on the CPU); default: task fentry, softirq/hardirq kprobe, nmi
//                 perf_event; fires (interrupt contexts), messages = { count, size }, flags
//   [[reader]]    kind = "read" (cat) | "mmap", buffer (default: one reader per buffer), cpu,
//                 count (bytes per read()), start = "live" | "after-stop" (a late reader)
// Variants: model/bpf_relay_map/map.h (Design) — v1 (default), v0, __relay_write, nmi-refuse,
// nest-guard, report-drops, files-ready, global, global-locked, global-locked-nmi-trylock, proposed.
// When every program activation is done, the last one sets `done` (the map has no flush: a tool
// can only stop its programs); readers then drain what read() or the mapping still shows.
#pragma once

#include <vector>

namespace model {
struct ModelInfo;
}

namespace model::bpf_relay_map {
void register_model(std::vector<ModelInfo>& out);
}
