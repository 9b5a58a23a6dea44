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
//   - libbpf's consumer logic (consumer.h, the same code as for the model) loads producer_pos,
//     headers and stores consumer_pos through the user mapping with smp_load_acquire /
//     smp_store_release written in the client, and reads samples through the read-only mapping;
//   - epoll: readiness is the map's own poll (ringbuf_map_poll_kern); a consumer sleeping in
//     epoll_wait is woken from the kernel's wake_up_all(&rb->waitq) in bpf_ringbuf_notify, run
//     by the runtime's irq_work (ep_poll_callback's place, Runtime::on_wake_up).
// The ghost observers the workloads need come from the runtime's lock and atomic observers, not
// from model state: a reservation is seen when reserve releases the ring's lock with producer_pos
// advanced (in reservation order, as the lock orders them); a commit at its xchg of hdr->len; a
// tracing program inside the locked section (in_lock_hook) runs when the ring's lock is taken.
// Ghost state (positions, headers) is read from struct bpf_ringbuf with the hooks off.
//
// What the tree decides, not the variant: Debian's 6.12 ringbuf.c has the 2021 size check and the
// 2024 pending_pos fix, a raw spinlock (no rqspinlock: a same-CPU re-entry deadlocks, an NMI's
// trylock may fail) and no overwrite mode (BPF_F_RB_OVERWRITE is -EINVAL, BPF_RB_OVERWRITE_POS
// queries 0). The scenario's variant knobs do not apply.
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
#include "model/bpf_ringbuf/ring_api.h"
#include "model/bpf_ringbuf/ringbuf.h"

namespace model::bpf_ringbuf {

struct KernelSource {
  kernel::TreeOptions tree;
  bool marked_only = false;
};

/// What the ring buffer's subject compiles (kernel/build.h).
kernel::SubjectSpec ringbuf_subject();

/// The outcome of BPF_MAP_CREATE for `n` maps of `p` in one loaded subject.
struct KernelMaps {
  long error = 0;  // the first failing map's errno (negative), 0 if every map was created
  std::vector<std::unique_ptr<RingApi>> rings;
};

/// Builds (or finds) the subject, loads it into a runtime of `sim` and creates `n` maps at setup.
/// Build time only (Workload::build). Throws kernel::BuildError when the subject does not build.
KernelMaps make_kernel_rings(sim::Sim& sim, const Params& p, int n, const KernelSource& source);

/// BPF_MAP_CREATE's verdict on `p` alone (a throwaway simulation): 0 or the kernel's negative errno.
long kernel_map_create(const Params& p, const KernelSource& source);

}  // namespace model::bpf_ringbuf
