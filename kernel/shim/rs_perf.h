/* kernel/shim/rs_perf.h — what kernel/events/ring_buffer.c and kernel/events/internal.h need
 * beyond rs_kernel.h: local_t, RCU read-side markers, refcount_t, the perf event structures that
 * ring_buffer.c reads (our shadow of include/linux/perf_event.h; the user page, the record types
 * and the attributes come from the real include/uapi/linux/perf_event.h) and the few mm helpers of
 * the aux path. Our own text, written for relaysim.
 *
 *   - local_t operations are __atomic builtins with relaxed order: each is one instrumented
 *     atomic step, interruptible only between them, as a single instruction on its CPU is;
 *   - rcu_read_lock/unlock and rcu_dereference: the perf buffer is attached once at setup and
 *     never freed during a simulation, so the read-side sections only mark the code;
 *   - the aux area (rb_alloc_aux, perf_aux_output_*) compiles but is not set up: no scenario maps
 *     an aux area, and core.c's functions it calls (perf_event_aux_event) report a BUG if reached.
 * Names another subject's shim may also define are guarded, so that the two can be merged. */
#ifndef RS_PERF_H
#define RS_PERF_H

#include "rs_kernel.h"

/* ---- local_t (asm/local.h) ------------------------------------------------------------------ */
#ifndef RS_HAVE_LOCAL_T
#define RS_HAVE_LOCAL_T
typedef struct { long counter; } local_t;
#define LOCAL_INIT(i) { (i) }
#define local_read(l) __atomic_load_n(&(l)->counter, __ATOMIC_RELAXED)
#define local_set(l, i) __atomic_store_n(&(l)->counter, (i), __ATOMIC_RELAXED)
#define local_inc(l) ((void)__atomic_fetch_add(&(l)->counter, 1, __ATOMIC_RELAXED))
#define local_dec(l) ((void)__atomic_fetch_sub(&(l)->counter, 1, __ATOMIC_RELAXED))
#define local_add(i, l) ((void)__atomic_fetch_add(&(l)->counter, (i), __ATOMIC_RELAXED))
#define local_sub(i, l) ((void)__atomic_fetch_sub(&(l)->counter, (i), __ATOMIC_RELAXED))
#define local_inc_return(l) __atomic_add_fetch(&(l)->counter, 1, __ATOMIC_RELAXED)
#define local_add_return(i, l) __atomic_add_fetch(&(l)->counter, (i), __ATOMIC_RELAXED)
#define local_xchg(l, n) __atomic_exchange_n(&(l)->counter, (n), __ATOMIC_RELAXED)
#define local_cmpxchg(l, o, n) ({ long __o = (o); \
  __atomic_compare_exchange_n(&(l)->counter, &__o, (n), false, __ATOMIC_RELAXED, __ATOMIC_RELAXED); __o; })
#define local_try_cmpxchg(l, po, n) ({ long __e = (long)*(po); \
  bool __ok = __atomic_compare_exchange_n(&(l)->counter, &__e, (long)(n), false, __ATOMIC_RELAXED, __ATOMIC_RELAXED); \
  *(po) = (__typeof__(*(po)))__e; __ok; })
#endif

/* ---- RCU read side, refcounts --------------------------------------------------------------- */
#ifndef rcu_read_lock
#define rcu_read_lock() do { } while (0)
#define rcu_read_unlock() do { } while (0)
#endif
#ifndef rcu_dereference
#define rcu_dereference(p) READ_ONCE(p)
#define rcu_assign_pointer(p, v) smp_store_release(&(p), (v))
#endif
#ifndef RS_HAVE_RCU_HEAD
#define RS_HAVE_RCU_HEAD
struct rcu_head { struct rcu_head *next; void (*func)(struct rcu_head *); };
#endif
#ifndef RS_HAVE_REFCOUNT
#define RS_HAVE_REFCOUNT
typedef struct { atomic_t refs; } refcount_t;
#define refcount_set(r, n) atomic_set(&(r)->refs, (n))
#define refcount_read(r) atomic_read(&(r)->refs)
#define refcount_inc(r) atomic_inc(&(r)->refs)
#define refcount_dec_and_test(r) atomic_dec_and_test(&(r)->refs)
static inline bool refcount_inc_not_zero(refcount_t *r) {
  int old = atomic_read(&r->refs);
  do {
    if (!old) return false;
  } while (!try_cmpxchg(&r->refs.counter, &old, old + 1));
  return true;
}
#endif

