// model/ftrace_rb/exec.h — the tracing ring buffer's sequential exec mode: operations in, the
// observable state out (pages, head/tail/commit/reader ids, counters, meta page), one buffer
// per CPU (CPU 0's unless "cpus" > 1), no scheduling choices (an all-zeros ReplaySource). Input:
//
//   {"params": {"subbuf_size": 64, "nr_subbufs": 4, "mode": "overwrite", "variant": "mainline", "cpus": 1},
//    "ops": [ {"op": "write", "len": 8},            reserve + fill + commit (message ids 1, 2, ...)
//             {"op": "reserve", "len": 8},          reserve only (nesting: innermost committed first)
//             {"op": "commit"},                     fill + commit the innermost open reservation
//             {"op": "consume"}, {"op": "read_page"},
//             {"op": "map"}, {"op": "unmap"}, {"op": "get_reader"}, {"op": "resize"},
//             {"op": "mmap", "offset": 0, "len": 4096, "write": false},   mmap(2) of a range
//                                                   (bytes; a page is subbuf_size + 16)
//             {"op": "reset"},                      ring_buffer_reset_cpu
//             {"op": "reset_all"},                  ring_buffer_reset: every CPU's buffer
//             {"op": "reset_online"},               ring_buffer_reset_online_cpus (the trace file's O_TRUNC)
//             {"op": "read_meta", "offset": 0, "len": 80},   user space's int loads of the meta page
//                                                   region of its offset-0 mapping (meta_page_size bytes)
//             {"op": "subbuf_order", "order": 1},   ring_buffer_subbuf_order_set
//             {"op": "snapshot_arm"},               trace.c: a snapshot trigger (-EBUSY while mapped)
//             {"op": "snapshot_swap"} ],            trace.c: write 1 to per_cpu/cpu0/snapshot ->
//                                                   ring_buffer_swap_cpu(max, main, 0)
//    "about": "..."}                                optional: what the file checks (ignored)
// "params": {"snapshot": true} allocates the snapshot buffer (tr->max_buffer): its state is
// printed under state.snapshot (no meta page), and after a swap that succeeded (return "swap": 0)
// the main buffer is the former snapshot's per-CPU buffer with its own page numbers. map/mmap
// answer -EBUSY while a snapshot is armed (trace.c's get_snapshot_map), snapshot_arm and
// snapshot_swap -EBUSY while mapped (tracing_arm_snapshot_locked): trace.c's rules, which the exec
// mode applies itself in both sources (trace.c is not compiled); the rest is ring_buffer.c's.
// A sub-buffer order whose sub-buffer would exceed 4096 bytes (and not RB_WRITE_MASK + 1) is bad
// input: the kernel source keeps each sub-buffer in one pool page.
// "cpus" (1-4): the trace_buffer's per-CPU buffers. write, consume, read_page, map, mmap, unmap,
// get_reader, reset and read_meta take "cpu" (default 0); a write on CPU k > 0 is done by a task
// on CPU k (ring_buffer_lock_reserve writes to the running CPU's buffer) that the exec task hands
// it to and sleeps on; reserve/commit (nesting) stay on CPU 0, and subbuf_order, resize and the
// snapshot need "cpus": 1 (bad input otherwise).
//
// Output: {"model": "ftrace_rb", "params", "steps": [{"op", "return", "state"}], "violation"?}
// with state = {"head", "tail", "commit", "reader" (buffer page indexes), "pages": [{"index",
// "id", "write", "entries", "commit", "real_end", "read", "next", "flag"}] (ring order from the
// head, then the reader page), "counters": {...}, "subbuf_order", "meta": {...} (while mapped:
// struct trace_buffer_meta's fields)}, or with "cpus" > 1 {"cpus": [that, per CPU]}. Returns: write /
// reserve {"ok", "page", "offset", "length", "fail"}; consume {"id", "len", "lost"} or null;
// read_page {"ret", "ids", "missed"}; map/mmap/unmap/get_reader/resize/subbuf_order/snapshot_arm
// {"ret"} (-errno); snapshot_swap {"ret", "swap"}; reset, reset_all, reset_online {};
// read_meta {"ret": 0, "nonzero_words", "first_nonzero" (byte offset or null), "words" (the ints,
// when len <= 256)} or {"ret": -14} with nothing mapped (offset and len: multiples of 4; a range
// past meta_page_size is bad input: sub-buffers are read by the scenarios' mapped reader).
// Bad input throws scenario::ScenarioError with one line: "<file>: ops[3].len: ...".
#pragma once

#include <nlohmann/json.hpp>

#include "kernel/build.h"
#include "model/exec_support.h"

#include <string>

namespace model::ftrace_rb {

/// `kernel`: run the ops on the kernel's own kernel/trace/ring_buffer.c (kernel_ring.h); the output
/// then says "source": "kernel".
nlohmann::json ftrace_rb_exec(const nlohmann::json& input, const std::string& file, const kernel::Source* kernel = nullptr);
/// The same, streamed (model/exec_support.h): `input` with an empty "ops", the ops one by one.
void ftrace_rb_exec_stream(const nlohmann::json& input, OpSource& ops, const std::string& file, ExecOutput& out,
                           const kernel::Source* kernel = nullptr);

}  // namespace model::ftrace_rb
