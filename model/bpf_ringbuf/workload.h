// model/bpf_ringbuf/workload.h — BPF ring buffer scenarios: TOML sections → BPF programs (any
// context, any CPU), a libbpf consumer and user-space writers of consumer_pos, running against
// model::bpf_ringbuf::Ring / RingBuffer with the ledger checking every property.
//
// Scenario sections (errors carry file:line:column and the field):
//   [params]      max_entries (4096), map_flags (0; BPF_F_RB_OVERWRITE = 524288), rings (1),
//                 int_bits (32: the width of libbpf's C int, see consumer.h)
//   [[cpu]]       count = N
//   [[producer]]  a BPF program: cpu, context = "task" | "softirq" | "hardirq" | "nmi" | "in-lock"
//                 (a tracing program firing inside the locked section of producer `host`'s
//                 reserves, on its CPU and context), fires (interrupts, in-lock: 1), host, ring,
//                 api = "reserve" | "output" | "reserve_dynptr", messages = { count, size = N |
//                 [min, max] }, commit = "submit" | "discard" | "mixed" (odd messages discarded),
//                 flags (the wakeup flags passed to submit/discard/output: 0, 1 NO_WAKEUP,
//                 2 FORCE_WAKEUP), batch (reserve every message before committing any),
//                 commit_order = "in-order" | "reverse" (with batch)
//   [[consumer]]  at most one libbpf ring_buffer over every ring: cpu, call = "poll" | "consume" |
//                 "consume_n", n (consume_n), timeout (poll: -1 blocks, 0 spins),
//                 callback = { fail_every = K, ret = R } (every K-th callback returns R < 0),
//                 start = "live" | "after-stop", lost_wakeup = "violation" | "allowed"
//   [[user]]      user space storing consumer_pos directly (a lying consumer): cpu, ring,
//                 consumer_pos = value, relative (add to the current value instead)
// Variants (each documented in register_model): mainline, rqspinlock-era, spinlock-era,
// pre-cve-2024-41009, pre-cve-2021-3489, libbpf-int-overflow.
//
// Properties: the ledger's (no-split, no-silent-loss, no-corruption, no-duplication, order) plus:
// busy records never overlap (no-corruption, at each reservation, modulo the ring); a record
// never extends past the double mapping (memory-safety); delivery order equals reservation order
// per ring (order); each call's return value equals its successful callbacks, capped at INT_MAX,
// or the callback's error (counters); at the end headers chain exactly from consumer_pos to
// producer_pos and 0 <= producer_pos - consumer_pos <= mask when nobody lied (counters); every
// failed reserve is reported to its caller (NULL / -EAGAIN / -EINVAL: Notice::Returned);
// lost-wakeup: when the last program finishes, a consumer asleep in poll with a committed record
// pending and no wakeup queued is a violation (unless lost_wakeup = "allowed"), and so is a
// consumer stuck asleep (stuck_property).
// Stop protocol: the last program activation to finish judges the wakeups, then stops the tool:
// it sets `stopped` and signals the consumer (poll returns -EINTR), which drains and exits.
#pragma once

#include <vector>

namespace model {
struct ModelInfo;
}

namespace model::bpf_ringbuf {
void register_model(std::vector<ModelInfo>& out);
}
