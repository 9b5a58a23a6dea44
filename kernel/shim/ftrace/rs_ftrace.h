/* kernel/shim/ftrace/rs_ftrace.h — the kernel API that kernel/trace/ring_buffer.c (with the real
 * include/linux/ring_buffer.h and include/uapi/linux/trace_mmap.h) needs beyond
 * kernel/shim/rs_kernel.h. Our own text, written for relaysim. Only the ftrace subject sees this
 * directory (SubjectSpec::shim_dirs); every shadow header under ftrace/include/ includes this file.
 *
 * What it maps onto the engine (host side: kernel/shim_ftrace.cpp):
 *   - PAGE_SIZE is the subject's page size chosen by the adapter (rs_ftrace_page_size(), a host
 *     call, no step): sub-buffer data = PAGE_SIZE - 16, so scenarios keep their small sub-buffers.
 *     Each subject page is the first PAGE_SIZE bytes of one 4 KiB pool page; alloc_pages_node of
 *     order k hands out 2^k consecutive pool pages (the data lies in the first, page++ is the
 *     next struct page as the mapping code expects);
 *   - local_t / local64_t (rb_time_t) are one word each; local_read/local_set are marked accesses
 *     and local_add_return/local_cmpxchg/... single atomic read-modify-writes: each is one step,
 *     so a writer is interruptible only at instruction boundaries on its CPU, as on x86;
 *   - RCU: the writers' read-side sections are their preempt-disabled regions (RCU-sched);
 *     synchronize_rcu waits on the engine until no other CPU is inside one;
 *   - static keys and tracepoints do not occur in this file beyond no-op stubs; CPU hotplug
 *     callbacks (cpuhp_state_add_instance) run at setup only: every simulated CPU is online from
 *     the start, so the prepare callback never runs;
 *   - irq_work is rs_kernel.h's (runs later in hardirq on the queuing CPU); work items
 *     (schedule_work_on, resize) run synchronously on the caller; completions are immediate;
 *   - the mapping: virt_to_page of the direct map, vm_insert_pages makes a read-only view of the
 *     pool pages (real aliases), ZERO_PAGE is a zeroed pool page;
 *   - wait_event_interruptible sleeps on the engine's wait queue of the head;
 *   - cleanup.h's guard()/scoped_guard()/__free() with __attribute__((cleanup)).
 */
#ifndef RS_FTRACE_H
#define RS_FTRACE_H
#include "rs_kernel.h"
#include <uapi/linux/trace_mmap.h>

/* What kernel/trace/ring_buffer.c tests for (the rest of the configuration is kernel/shim/config.h). */
#define CONFIG_RING_BUFFER 1
#define CONFIG_RING_BUFFER_ALLOW_SWAP 1
#define CONFIG_ARCH_HAVE_NMI_SAFE_CMPXCHG 1

/* ---- page size ------------------------------------------------------------------------------ */
unsigned long rs_ftrace_page_size(void);
#undef PAGE_SIZE
#define PAGE_SIZE rs_ftrace_page_size()

/* ---- compiler, bits ------------------------------------------------------------------------- */
#define BIT(n) (1UL << (n))
#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define __is_defined(x) ___is_defined(x)
#define ___is_defined(val) ____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk) __take_second_arg(arg1_or_junk 1, 0)
#define IS_ENABLED(option) __is_defined(option)
#define is_signed_type(type) (((type)(-1)) < (__force type)1)
#define __PASTE_(a, b) a##b
#define __PASTE(a, b) __PASTE_(a, b)
#define __UNIQUE_ID(prefix) __PASTE(__PASTE(__UNIQUE_ID_, prefix), __COUNTER__)
#define __cold
#define notrace
#define __init_memblock
#define late_initcall(f)
#define core_initcall(f)
#define READ_ONCE_NOCHECK(x) READ_ONCE(x)
#define lockdep_set_class(l, k) do { (void)(k); } while (0)
#define lockdep_assert_irqs_disabled() do { } while (0)
#define might_sleep() do { } while (0)
#define cond_resched() do { } while (0)
#define cache_line_size() 64
#define L1_CACHE_BYTES 64
#define ULONG_MAX_ (~0UL)
#define fls(x) ((x) ? 32 - __builtin_clz((unsigned)(x)) : 0)
#define BITS_PER_LONG 64
#define BITS_TO_LONGS(n) DIV_ROUND_UP((n), BITS_PER_LONG)
static inline int test_bit(long nr, const volatile unsigned long *addr) { return 1UL & (addr[nr / 64] >> (nr % 64)); }
static inline void set_bit(long nr, volatile unsigned long *addr) { __atomic_fetch_or(&addr[nr / 64], 1UL << (nr % 64), __ATOMIC_RELAXED); }
static inline void clear_bit(long nr, volatile unsigned long *addr) { __atomic_fetch_and(&addr[nr / 64], ~(1UL << (nr % 64)), __ATOMIC_RELAXED); }
#define bitmap_alloc(n, gfp) ((unsigned long *)rs_kmalloc(BITS_TO_LONGS(n) * sizeof(unsigned long), (gfp) | __GFP_ZERO))
#define bitmap_free(p) rs_kfree(p)
static inline void bitmap_clear(unsigned long *map, unsigned int start, unsigned int n) {
  for (unsigned int i = start; i < start + n; i++) map[i / 64] &= ~(1UL << (i % 64));
}

