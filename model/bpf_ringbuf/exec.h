// model/bpf_ringbuf/exec.h — the BPF ring buffer's sequential exec mode: operations in, the
// observable state out, so that the model can be compared with the kernel case by case.
//
// One task on CPU 0 runs every op in order with no scheduling choices (an all-zeros
// ReplaySource: no interrupt, no preemption; a queued irq_work is counted, not run). Input:
//
//   {"params": {"max_entries": 4096, "key_size": 0, "value_size": 0, "map_flags": 0,
//               "rings": 1, "variant": "mainline", "int_bits": 32},           (all optional)
//    "ops": [ {"op": "reserve", "size": 16, "flags": 0, "ring": 0, "fill": true},
//             {"op": "reserve_dynptr", "size": 16, "flags": 0, "ring": 0},
//             {"op": "submit" | "discard" | "submit_dynptr" | "discard_dynptr", "rec": 0, "flags": 0},
//             {"op": "output", "size": 16, "flags": 0, "ring": 0},
//             {"op": "query", "flag": 0, "ring": 0},
//             {"op": "consume"}, {"op": "consume_n", "n": 2}, {"op": "poll"} (timeout 0),
//             {"op": "ring_consume_n", "ring": 0, "n": 2},
//             {"op": "write_consumer_pos", "value": 3072, "ring": 0} ]}
//
// Reserve-like ops (reserve, reserve_dynptr, output) give message ids 1, 2, ... and records
// 0, 1, ... in op order, whether or not they succeed; "fill" (default true) writes the message's
// payload into the sample right after the reserve. Consumer ops take an optional
// "callback": {"fail_at": K, "ret": R}: the K-th callback of that op (1-based) returns R.
// Output: {"model": "bpf_ringbuf", "source": "model" | "kernel", "params": {...}, "create": {"ret": 0 | -errno, "error": ...},
// "steps": [{"op", "return", "state"}], "violation" (if the model reported one)}, where state =
// {"rings": [{"consumer_pos", "producer_pos", "pending_pos", "overwrite_pos", "avail_data",
// "wakeups_queued", "chain_exact", "headers": [{"pos", "len", "busy", "discard", "pg_off"}]}]}
// (headers chained from consumer_pos to producer_pos) and a consumer op's return has "ret" and
// "delivered": [{"ring", "pos", "id", "len"}]. A map that ringbuf_map_alloc refuses is a result,
// not an error: "create" carries its errno and "steps" is empty.
//
// Bad input (not JSON of that shape, an unknown op or field, a missing field, a wrong type, a value
// out of range, a record that no earlier op reserved) throws scenario::ScenarioError with one line:
// "<file>: ops[3].size: ...".
#pragma once

#include <nlohmann/json.hpp>

#include "model/exec_support.h"

#include <string>

#include "model/bpf_ringbuf/kernel_ringbuf.h"

namespace model::bpf_ringbuf {

/// Runs the operations; returns the steps as described above. Throws scenario::ScenarioError.
/// With `kernel`, the same ops run on kernel/bpf/ringbuf.c and libbpf's tools/lib/bpf/ringbuf.c
/// themselves (kernel_ringbuf.h): the map is
/// created by its ringbuf_map_alloc ("create" carries that errno; "variant" does not apply).
nlohmann::json ringbuf_exec(const nlohmann::json& input, const std::string& file, const KernelSource* kernel = nullptr);
/// The same, streamed (model/exec_support.h): `input` with an empty "ops", the ops one by one.
void ringbuf_exec_stream(const nlohmann::json& input, OpSource& ops, const std::string& file, ExecOutput& out,
                         const KernelSource* kernel = nullptr);

}  // namespace model::bpf_ringbuf
