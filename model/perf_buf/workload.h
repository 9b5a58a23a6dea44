// model/perf_buf/workload.h — perf buffer scenarios: TOML sections → BPF programs calling
// bpf_perf_event_output(BPF_F_CURRENT_CPU) on every context of every CPU, one perf event with its
// mmap'ed ring buffer per CPU (libbpf's perf_buffer__new), and user-space readers, running
// against model::perf_buf::PerfBuffer (or the kernel's ring_buffer.c) with the ledger checking
// every property.
//
// Scenario sections (errors carry file:line:column and the field):
//   [params]     nr_pages (1: data pages per CPU, 0 or a power of two), wakeup_events (1),
//                wakeup_watermark (0 = off; bytes, attr.watermark), write_backward (false),
//                overwrite (false: the mapping is writable and data_tail is honoured),
//                bpf_nest_limit (3: bpf_trace.c's per-CPU perf_sample_data slots; a program
//                nested deeper gets -EBUSY)
//   [[cpu]]      count = N
//   [[producer]] cpu, context = "task" | "softirq" | "hardirq" | "nmi", fires (interrupts),
//                messages = { count, size = N | [min, max] } (raw sample bytes)
//   [[reader]]   cpu (where it runs), buffer (whose CPU's buffer it reads), kind = "read_simple"
//                (libbpf's perf_buffer__poll: sleep in epoll on the event, then
//                perf_event_read_simple: smp_load_acquire(data_head), records from data_tail,
//                smp_store_release(data_tail)) | "snapshot" (perf record --overwrite on a backward
//                read-only buffer: PERF_EVENT_IOC_PAUSE_OUTPUT, then the newest records from
//                data_head), pause = "after-stop" | "live" (snapshot: pause while programs run)
//   lost_wakeup  = "violation" (default) | "allowed"
// Variants: mainline, pre-3f9fbe9bd86c, pre-1b038c6e05ff, pre-bf378d341e48, pre-556e0a0def95 (the
// reader: libbpf before ring_buffer_read_head), candidate-wakeup-before-nest (parse.cpp).
//
// Properties: the ledger's (no-split, no-silent-loss, no-corruption, no-duplication, order) plus:
// data_head never moves backwards (forwards in backward mode) at any store (order: a reader may
// see data_head < data_tail); a reader never finds data_head more than data_size ahead of its
// data_tail, nor a record of size 0 or larger than the buffer, nor an unknown record type
// (no-corruption); every -ENOSPC is reported to its program (Notice::Returned) and counted: the
// PERF_RECORD_LOST counts written plus rb->lost at the end equal the programs' -ENOSPC results
// other than those of a buffer without pages (counters), and a reader that drained its buffer has
// read exactly the counts written (counters); a snapshot has no hole: every accepted sample newer
// than the oldest one it delivered is delivered (no-silent-loss); lost-wakeup: with
// wakeup_events = 1 and no watermark, when the last program finishes, a reader asleep in poll
// with unread records, rb->poll clear and no irq_work pending is a violation.
// Stop protocol: the last program activation to finish judges the wakeups, then sets `stopped`
// and wakes every reader, which drains its buffer and exits.
#pragma once

#include <vector>

namespace model {
struct ModelInfo;
}

namespace model::perf_buf {
void register_model(std::vector<ModelInfo>& out);
}
