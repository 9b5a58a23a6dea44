// model/perf_buf/kernel_perf.h — perf buffers run from the kernel's own kernel/events/ring_buffer.c,
// compiled unmodified under the simulator (kernel/build.h, kernel/runtime.h).
//
// The adapter plays perf_event_open, perf_mmap, the BPF helper and the reader's mapping around the
// real code (kernel_client.c, instrumented like ring_buffer.c; our own text following core.c):
//   - at setup, per CPU, a struct perf_event (our shadow of include/linux/perf_event.h holds the
//     fields ring_buffer.c reads) and rb_alloc(nr_pages, watermark, cpu, flags) as perf_mmap calls
//     it (RING_BUFFER_WRITABLE unless overwrite), then perf_event_init_userpage's data_offset /
//     data_size and ring_buffer_attach's event->rb; the user page and data pages are pool pages,
//     so the reader's loads and stores (smp_load_acquire / smp_store_release written in the
//     client) reach the same memory the kernel writes;
//   - a program's bpf_perf_event_output is the client's rs_perf_event_output: core.c's
//     __perf_event_output for a PERF_SAMPLE_RAW sample (perf_prepare_sample's size, the kernel's
//     perf_output_begin, perf_output_copy of header, raw size and data, perf_output_skip of the
//     pad, perf_output_sample's wakeup_events accounting, the kernel's perf_output_end);
//   - perf_output_wakeup's irq_work_queue(&event->pending_irq) runs the client's
//     perf_pending_irq, which wakes event->waitq (the reader sleeps on it through the runtime).
// Ghost state is read from struct perf_buffer (the real kernel/events/internal.h) with the hooks
// off; data_head stores are seen by a runtime watch on the user page's data_head.
//
// What the tree decides, not the variant: 6.12's ring_buffer.c has both 2019 fixes; the scenario's
// variant does not apply.
#pragma once

#include <memory>
#include <vector>

#include "kernel/build.h"
#include "model/perf_buf/buffer_api.h"

namespace model::perf_buf {

using KernelSource = kernel::Source;

/// What the perf buffer's subject compiles (kernel/build.h).
kernel::SubjectSpec perf_subject();

/// Builds (or finds) the subject, loads it into a runtime of `sim` and maps one buffer per CPU at
/// setup (Workload::build time only). Throws kernel::BuildError when the subject does not build.
/// When perf_mmap's part fails (the client's rs_perf_open: -EINVAL, -ENOMEM), stores the errno in
/// `*error` and returns no buffers, or throws std::invalid_argument when `error` is null.
std::vector<std::unique_ptr<BufferApi>> make_kernel_buffers(sim::Sim& sim, const Params& p, int cpus, const KernelSource& source,
                                                            long* error = nullptr);

}  // namespace model::perf_buf
