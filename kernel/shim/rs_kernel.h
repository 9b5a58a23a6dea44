/* kernel/shim/rs_kernel.h — the kernel API that subject files see, mapped onto relaysim's engine.
 *
 * Every shadow header under kernel/shim/include/ (linux/slab.h, linux/spinlock.h, ...) includes
 * this one file. It is our own text, written for relaysim, and holds only what the subject files
 * (kernel/relay.c with include/linux/relay.h, kernel/bpf/ringbuf.c) use. The subject files are
 * compiled unmodified with clang's ThreadSanitizer instrumentation and no TSan runtime: their
 * loads, stores, atomics and memcpy calls reach kernel/hooks.cpp, which turns them into engine
 * steps. What is not a memory access is a call to an rs_* function (kernel/shim.cpp), which runs
 * uninstrumented on the engine:
 *   - spin locks and mutexes are engine locks: a contended acquirer blocks (not runnable), a
 *     same-CPU re-acquire is a deadlock violation; spin_lock also disables preemption;
 *   - local_irq_save/restore, preempt_disable/enable, in_nmi/in_hardirq are the simulated CPU's;
 *   - irq_work_queue runs the callback later in hardirq context on the queuing CPU;
 *   - wait queues and poll_wait are engine wait queues;
 *   - per-CPU data is indexed by the simulated CPU of the running actor;
 *   - kmalloc/alloc_page/vmap come from the instance's page pool (a memfd), so aliases made by
 *     vmap are real aliases of the same pages;
 *   - READ_ONCE/WRITE_ONCE are volatile accesses (distinct hooks: "marked" accesses);
 *   - smp_load_acquire/smp_store_release/xchg/cmpxchg/atomic_* are __atomic builtins, so they
 *     reach the atomic hooks with their memory order; smp_mb/rmb/wmb are fence hooks.
 */
#ifndef RS_KERNEL_H
#define RS_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <limits.h>
#include <stdarg.h>

/* ---- types ---------------------------------------------------------------------------------- */
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
typedef int8_t __s8;
typedef int16_t __s16;
typedef int32_t __s32;
typedef int64_t __s64;
typedef __u16 __le16;
typedef __u16 __be16;
typedef __u32 __le32;
typedef __u32 __be32;
typedef __u64 __le64;
typedef __u64 __be64;
typedef __u16 __sum16;
typedef __u32 __wsum;
typedef long ssize_t;
typedef long long loff_t;
typedef unsigned int gfp_t;
typedef unsigned short umode_t;
typedef unsigned int __poll_t;
typedef unsigned long pgoff_t;
typedef unsigned int vm_fault_t;
typedef unsigned long phys_addr_t;
typedef int pid_t;
typedef unsigned int fmode_t;
typedef struct { int counter; } atomic_t;
typedef struct { long long counter; } atomic64_t;
typedef atomic64_t atomic_long_t;
typedef struct { unsigned long pgprot; } pgprot_t;
#define __aligned_u64 __u64 __attribute__((aligned(8)))

/* ---- compiler ------------------------------------------------------------------------------- */
#define __user
#define __kernel
#define __percpu
#define __rcu
#define __iomem
#define __force
#define __bitwise
#define __must_check
#define __init
#define __exit
#define __read_mostly
#define __always_inline inline __attribute__((always_inline))
#define noinline __attribute__((noinline))
#define __maybe_unused __attribute__((unused))
#define __always_unused __attribute__((unused))
#define __packed __attribute__((packed))
#define __aligned(x) __attribute__((aligned(x)))
#define ____cacheline_aligned __attribute__((aligned(64)))
#define ____cacheline_aligned_in_smp ____cacheline_aligned
#define __cacheline_aligned_in_smp ____cacheline_aligned
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define barrier() __asm__ __volatile__("" ::: "memory")
#define fallthrough __attribute__((fallthrough))
#define __stringify_1(x) #x
#define __stringify(x) __stringify_1(x)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON(c) _Static_assert(!(c), "BUILD_BUG_ON")
#define BUILD_BUG_ON_MSG(c, m) _Static_assert(!(c), m)
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define __same_type(a, b) __builtin_types_compatible_p(typeof(a), typeof(b))
#define typeof_member(T, m) typeof(((T *)0)->m)
#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define __diag_push()
#define __diag_pop()
#define __diag_ignore_all(o, w)

