/* model/bpf_ringbuf/kernel_libbpf.c — libbpf's own BPF ring buffer consumer, tools/lib/bpf/ringbuf.c,
 * in the kernel subject of the BPF ring buffer.
 *
 * The file is included unmodified (the kernel-source build puts the tree's copy, patched if asked,
 * at rs/src/tools/lib/bpf/ringbuf.c among the real headers, beside libbpf's real API headers
 * libbpf.h, libbpf_common.h, libbpf_legacy.h, libbpf_version.h and bpf.h), compiled with the
 * subject's flags: its loads of producer_pos and headers and its stores of consumer_pos through its
 * mapping are instrumented like the kernel's. Its C library and system calls come from
 * kernel/shim/rs_user.h; the adapter (kernel_ringbuf.cpp) calls its API (ring_buffer__new,
 * __add, __poll, __consume, __consume_n, ring_buffer__ring, ring__consume_n) by name.
 * Our own file; nothing else is added here.
 */
#include "rs/src/tools/lib/bpf/ringbuf.c"
