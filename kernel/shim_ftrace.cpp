// kernel/shim_ftrace.cpp — the rs_* functions that kernel/shim/ftrace/rs_ftrace.h declares for
// kernel/trace/ring_buffer.c: page size, multi-page allocations, the mapping (virt_to_page,
// vm_insert_pages, ZERO_PAGE), context levels, synchronize_rcu and wait_event on the engine.
// Uninstrumented host code over the current kernel::Runtime (see rs_ftrace.h for the mapping).
#include <cstdarg>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "kernel/runtime.h"
#include "kernel/shim_ftrace.h"

using kernel::Runtime;

namespace {
Runtime& rt() {
  Runtime* r = Runtime::current();
  if (!r) throw std::logic_error("kernel code ran with no kernel::Runtime on this thread");
  return *r;
}
}  // namespace

namespace kernel {
namespace {
thread_local unsigned long t_page_size = 4096;
thread_local std::function<bool()> t_stop;
thread_local unsigned long t_unreported = 0;
}  // namespace
void set_ftrace_page_size(unsigned long bytes) { t_page_size = bytes; }
void set_ftrace_stop(std::function<bool()> stop) { t_stop = std::move(stop); }
unsigned long& ftrace_unreported_missed() { return t_unreported; }

}  // namespace kernel

extern "C" {

unsigned long rs_ftrace_page_size() { return kernel::t_page_size; }

// alloc_pages_node(order): 2^order consecutive pool pages (struct page + i is page i); the
// subject's PAGE_SIZE << order bytes lie in the first (rs_ftrace.h).
void* rs_alloc_pages(unsigned, unsigned order) {
  void* first = nullptr;
  long prev = -1;
  for (unsigned i = 0; i < (1u << order); ++i) {
    long pfn = -1;
    void* p = rt().page_alloc(&pfn);
    if (!p || (prev >= 0 && pfn != prev + 1)) return nullptr;
    if (!first) first = p;
    prev = pfn;
  }
  return first;
}

void* rs_virt_to_page(const void* addr) { return rt().virt_to_page(addr); }
unsigned long rs_get_zeroed_page() {
  void* p = rt().page_alloc(nullptr);
  return p ? reinterpret_cast<unsigned long>(rt().page_address(p)) : 0;
}
void* rs_zero_page() { return rt().page_alloc(nullptr); }  // a zeroed page of its own (never written)

// vm_insert_pages(vma, addr, pages, &num): the VMA becomes a read-only view of the pages, one
// pool page per struct page (a real alias); vm_start is where the view lands.
struct RsVmaF {  // struct vm_area_struct in kernel/shim/rs_kernel.h (its first fields)
  unsigned long vm_start, vm_end, vm_pgoff, vm_flags;
};
int rs_vm_insert_pages(RsVmaF* vma, unsigned long, void** pages, unsigned long* num) {
  std::vector<void*> list(pages, pages + *num);
  void* view = rt().vmap(list.data(), static_cast<unsigned>(list.size()), false);
  if (!view) return -12;  // -ENOMEM
  vma->vm_start = reinterpret_cast<unsigned long>(view);
  vma->vm_end = vma->vm_start + *num * 4096;
  *num = 0;
  return 0;
}

// interrupt_context_level(): 0 task, 1 softirq, 2 hardirq, 3 NMI (include/linux/preempt.h).
int rs_interrupt_context_level() {
  Runtime& r = rt();
  if (!r.stepping()) return 0;
  switch (r.engine().current_ctx()) {
    case sim::Ctx::Nmi: return 3;
    case sim::Ctx::Hardirq: return 2;
    case sim::Ctx::Softirq: return 1;
    default: return 0;
  }
}
unsigned long rs_preempt_count() {
  Runtime& r = rt();
  if (!r.stepping()) return 0;
  unsigned long pc = static_cast<unsigned long>(r.engine().preempt_count());
  switch (r.engine().current_ctx()) {
    case sim::Ctx::Nmi: pc |= 0x00100000UL | 0x00010000UL; break;
    case sim::Ctx::Hardirq: pc |= 0x00010000UL; break;
    case sim::Ctx::Softirq: pc |= 0x00000100UL; break;
    default: break;
  }
  return pc;
}

// synchronize_rcu: the writers' read-side sections are their preempt/irq-disabled regions
// (RCU-sched); wait until no other CPU is inside one. Outside actors (setup, the exec mode's
// single task) nothing runs concurrently: a grace period has already elapsed.
void rs_synchronize_rcu() {
  Runtime& r = rt();
  if (!r.stepping()) return;
  sim::Sim& s = r.engine();
  const int me = s.smp_processor_id();
  for (;;) {
    bool busy = false;
    for (int c = 0; c < s.cpus(); ++c) busy |= c != me && s.cpu_in_rcu_sched(c);
    if (!busy) return;
    s.yield();
  }
}

// wait_event_interruptible(wq, cond) on the engine's queue of the head.
void rs_prepare_wait(void* q) {
  Runtime& r = rt();
  if (r.stepping()) r.engine().prepare_wait(r.wait_queue_id(q));
}
void rs_sleep_on(void* q) {
  Runtime& r = rt();
  if (!r.stepping()) throw std::logic_error("wait_event_interruptible outside an actor would sleep for ever");
  r.engine().sleep_running(r.wait_queue_id(q));
}
void rs_finish_wait() {
  Runtime& r = rt();
  if (r.stepping()) r.engine().finish_wait();
}

// The ring buffer adapter's stop condition for ring_buffer_wait (the poll timeout).
int rs_ftrace_stop_requested() { return kernel::t_stop && kernel::t_stop() ? 1 : 0; }

}  // extern "C"

extern "C" {
// pr_info: ring_buffer_map_get_reader's "Ring buffer [%d] commit overrun lost %ld events ..." is
// the only report of those missed events (user space is not told): the adapter's ghost counts it.
int rs_ftrace_pr_info(const char* fmt, ...) {
  if (std::strstr(fmt, "commit overrun lost")) {
    va_list ap;
    va_start(ap, fmt);
    (void)va_arg(ap, int);
    kernel::t_unreported += static_cast<unsigned long>(va_arg(ap, long));
    va_end(ap);
  }
  return 0;
}
}  // extern "C"
