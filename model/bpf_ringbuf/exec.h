// model/bpf_ringbuf/exec.h — the BPF ring buffer's sequential exec mode: operations in, the
// observable state out, so that the model can be compared with the kernel case by case.
//
// One task on CPU 0 runs every op in order with no scheduling choices (an all-zeros
// ReplaySource: no interrupt, no preemption). A queued irq_work is counted and not run, unless
// "irq_work": "run": then the irq_works an op queued run (hardirq, CPU 0) before the next op, as
// irq_work_queue's self-IPI runs them once the program returns, so each commit is judged alone:
// submit/discard/output returns "woke": whether its bpf_ringbuf_notify woke the map's wait queue
// (FORCE_WAKEUP, or the consumer exactly at the record and no NO_WAKEUP). Input:
//
//   {"params": {"max_entries": 4096, "key_size": 0, "value_size": 0, "map_flags": 0,
//               "rings": 1, "variant": "mainline", "int_bits": 32, "irq_work": "pending"},  (all optional)
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
//             {"op": "view", "ring": 0},             what user space sees through libbpf's mappings
//             {"op": "poll_wait"}, {"op": "poll_join"} ],   a background ring_buffer__poll(rb, -1)
//    "about": "..."}                                 optional: what the file checks (ignored)
//
// mmap returns {"ret"}: 0, -EPERM (-1) or -EINVAL (ringbuf_map_mmap_kern and remap_vmalloc_range;
// mmap(2)'s own rule: an offset that is not page aligned, or a zero length, is -EINVAL). map_poll
// returns {"mask"}: ringbuf_map_poll_kern (0x41 = EPOLLIN | EPOLLRDNORM while data is available)
// or ringbuf_map_poll_user over the same positions (0x104 = EPOLLOUT | EPOLLWRNORM while not
// full). view returns {"consumer_pos", "producer_pos", "avail_data", "records": [{"pos", "len",
// "discard", "id"} | {"pos", "busy": true}], "double_mapped"} (see view_json in exec.cpp).
//
// poll_wait starts a background thread's ring_buffer__poll(rb, -1): if epoll finds a ring ready
// (ringbuf_map_poll_kern) it returns at once ({"blocked": false, "poll_ret", "delivered"}), else it
// sleeps ({"blocked": true}); after an op whose irq_work woke a ring's wait queue, a sleeping one
// re-checks readiness and, if a ring is ready, runs its ring_buffer__poll to the end then (that
// op's return carries "waiter": {"poll_ret", "delivered"}). poll_join is pthread_tryjoin_np:
// {"ret": -16} (EBUSY) while asleep, {"ret": 0, "poll_ret", "delivered"} once it returned (then it
// is joined). A poll_join with no poll_wait before it, a second join, or a poll_wait while one is
// not joined is bad input. poll_wait takes "callback" like the consumer ops.
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