#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define round_up(x, y) ((((x) - 1) | ((__typeof__(x))((y) - 1))) + 1)
#define round_down(x, y) ((x) & ~((__typeof__(x))((y) - 1)))
#define ALIGN(x, a) (((x) + ((__typeof__(x))(a) - 1)) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define is_power_of_2(n) ((n) != 0 && (((n) & ((n) - 1)) == 0))
#define U32_MAX ((u32)~0U)
#define U64_MAX ((u64)~0ULL)
#define S32_MAX ((s32)(U32_MAX >> 1))
#define SIZE_MAX_ ((size_t)~(size_t)0)

/* ---- marked accesses, barriers, atomics ----------------------------------------------------- */
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) do { *(volatile __typeof__(x) *)&(x) = (v); } while (0)
#define data_race(expr) (expr)
#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
void rs_smp_rmb(void);
void rs_smp_wmb(void);
#define smp_rmb() rs_smp_rmb()
#define smp_wmb() rs_smp_wmb()
#define mb() smp_mb()
#define rmb() smp_rmb()
#define wmb() smp_wmb()
#define smp_mb__before_atomic() smp_mb()
#define smp_mb__after_atomic() smp_mb()
#define smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define xchg(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define cmpxchg(p, o, n) ({ __typeof__(*(p)) __o = (o); \
  __atomic_compare_exchange_n((p), &__o, (n), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); __o; })
#define try_cmpxchg(p, po, n) __atomic_compare_exchange_n((p), (po), (n), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#define atomic_read(v) READ_ONCE((v)->counter)
#define atomic_set(v, i) WRITE_ONCE((v)->counter, (i))
#define atomic_inc(v) ((void)__atomic_fetch_add(&(v)->counter, 1, __ATOMIC_RELAXED))
#define atomic_dec(v) ((void)__atomic_fetch_sub(&(v)->counter, 1, __ATOMIC_RELAXED))
#define atomic_add(i, v) ((void)__atomic_fetch_add(&(v)->counter, (i), __ATOMIC_RELAXED))
#define atomic_inc_return(v) (__atomic_add_fetch(&(v)->counter, 1, __ATOMIC_SEQ_CST))
#define atomic_dec_return(v) (__atomic_sub_fetch(&(v)->counter, 1, __ATOMIC_SEQ_CST))
#define atomic_dec_and_test(v) (atomic_dec_return(v) == 0)
#define atomic_long_read(v) READ_ONCE((v)->counter)
#define atomic_long_set(v, i) WRITE_ONCE((v)->counter, (i))
#define atomic_long_inc(v) ((void)__atomic_fetch_add(&(v)->counter, 1, __ATOMIC_RELAXED))
#define atomic64_read(v) READ_ONCE((v)->counter)
#define atomic64_set(v, i) WRITE_ONCE((v)->counter, (i))
#define atomic64_inc(v) ((void)__atomic_fetch_add(&(v)->counter, 1, __ATOMIC_RELAXED))
#define ATOMIC_INIT(i) { (i) }
#define cpu_relax() rs_cpu_relax()
void rs_cpu_relax(void);

/* ---- errors, bugs, printing ----------------------------------------------------------------- */
#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define EIO 5
#define E2BIG 7
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define EINVAL 22
#define ENOSPC 28
#define ERANGE 34
#define ENOSYS 38
#define ENOTSUPP 524
#define EOPNOTSUPP 95
#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR_VALUE((unsigned long)ptr); }
static inline void *ERR_CAST(const void *ptr) { return (void *)ptr; }