/* ---- contexts, user copies, mm helpers ------------------------------------------------------ */
/* interrupt_context_level (linux/preempt.h): 0 task, 1 softirq, 2 hardirq, 3 NMI. */
#define interrupt_context_level() (rs_in_nmi() ? 3 : rs_in_hardirq() ? 2 : rs_in_interrupt() ? 1 : 0)
#define in_atomic() (rs_irqs_disabled() || rs_in_interrupt())
#define pagefault_disable() do { } while (0)
#define pagefault_enable() do { } while (0)
#define __copy_from_user_inatomic(to, from, n) rs_copy_from_user((to), (from), (n))
#define array_index_nospec(index, size) (index)
#define CIRC_CNT(head, tail, size) (((head) - (tail)) & ((size) - 1))
#define CIRC_SPACE(head, tail, size) CIRC_CNT((tail), ((head) + 1), (size))
#define ilog2(n) ((int)(63 - __builtin_clzll((unsigned long long)(n))))
#define order_base_2(n) ((n) > 1 ? ilog2((n) - 1) + 1 : 0)
#define get_order(n) ((n) <= PAGE_SIZE ? 0 : order_base_2(((n) + PAGE_SIZE - 1) >> PAGE_SHIFT))
#define rounddown(x, y) ((x) - ((x) % (y)))
#define offset_in_page(p) ((unsigned long)(p) & ~PAGE_MASK)
#define MAX_PAGE_ORDER 10
#define cpu_to_node(cpu) ((void)(cpu), 0)
#define kzalloc_node(s, f, node) rs_kmalloc((s), (f) | __GFP_ZERO)
#define kcalloc_node(n, s, f, node) rs_kmalloc((n) * (s), (f) | __GFP_ZERO)
#define virt_to_page(addr) ((struct page *)rs_vmalloc_to_page(addr))
#define page_private(p) ((p)->private)
#define SetPagePrivate(p) do { (void)(p); } while (0)
#define ClearPagePrivate(p) do { (void)(p); } while (0)
#define split_page(p, order) do { (void)(p); (void)(order); } while (0)
#define __GFP_NOWARN_ 0
#define POLL_IN 1
#define PAGE_SIZE_ PAGE_SIZE
struct user_struct;
struct work_struct { int rs_unused; };

/* ---- the perf event (include/linux/perf_event.h, the fields ring_buffer.c uses) ------------- */
#include <uapi/linux/perf_event.h>

struct perf_buffer;
struct perf_event;
struct fasync_struct;
#define PERF_PMU_CAP_AUX_NO_SG 0x0004
#define PERF_PMU_CAP_AUX_OUTPUT 0x0080
#define PERF_PMU_CAP_AUX_PREFER_LARGE 0x0200
struct pmu {
  int capabilities;
  void *(*setup_aux)(struct perf_event *event, void **pages, int nr_pages, bool overwrite);
  void (*free_aux)(void *aux);
};
struct perf_event {
  struct perf_event *parent;
  struct perf_buffer *rb;
  atomic64_t lost_samples;
  unsigned int pending_wakeup;
  int pending_kill;
  unsigned int pending_disable;
  struct irq_work pending_irq;
  struct perf_event_attr attr;
  u16 id_header_size;
  u64 id;
  int cpu;
  struct pmu *pmu;
  wait_queue_head_t waitq;
  struct fasync_struct *fasync;
};
struct perf_output_handle {
  struct perf_event *event;
  struct perf_buffer *rb;
  unsigned long wakeup;
  unsigned long size;
  union {
    u64 flags;
    u64 aux_flags;
  };
  union {
    void *addr;
    unsigned long head;
  };
  int page;
};
struct perf_sample_data { u64 type; u64 sample_flags; };
typedef unsigned long (*perf_copy_f)(void *dst, const void *src, unsigned long off, unsigned long len);
static inline struct fasync_struct **perf_event_fasync(struct perf_event *event) { return &event->fasync; }
static inline bool is_write_backward(struct perf_event *event) { return !!event->attr.write_backward; }
static inline bool has_aux(struct perf_event *event) { (void)event; return false; }
#define perf_output_put(handle, x) perf_output_copy((handle), &(x), sizeof(x))

/* ring_buffer.c's own API (include/linux/perf_event.h declarations). */
int perf_output_begin(struct perf_output_handle *handle, struct perf_sample_data *data, struct perf_event *event,
                      unsigned int size);
int perf_output_begin_forward(struct perf_output_handle *handle, struct perf_sample_data *data,
                              struct perf_event *event, unsigned int size);
int perf_output_begin_backward(struct perf_output_handle *handle, struct perf_sample_data *data,
                               struct perf_event *event, unsigned int size);
void perf_output_end(struct perf_output_handle *handle);
unsigned int perf_output_copy(struct perf_output_handle *handle, const void *buf, unsigned int len);
unsigned int perf_output_skip(struct perf_output_handle *handle, unsigned int len);
long perf_output_copy_aux(struct perf_output_handle *aux_handle, struct perf_output_handle *handle,
                          unsigned long from, unsigned long to);
void *perf_aux_output_begin(struct perf_output_handle *handle, struct perf_event *event);
void perf_aux_output_end(struct perf_output_handle *handle, unsigned long size);
int perf_aux_output_skip(struct perf_output_handle *handle, unsigned long size);
void *perf_get_aux(struct perf_output_handle *handle);
void perf_aux_output_flag(struct perf_output_handle *handle, u64 flags);
/* core.c's functions that ring_buffer.c calls (defined in model/perf_buf/kernel_client.c). */
void perf_event_header__init(struct perf_event_header *header, struct perf_sample_data *data, u32 type, u16 misc,
                             u16 size, struct perf_event *event);
void perf_event__output_id_sample(struct perf_event *event, struct perf_output_handle *handle,
                                  struct perf_sample_data *sample);

#endif /* RS_PERF_H */
