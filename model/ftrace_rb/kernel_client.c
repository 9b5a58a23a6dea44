/* model/ftrace_rb/kernel_client.c — the tracing ring buffer's client: kernel/trace/ring_buffer.c
 * itself (included unmodified, as tools/testing/vma includes mm/vma.c, so that the adapter reaches
 * its private structs for ghost reads) and the entry points the adapter (kernel_ring.cpp) calls.
 * Compiled with the same instrumentation as the kernel file: the writers' payload copies, user
 * space's loads through the mapping and its copies out of it are steps like the kernel's own
 * accesses. The ghost functions (rs_ft_state, rs_ft_page_of) are compiled without
 * instrumentation and only read.
 *
 * Our own text, except the included kernel file. */
#include <rs/src/kernel/trace/ring_buffer.c>
#include "rs_client.h"

int rs_ftrace_stop_requested(void);

/* trace_clock_local: the engine has no clock; a counter, one tick per read (uninstrumented: a
 * CPU's clock is not shared memory). It lives in the subject's data, so each execution starts it
 * from 0 again. */
static u64 rs_ft_now;
__attribute__((no_sanitize("thread"))) u64 trace_clock_local(void) { return ++rs_ft_now; }

static struct lock_class_key rs_ft_key;

RS_EXPORT struct trace_buffer *rs_ft_alloc(unsigned long size, int overwrite) {
  return __ring_buffer_alloc(size, overwrite ? RB_FL_OVERWRITE : 0, &rs_ft_key);
}

/* A writer: ring_buffer_lock_reserve, the payload copy into the event, ring_buffer_unlock_commit. */
RS_EXPORT void *rs_ft_reserve(struct trace_buffer *b, unsigned long len) {
  struct ring_buffer_event *e = ring_buffer_lock_reserve(b, len);
  return e;
}
RS_EXPORT void rs_ft_fill(void *event, const void *src, unsigned long len) {
  memcpy(ring_buffer_event_data(event), src, len);
}
RS_EXPORT int rs_ft_commit(struct trace_buffer *b) { return ring_buffer_unlock_commit(b); }
RS_EXPORT int rs_ft_write(struct trace_buffer *b, unsigned long len, void *data) { return ring_buffer_write(b, len, data); }

/* A consuming reader (trace_pipe): ring_buffer_consume, then the event's data copied out. */
RS_EXPORT long rs_ft_consume(struct trace_buffer *b, int cpu, void *dst, unsigned long cap, unsigned long *lost) {
  u64 ts;
  struct ring_buffer_event *e = ring_buffer_consume(b, cpu, &ts, lost);
  if (!e) return -1;
  unsigned long n = ring_buffer_event_length(e);
  if (n > cap) n = cap;
  memcpy(dst, ring_buffer_event_data(e), n);
  return (long)n;
}

/* trace_pipe_raw's reader: ring_buffer_read_page into a spare page, whose data the adapter parses. */
RS_EXPORT void *rs_ft_alloc_read_page(struct trace_buffer *b, int cpu) {
  struct buffer_data_read_page *r = NULL;
  if (ring_buffer_alloc_read_page(b, cpu, &r)) return NULL;
  return r;
}
RS_EXPORT int rs_ft_read_page(struct trace_buffer *b, void *rpage, int cpu, int full) {
  return ring_buffer_read_page(b, rpage, ring_buffer_subbuf_size_get(b), cpu, full);
}
RS_EXPORT void *rs_ft_read_page_data(void *rpage) { return ring_buffer_read_page_data(rpage); }

/* The mapping: mmap(2) of per_cpu/cpuN/trace_pipe_raw (tracing_buffers_mmap -> ring_buffer_map),
 * read-only and shared; `pages` subject pages from page offset `pgoff`. */
RS_EXPORT int rs_ft_map(struct trace_buffer *b, int cpu, unsigned long pgoff, unsigned long pages, unsigned long flags,
                        void **view) {
  struct vm_area_struct vma = {0};
  vma.vm_start = 0;
  vma.vm_end = pages * PAGE_SIZE;
  vma.vm_pgoff = pgoff;
  vma.vm_flags = flags;
  int err = ring_buffer_map(b, cpu, &vma);
  *view = err ? NULL : (void *)vma.vm_start;
  return err;
}
RS_EXPORT int rs_ft_unmap(struct trace_buffer *b, int cpu) { return ring_buffer_unmap(b, cpu); }
RS_EXPORT int rs_ft_get_reader(struct trace_buffer *b, int cpu) { return ring_buffer_map_get_reader(b, cpu); }

/* User space's accesses through its mapping. */
RS_EXPORT u64 rs_ft_user_load64(const u64 *p, int acquire) { return acquire ? smp_load_acquire(p) : READ_ONCE(*p); }
RS_EXPORT u32 rs_ft_user_load32(const u32 *p, int acquire) { return acquire ? smp_load_acquire(p) : READ_ONCE(*p); }
RS_EXPORT void rs_ft_user_read(void *dst, const void *src, unsigned long n) { memcpy(dst, src, n); }

/* What tracefs's files do: resize (buffer_size_kb), sub-buffer order (buffer_subbuf_size_kb),
 * reset (trace), snapshot swap (snapshot: update_max_tr_single -> ring_buffer_swap_cpu). */