void rs_bug(const char *file, int line, const char *what) __attribute__((noreturn));
void rs_warn(const char *file, int line, const char *what);
#define BUG() rs_bug(__FILE__, __LINE__, "BUG()")
#define BUG_ON(c) do { if (unlikely(c)) rs_bug(__FILE__, __LINE__, "BUG_ON(" #c ")"); } while (0)
#define WARN_ON(c) ({ int __c = !!(c); if (unlikely(__c)) rs_warn(__FILE__, __LINE__, "WARN_ON(" #c ")"); unlikely(__c); })
#define WARN_ON_ONCE(c) WARN_ON(c)
#define WARN(c, ...) WARN_ON(c)
#define WARN_ONCE(c, ...) WARN_ON(c)
#define KERN_ERR ""
#define KERN_WARNING ""
#define KERN_INFO ""
int rs_printk(const char *fmt, ...);
#define printk(...) rs_printk(__VA_ARGS__)
#define pr_err(...) rs_printk(__VA_ARGS__)
#define pr_warn(...) rs_printk(__VA_ARGS__)
#define pr_info(...) rs_printk(__VA_ARGS__)
#define pr_warn_once(...) rs_printk(__VA_ARGS__)
int snprintf(char *buf, size_t size, const char *fmt, ...);
ssize_t strscpy(char *dst, const char *src, size_t count);
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
size_t strlen(const char *s);
int memcmp(const void *a, const void *b, size_t n);

/* ---- lists and refcounts (the kernel's algorithms, our text) -------------------------------- */
struct list_head { struct list_head *next, *prev; };
#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)
static inline void INIT_LIST_HEAD(struct list_head *l) { WRITE_ONCE(l->next, l); l->prev = l; }
static inline void list_add(struct list_head *n, struct list_head *head) {
  struct list_head *next = head->next;
  next->prev = n; n->next = next; n->prev = head; WRITE_ONCE(head->next, n);
}
static inline void list_del(struct list_head *e) {
  e->next->prev = e->prev; WRITE_ONCE(e->prev->next, e->next);
  e->next = (struct list_head *)0x100; e->prev = (struct list_head *)0x122;
}
static inline int list_empty(const struct list_head *h) { return READ_ONCE(h->next) == h; }
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) list_entry((ptr)->next, type, member)
#define list_next_entry(pos, member) list_entry((pos)->member.next, typeof(*(pos)), member)
#define list_for_each_entry(pos, head, member) \
  for (pos = list_first_entry(head, typeof(*pos), member); &pos->member != (head); pos = list_next_entry(pos, member))
struct kref { atomic_t refcount; };
static inline void kref_init(struct kref *k) { atomic_set(&k->refcount, 1); }
static inline void kref_get(struct kref *k) { atomic_inc(&k->refcount); }
static inline int kref_put(struct kref *k, void (*release)(struct kref *k)) {
  if (atomic_dec_and_test(&k->refcount)) { release(k); return 1; }
  return 0;
}