/* cleanup.h */
#define __cleanup(func) __attribute__((__cleanup__(func)))
#define DEFINE_FREE(_name, _type, _free) \
  static inline void __free_##_name(void *p) { _type _T = *(_type *)p; _free; }
#define __free(_name) __cleanup(__free_##_name)
#define no_free_ptr(p) ({ __auto_type __ptr = (p); (p) = NULL; __ptr; })
#define return_ptr(p) return no_free_ptr(p)
DEFINE_FREE(kfree, void *, if (_T) rs_kfree(_T))
#define DEFINE_GUARD_T(_name, _type, _lock, _unlock)                                        \
  typedef _type class_##_name##_t;                                                          \
  static inline void class_##_name##_destructor(_type *p) { _type _T = *p; if (_T) { _unlock; } } \
  static inline _type class_##_name##_constructor(_type _T) { _lock; return _T; }
#define CLASS(_name, var) class_##_name##_t var __cleanup(class_##_name##_destructor) = class_##_name##_constructor
#define guard(_name) CLASS(_name, __UNIQUE_ID(guard))
#define scoped_guard(_name, args...)                                                         \
  for (CLASS(_name, scope)(args), *__done = NULL; !__done; __done = (void *)1)

/* ---- local_t, local64_t (asm/local.h, asm/local64.h) ---------------------------------------- */
typedef struct { long a; } local_t;
#define LOCAL_INIT(i) { (i) }
#define local_read(l) READ_ONCE((l)->a)
#define local_set(l, i) WRITE_ONCE((l)->a, (i))
#define local_inc(l) ((void)__atomic_fetch_add(&(l)->a, 1, __ATOMIC_RELAXED))
#define local_dec(l) ((void)__atomic_fetch_sub(&(l)->a, 1, __ATOMIC_RELAXED))
#define local_add(i, l) ((void)__atomic_fetch_add(&(l)->a, (i), __ATOMIC_RELAXED))
#define local_sub(i, l) ((void)__atomic_fetch_sub(&(l)->a, (i), __ATOMIC_RELAXED))
#define local_add_return(i, l) __atomic_add_fetch(&(l)->a, (i), __ATOMIC_RELAXED)
#define local_sub_return(i, l) __atomic_sub_fetch(&(l)->a, (i), __ATOMIC_RELAXED)
#define local_inc_return(l) local_add_return(1, l)
#define local_cmpxchg(l, o, n) ({ long __o = (o); \
  __atomic_compare_exchange_n(&(l)->a, &__o, (n), false, __ATOMIC_RELAXED, __ATOMIC_RELAXED); __o; })
#define local_try_cmpxchg(l, po, n) \
  __atomic_compare_exchange_n(&(l)->a, (long *)(po), (n), false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)
typedef struct { long long a; } local64_t;
#define local64_read(l) READ_ONCE((l)->a)
#define local64_set(l, i) WRITE_ONCE((l)->a, (i))
#define local64_try_cmpxchg(l, po, n) \
  __atomic_compare_exchange_n(&(l)->a, (long long *)(po), (n), false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)
#define local64_cmpxchg(l, o, n) ({ long long __o = (o); \
  __atomic_compare_exchange_n(&(l)->a, &__o, (n), false, __ATOMIC_RELAXED, __ATOMIC_RELAXED); __o; })

/* ---- atomics the file adds ------------------------------------------------------------------ */
#define atomic_read_acquire(v) smp_load_acquire(&(v)->counter)
#define atomic_fetch_inc_release(v) __atomic_fetch_add(&(v)->counter, 1, __ATOMIC_RELEASE)
#define atomic_sub(i, v) ((void)__atomic_fetch_sub(&(v)->counter, (i), __ATOMIC_RELAXED))
#ifndef atomic_try_cmpxchg
#define atomic_try_cmpxchg(v, po, n) try_cmpxchg(&(v)->counter, (po), (n))
#endif

