// kernel/shim.cpp — the rs_* functions that kernel/shim/rs_kernel.h declares: the kernel primitives
// that are not memory accesses, mapped onto the engine through the current kernel::Runtime.
// Uninstrumented host code; see rs_kernel.h for the mapping and runtime.h for the memory model.
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "kernel/runtime.h"

using kernel::Runtime;

namespace {

Runtime& rt() {
  Runtime* r = Runtime::current();
  if (!r) throw std::logic_error("kernel code ran with no kernel::Runtime on this thread");
  return *r;
}
#define PC __builtin_return_address(0)

}  // namespace

extern "C" {

// CPUs and contexts. Outside actors (setup, exec ops) the Runtime's CPU override applies.
int rs_smp_processor_id() { return rt().cpu(); }
int rs_nr_cpus() { return rt().engine().cpus(); }
unsigned long rs_local_irq_save() { return rt().stepping() ? rt().engine().local_irq_save() : 0; }
void rs_local_irq_restore(unsigned long flags) {
  if (rt().stepping()) rt().engine().local_irq_restore(flags);
}
void rs_local_irq_disable() {
  if (rt().stepping()) rt().engine().local_irq_disable();
}
void rs_local_irq_enable() {
  if (rt().stepping()) rt().engine().local_irq_enable();
}
void rs_preempt_disable() {
  if (rt().stepping()) rt().engine().preempt_disable();
}
void rs_preempt_enable() {
  if (rt().stepping()) rt().engine().preempt_enable();
}
int rs_in_nmi() { return rt().stepping() && rt().engine().in_nmi(); }
int rs_in_hardirq() { return rt().stepping() && rt().engine().in_hardirq(); }
int rs_in_interrupt() {
  return rt().stepping() && (rt().engine().in_nmi() || rt().engine().in_hardirq() || rt().engine().in_softirq());
}
int rs_irqs_disabled() { return rt().stepping() && rt().engine().irqs_disabled(); }
void rs_cpu_relax() {
  if (rt().stepping()) rt().engine().yield();
}
void rs_smp_rmb() {
  if (Runtime* r = Runtime::current()) r->fence(sim::Mo::Acquire, PC);
}
void rs_smp_wmb() {
  if (Runtime* r = Runtime::current()) r->fence(sim::Mo::Release, PC);
}
int smp_call_function_single(int, void (*func)(void*), void* info, int) {
  func(info);  // setup paths only (relay_late_setup_files); runs on the caller
  return 0;
}

// Memory.
void* rs_kmalloc(std::size_t size, unsigned flags) { return rt().kmalloc(size, (flags & 0x100u) != 0); }
void rs_kfree(const void*) {}  // the pool is reclaimed between executions
void* rs_alloc_percpu(std::size_t size, std::size_t align) { return rt().alloc_percpu(size, align); }
void rs_free_percpu(void*) {}
void* rs_alloc_page(unsigned) { return rt().page_alloc(nullptr); }
void rs_free_page(void* page) { rt().page_free(page); }
void* rs_page_address(const void* page) { return rt().page_address(page); }
void* rs_vmap(void** pages, unsigned count, int writable) { return rt().vmap(pages, count, writable != 0); }
void rs_vunmap(const void*) {}
void* rs_vmalloc_to_page(const void* addr) { return rt().vmalloc_to_page(addr); }
unsigned long rs_copy_to_user(void* to, const void* from, unsigned long n) {
  rt().copy(to, from, n, false, PC);
  return 0;
}
unsigned long rs_copy_from_user(void* to, const void* from, unsigned long n) {
  rt().copy(to, from, n, false, PC);
  return 0;
}

// Locks.
void rs_lock_init(void*) {}
void rs_lock(void* lock, int preempt_off) { rt().lock(lock, preempt_off != 0, PC); }
int rs_trylock(void* lock) { return rt().trylock(lock, PC); }
void rs_unlock(void* lock, int preempt_on) { rt().unlock(lock, preempt_on != 0, PC); }

// Wait queues, poll, irq_work.
void rs_init_waitqueue_head(void* q) {
  rt().init_waitqueue(q);
  *static_cast<unsigned*>(q) = 0;
}
int rs_waitqueue_active(void* q) { return rt().waitqueue_active(q, PC); }
void rs_wake_up(void* q) { rt().wake_up(q, PC); }
void rs_poll_wait(void*, void* q, void*) { rt().poll_wait(q); }
void rs_init_irq_work(void* w, void (*func)(void*)) {
  *static_cast<void (**)(void*)>(w) = func;  // struct irq_work.func
  rt().init_irq_work(w, func);
}
bool rs_irq_work_queue(void* w) { return rt().irq_work_queue(w, PC); }
void rs_irq_work_sync(void* w) { rt().irq_work_sync(w); }

// remap_vmalloc_range (mm/vmalloc.c's contract): map the vmalloc area at `addr`, from `pgoff`
// pages in, into the VMA. The VMA's pages become a new view of the same pool pages (a real alias),
// writable only with VM_WRITE; the VMA's address is where that view lands (vm_start is set here:
// the adapter's mmap(2) has no user address space to choose one from). -EINVAL when the range
// does not lie inside the area, as the kernel answers.
struct RsVma {  // struct vm_area_struct in kernel/shim/rs_kernel.h (its first fields)
  unsigned long vm_start, vm_end, vm_pgoff, vm_flags;
};
int remap_vmalloc_range(RsVma* vma, void* addr, unsigned long pgoff) {
  constexpr unsigned long kPageSz = 4096, kVmWrite = 0x2, kVmDontExpand = 0x40000;
  const unsigned long len = vma->vm_end - vma->vm_start;
  if (len == 0 || len % kPageSz || reinterpret_cast<std::uintptr_t>(addr) % kPageSz) return -22;
  void* view = rt().remap_view(addr, pgoff, len / kPageSz, (vma->vm_flags & kVmWrite) != 0);
  if (!view) return -22;
  vma->vm_start = reinterpret_cast<unsigned long>(view);
  vma->vm_end = vma->vm_start + len;
  vma->vm_flags |= kVmDontExpand;
  return 0;
}

// BUG, WARN, printk and the string functions the subject calls out of line.
[[noreturn]] void rs_bug(const char* file, int line, const char* what) { rt().bug(file, line, what); }
void rs_warn(const char* file, int line, const char* what) { rt().warn(file, line, what); }
int rs_printk(const char*, ...) { return 0; }
long strscpy(char* dst, const char* src, std::size_t count) {
  if (count == 0) return -7;  // -E2BIG
  std::size_t n = strnlen(src, count);
  if (n == count) {
    std::memcpy(dst, src, count - 1);
    dst[count - 1] = 0;
    return -7;
  }
  std::memcpy(dst, src, n + 1);
  return static_cast<long>(n);
}

}  // extern "C"