RS_EXPORT int rs_ft_resize(struct trace_buffer *b, unsigned long size, int cpu) { return ring_buffer_resize(b, size, cpu); }
RS_EXPORT int rs_ft_order_set(struct trace_buffer *b, int order) { return ring_buffer_subbuf_order_set(b, order); }
RS_EXPORT void rs_ft_reset_cpu(struct trace_buffer *b, int cpu) { ring_buffer_reset_cpu(b, cpu); }
/* Every CPU's buffer: ring_buffer_reset (tracing_reset_all_cpus) or ring_buffer_reset_online_cpus
 * (the `trace` file opened with O_TRUNC: tracing_reset_online_cpus). */
RS_EXPORT void rs_ft_reset_all(struct trace_buffer *b, int online) {
  if (online)
    ring_buffer_reset_online_cpus(b);
  else
    ring_buffer_reset(b);
}
RS_EXPORT int rs_ft_swap_cpu(struct trace_buffer *a, struct trace_buffer *b, int cpu) { return ring_buffer_swap_cpu(a, b, cpu); }

/* A blocking reader: ring_buffer_wait (full = 0) until data or the harness's stop. */
static bool rs_ft_cond(void *data) {
  (void)data;
  return rs_ftrace_stop_requested() != 0;
}
RS_EXPORT int rs_ft_wait(struct trace_buffer *b, int cpu) { return ring_buffer_wait(b, cpu, 0, rs_ft_cond, NULL); }
RS_EXPORT void rs_ft_wake_waiters(struct trace_buffer *b, int cpu) { ring_buffer_wake_waiters(b, cpu); }
RS_EXPORT int rs_ft_empty_cpu(struct trace_buffer *b, int cpu) { return ring_buffer_empty_cpu(b, cpu); }

/* ---- ghost views (uninstrumented, read only) ---- */
struct rs_ft_page {
  void *bpage, *data;
  unsigned long write, entries, commit, real_end, read, id, next_flag;
  void *next;
  unsigned long order;
};
struct rs_ft_state {
  void *cpu_buffer, *head, *tail, *commit, *reader;
  unsigned long entries, overrun, commit_overrun, dropped_events, entries_bytes, read, read_bytes, pages_touched,
      pages_lost, pages_read, lost_events, last_overrun, committing, nr_pages, mapped, user_mapped;
  void *meta, *overrun_word, *waiters;
  unsigned long subbuf_size, max_data_size, subbuf_order, write_off;
};

__attribute__((no_sanitize("thread"))) RS_EXPORT void rs_ft_state(struct trace_buffer *b, int cpu, struct rs_ft_state *s) {
  struct ring_buffer_per_cpu *c = b->buffers[cpu];
  s->cpu_buffer = c;
  s->head = c->head_page;
  s->tail = c->tail_page;
  s->commit = c->commit_page;
  s->reader = c->reader_page;
  s->entries = c->entries.a;
  s->overrun = c->overrun.a;
  s->commit_overrun = c->commit_overrun.a;
  s->dropped_events = c->dropped_events.a;
  s->entries_bytes = c->entries_bytes.a;
  s->read = c->read;
  s->read_bytes = c->read_bytes;
  s->pages_touched = c->pages_touched.a;
  s->pages_lost = c->pages_lost.a;
  s->pages_read = c->pages_read.a;
  s->lost_events = c->lost_events;
  s->last_overrun = c->last_overrun;
  s->committing = c->committing.a;
  s->nr_pages = c->nr_pages;
  s->mapped = c->mapped;
  s->user_mapped = c->user_mapped;
  s->meta = c->meta_page;
  s->overrun_word = &c->overrun;
  s->waiters = &c->irq_work.waiters;
  s->subbuf_size = PAGE_SIZE << b->subbuf_order;
  s->max_data_size = b->max_data_size;
  s->subbuf_order = b->subbuf_order;
  s->write_off = offsetof(struct buffer_page, write);
}

__attribute__((no_sanitize("thread"))) RS_EXPORT void rs_ft_page(void *bp, struct rs_ft_page *p) {
  struct buffer_page *bpage = bp;
  unsigned long next = (unsigned long)bpage->list.next;
  p->bpage = bpage;
  p->data = bpage->page;
  p->write = bpage->write.a & RB_WRITE_MASK;
  p->entries = bpage->entries.a & RB_WRITE_MASK;
  p->commit = bpage->page->commit.a;
  p->real_end = bpage->real_end;
  p->read = bpage->read;
  p->id = bpage->id;
  p->next_flag = next & RB_FLAG_MASK;
  p->next = (void *)((struct buffer_page *)list_entry((struct list_head *)(next & ~RB_FLAG_MASK), struct buffer_page, list));
  p->order = bpage->order;
}

/* The prev page of a buffer page (ghost: rb_is_reader_page's test). */
__attribute__((no_sanitize("thread"))) RS_EXPORT void *rs_ft_prev(void *bp) {
  struct buffer_page *bpage = bp;
  unsigned long prev = (unsigned long)bpage->list.prev;
  return list_entry((struct list_head *)(prev & ~RB_FLAG_MASK), struct buffer_page, list);
}