/* ---- lists ---------------------------------------------------------------------------------- */
static inline void list_add_tail(struct list_head *n, struct list_head *head) {
  struct list_head *prev = head->prev;
  head->prev = n; n->next = head; n->prev = prev; WRITE_ONCE(prev->next, n);
}
static inline void list_del_init(struct list_head *e) {
  e->next->prev = e->prev; WRITE_ONCE(e->prev->next, e->next);
  INIT_LIST_HEAD(e);
}
#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_entry_safe(pos, n, head, member)                                  \
  for (pos = list_first_entry(head, typeof(*pos), member), n = list_next_entry(pos, member); \
       &pos->member != (head); pos = n, n = list_next_entry(n, member))
static inline void list_splice(const struct list_head *list, struct list_head *head) {
  if (!list_empty(list)) {
    struct list_head *first = list->next, *last = list->prev, *at = head->next;
    first->prev = head; WRITE_ONCE(head->next, first); last->next = at; at->prev = last;
  }
}
static inline void list_splice_init(struct list_head *list, struct list_head *head) {
  list_splice(list, head); INIT_LIST_HEAD(list);
}
#define list_last_entry(ptr, type, member) list_entry((ptr)->prev, type, member)
#define list_prev_entry(pos, member) list_entry((pos)->member.prev, typeof(*(pos)), member)
static inline void list_cut_position(struct list_head *list, struct list_head *head, struct list_head *entry) {
  if (list_empty(head)) return;
  if (head == entry) { INIT_LIST_HEAD(list); return; }
  struct list_head *new_first = entry->next;
  list->next = head->next; list->next->prev = list; list->prev = entry; entry->next = list;
  head->next = new_first; new_first->prev = head;
}


/* ---- CPUs, masks, hotplug, contexts --------------------------------------------------------- */
struct hlist_node { struct hlist_node *next, **pprev; };
typedef struct cpumask { unsigned long bits[1]; } cpumask_t;
typedef cpumask_t *cpumask_var_t;
#define cpumask_test_cpu(cpu, mask) test_bit((cpu), (mask)->bits)
#define cpumask_set_cpu(cpu, mask) set_bit((cpu), (mask)->bits)
#define cpumask_clear_cpu(cpu, mask) clear_bit((cpu), (mask)->bits)
static inline bool zalloc_cpumask_var(cpumask_var_t *m, gfp_t f) { *m = (cpumask_t *)rs_kmalloc(sizeof(cpumask_t), f | __GFP_ZERO); return *m != NULL; }
#define alloc_cpumask_var(m, f) zalloc_cpumask_var((m), (f))
static inline void free_cpumask_var(cpumask_var_t m) { rs_kfree(m); }
#define for_each_cpu(cpu, mask) \
  for ((cpu) = 0; (cpu) < (typeof(cpu))rs_nr_cpus(); (cpu)++) if (!cpumask_test_cpu((cpu), (mask))) {} else
#define for_each_buffer_cpu_(b, c) for_each_cpu(c, (b)->cpumask)
#define cpu_online(cpu) ((cpu) >= 0 && (cpu) < rs_nr_cpus())
#define cpu_to_node(cpu) 0
#define cpu_online_mask ((const cpumask_t *)0)
#define for_each_cpu_and(cpu, m1, m2) for_each_cpu(cpu, m1)
#define udelay(n) rs_cpu_relax()
#define cpus_read_lock() do { } while (0)
#define cpus_read_unlock() do { } while (0)
typedef void *class_cpus_read_lock_t;
static inline void class_cpus_read_lock_destructor(void **p) { (void)p; }
static inline void *class_cpus_read_lock_constructor(void) { return (void *)1; }
#define migrate_disable() do { } while (0)
#define migrate_enable() do { } while (0)
enum cpuhp_state { CPUHP_TRACE_RB_PREPARE = 1 };
/* cpuhp_state_add_instance runs the state's startup callback for every CPU already online: for
 * CPUHP_TRACE_RB_PREPARE that is trace_rb_cpu_prepare (trace.c registers it at boot), which
 * allocates the other CPUs' buffers. At setup only: no CPU comes or goes during an execution. */
