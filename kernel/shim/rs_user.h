/* kernel/shim/rs_user.h — the user-space API that libbpf's tools/lib/bpf/ringbuf.c sees, mapped
 * onto relaysim: what its C library and system calls are for that file. Our own text.
 *
 * Shadow headers (stdlib.h, stdio.h, errno.h, unistd.h, time.h, sys/mman.h, sys/epoll.h,
 * sys/types.h, string.h, asm/barrier.h, libbpf_internal.h) include this file. It builds on the
 * kernel shim (rs_kernel.h) for types, errno values and the barriers (smp_load_acquire /
 * smp_store_release as __atomic builtins, so libbpf's accesses through its mapping are
 * instrumented like the kernel's). The system calls are renamed to rs_user_* (no symbol of the C
 * library is replaced in the process) and implemented by the BPF ring buffer adapter
 * (model/bpf_ringbuf/kernel_ringbuf.cpp): a map fd is a map the adapter created, mmap(2) of it is
 * ringbuf_map_ops.map_mmap, epoll waits on the engine. calloc/realloc/free and errno are the C
 * library's (libbpf's own bookkeeping is host memory, not shared with the kernel: no steps). */
#ifndef RS_USER_H
#define RS_USER_H
#define RS_WANT_BPF 1
#include "rs_kernel.h"

void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void *malloc(size_t size);
void free(void *p);
int *__errno_location(void);
#define errno (*__errno_location())
typedef struct _IO_FILE FILE;

#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define MAP_SHARED 0x01
#define MAP_FAILED ((void *)-1)
#define mmap rs_user_mmap
#define munmap rs_user_munmap
void *rs_user_mmap(void *addr, size_t len, int prot, int flags, int fd, long off);
int rs_user_munmap(void *addr, size_t len);

#define EPOLLET (1u << 31)
#define EPOLL_CLOEXEC 02000000
#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
typedef union epoll_data { void *ptr; int fd; uint32_t u32; uint64_t u64; } epoll_data_t;
struct epoll_event { uint32_t events; epoll_data_t data; } __attribute__((packed));
#define epoll_create1 rs_user_epoll_create1
#define epoll_ctl rs_user_epoll_ctl
#define epoll_wait rs_user_epoll_wait
int rs_user_epoll_create1(int flags);
int rs_user_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
int rs_user_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);

#define close rs_user_close
#define getpagesize rs_user_getpagesize
int rs_user_close(int fd);
int rs_user_getpagesize(void);

/* The engine has no wall clock: clock_gettime fails with ENOSYS. Only
 * user_ring_buffer__reserve_blocking reads it, which no relaysim workload runs. */
typedef long time_t;
struct timespec { time_t tv_sec; long tv_nsec; };
typedef int clockid_t;
#define CLOCK_MONOTONIC 1
#define clock_gettime rs_user_clock_gettime
int rs_user_clock_gettime(clockid_t clk, struct timespec *ts);

/* What ringbuf.c takes from libbpf_internal.h (libbpf's own internals), written for relaysim. */
#define bpf_map_get_info_by_fd rs_user_bpf_map_get_info_by_fd
static inline int libbpf_err(int ret) {
  if (ret < 0) errno = -ret;
  return ret;
}
static inline void *libbpf_reallocarray(void *ptr, size_t nmemb, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(nmemb, size, &total)) return NULL;
  return realloc(ptr, total);
}
/* libbpf_validate_opts, simplified: NULL, or a size this libbpf knows (no forward-compatible
 * larger structs with zeroed tails). */
#define OPTS_VALID(opts, type) (!(opts) || ((opts)->sz >= sizeof(size_t) && (opts)->sz <= sizeof(struct type)))
#endif /* RS_USER_H */