/* ---- CPUs, contexts, preemption, interrupts ------------------------------------------------- */
int rs_smp_processor_id(void);
int rs_nr_cpus(void);
unsigned long rs_local_irq_save(void);
void rs_local_irq_restore(unsigned long flags);
void rs_local_irq_disable(void);
void rs_local_irq_enable(void);
void rs_preempt_disable(void);
void rs_preempt_enable(void);
int rs_in_nmi(void);
int rs_in_hardirq(void);
int rs_in_interrupt(void);
int rs_irqs_disabled(void);
#define smp_processor_id() rs_smp_processor_id()
#define raw_smp_processor_id() rs_smp_processor_id()
#define nr_cpu_ids ((unsigned int)rs_nr_cpus())
#define num_possible_cpus() rs_nr_cpus()
#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < (typeof(cpu))rs_nr_cpus(); (cpu)++)
#define for_each_online_cpu(cpu) for_each_possible_cpu(cpu)
#define local_irq_save(flags) do { (flags) = rs_local_irq_save(); } while (0)
#define local_irq_restore(flags) rs_local_irq_restore(flags)
#define local_irq_disable() rs_local_irq_disable()
#define local_irq_enable() rs_local_irq_enable()
#define irqs_disabled() rs_irqs_disabled()
#define preempt_disable() rs_preempt_disable()
#define preempt_enable() rs_preempt_enable()
#define preempt_disable_notrace() rs_preempt_disable()
#define preempt_enable_notrace() rs_preempt_enable()
#define in_nmi() rs_in_nmi()
#define in_hardirq() rs_in_hardirq()
#define in_irq() rs_in_hardirq()
#define in_interrupt() rs_in_interrupt()
static inline int get_cpu(void) { rs_preempt_disable(); return rs_smp_processor_id(); }
static inline void put_cpu(void) { rs_preempt_enable(); }
int smp_call_function_single(int cpu, void (*func)(void *info), void *info, int wait);

/* ---- per-CPU data: CPU c's copy of a per-CPU object lies RS_PERCPU_UNIT bytes after c-1's -- */
#define RS_PERCPU_UNIT 1024UL
void *rs_alloc_percpu(size_t size, size_t align);
void rs_free_percpu(void *p);
#define alloc_percpu(type) ((type __percpu *)rs_alloc_percpu(sizeof(type), __alignof__(type)))
#define alloc_percpu_gfp(type, gfp) alloc_percpu(type)
#define free_percpu(p) rs_free_percpu(p)
#define per_cpu_ptr(p, cpu) ((typeof(p))((char *)(p) + (unsigned long)(cpu) * RS_PERCPU_UNIT))
#define this_cpu_ptr(p) per_cpu_ptr(p, rs_smp_processor_id())
#define raw_cpu_ptr(p) this_cpu_ptr(p)
#define get_cpu_ptr(p) ({ rs_preempt_disable(); this_cpu_ptr(p); })
#define put_cpu_ptr(p) do { (void)(p); rs_preempt_enable(); } while (0)

/* ---- locks ---------------------------------------------------------------------------------- */
typedef struct { unsigned int rs_word; } spinlock_t;
typedef struct { unsigned int rs_word; } raw_spinlock_t;
struct mutex { unsigned int rs_word; };
#define DEFINE_MUTEX(name) struct mutex name = { 0 }
#define DEFINE_SPINLOCK(name) spinlock_t name = { 0 }
void rs_lock_init(void *lock);
void rs_lock(void *lock, int preempt_off);
int rs_trylock(void *lock);
void rs_unlock(void *lock, int preempt_on);
#define spin_lock_init(l) rs_lock_init(l)
#define raw_spin_lock_init(l) rs_lock_init(l)
#define mutex_init(l) rs_lock_init(l)
#define spin_lock(l) rs_lock((l), 1)
#define spin_unlock(l) rs_unlock((l), 1)
#define raw_spin_lock(l) rs_lock((l), 1)
#define raw_spin_unlock(l) rs_unlock((l), 1)
#define spin_lock_irqsave(l, flags) do { (flags) = rs_local_irq_save(); rs_lock((l), 1); } while (0)
#define spin_unlock_irqrestore(l, flags) do { rs_unlock((l), 1); rs_local_irq_restore(flags); } while (0)
#define raw_spin_lock_irqsave(l, flags) spin_lock_irqsave(l, flags)
#define raw_spin_unlock_irqrestore(l, flags) spin_unlock_irqrestore(l, flags)
#define raw_spin_trylock_irqsave(l, flags) \
  ({ (flags) = rs_local_irq_save(); rs_preempt_disable(); int __ok = rs_trylock(l); \
     if (!__ok) { rs_preempt_enable(); rs_local_irq_restore(flags); } __ok; })
