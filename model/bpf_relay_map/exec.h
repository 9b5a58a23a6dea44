// model/bpf_relay_map/exec.h — the BPF relay map's sequential exec mode (`relaysim exec --model
// bpf_relay_map OPS.json`): BPF_MAP_CREATE, then operations one after the other, with every return
// code and the observable state after each op, so that the model can be compared with the patch
// case by case. No scheduling choices: one task on CPU 0 runs every op (an op's "cpu" is passed
// to the model as the CPU the BPF program runs on).
//
// Input:
//   {"variant": "v1",                       (optional; a variant of map.h, default v1)
//    "cpus": 2,                             (online CPUs, default 1)
//    "map": {"key_size": 0, "value_size": 0, "max_entries": 64, "map_extra": 4,
//            "map_flags": 0, "overwrite": false, "map_name": "relay_map"},   (all optional)
//    "debugfs": ["taken"],                  (directories that already exist, optional)
//    "ops": [ {"op": "update_elem", "value": "relay_test", "key": false, "flags": 0,
//              "fail_file_cpu": -1},         key: true = a non-NULL key; fail_file_cpu injects a
//                                            debugfs_create_file failure for that CPU's file
//             {"op": "lookup_elem"}, {"op": "delete_elem"}, {"op": "get_next_key"},
//             {"op": "output", "cpu": 0, "len": 16, "flags": 0, "map_null": false},
//             {"op": "read", "buffer": 0, "count": 4096}, {"op": "poll", "buffer": 0},
//             {"op": "mem_usage"}, {"op": "free"} ]}
// Output:
//   {"model": "bpf_relay_map", "variant": ..., "create": {"ret": 0 | -errno, "errno": "EINVAL",
//    "why": ..., "value_size", "n_subbufs", "subbuf_size", "overwrite", "buffers"},
//    "steps": [{"op": ..., "return": {"ret": ..., "errno": ..., ...}, "state": {...}}],
//    "violation": {...} (only if the model reported one)}
// state = {"has_base_filename", "files_ready", "parent", "dirs", "files", "freed",
//          "buffers": [{"produced", "consumed", "bytes_consumed", "offset", "data", "padding",
//                       "subbufs": [[[id, len], ...] per sub-buffer]}]}.
// Messages of output ops get ids 1, 2, ... in op order. When BPF_MAP_CREATE fails no op runs.
// Bad input throws scenario::ScenarioError with one line "<file>: ops[3].len: ...".
#pragma once

#include <nlohmann/json.hpp>

#include "model/exec_support.h"

#include <string>

namespace model::bpf_relay_map {

nlohmann::json relay_map_exec(const nlohmann::json& input, const std::string& file);
/// The same, streamed (model/exec_support.h): `input` with an empty "ops", the ops one by one.
void relay_map_exec_stream(const nlohmann::json& input, OpSource& ops, const std::string& file, ExecOutput& out);

/// "EINVAL" for -22, ... ("" for 0, "E<n>" for an errno the model does not name).
std::string errno_name(long ret);

}  // namespace model::bpf_relay_map
