// model/relay/exec.h — the relay model's sequential exec mode: operations in, observable state out.
//
// `relay_exec` runs a list of operations one after the other on a fresh channel, with no
// scheduling choices (one task on CPU 0 performs every op, passing each op's CPU to the model
// explicitly; the run uses an all-zeros ReplaySource, so no interrupt or preemption happens), and
// returns after each op what it returned and the whole observable state, so that the model can be
// compared with the kernel case by case. Input (JSON):
//
//   {"params": {"subbuf_size": 64, "n_subbufs": 4, "cpus": 1, "is_global": false,
//               "callback": "buf_full" | "counting" | "overwrite" | "header_reserve",
//               "header_size": 8, "stats": true, "old_read_pos": false},        (all optional)
//    "ops": [ {"op": "write", "cpu": 0, "len": 10, "fn": "relay_write" | "__relay_write"},
//             {"op": "reserve", "cpu": 0, "len": 10},          relay_reserve, then the copy
//             {"op": "switch", "buffer": 0, "length": 0},      relay_switch_subbuf (length optional)
//             {"op": "flush"}, {"op": "reset"}, {"op": "close"},
//             {"op": "subbufs_consumed", "buffer": 0, "n": 1},
//             {"op": "read", "buffer": 0, "count": 100, "file": 0},   file: reader index (optional)
//             {"op": "mmap_consume", "buffer": 0},   the next produced sub-buffer through the
//                                                    mapping, then relay_subbufs_consumed(1)
//             {"op": "poll", "buffer": 0} ]}
//
// Messages written by write/reserve ops get ids 1, 2, 3... in op order (whether or not accepted);
// byte i of message `id` is (id * 31 + i) & 0xff, tagged with the id. Output:
//   {"model": "relay", "params": {...}, "steps": [{"op": <the op>, "return": ..., "state": ...}],
//    "violation": {...} (only if the model reported one, e.g. memory-safety)}
// where state = {"buffers": [{"produced", "consumed", "bytes_consumed", "offset", "data",
// "padding": [...], "file_size", "early_bytes", "full_count", "big_count", "dropped", "subbuf_start_calls" (calls
// of the client's subbuf_start callback, relay_open's included; 0 for "buf_full", which has none), "finalized",
// "subbufs": [[[id, len], ...] per sub-buffer; id 0 = padding, header or never written]}],
// (a run that does not start at the message's first byte is [id, len, first_index]),
// "last_toobig" (stats = false only), "dropped" (the counting client's counter)}.
//
// Bad input (not JSON of that shape, an unknown op or field, a missing field, a wrong type, a value
// out of range, parameters relay_open rejects) throws scenario::ScenarioError with one line:
// "<file>: ops[3].len: ...".
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/exec_support.h"
#include "model/relay/kernel_channel.h"
#include "model/relay/relay.h"
#include "sim/sim.h"

namespace model::relay {

/// Runs the operations; returns the steps as described above. Throws scenario::ScenarioError.
/// With `kernel`, the same ops run on kernel/relay.c itself (kernel_channel.h); "source" in the
/// output says which. The tree decides relay_stats and the read position (stats = old_read_pos = false).
nlohmann::json relay_exec(const nlohmann::json& input, const std::string& file, const KernelSource* kernel = nullptr);
/// The same, streamed: `input` without its ops (an empty "ops" array), the ops one by one, the
/// result step by step (model/exec_support.h).
void relay_exec_stream(const nlohmann::json& input, OpSource& ops, const std::string& file, ExecOutput& out,
                       const KernelSource* kernel = nullptr);

/// Reads the "params" object (absent = defaults) and validates it as relay_open would.
/// Throws scenario::ScenarioError "<file>: params.<field>: ...".
Params params_from_json(const nlohmann::json* params, const std::string& file);

/// Runs `body` once as a single task on CPU 0 of a fresh Sim with params.cpus CPUs and a channel,
/// with no scheduling choices (all zeros). For sequential tests and exec mode. `after`, if given,
/// runs after the execution ended (normally or by a violation), while the channel still exists.
sim::ExecResult run_sequential(const Params& params, const std::function<void(sim::Sim&, Channel&)>& body,
                               const std::function<void(Channel&, const sim::ExecResult&)>& after = {},
                               sim::Granularity granularity = sim::Granularity::Message);

/// A run of bytes from one message: `length` consecutive bytes of message `id` starting at its
/// byte `first_index` (id 0: padding, a client header or never written; first_index 0).
struct TagRun {
  std::uint64_t id = 0, length = 0, first_index = 0;
  bool operator==(const TagRun&) const = default;
};
/// Splits ghost tags (sim/buffer.h: id + byte index) into runs; a new run starts where the id
/// changes or the byte index does not continue (so a message delivered twice shows twice).
std::vector<TagRun> tag_runs(const std::uint64_t* tags, std::size_t n);

/// The exec payload of message `id`: byte i = (id * 31 + i) & 0xff.
std::vector<std::uint8_t> exec_payload(std::uint64_t id, std::uint64_t len);

}  // namespace model::relay
