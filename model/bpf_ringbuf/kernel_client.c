/* model/bpf_ringbuf/kernel_client.c — the client that drives the kernel's own kernel/bpf/ringbuf.c.
 *
 * ringbuf.c is included here, unmodified (the kernel-source build puts the tree's file, patched if
 * asked, at rs/src/kernel/bpf/ringbuf.c among the real headers), so that this file sees its static
 * struct bpf_ringbuf for the ghost view below; that is the recipe tools/testing/vma uses for
 * mm/vma.c. Everything here is compiled with the subject's flags, so it is instrumented like
 * ringbuf.c. It plays the parts of:
 *   - the bpf(2) syscall: BPF_MAP_CREATE through ringbuf_map_ops.map_alloc with a union bpf_attr,
 *     and mmap(2) of the map through ringbuf_map_ops.map_mmap (libbpf's two mappings);
 *   - BPF programs: the helpers through the functions BPF_CALL_n made (bpf_ringbuf_reserve,
 *     _submit, _discard, _output, _query, _reserve_dynptr, _submit_dynptr, _discard_dynptr),
 *     called through their bpf_func_proto's func, and the program's own stores into its sample
 *     (a memcpy from a tagged buffer);
 *   - libbpf's loads and stores through its mapping (smp_load_acquire / smp_store_release);
 *   - epoll: the map's poll (ringbuf_map_ops.map_poll).
 * Our own code; the kernel file and headers it includes are used as they are.
 */
#include "rs/src/kernel/bpf/ringbuf.c"

#include "rs_client.h"

/* BPF_MAP_CREATE: 0 and the map, or a negative errno (ringbuf_map_alloc's ERR_PTR). */
RS_EXPORT long rs_rb_map_create(u32 max_entries, u32 key_size, u32 value_size, u32 map_flags, struct bpf_map **out) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_type = BPF_MAP_TYPE_RINGBUF;
  attr.key_size = key_size;
  attr.value_size = value_size;
  attr.max_entries = max_entries;
  attr.map_flags = map_flags;
  struct bpf_map *map = ringbuf_map_ops.map_alloc(&attr);
  *out = NULL;
  if (IS_ERR(map)) return PTR_ERR(map);
  map->ops = &ringbuf_map_ops;
  *out = map;
  return 0;
}

/* mmap(2) of the map at page offset `pgoff`: 0 and the mapping's address, or a negative errno. */
RS_EXPORT long rs_rb_mmap(struct bpf_map *map, unsigned long pgoff, unsigned long len, int writable, void **view) {
  struct vm_area_struct vma;
  memset(&vma, 0, sizeof(vma));
  vma.vm_end = len;
  vma.vm_pgoff = pgoff;
  vma.vm_flags = writable ? VM_WRITE | VM_MAYWRITE : 0;
  int err = map->ops->map_mmap(map, &vma);
  *view = err ? NULL : (void *)vma.vm_start;
  return err;
}

/* BPF_OBJ_GET_INFO_BY_FD on the map (what libbpf's bpf_map_get_info_by_fd asks): 0 or -EINVAL. */
RS_EXPORT long rs_rb_map_info(struct bpf_map *map, struct bpf_map_info *info, u32 len) {
  if (len < sizeof(*info)) return -EINVAL;
  memset(info, 0, sizeof(*info));
  info->type = map->map_type;
  info->key_size = map->key_size;
  info->value_size = map->value_size;
  info->max_entries = map->max_entries;
  info->map_flags = map->map_flags;
  return 0;
}

/* The helpers, called as a program calls them after the verifier's fixup: through each proto's
 * func with five u64 registers (read through a volatile so that the call stays a call and traces
 * name the helper's own lines). */
