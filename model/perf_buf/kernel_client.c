/* model/perf_buf/kernel_client.c — the client that drives the kernel's own kernel/events/ring_buffer.c.
 *
 * ring_buffer.c is included here, unmodified (the kernel-source build puts the tree's file, patched
 * if asked, at rs/src/kernel/events/ring_buffer.c beside its internal.h), so that this file sees
 * struct perf_buffer for the ghost view below (the recipe tools/testing/vma uses for mm/vma.c).
 * Compiled with the subject's flags, so it is instrumented like ring_buffer.c. It plays, in our own
 * text following kernel/events/core.c:
 *   - perf_event_open + perf_mmap: the event, rb_alloc with perf_mmap's watermark and flags,
 *     ring_buffer_attach, perf_event_init_userpage;
 *   - __perf_event_output of a PERF_SAMPLE_RAW sample (bpf_perf_event_output's end);
 *   - perf_pending_irq (the event's irq_work) and perf_poll's readiness;
 *   - the reader's loads and stores through the user page (smp_load_acquire / smp_store_release,
 *     tools/include/linux/ring_buffer.h) and its copies out of the data pages;
 *   - the core.c functions ring_buffer.c calls (perf_event_header__init,
 *     perf_event__output_id_sample, ring_buffer_get/put, perf_event_aux_event).
 */
#include "rs/src/kernel/events/ring_buffer.c"

#include "rs_client.h"

/* ---- core.c's functions that ring_buffer.c calls ---- */
void perf_event_header__init(struct perf_event_header *header, struct perf_sample_data *data, u32 type, u16 misc,
                             u16 size, struct perf_event *event) {
  (void)data;
  (void)event;  /* attr.sample_id_all is 0: no id header is added */
  header->type = type;
  header->misc = misc;
  header->size = size;
}
void perf_event__output_id_sample(struct perf_event *event, struct perf_output_handle *handle,
                                  struct perf_sample_data *sample) {
  (void)event; (void)handle; (void)sample;  /* nothing without attr.sample_id_all */
}
struct perf_buffer *ring_buffer_get(struct perf_event *event) {
  struct perf_buffer *rb = READ_ONCE(event->rb);
  if (rb && !refcount_inc_not_zero(&rb->refcount)) rb = NULL;
  return rb;
}
void ring_buffer_put(struct perf_buffer *rb) {
  if (refcount_dec_and_test(&rb->refcount)) BUG(); /* the buffer outlives every simulation */
}
void perf_event_aux_event(struct perf_event *event, unsigned long head, unsigned long size, u64 flags) {
  (void)event; (void)head; (void)size; (void)flags;
  BUG(); /* no aux area is ever mapped */
}

/* core.c's perf_pending_irq: the event's irq_work, queued by perf_output_wakeup. */
static void rs_perf_pending_irq(struct irq_work *entry) {
  struct perf_event *event = container_of(entry, struct perf_event, pending_irq);
  if (event->pending_wakeup) {
    event->pending_wakeup = 0;
    wake_up_all(&event->waitq); /* perf_event_wakeup -> ring_buffer_wakeup */
  }
}

/* perf_event_open (a BPF output event: software, PERF_SAMPLE_RAW, sample_period 1) and perf_mmap of
 * 1 + nr_pages pages: 0 and the event, or a negative errno. */
RS_EXPORT long rs_perf_open(int cpu, unsigned nr_pages, unsigned wakeup_events, unsigned watermark, int backward,
                            int overwrite, unsigned long long id, struct perf_event **out) {
  *out = NULL;
  if (nr_pages != 0 && !is_power_of_2(nr_pages)) return -EINVAL; /* perf_mmap */
  struct perf_event *event = kzalloc(sizeof(*event), GFP_KERNEL);
  if (!event) return -ENOMEM;
  event->attr.size = sizeof(event->attr);
  event->attr.type = PERF_TYPE_SOFTWARE;
  event->attr.config = PERF_COUNT_SW_BPF_OUTPUT;
  event->attr.sample_type = PERF_SAMPLE_RAW;
  event->attr.sample_period = 1;
  event->attr.wakeup_events = wakeup_events;
  if (watermark) {
    event->attr.watermark = 1;
    event->attr.wakeup_watermark = watermark;
  }
  event->attr.write_backward = backward ? 1 : 0;
  event->cpu = cpu;
  event->id = id;
  init_waitqueue_head(&event->waitq);
  init_irq_work(&event->pending_irq, rs_perf_pending_irq);
  struct perf_buffer *rb =
      rb_alloc((int)nr_pages, event->attr.watermark ? event->attr.wakeup_watermark : 0, cpu, overwrite ? 0 : RING_BUFFER_WRITABLE);
  if (!rb) return -ENOMEM;
  rcu_assign_pointer(event->rb, rb); /* ring_buffer_attach */
  rb->user_page->cap_bit0_is_deprecated = 1; /* perf_event_init_userpage */
  rb->user_page->size = offsetof(struct perf_event_mmap_page, __reserved);
  rb->user_page->data_offset = PAGE_SIZE;
  rb->user_page->data_size = perf_data_size(rb);
  *out = event;
  return 0;
}

