// model/ftrace_rb/workload.h — tracing ring buffer scenarios: TOML sections → writers in any
// context of their CPU (each writes its CPU's buffer, as trace events do) and one reader per
// buffer (ring_buffer_consume, ring_buffer_read_page, or user space on the mapping with
// TRACE_MMAP_IOCTL_GET_READER), running against model::ftrace_rb::CpuBuffer with the ledger.
//
// Scenario sections (errors carry file:line:column and the field):
//   [params]     subbuf_size (64: data bytes per sub-buffer, a multiple of 4), nr_subbufs (4: pages
//                in the ring, >= 2), mode = "overwrite" | "no-overwrite"
//   [[cpu]]      count = N
//   [[writer]]   cpu, context = "task" | "softirq" | "hardirq" | "nmi", fires (interrupts),
//                messages = { count, size = N | [min, max] } (body bytes; > subbuf_size - 8 is NULL)
//   [[reader]]   kind = "consume" | "read_page" | "mmap", buffer (the CPU buffer it reads), cpu
//                (where it runs), start = "live" | "after-writers", pause (yields between reads:
//                a slow reader), maps (mmap: nested mappings, each unmapped at the end), wait =
//                "yield" | "poll" (poll: block on the per-CPU waiters, woken by the irq_work)
// Variants: mainline, pre-commit-overrun-warn-fix, pre-mmap-missed-events, every-commit-publishes
// (parse.cpp names the patch behind each).
//
// Properties: the ledger's (no-split, no-silent-loss, no-corruption, no-duplication, order), plus
//   order          per buffer, events are delivered in reservation order (nested ones after the
//                  event they interrupted)
//   counters       every loss a reader is told of (lost events, missed count on a page) never
//                  exceeds overrun, and at the end equals it (unless a page only said "missed");
//                  overrun, dropped_events, commit_overrun and entries equal the ledger's counts;
//                  entries = read + overrun after the drain; committing = 0, commit = tail page;
//                  the meta page names the kernel's reader page and meta.read + overrun <= entries;
//                  an event is dropped for commit overrun only once the writers in flight on its
//                  CPU have left the commit page (rb_move_tail: they wrapped the ring)
//   no-corruption  a writer never reserves below what the reader of its page may still read (the
//                  consuming reader's offset, or the commit a mapped reader saw on its sub-buffer)
//   assertion      a kernel WARN_ON (a corrupted list, a GET_READER with nothing to swap in, ...)
// Stop protocol: writers count their activations down in `writers_left`; a reader that finds
// nothing reads once more after the count reached zero, then exits (a mapped reader unmaps); the
// writer that brings the count to zero wakes the per-CPU wait queues (a poll timeout for wait = "poll").
#pragma once

#include <vector>

namespace model {
struct ModelInfo;
}

namespace model::ftrace_rb {
void register_model(std::vector<ModelInfo>& out);
}
