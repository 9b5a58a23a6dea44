// model/perf_buf/exec.h — the perf buffer's sequential exec mode: operations in, the observable
// state out, so that the model can be compared with the kernel's ring_buffer.c case by case.
//
// One task runs every op in order with no scheduling choices (an all-zeros ReplaySource: no
// interrupt, no preemption; a queued irq_work is counted, not run). One perf event with its
// buffer per CPU. Input:
//
//   {"params": {"nr_pages": 1, "wakeup_events": 1, "wakeup_watermark": 0, "write_backward": false,
//               "overwrite": false, "cpus": 1, "variant": "mainline"},            (all optional)
//    "ops": [ {"op": "output", "size": 16, "cpu": 0},          perf_event_output of a raw sample
//             {"op": "read", "cpu": 0},                        perf_event_read_simple
//             {"op": "snapshot", "cpu": 0},                    the newest records from data_head
//             {"op": "write_tail", "value": 4096, "cpu": 0},   user space stores data_tail (< 0: 2^64 + value)
//             {"op": "poll", "cpu": 0},                        perf_poll's readiness (clears it)
//             {"op": "pause", "pause": true, "cpu": 0} ]}      PERF_EVENT_IOC_PAUSE_OUTPUT
//
// Output ops give message ids 1, 2, ... in op order, whether or not they succeed. Output:
// {"model": "perf_buf", "source": "model" | "kernel", "params": {...}, "create": {"ret": 0 | -errno,
// "error": ...}, "steps": [{"op", "return", "state"}], "violation" (if one was reported)}, where
// state = {"buffers": [{"head", "nest", "wakeup", "lost", "events", "data_head", "data_tail",
// "data_offset", "data_size", "poll", "paused", "overwrite", "watermark", "lost_samples",
// "wakeups_queued"}]}; an output's return is {"ret", "id"} and, when it succeeded, {"pos", "size",
// "lost_record", "lost_count"}; a read's and a snapshot's return is {"records": [{"pos", "type",
// "size"} with "id", "len" (samples) or "lost" (PERF_RECORD_LOST)], "data_tail"}; poll's is
// {"events"}. A mapping that perf_mmap refuses is a result: "create" carries its errno and
// "steps" is empty.
//
// Bad input (not JSON of that shape, an unknown op or field, a missing field, a wrong type, a value
// out of range) throws scenario::ScenarioError with one line: "<file>: ops[3].size: ...".
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "model/exec_support.h"
#include "model/perf_buf/kernel_perf.h"

namespace model::perf_buf {

/// Runs the operations; returns the steps as described above. Throws scenario::ScenarioError.
/// With `kernel`, the same ops run on kernel/events/ring_buffer.c itself (kernel_perf.h); the
/// variant does not apply.
nlohmann::json perf_exec(const nlohmann::json& input, const std::string& file, const KernelSource* kernel = nullptr);
/// The same, streamed (model/exec_support.h): `input` with an empty "ops", the ops one by one.
void perf_exec_stream(const nlohmann::json& input, OpSource& ops, const std::string& file, ExecOutput& out,
                      const KernelSource* kernel = nullptr);

}  // namespace model::perf_buf