/* __perf_event_output for a raw sample of `len` bytes: 0 or perf_output_begin's error. `reserved`
 * (the adapter's ghost observer, uninstrumented) is called once the record is reserved, with the
 * handle's data page and offset in it. */
RS_EXPORT long rs_perf_event_output(struct perf_event *event, const void *buf, u32 len,
                                    void (*reserved)(void *ctx, unsigned long page, unsigned long offset), void *ctx) {
  struct perf_output_handle handle;
  struct perf_event_header header;
  struct perf_sample_data data = {PERF_SAMPLE_RAW, PERF_SAMPLE_RAW};
  u32 raw_size = (u32)round_up(len + sizeof(u32), sizeof(u64)) - (u32)sizeof(u32); /* perf_prepare_sample */
  int err;

  rcu_read_lock();
  header.type = PERF_RECORD_SAMPLE; /* perf_prepare_header */
  header.misc = PERF_RECORD_MISC_KERNEL;
  header.size = (u16)(sizeof(header) + sizeof(u32) + raw_size);
  err = perf_output_begin(&handle, &data, event, header.size);
  if (err) goto exit;
  if (reserved)
    reserved(ctx, (unsigned long)handle.page,
             (unsigned long)((char *)handle.addr - (char *)handle.rb->data_pages[handle.page]));
  perf_output_put(&handle, header); /* perf_output_sample */
  perf_output_put(&handle, raw_size);
  __output_copy(&handle, buf, len);
  if (raw_size - len) __output_skip(&handle, NULL, raw_size - len); /* frag->pad */
  if (!event->attr.watermark) {
    int wakeup_events = event->attr.wakeup_events;
    if (wakeup_events) {
      struct perf_buffer *rb = handle.rb;
      int events = local_inc_return(&rb->events);
      if (events >= wakeup_events) {
        local_sub(wakeup_events, &rb->events);
        local_inc(&rb->wakeup);
      }
    }
  }
  perf_output_end(&handle);
exit:
  rcu_read_unlock();
  return err;
}

/* perf_poll's readiness (without the mmap_mutex: the buffer never changes here). */
RS_EXPORT unsigned rs_perf_poll(struct perf_event *event) {
  struct perf_buffer *rb = READ_ONCE(event->rb);
  return rb ? (unsigned)xchg(&rb->poll.counter, 0) : EPOLLIN;
}

/* PERF_EVENT_IOC_PAUSE_OUTPUT (perf_event_pause_output: rb_toggle_paused under the mmap_mutex). */
RS_EXPORT void rs_perf_pause(struct perf_event *event, int pause) { rb_toggle_paused(event->rb, pause != 0); }

/* User space: the user page's words and copies out of the data pages. */
RS_EXPORT u64 rs_user_load_u64(const u64 *p, int acquire) { return acquire ? smp_load_acquire(p) : READ_ONCE(*p); }
RS_EXPORT void rs_user_store_u64(u64 *p, u64 v, int release) {
  if (release) smp_store_release(p, v);
  else WRITE_ONCE(*p, v);
}
RS_EXPORT void rs_user_copy(void *dst, const void *src, unsigned long n) { memcpy(dst, src, n); }

/* The ghost view of one event's buffer (read with the hooks off). */
struct rs_perf_view {
  void *rb, *user_page, *waitq, *work;
  void **data_pages;
  long *head, *wakeup, *lost, *events;
  unsigned *nest;
  int *paused, *poll;
  u64 *data_head, *data_tail, *data_offset, *data_size;
  long long *lost_samples;
  long watermark;
  int overwrite, nr_pages;
};
RS_EXPORT void rs_perf_view(struct perf_event *event, struct rs_perf_view *v) {
  struct perf_buffer *rb = event->rb;
  v->rb = rb;
  v->user_page = rb->user_page;
  v->waitq = &event->waitq;
  v->work = &event->pending_irq;
  v->data_pages = rb->data_pages;
  v->head = &rb->head.counter;
  v->wakeup = &rb->wakeup.counter;
  v->lost = &rb->lost.counter;
  v->events = &rb->events.counter;
  v->nest = &rb->nest;
  v->paused = &rb->paused;
  v->poll = &rb->poll.counter;
  v->data_head = &rb->user_page->data_head;
  v->data_tail = &rb->user_page->data_tail;
  v->data_offset = &rb->user_page->data_offset;
  v->data_size = &rb->user_page->data_size;
  v->lost_samples = &event->lost_samples.counter;
  v->watermark = rb->watermark;
  v->overwrite = rb->overwrite;
  v->nr_pages = rb->nr_pages;
}
