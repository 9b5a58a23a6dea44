// kernel/hooks.cpp — the __tsan_* entry points that clang's ThreadSanitizer instrumentation calls
// from the kernel subject (no TSan runtime is linked: these are ours, as KCSAN's are in the kernel).
//
// Each hook forwards to the current thread's kernel::Runtime, which makes the access a step when it
// touches the subject's memory from inside an actor, and then the hook performs the access itself
// where the instrumentation expects it to (atomics, memcpy, memset). Plain hooks
// (__tsan_readN/__tsan_writeN and their unaligned forms) are unmarked accesses; the volatile hooks
// (-tsan-distinguish-volatile=1: READ_ONCE/WRITE_ONCE) and the atomics are marked; under
// --memory-model tso|lkmm the marked ones go through the memory model (kernel/runtime.cpp, "Weak
// memory"), the plain ones stay sequentially consistent. At -O2 clang
// turns `x++` on memory into one instrumented write with no read: a plain read-modify-write is one
// step, much as x86 executes it. The return address of each hook is the access's code address.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernel/runtime.h"

using kernel::Runtime;

namespace {

inline sim::Mo to_mo(int mo) {
  switch (mo) {
    case 0: return sim::Mo::Relaxed;
    case 1:
    case 2: return sim::Mo::Acquire;
    case 3: return sim::Mo::Release;
    case 4: return sim::Mo::AcqRel;
    default: return sim::Mo::SeqCst;
  }
}
inline int gcc_mo(int mo) {
  switch (mo) {
    case 0: return __ATOMIC_RELAXED;
    case 1: return __ATOMIC_CONSUME;
    case 2: return __ATOMIC_ACQUIRE;
    case 3: return __ATOMIC_RELEASE;
    case 4: return __ATOMIC_ACQ_REL;
    default: return __ATOMIC_SEQ_CST;
  }
}

[[gnu::always_inline]] inline void plain(const void* a, unsigned n, Runtime::Access k, bool marked, const void* pc) {
  if (Runtime* rt = Runtime::current()) rt->access(a, n, k, marked, pc);
}
[[gnu::always_inline]] inline void atomic(const volatile void* a, unsigned n, sim::Op op, int mo, const void* pc) {
  if (Runtime* rt = Runtime::current()) rt->atomic_step(const_cast<const void*>(a), n, op, to_mo(mo), pc);
}

}  // namespace

#define PC __builtin_return_address(0)
#define RS_PLAIN(N)                                                                                          \
  void __tsan_read##N(void* a) { plain(a, N, Runtime::Access::Read, false, PC); }                            \
  void __tsan_write##N(void* a) { plain(a, N, Runtime::Access::Write, false, PC); }                          \
  void __tsan_unaligned_read##N(void* a) { plain(a, N, Runtime::Access::Read, false, PC); }                  \
  void __tsan_unaligned_write##N(void* a) { plain(a, N, Runtime::Access::Write, false, PC); }                \
  void __tsan_volatile_read##N(void* a) { plain(a, N, Runtime::Access::Read, true, PC); }                    \
  void __tsan_volatile_write##N(void* a) { plain(a, N, Runtime::Access::Write, true, PC); }                  \
  void __tsan_unaligned_volatile_read##N(void* a) { plain(a, N, Runtime::Access::Read, true, PC); }          \
  void __tsan_unaligned_volatile_write##N(void* a) { plain(a, N, Runtime::Access::Write, true, PC); }        \
  void __tsan_read##N##_pc(void* a, void* pc) { plain(a, N, Runtime::Access::Read, false, pc); }             \
  void __tsan_write##N##_pc(void* a, void* pc) { plain(a, N, Runtime::Access::Write, false, pc); }

// Under tso/lkmm (Runtime::weak()) the atomics take the memory model's value (kernel/runtime.cpp,
// "Weak memory"); when the model does not take the access (no actor, not the subject's memory), or
// under sc, the hook takes the step and performs the access itself as before.
#define RS_WEAK_RMW(N, T, OP, KIND, ARG, EXP)                                                                \
  if (Runtime* rt = Runtime::current(); rt && rt->weak()) {                                                  \
    std::uint64_t old = 0;                                                                                   \
    if (rt->weak_rmw(const_cast<const T*>(a), N / 8, OP, Runtime::Rmw::KIND, static_cast<std::uint64_t>(ARG), \
                     static_cast<std::uint64_t>(EXP), to_mo(mo), PC, &old))                                  \
      return static_cast<T>(old);                                                                            \
  }
#define RS_ATOMIC_RMW(N, T, NAME, OP, KIND, BUILTIN)                                                         \
  T __tsan_atomic##N##_##NAME(volatile T* a, T v, int mo) {                                                  \
    RS_WEAK_RMW(N, T, OP, KIND, v, 0)                                                                        \
    atomic(a, N / 8, OP, mo, PC);                                                                            \
    return BUILTIN(a, v, __ATOMIC_SEQ_CST);                                                                  \
  }