typedef u64 (*rs_helper_fn)(u64, u64, u64, u64, u64);
static u64 rs_call(const struct bpf_func_proto *proto, u64 r1, u64 r2, u64 r3, u64 r4) {
  rs_helper_fn volatile fn = proto->func;
  return fn(r1, r2, r3, r4, 0);
}
#define RS_PTR(p) ((u64)(uintptr_t)(p))
RS_EXPORT void *rs_rb_reserve(struct bpf_map *map, u64 size, u64 flags) {
  return (void *)(uintptr_t)rs_call(&bpf_ringbuf_reserve_proto, RS_PTR(map), size, flags, 0);
}
RS_EXPORT void rs_rb_commit(void *sample, u64 flags, int discard) {
  rs_call(discard ? &bpf_ringbuf_discard_proto : &bpf_ringbuf_submit_proto, RS_PTR(sample), flags, 0, 0);
}
RS_EXPORT long rs_rb_output(struct bpf_map *map, const void *data, u64 size, u64 flags) {
  return (long)rs_call(&bpf_ringbuf_output_proto, RS_PTR(map), RS_PTR(data), size, flags);
}
RS_EXPORT u64 rs_rb_query(struct bpf_map *map, u64 flags) { return rs_call(&bpf_ringbuf_query_proto, RS_PTR(map), flags, 0, 0); }
/* The dynptr lives on the program's stack; `*data` receives its data pointer (NULL: null dynptr). */
RS_EXPORT long rs_rb_reserve_dynptr(struct bpf_map *map, u64 size, u64 flags, void **data) {
  struct bpf_dynptr_kern ptr;
  long err = (long)rs_call(&bpf_ringbuf_reserve_dynptr_proto, RS_PTR(map), size, flags, RS_PTR(&ptr));
  *data = ptr.data;
  return err;
}
RS_EXPORT void rs_rb_commit_dynptr(void *data, u32 size, u64 flags, int discard) {
  struct bpf_dynptr_kern ptr;
  if (data) bpf_dynptr_init(&ptr, data, BPF_DYNPTR_TYPE_RINGBUF, 0, size);
  else bpf_dynptr_set_null(&ptr);
  rs_call(discard ? &bpf_ringbuf_discard_dynptr_proto : &bpf_ringbuf_submit_dynptr_proto, RS_PTR(&ptr), flags, 0, 0);
}
/* The program's stores into its sample. */
RS_EXPORT void rs_prog_write(void *dst, const void *src, u64 len) { memcpy(dst, src, len); }

/* epoll's readiness test: the map's poll with no poll table (the registration is the adapter's). */
RS_EXPORT unsigned int rs_rb_poll(struct bpf_map *map) { return map->ops->map_poll(map, NULL, NULL); }
/* The user ring buffer's poll (user_rb_map_ops.map_poll) over this map's positions. */
RS_EXPORT unsigned int rs_rb_poll_user(struct bpf_map *map) { return ringbuf_map_poll_user(map, NULL, NULL); }

/* libbpf through its mappings. */
RS_EXPORT unsigned long rs_user_load_ulong(const unsigned long *p, int acquire) {
  return acquire ? smp_load_acquire(p) : READ_ONCE(*p);
}
RS_EXPORT void rs_user_store_ulong(unsigned long *p, unsigned long v, int release) {
  if (release) smp_store_release(p, v);
  else WRITE_ONCE(*p, v);
}
RS_EXPORT u32 rs_user_load_u32(const u32 *p, int acquire) { return acquire ? smp_load_acquire(p) : READ_ONCE(*p); }

/* Ghost view of struct bpf_ringbuf for the adapter (read with the hooks off). */
struct rs_rb_view {
  void *rb, *data, *waitq, *work, *lock;
  unsigned long *consumer_pos, *producer_pos, *pending_pos;
  unsigned long mask, meta_pages;
};
RS_EXPORT void rs_rb_view(struct bpf_map *map, struct rs_rb_view *out) {
  struct bpf_ringbuf *rb = container_of(map, struct bpf_ringbuf_map, map)->rb;
  out->rb = rb;
  out->data = rb->data;
  out->waitq = &rb->waitq;
  out->work = &rb->work;
  out->lock = &rb->spinlock;
  out->consumer_pos = &rb->consumer_pos;
  out->producer_pos = &rb->producer_pos;
  out->pending_pos = &rb->pending_pos;
  out->mask = rb->mask;
  out->meta_pages = RINGBUF_NR_META_PAGES;
}