#define mutex_lock(l) rs_lock((l), 0)
#define mutex_unlock(l) rs_unlock((l), 0)
#define lockdep_assert_held(l) do { } while (0)

/* ---- wait queues, poll, irq_work ------------------------------------------------------------ */
typedef struct wait_queue_head { unsigned int rs_waiters; } wait_queue_head_t;
void rs_init_waitqueue_head(wait_queue_head_t *q);
int rs_waitqueue_active(wait_queue_head_t *q);
void rs_wake_up(wait_queue_head_t *q);
#define init_waitqueue_head(q) rs_init_waitqueue_head(q)
#define waitqueue_active(q) rs_waitqueue_active(q)
#define wake_up_interruptible(q) rs_wake_up(q)
#define wake_up_all(q) rs_wake_up(q)
#define wake_up(q) rs_wake_up(q)
struct file;
typedef struct poll_table_struct { int rs_unused; } poll_table;
void rs_poll_wait(struct file *filp, wait_queue_head_t *q, poll_table *pt);
static inline void poll_wait(struct file *filp, wait_queue_head_t *q, poll_table *pt) {
  if (pt && q) rs_poll_wait(filp, q, pt);
}
#define EPOLLIN 0x00000001
#define EPOLLPRI 0x00000002
#define EPOLLOUT 0x00000004
#define EPOLLERR 0x00000008
#define EPOLLRDNORM 0x00000040
#define EPOLLWRNORM 0x00000100
struct irq_work { void (*func)(struct irq_work *); unsigned int rs_slot; };
void rs_init_irq_work(struct irq_work *w, void (*func)(struct irq_work *));
bool rs_irq_work_queue(struct irq_work *w);
void rs_irq_work_sync(struct irq_work *w);
#define init_irq_work(w, f) rs_init_irq_work((w), (f))
#define irq_work_queue(w) rs_irq_work_queue(w)
#define irq_work_sync(w) rs_irq_work_sync(w)
#define IRQ_WORK_INIT_HARD(f) { (f), 0 }

/* ---- memory: slab, pages, vmap -------------------------------------------------------------- */
#define GFP_KERNEL 0x1u
#define GFP_ATOMIC 0x2u
#define GFP_NOWAIT 0x4u
#define __GFP_ZERO 0x100u
#define __GFP_NOWARN 0x200u
#define __GFP_RETRY_MAYFAIL 0x400u
#define __GFP_ACCOUNT 0x800u
#define __GFP_NORETRY 0x1000u
#define GFP_USER GFP_KERNEL
#define NUMA_NO_NODE (-1)
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x) ALIGN((x), PAGE_SIZE)
#define PAGE_ALIGNED(x) IS_ALIGNED((unsigned long)(x), PAGE_SIZE)
#define KMALLOC_MAX_SIZE (1UL << 22)
#define NAME_MAX 255
void *rs_kmalloc(size_t size, gfp_t flags);
void rs_kfree(const void *p);
#define kmalloc(s, f) rs_kmalloc((s), (f))
#define kzalloc(s, f) rs_kmalloc((s), (f) | __GFP_ZERO)
#define kmalloc_array(n, s, f) rs_kmalloc((n) * (s), (f))
#define kcalloc(n, s, f) rs_kmalloc((n) * (s), (f) | __GFP_ZERO)
#define kvcalloc(n, s, f) rs_kmalloc((n) * (s), (f) | __GFP_ZERO)
#define kvmalloc(s, f) rs_kmalloc((s), (f))
#define kvmalloc_array(n, s, f) rs_kmalloc((n) * (s), (f))
#define bpf_map_area_alloc(s, node) rs_kmalloc((s), __GFP_ZERO)
#define kfree(p) rs_kfree(p)
#define kvfree(p) rs_kfree(p)
#define vfree(p) rs_kfree(p)
#define bpf_map_area_free(p) rs_kfree(p)
#define kmemleak_not_leak(p) do { } while (0)
struct page { unsigned long rs_pfn; unsigned long private; int rs_refs; void *mapping; };
struct page *rs_alloc_page(gfp_t flags);
void rs_free_page(struct page *p);
void *rs_page_address(const struct page *p);
void *rs_vmap(struct page **pages, unsigned int count, int writable);
void rs_vunmap(const void *addr);
struct page *rs_vmalloc_to_page(const void *addr);
#define alloc_page(gfp) rs_alloc_page(gfp)
#define alloc_pages_node(node, gfp, order) ((order) == 0 ? rs_alloc_page(gfp) : (struct page *)0)
#define __free_page(p) rs_free_page(p)
#define put_page(p) rs_free_page(p)
#define get_page(p) ((void)((p)->rs_refs++))
#define page_address(p) rs_page_address(p)
#define set_page_private(p, v) ((p)->private = (v))
#define VM_MAP 0x4u
#define VM_USERMAP 0x8u
#define VM_DONTEXPAND 0x40000u
#define VM_MAYWRITE 0x20u
#define VM_WRITE 0x2u
#define PAGE_KERNEL ((pgprot_t){1})
#define vmap(pages, count, flags, prot) rs_vmap((pages), (count), 1)
#define vunmap(a) rs_vunmap(a)
#define vmalloc_to_page(a) rs_vmalloc_to_page(a)

