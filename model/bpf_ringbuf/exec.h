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
//             {"op": "write_consumer_pos", "value": 3072, "ring": 0},
//             {"op": "mmap", "ring": 0, "offset": 4096, "len": 4096, "write": false},   mmap(2) of the map
//             {"op": "map_poll", "ring": 0, "kind": "kern" | "user"},   the map's poll mask
//             {"op": "view", "ring": 0} ],           what user space sees through libbpf's mappings
//    "about": "..."}                                 optional: what the file checks (ignored)
//
// mmap returns {"ret"}: 0, -EPERM (-1) or -EINVAL (ringbuf_map_mmap_kern and remap_vmalloc_range;
// mmap(2)'s own rule: an offset that is not page aligned, or a zero length, is -EINVAL). map_poll
// returns {"mask"}: ringbuf_map_poll_kern (0x41 = EPOLLIN | EPOLLRDNORM while data is available)
// or ringbuf_map_poll_user over the same positions (0x104 = EPOLLOUT | EPOLLWRNORM while not
// full). view returns {"consumer_pos", "producer_pos", "avail_data", "records": [{"pos", "len",
// "discard", "id"} | {"pos", "busy": true}], "double_mapped"} (see view_json in exec.cpp).
//
// Reserve-like ops (reserve, reserve_dynptr, output) give message ids 1, 2, ... and records
// 0, 1, ... in op order, whether or not they succeed; "fill" (default true) writes the message's
// payload into the sample right after the reserve. Consumer ops take an optional
// "callback": {"fail_at": K, "ret": R}: the K-th callback of that op (1-based) returns R (any int;
// libbpf stops at a negative one, stores consumer_pos past that record and returns R).
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