#define RS_ATOMIC(N, T)                                                                                      \
  T __tsan_atomic##N##_load(const volatile T* a, int mo) {                                                    \
    if (Runtime* rt = Runtime::current(); rt && rt->weak()) {                                                \
      std::uint64_t v = 0;                                                                                   \
      if (rt->weak_load(const_cast<const T*>(a), N / 8, to_mo(mo), PC, &v)) return static_cast<T>(v);        \
    }                                                                                                        \
    atomic(a, N / 8, sim::Op::Load, mo, PC);                                                                 \
    return __atomic_load_n(a, __ATOMIC_SEQ_CST);                                                             \
  }                                                                                                          \
  void __tsan_atomic##N##_store(volatile T* a, T v, int mo) {                                                \
    if (Runtime* rt = Runtime::current(); rt && rt->weak())                                                  \
      if (rt->weak_store(const_cast<const T*>(a), N / 8, static_cast<std::uint64_t>(v), to_mo(mo), PC)) return; \
    atomic(a, N / 8, sim::Op::Store, mo, PC);                                                                \
    __atomic_store_n(a, v, __ATOMIC_SEQ_CST);                                                                \
  }                                                                                                          \
  RS_ATOMIC_RMW(N, T, exchange, sim::Op::Xchg, Xchg, __atomic_exchange_n)                                    \
  RS_ATOMIC_RMW(N, T, fetch_add, sim::Op::FetchAdd, Add, __atomic_fetch_add)                                 \
  RS_ATOMIC_RMW(N, T, fetch_sub, sim::Op::FetchAdd, Sub, __atomic_fetch_sub)                                 \
  RS_ATOMIC_RMW(N, T, fetch_and, sim::Op::FetchAnd, And, __atomic_fetch_and)                                 \
  RS_ATOMIC_RMW(N, T, fetch_or, sim::Op::FetchOr, Or, __atomic_fetch_or)                                     \
  RS_ATOMIC_RMW(N, T, fetch_xor, sim::Op::FetchOr, Xor, __atomic_fetch_xor)                                  \
  RS_ATOMIC_RMW(N, T, fetch_nand, sim::Op::FetchAnd, Nand, __atomic_fetch_nand)                              \
  int __tsan_atomic##N##_compare_exchange_strong(volatile T* a, T* c, T v, int mo, int fmo) {                \
    (void)fmo;                                                                                               \
    if (Runtime* rt = Runtime::current()) {                                                                  \
      if (rt->weak()) {                                                                                      \
        std::uint64_t old = 0;                                                                               \
        if (rt->weak_rmw(const_cast<const T*>(a), N / 8, sim::Op::CasOk, Runtime::Rmw::Cas,                  \
                         static_cast<std::uint64_t>(v), static_cast<std::uint64_t>(*c), to_mo(mo), PC, &old)) { \
          const bool ok = static_cast<T>(old) == *c;                                                         \
          *c = static_cast<T>(old);                                                                          \
          return ok;                                                                                         \
        }                                                                                                    \
      }                                                                                                      \
      /* the step first, then the comparison: the outcome is the one at the step */                         \
      rt->atomic_step(const_cast<const T*>(a), N / 8, sim::Op::CasOk, to_mo(mo), PC);                        \
    }                                                                                                        \
    return __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                  \
  }                                                                                                          \
  int __tsan_atomic##N##_compare_exchange_weak(volatile T* a, T* c, T v, int mo, int fmo) {                  \
    return __tsan_atomic##N##_compare_exchange_strong(a, c, v, mo, fmo);                                     \
  }                                                                                                          \
  T __tsan_atomic##N##_compare_exchange_val(volatile T* a, T c, T v, int mo, int fmo) {                      \
    __tsan_atomic##N##_compare_exchange_strong(a, &c, v, mo, fmo);                                           \
    return c;                                                                                                \
  }

extern "C" {

RS_PLAIN(1)
RS_PLAIN(2)
RS_PLAIN(4)
RS_PLAIN(8)
RS_PLAIN(16)

RS_ATOMIC(8, std::uint8_t)
RS_ATOMIC(16, std::uint16_t)
RS_ATOMIC(32, std::uint32_t)
RS_ATOMIC(64, std::uint64_t)

void __tsan_read_range(void* a, std::size_t n) { plain(a, static_cast<unsigned>(n), Runtime::Access::Read, false, PC); }
void __tsan_write_range(void* a, std::size_t n) { plain(a, static_cast<unsigned>(n), Runtime::Access::Write, false, PC); }

void __tsan_atomic_thread_fence(int mo) {
  if (Runtime* rt = Runtime::current()) rt->fence(to_mo(mo), PC);
  __atomic_thread_fence(gcc_mo(mo));
}
void __tsan_atomic_signal_fence(int) {}

void* __tsan_memcpy(void* d, const void* s, std::size_t n) {
  if (Runtime* rt = Runtime::current()) rt->copy(d, s, n, false, PC);
  else std::memcpy(d, s, n);
  return d;
}
void* __tsan_memmove(void* d, const void* s, std::size_t n) {
  if (Runtime* rt = Runtime::current()) rt->copy(d, s, n, true, PC);
  else std::memmove(d, s, n);
  return d;
}
void* __tsan_memset(void* d, int c, std::size_t n) {
  if (Runtime* rt = Runtime::current()) rt->fill(d, c, n, PC);
  else std::memset(d, c, n);
  return d;
}

// Function entry and exit: the code offsets of the accesses already name their functions in
// traces (kernel/symbolize.h), so these are not steps.
void __tsan_func_entry(void*) {}
void __tsan_func_exit() {}
void __tsan_init() {}
void __tsan_vptr_update(void**, void*) {}
void __tsan_vptr_read(void**) {}
void __tsan_ignore_thread_begin() {}
void __tsan_ignore_thread_end() {}

}  // extern "C"