struct hlist_node;
int trace_rb_cpu_prepare(unsigned int cpu, struct hlist_node *node);
static inline int cpuhp_state_add_instance(enum cpuhp_state s, struct hlist_node *n) {
  int ret = 0;
  (void)s;
  for (int cpu = 0; cpu < rs_nr_cpus() && !ret; cpu++) ret = trace_rb_cpu_prepare((unsigned int)cpu, n);
  return ret;
}
static inline int cpuhp_state_remove_instance(enum cpuhp_state s, struct hlist_node *n) { (void)s; (void)n; return 0; }
int rs_interrupt_context_level(void);
#define interrupt_context_level() rs_interrupt_context_level()
unsigned long rs_preempt_count(void);
#define preempt_count() rs_preempt_count()
#define NMI_MASK 0x00f00000UL
#define HARDIRQ_MASK 0x000f0000UL
#define SOFTIRQ_MASK 0x0000ff00UL
#define SOFTIRQ_OFFSET 0x00000100UL
#define NMI_OFFSET 0x00100000UL
#define HARDIRQ_OFFSET 0x00010000UL
#define in_task() (!rs_in_interrupt())

/* ---- RCU ------------------------------------------------------------------------------------ */
void rs_synchronize_rcu(void);
#define synchronize_rcu() rs_synchronize_rcu()
#define rcu_read_lock() rs_preempt_disable()
#define rcu_read_unlock() rs_preempt_enable()

/* ---- static keys, tracepoints (no-ops) ------------------------------------------------------ */
struct static_key_false { int enabled; };
#define DEFINE_STATIC_KEY_FALSE(name) struct static_key_false name = { 0 }
#define static_branch_unlikely(k) 0
#define static_branch_likely(k) 0
#define static_branch_enable(k) do { } while (0)
#define trace_printk(...) do { } while (0)
#define tracing_off() do { } while (0)

/* ---- tasks, signals, memory pressure -------------------------------------------------------- */
struct mm_struct;
struct task_struct { struct mm_struct *mm; };
static struct task_struct rs_current_task __maybe_unused;
#define current (&rs_current_task)
#define fatal_signal_pending(t) 0
#define signal_pending(t) 0
#define set_current_oom_origin() do { } while (0)
#define clear_current_oom_origin() do { } while (0)
#define si_mem_available() (1L << 20)
#define user_mode_ok_ 1

/* ---- locks the file adds -------------------------------------------------------------------- */
typedef struct { unsigned int rs_word; } arch_spinlock_t;
#define __ARCH_SPIN_LOCK_UNLOCKED { 0 }
#define arch_spin_lock(l) rs_lock((l), 0)
#define arch_spin_unlock(l) rs_unlock((l), 0)
#define raw_spin_trylock(l) ({ rs_preempt_disable(); int __ok = rs_trylock(l); if (!__ok) rs_preempt_enable(); __ok; })
#define raw_spin_lock_irq(l) do { rs_local_irq_disable(); rs_lock((l), 1); } while (0)
#define raw_spin_unlock_irq(l) do { rs_unlock((l), 1); rs_local_irq_enable(); } while (0)
struct lock_class_key { int rs_unused; };
typedef struct { raw_spinlock_t *lock; unsigned long flags; } class_raw_spinlock_irqsave_t;
static inline void class_raw_spinlock_irqsave_destructor(class_raw_spinlock_irqsave_t *g) {
  raw_spin_unlock_irqrestore(g->lock, g->flags);
}
static inline class_raw_spinlock_irqsave_t class_raw_spinlock_irqsave_constructor(raw_spinlock_t *l) {
  class_raw_spinlock_irqsave_t g = { l, 0 };
  raw_spin_lock_irqsave(l, g.flags);
  return g;
}
typedef struct mutex *class_mutex_t;
static inline void class_mutex_destructor(struct mutex **m) { if (*m) mutex_unlock(*m); }
static inline struct mutex *class_mutex_constructor(struct mutex *m) { mutex_lock(m); return m; }
#define mutex_lock_interruptible(m) (mutex_lock(m), 0)
#define lockdep_assert_held_(l) do { } while (0)

/* ---- work items and completions (resize): run synchronously on the caller ------------------- */
struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);
struct work_struct { work_func_t func; };
#define INIT_WORK(w, f) do { (w)->func = (f); } while (0)
static inline bool schedule_work_on(int cpu, struct work_struct *w) { (void)cpu; w->func(w); return true; }
struct completion { unsigned int done; };
#define init_completion(c) do { (c)->done = 0; } while (0)
#define complete(c) do { (c)->done = 1; } while (0)
#define wait_for_completion(c) do { (void)(c); } while (0)

/* ---- wait queues: wait_event_interruptible on the engine ------------------------------------ */
void rs_prepare_wait(wait_queue_head_t *q);
void rs_sleep_on(wait_queue_head_t *q);
void rs_finish_wait(void);
#define wait_event_interruptible(wq, cond) ({ \
  rs_prepare_wait(&(wq));                     \
  while (!(cond)) { rs_sleep_on(&(wq)); rs_prepare_wait(&(wq)); } \
  rs_finish_wait(); 0; })