/* ---- files and user space ------------------------------------------------------------------- */
struct inode { loff_t i_size; void *i_private; struct mutex i_rwsem; };
struct dentry { struct inode *d_inode; };
struct vm_area_struct;
struct file_operations;
struct file {
  const struct file_operations *f_op;
  void *private_data;
  fmode_t f_mode;
  struct inode *f_inode;
  loff_t f_pos;
};
#define FMODE_READ 0x1u
#define FMODE_WRITE 0x2u
#define S_IRUSR 00400
struct vm_operations_struct;
struct vm_area_struct {
  unsigned long vm_start, vm_end, vm_pgoff, vm_flags;
  const struct vm_operations_struct *vm_ops;
  void *vm_private_data;
};
struct vm_fault { struct vm_area_struct *vma; pgoff_t pgoff; struct page *page; };
#define VM_FAULT_OOM 0x1u
#define VM_FAULT_SIGBUS 0x2u
struct vm_operations_struct { vm_fault_t (*fault)(struct vm_fault *vmf); };
struct file_operations {
  int (*open)(struct inode *, struct file *);
  __poll_t (*poll)(struct file *, poll_table *);
  int (*mmap)(struct file *, struct vm_area_struct *);
  ssize_t (*read)(struct file *, char __user *, size_t, loff_t *);
  int (*release)(struct inode *, struct file *);
};
static inline struct inode *d_inode(const struct dentry *d) { return d->d_inode; }
static inline struct inode *file_inode(const struct file *f) { return f->f_inode; }
#define inode_lock(i) rs_lock(&(i)->i_rwsem, 0)
#define inode_unlock(i) rs_unlock(&(i)->i_rwsem, 0)
static inline int nonseekable_open(struct inode *i, struct file *f) { (void)i; (void)f; return 0; }
static inline void vm_flags_set(struct vm_area_struct *v, unsigned long f) { v->vm_flags |= f; }
static inline void vm_flags_clear(struct vm_area_struct *v, unsigned long f) { v->vm_flags &= ~f; }
unsigned long rs_copy_to_user(void __user *to, const void *from, unsigned long n);
unsigned long rs_copy_from_user(void *to, const void __user *from, unsigned long n);
#define copy_to_user(to, from, n) rs_copy_to_user((to), (from), (n))
#define copy_from_user(to, from, n) rs_copy_from_user((to), (from), (n))
int remap_vmalloc_range(struct vm_area_struct *vma, void *addr, unsigned long pgoff);

