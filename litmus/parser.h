// litmus/parser.h — herd7's C litmus format as the kernel's tools/memory-model/ uses it.
//
//   C NAME
//   (* comments *) "doc string"            (optional, anywhere outside thread code)
//   { x=1; p=y; 0:r1=2; int z; }           (init block: locations, pointers, registers)
//   P0(int *x, spinlock_t *l) { ... }      (P0..Pn in the kernel's C subset, see below)
//   locations [0:r1; x]                    (optional: more things to print in each state)
//   exists (0:r0=1 /\ ~(x=2 \/ 1:r1=0))    (or ~exists, forall)
//
// The C subset: local declarations (`int r0;`, `int r0 = e;`, `int *r0;`), assignments, `*x = e`
// and `*x` (plain accesses), if/else, blocks, casts (no effect), C arithmetic, comparison and
// logical operators, and
// the macros of linux-kernel.def: READ_ONCE/WRITE_ONCE, smp_load_acquire/smp_store_release,
// rcu_dereference/rcu_assign_pointer, smp_store_mb, the fences (smp_mb/rmb/wmb, barrier,
// smp_mb__before_atomic/__after_atomic/__after_spinlock/__after_unlock_lock), xchg/cmpxchg and
// their _relaxed/_acquire/_release variants, the atomic_* operations (read/set, add/sub/inc/dec,
// *_return, fetch_*, xchg, cmpxchg, *_and_test, add_negative), spin_lock/unlock/trylock/is_locked,
// rcu_read_lock/unlock, synchronize_rcu. Anything else (loops, SRCU, filter clauses, ...) is
// rejected with a LitmusError naming the line: `FILE:LINE: unsupported ...`.
#pragma once

#include <stdexcept>
#include <string>

#include "litmus/ir.h"

namespace litmus {

/// Bad or unsupported input: what() is `FILE:LINE: message`.
class LitmusError : public std::runtime_error {
 public:
  LitmusError(const std::string& file, int line, const std::string& message)
      : std::runtime_error(file + ":" + std::to_string(line) + ": " + message), line_(line) {}
  int line() const { return line_; }

 private:
  int line_;
};

/// Parses one litmus test; `file` names it in messages. Throws LitmusError.
Program parse(const std::string& text, const std::string& file);

/// Reads and parses a file (a missing or unreadable file is a LitmusError at line 0).
Program parse_file(const std::string& path);

}  // namespace litmus
