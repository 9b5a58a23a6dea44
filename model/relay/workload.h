// model/relay/workload.h — relay scenarios: TOML sections → writers, interrupts, flushers and
// readers running against model::relay::Channel, with the ledger checking every property.
//
// Scenario sections read here (errors carry file:line:column and the field):
//   [params]      subbuf_size, n_subbufs, mode = "no-overwrite" | "overwrite",
//                 client = "none" (relay_buf_full) | "counting" (blktrace's dropped) | "header"
//                 (relay.rst's header with the padding), header_size, is_global
//   [[cpu]]       count = N                       (CPUs; default 1)
//   [[writer]]    cpu, write = "relay_write" | "__relay_write" | "relay_reserve",
//                 messages = { count, size = N | [min, max], must_fit = bool },
//                 lock = "none" | "spin_lock_irqsave" (the client's own lock, for global buffers)
//   [[interrupt]] cpu, kind = "hardirq" | "nmi" | "softirq", fires, write, messages, lock
//   [[flusher]]   cpu, times                      (relay_flush racing the writers)
//   [[reader]]    kind = "read" | "mmap", buffer (default: one reader per buffer), cpu,
//                 count (bytes per read()), wait = "spin" | "poll",
//                 start = "live" (while writers run) | "after-stop" (once tracing has stopped)
// Variants: mainline (relay_stats counters), pre-relay-stats (before the 2025 relay_stats series:
// a full buffer drops silently unless the client counts), old-read-pos (before 341a7213e5c1: each
// open file's *ppos is the start position).
// When every writer and interrupt is done, the last one stops tracing the way a tool does:
// relay_flush() so the partial sub-buffers become readable, then tells the readers they may
// finish once their buffer is drained.
#pragma once

#include <vector>

namespace model {
struct ModelInfo;
}

namespace model::relay {
void register_model(std::vector<ModelInfo>& out);
}