#endif /* RS_KERNEL_H */

/* ---- BPF maps, helpers and dynptrs (kernel/bpf/ringbuf.c) -----------------------------------
 * Only for subjects that include <linux/bpf.h>, <linux/filter.h>, <linux/btf.h> or
 * <linux/btf_ids.h> (their shadows define RS_WANT_BPF): this part needs the real
 * include/uapi/linux/bpf.h (union bpf_attr, BPF_RB_*, BPF_RINGBUF_*), which only such subjects
 * list among their real headers. Outside the include guard above, so that it is seen whichever
 * shadow header comes first. The verifier's names (ARG_*, RET_*, MEM_*, OBJ_RELEASE) are
 * placeholders: nothing here verifies a program; the values only need to be distinct bits. */
#if defined(RS_WANT_BPF) && !defined(RS_KERNEL_BPF_H)
#define RS_KERNEL_BPF_H
#include <uapi/linux/bpf.h>

#define ENODATA 61
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define atomic_try_cmpxchg(v, po, n) try_cmpxchg(&(v)->counter, (po), (n))
#define atomic_set_release(v, i) smp_store_release(&(v)->counter, (i))

struct bpf_map;
struct bpf_map_ops {
  int (*map_alloc_check)(union bpf_attr *attr);
  struct bpf_map *(*map_alloc)(union bpf_attr *attr);
  void (*map_free)(struct bpf_map *map);
  bool (*map_meta_equal)(const struct bpf_map *meta0, const struct bpf_map *meta1);
  int (*map_mmap)(struct bpf_map *map, struct vm_area_struct *vma);
  __poll_t (*map_poll)(struct bpf_map *map, struct file *filp, struct poll_table_struct *pts);
  void *(*map_lookup_elem)(struct bpf_map *map, void *key);
  long (*map_update_elem)(struct bpf_map *map, void *key, void *value, u64 flags);
  long (*map_delete_elem)(struct bpf_map *map, void *key);
  int (*map_get_next_key)(struct bpf_map *map, void *key, void *next_key);
  u64 (*map_mem_usage)(const struct bpf_map *map);
  int *map_btf_id;
};
struct bpf_map {
  const struct bpf_map_ops *ops;
  u32 map_type, key_size, value_size, max_entries, map_flags;
  u64 map_extra;
  int numa_node;
};
static inline int bpf_map_attr_numa_node(const union bpf_attr *attr) {
  return (attr->map_flags & BPF_F_NUMA_NODE) ? (int)attr->numa_node : NUMA_NO_NODE;
}
/* What kernel/bpf/syscall.c's bpf_map_init_from_attr copies (the fields a map type reads). */
static inline void bpf_map_init_from_attr(struct bpf_map *map, union bpf_attr *attr) {
  map->map_type = attr->map_type;
  map->key_size = attr->key_size;
  map->value_size = attr->value_size;
  map->max_entries = attr->max_entries;
  map->map_flags = attr->map_flags;
  map->map_extra = attr->map_extra;
  map->numa_node = bpf_map_attr_numa_node(attr);
}
/* kernel/bpf/map_in_map.c's compatibility test of two maps (only referenced through the ops). */
static inline bool bpf_map_meta_equal(const struct bpf_map *a, const struct bpf_map *b) {
  return a->map_type == b->map_type && a->key_size == b->key_size && a->value_size == b->value_size &&
         a->map_flags == b->map_flags && a->max_entries == b->max_entries;
}
#define BTF_ID_LIST_SINGLE(name, prefix, typename) static int __maybe_unused name[1];

