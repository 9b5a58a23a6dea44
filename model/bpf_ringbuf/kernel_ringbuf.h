// model/bpf_ringbuf/kernel_ringbuf.h — BPF ring buffer maps run from the kernel's own
// kernel/bpf/ringbuf.c, compiled unmodified under the simulator (kernel/build.h, kernel/runtime.h).
//
// The adapter plays the bpf(2) syscall, the BPF programs, libbpf's mappings and epoll around the
// real code (kernel_client.c, instrumented like ringbuf.c):
//   - at setup, BPF_MAP_CREATE through ringbuf_map_ops.map_alloc (union bpf_attr), then libbpf's
//     two mmap(2)s through ringbuf_map_ops.map_mmap: the consumer page read-write (page offset 0,
//     one page) and the producer page with the doubly mapped data pages read-only (page offset 1,
//     PAGE + 2 * size). bpf_ringbuf_area_alloc's vmap and remap_vmalloc_range are views of the
//     pool's pages, so the double mapping and user space's mapping are real aliases;
//   - programs call the helpers BPF_CALL_n made (bpf_ringbuf_reserve, _submit, _discard, _output,
//     _query, _reserve_dynptr, _submit_dynptr, _discard_dynptr) on their own CPU and context, and
//     fill their sample with a memcpy from a buffer whose bytes carry the message's ghost tag;
//   - the consumer is libbpf's own tools/lib/bpf/ringbuf.c (kernel_libbpf.c, its C library and
//     system calls from kernel/shim/rs_user.h): ring_buffer__new/__add map the map through
//     map_mmap and register it with our epoll; __poll/__consume/__consume_n/ring__consume_n run
//     its ringbuf_process_ring on the real ring. RingApi's user-space loads and stores (the model
//     consumer's, a lying user's) go through the same mapping with smp_load_acquire /
//     smp_store_release written in the client; samples are read through the read-only mapping;
//   - epoll: readiness is the map's own poll (ringbuf_map_poll_kern), re-evaluated on every
//     epoll_wait (level-triggered; ready maps in registration order); a consumer sleeping in
//     epoll_wait is woken from the kernel's wake_up_all(&rb->waitq) in bpf_ringbuf_notify, run
//     by the runtime's irq_work (ep_poll_callback's place, Runtime::on_wake_up), or interrupted
//     by the harness's signal (-1, EINTR). A timeout > 0 is not modelled: it behaves as -1.
// The ghost observers the workloads need come from the runtime's lock and atomic observers, not
// from model state: a reservation is seen when reserve releases the ring's lock with producer_pos
// advanced (in reservation order, as the lock orders them); a commit at its xchg of hdr->len; a
// tracing program inside the locked section (in_lock_hook) runs when the ring's lock is taken.
// Ghost state (positions, headers) is read from struct bpf_ringbuf with the hooks off.
//
// What the tree decides, not the variant: Debian's 6.12 ringbuf.c has the 2021 size check and the
// 2024 pending_pos fix, a raw spinlock (no rqspinlock: a same-CPU re-entry deadlocks, an NMI's
// trylock may fail) and no overwrite mode (BPF_F_RB_OVERWRITE is -EINVAL, BPF_RB_OVERWRITE_POS
// queries 0); its libbpf (1.5) has the 2a30f9440640 and 087d757fb473 counting fixes and a 32-bit
// int. The scenario's variant knobs and int_bits do not apply.
//
// Adapter choices: a failed reserve's reason (Record::fail) is inferred from the arguments and
// from whether the call took the ring's lock (the kernel only returns NULL). A commit whose header
// no longer leads back to the ring (a pg_off that bpf_ringbuf_restore_from_rec would turn into a
// wild pointer) is reported as memory-safety before the call, as the model does, instead of
// letting the kernel code dereference it inside the simulator.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernel/build.h"
#include "model/bpf_ringbuf/consumer.h"
#include "model/bpf_ringbuf/ring_api.h"
#include "model/bpf_ringbuf/ringbuf.h"

namespace model::bpf_ringbuf {

using KernelSource = kernel::Source;  // tree, patches, scheduling points (kernel/build.h)

/// What the ring buffer's subject compiles (kernel/build.h).
kernel::SubjectSpec ringbuf_subject();

/// The outcome of BPF_MAP_CREATE for `n` maps of `p` in one loaded subject.
struct KernelMaps {
  long error = 0;  // the first failing map's errno (negative), 0 if every map was created
  std::vector<std::unique_ptr<RingApi>> rings;
  /// libbpf's own consumer over every map (when asked for): ring_buffer__new + ring_buffer__add.
  std::unique_ptr<ConsumerApi> consumer;
};

/// Builds (or finds) the subject, loads it into a runtime of `sim` and creates `n` maps at setup;
/// with `sample_cb`, also libbpf's struct ring_buffer over them (tools/lib/bpf/ringbuf.c), whose
/// sample callback calls `sample_cb` with the ring index, the ring, the record's position (ghost:
/// consumer_pos while libbpf runs the callback), the sample's offset in the data mapping and its
/// length. Build time only (Workload::build). Throws kernel::BuildError when the subject does not
/// build.
KernelMaps make_kernel_rings(sim::Sim& sim, const Params& p, int n, const KernelSource& source,
                             RingBuffer::SampleFn sample_cb = {});

/// BPF_MAP_CREATE's verdict on `p` alone (a throwaway simulation): 0 or the kernel's negative errno.
long kernel_map_create(const Params& p, const KernelSource& source);

}  // namespace model::bpf_ringbuf