#define wake_up_interruptible_all(q) rs_wake_up(q)

/* ---- notifiers (panic) ---------------------------------------------------------------------- */
struct notifier_block { int (*notifier_call)(struct notifier_block *nb, unsigned long action, void *data); };
#define NOTIFY_DONE 0
static int panic_notifier_list __maybe_unused;
#define atomic_notifier_chain_register(l, nb) ((void)(l), (void)(nb), 0)
#define atomic_notifier_chain_unregister(l, nb) ((void)(l), (void)(nb), 0)

/* ---- memory and the mapping ----------------------------------------------------------------- */
#define __GFP_COMP 0x2000u
#define __GFP_NOMEMALLOC 0x4000u
struct page *rs_alloc_pages(gfp_t gfp, unsigned int order);
#undef alloc_pages_node
#define alloc_pages_node(node, gfp, order) rs_alloc_pages((gfp), (order))
#define alloc_page_(gfp) rs_alloc_pages((gfp), 0)
#define free_pages(addr, order) do { (void)(addr); (void)(order); } while (0)
#define free_page(addr) do { (void)(addr); } while (0)
#define __free_pages(p, order) do { (void)(p); (void)(order); } while (0)
struct page *rs_virt_to_page(const void *addr);
#define virt_to_page(a) rs_virt_to_page((const void *)(a))
#define page_to_virt(p) rs_page_address(p)
#define page_ref_count(p) ((p)->rs_refs)
unsigned long rs_get_zeroed_page(void);
#define get_zeroed_page(gfp) rs_get_zeroed_page()
struct page *rs_zero_page(void);
#define ZERO_PAGE(vaddr) rs_zero_page()
#define kzalloc_node(s, f, node) rs_kmalloc((s), (f) | __GFP_ZERO)
#define kmalloc_node(s, f, node) rs_kmalloc((s), (f))
#define kzalloc_obj(o, ...) rs_kmalloc(sizeof(o), GFP_KERNEL | __GFP_ZERO)
#define gfpflags_allow_blocking(f) (((f) & GFP_KERNEL) != 0)
#define flush_kernel_vmap_range(a, s) do { (void)(a); (void)(s); } while (0)
#define flush_dcache_folio(f) do { } while (0)
#define arch_ring_buffer_flush_range(s, e) do { (void)(s); (void)(e); } while (0)
#define VM_EXEC 0x4UL
#define VM_MAYSHARE 0x80UL
#define VM_SHARED 0x8UL
#define VM_DONTCOPY 0x20000UL
#define VM_DONTDUMP 0x4000000UL
#define VM_MAYEXEC 0x40UL
static inline void vm_flags_mod(struct vm_area_struct *v, unsigned long set, unsigned long clear) {
  v->vm_flags = (v->vm_flags | set) & ~clear;
}
#define vma_pages(v) (((v)->vm_end - (v)->vm_start) / PAGE_SIZE)
int rs_vm_insert_pages(struct vm_area_struct *vma, unsigned long addr, struct page **pages, unsigned long *num);
#define vm_insert_pages(v, a, p, n) rs_vm_insert_pages((v), (a), (p), (n))

/* ---- seq_file and trace_seq (printing: never run) ------------------------------------------- */
struct seq_file { void *private; };
struct seq_operations {
  void *(*start)(struct seq_file *m, loff_t *pos);
  void (*stop)(struct seq_file *m, void *v);
  void *(*next)(struct seq_file *m, void *v, loff_t *pos);
  int (*show)(struct seq_file *m, void *v);
};
static inline int seq_open(struct file *f, const struct seq_operations *op) { (void)f; (void)op; return -ENOSYS; }
#define seq_printf(m, ...) do { (void)(m); } while (0)
struct trace_seq { int rs_unused; };
#define trace_seq_puts(s, str) do { (void)(s); } while (0)
#define trace_seq_putc(s, c) do { (void)(s); } while (0)
#define trace_seq_printf(s, ...) do { (void)(s); } while (0)
#define trace_seq_has_overflowed(s) 0

/* ---- printing: the commit-overrun report is counted by the adapter's ghost -------------- */
int rs_ftrace_pr_info(const char *fmt, ...);
#undef pr_info
#define pr_info(...) rs_ftrace_pr_info(__VA_ARGS__)

/* ---- the tracing clock and trace.h ---------------------------------------------------------- */
u64 trace_clock_local(void);
#define sched_clock() trace_clock_local()
#define MAX_NEST_ 5

#endif /* RS_FTRACE_H */