/* Verifier placeholders. */
enum {
  ARG_ANYTHING = 1, ARG_CONST_MAP_PTR, ARG_CONST_ALLOC_SIZE_OR_ZERO, ARG_PTR_TO_RINGBUF_MEM, ARG_PTR_TO_MEM,
  ARG_CONST_SIZE_OR_ZERO, ARG_PTR_TO_DYNPTR, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL,
  RET_VOID = 1, RET_INTEGER, RET_PTR_TO_RINGBUF_MEM_OR_NULL,
};
#define OBJ_RELEASE (1u << 8)
#define MEM_RDONLY (1u << 9)
#define MEM_UNINIT (1u << 10)
#define MEM_WRITE (1u << 11)
#define DYNPTR_TYPE_RINGBUF (1u << 12)
struct bpf_func_proto {
  u64 (*func)(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5);
  u32 ret_type, arg1_type, arg2_type, arg3_type, arg4_type, arg5_type;
};
typedef u64 (*bpf_callback_t)(u64, u64, u64, u64, u64);
#define BPF_MAX_USER_RINGBUF_SAMPLES (128 * 1024)

/* A helper as the kernel's BPF_CALL_n makes it: `u64 name(u64 r1, ..., u64 r5)` converting its
 * registers to the declared argument types and calling the body, written as ____name. */
#define RS_BPF_HELPER(name, params, args)                              \
  static __always_inline u64 ____##name params;                        \
  u64 name(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5);                    \
  u64 name(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5) {                   \
    (void)r1; (void)r2; (void)r3; (void)r4; (void)r5;                  \
    return ____##name args;                                            \
  }                                                                    \
  static __always_inline u64 ____##name params
#define RS_BPF_ARG(t, r) ((t)(uintptr_t)(r))
#define BPF_CALL_1(name, t1, a1) RS_BPF_HELPER(name, (t1 a1), (RS_BPF_ARG(t1, r1)))
#define BPF_CALL_2(name, t1, a1, t2, a2) RS_BPF_HELPER(name, (t1 a1, t2 a2), (RS_BPF_ARG(t1, r1), RS_BPF_ARG(t2, r2)))
#define BPF_CALL_3(name, t1, a1, t2, a2, t3, a3) \
  RS_BPF_HELPER(name, (t1 a1, t2 a2, t3 a3), (RS_BPF_ARG(t1, r1), RS_BPF_ARG(t2, r2), RS_BPF_ARG(t3, r3)))
#define BPF_CALL_4(name, t1, a1, t2, a2, t3, a3, t4, a4)                                                  \
  RS_BPF_HELPER(name, (t1 a1, t2 a2, t3 a3, t4 a4),                                                       \
                (RS_BPF_ARG(t1, r1), RS_BPF_ARG(t2, r2), RS_BPF_ARG(t3, r3), RS_BPF_ARG(t4, r4)))

/* Dynptrs as kernel/bpf/helpers.c implements them (our text): size holds the type in bits 24-30
 * and the read-only flag in bit 31. */
enum bpf_dynptr_type { BPF_DYNPTR_TYPE_INVALID, BPF_DYNPTR_TYPE_LOCAL, BPF_DYNPTR_TYPE_RINGBUF };
struct bpf_dynptr_kern { void *data; u32 size; u32 offset; } __aligned(8);
#define DYNPTR_MAX_SIZE ((1UL << 24) - 1)
#define DYNPTR_TYPE_SHIFT 28
static inline int bpf_dynptr_check_size(u32 size) { return size > DYNPTR_MAX_SIZE ? -E2BIG : 0; }
static inline void bpf_dynptr_init(struct bpf_dynptr_kern *ptr, void *data, enum bpf_dynptr_type type, u32 offset, u32 size) {
  ptr->data = data;
  ptr->offset = offset;
  ptr->size = size | ((u32)type << DYNPTR_TYPE_SHIFT);
}
static inline void bpf_dynptr_set_null(struct bpf_dynptr_kern *ptr) { memset(ptr, 0, sizeof(*ptr)); }
#endif /* RS_WANT_BPF */
