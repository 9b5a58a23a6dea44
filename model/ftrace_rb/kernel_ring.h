// model/ftrace_rb/kernel_ring.h — tracing ring buffers run from the kernel's own
// kernel/trace/ring_buffer.c, compiled unmodified under the simulator (kernel/build.h,
// kernel/runtime.h), behind the interface the model implements (ring_api.h).
//
// The adapter plays tracefs and the tracers around the real code (kernel_client.c, which includes
// ring_buffer.c so that the ghost reads reach its private structs):
//   - at setup, __ring_buffer_alloc(nr_subbufs * subbuf_size, overwrite ? RB_FL_OVERWRITE : 0)
//     for the scenario's CPUs; the subject's PAGE_SIZE is subbuf_size + 16 (kernel/shim/ftrace/
//     rs_ftrace.h), so its sub-buffers have the scenario's data size;
//   - writers call ring_buffer_lock_reserve, copy their payload into ring_buffer_event_data with a
//     memcpy whose source bytes carry the message's ghost tag, and ring_buffer_unlock_commit, on
//     their own CPU and context;
//   - trace_pipe's reader is ring_buffer_consume plus a copy of the event's data; trace_pipe_raw's
//     is ring_buffer_read_page into a spare page (ring_buffer_alloc_read_page at setup) that the
//     adapter then parses (the reader's own page: no steps);
//   - the mapping is ring_buffer_map with a read-only shared VMA of the whole buffer (meta page and
//     every sub-buffer); vm_insert_pages makes the VMA a view of the pool's pages, so user space
//     reads the kernel's very bytes. GET_READER is ring_buffer_map_get_reader. User space's loads of
//     the meta page and of a sub-buffer's commit word and its copies out of a sub-buffer are
//     instrumented accesses through that view (the client's rs_ft_user_*). Each subject page is
//     one 4 KiB pool page, so sub-buffer id i lies (i + 1) << order pool pages into the view;
//   - a blocking reader is ring_buffer_wait (full = 0) with a condition that is the harness's stop;
//     the harness's wake is ring_buffer_wake_waiters.
// Ghost state (pages, counters, the meta page) is read from struct ring_buffer_per_cpu and struct
// buffer_page by uninstrumented client functions. Pages are numbered as the model numbers them:
// 0..n-1 the ring in `next` order from the first head page, n the first reader page; pages that
// appear later (sub-buffer order change: the ring from the new head, then the new reader page) get
// the next numbers, and the freed ones are no longer looked at (first_live_page).
//
// Ghost hooks for the ledger: a reservation is reported when ring_buffer_lock_reserve returns (its
// page and offset from the event's address); an overwrite when the writer adds to
// cpu_buffer->overrun in rb_handle_head_page: the messages of the page whose list pointer carries
// RB_PAGE_UPDATE at that step, minus those a reader already received. A NULL reservation's reason
// is inferred (too big: len > max_data_size; dropped / commit overrun: that counter moved).
//
// What the tree decides, not the variant: Debian's 6.12 ring_buffer.c has the committing/commits
// counters, the mapped missed-events series (fe832be05a8e) and the 2025 commit-overrun fix, so
// the scenario's variant knobs do not apply.
#pragma once

#include <memory>
#include <vector>

#include "kernel/build.h"
#include "model/ftrace_rb/ring_api.h"

namespace model::ftrace_rb {

/// What the tracing ring buffer's subject compiles (kernel/build.h).
kernel::SubjectSpec ftrace_subject();

/// Builds (or finds) the subject, loads it into a runtime of `sim` and allocates one trace_buffer
/// with one per-CPU buffer per simulated CPU at setup (`snapshot`: and a second buffer of the same
/// shape for the snapshot swap, returned after the main buffers: `cpus` more). Build time only (Workload::build). `read_page_readers` CPUs get a
/// spare page for ring_buffer_read_page. Throws kernel::BuildError when the subject does not build.
std::vector<std::unique_ptr<RingApi>> make_kernel_buffers(sim::Sim& sim, const Params& p, int cpus,
                                                          const kernel::Source& source, bool snapshot = false);

}  // namespace model::ftrace_rb
