// model/ftrace_rb/exec.h — the tracing ring buffer's sequential exec mode: operations in, the
// observable state out (pages, head/tail/commit/reader ids, counters, meta page), one buffer
// (CPU 0), one task, no scheduling choices (an all-zeros ReplaySource). Input:
//
//   {"params": {"subbuf_size": 64, "nr_subbufs": 4, "mode": "overwrite", "variant": "mainline"},
//    "ops": [ {"op": "write", "len": 8},            reserve + fill + commit (message ids 1, 2, ...)
//             {"op": "reserve", "len": 8},          reserve only (nesting: innermost committed first)
//             {"op": "commit"},                     fill + commit the innermost open reservation
//             {"op": "consume"}, {"op": "read_page"},
//             {"op": "map"}, {"op": "unmap"}, {"op": "get_reader"}, {"op": "resize"},
//             {"op": "mmap", "offset": 0, "len": 4096, "write": false} ]}   mmap(2) of a range
//                                                   (bytes; a page is subbuf_size + 16)
//
// Output: {"model": "ftrace_rb", "params", "steps": [{"op", "return", "state"}], "violation"?}
// with state = {"head", "tail", "commit", "reader" (buffer page indexes), "pages": [{"index",
// "id", "write", "entries", "commit", "real_end", "read", "next", "flag"}] (ring order from the
// head, then the reader page), "counters": {...}, "meta": {...} (while mapped)}. Returns: write /
// reserve {"ok", "page", "offset", "length", "fail"}; consume {"id", "len", "lost"} or null;
// read_page {"ret", "ids", "missed"}; map/mmap/unmap/get_reader/resize {"ret"} (-errno).
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
