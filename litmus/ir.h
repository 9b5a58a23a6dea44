// litmus/ir.h — the litmus program IR: what a herd7 C litmus test (tools/memory-model/ of the
// kernel) means once parsed, independent of any memory model.
//
// A Program is the init block, one instruction list per thread P0..Pn, the observed locations and
// the final condition. Each Instr performs at most one memory operation (a load, a store, a
// read-modify-write, a lock operation) or a fence, or a pure register update or branch; expressions
// (Expr) are pure: constants, registers and operators, never memory. The parser lowers C
// expressions that read memory (`r = READ_ONCE(*x) + *y`) into loads into temporary registers
// first, left to right, so that a memory model sees every access as one instruction.
//
// Two consumers run the same IR:
//  - the exhaustive axiomatic checker (litmus/lkmm.h), which enumerates each thread's paths under
//    each choice of read values and keeps the candidate executions linux-kernel.cat allows;
//  - (later) the engine's operational memory model, which can run each thread as an actor, answer
//    each Instr's memory operation from its own memory, and judge the final state with
//    eval_prop() below, so that both give the same set of final states (Result::states).
//
// Annotations follow linux-kernel.def: each Instr carries the herd7 annotation of the macro it came
// from (Once, Acquire, Release, Mb, ...); `mb` read-modify-writes are Once accesses between two
// smp_mb() fences (herd7's lkmmv1 translation), so `Rmw::order == Order::Mb` means exactly that.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace litmus {

/// A value: an integer or the address of a shared location (`p=y;`, `rcu_assign_pointer(*p, x)`).
struct Value {
  enum class Kind : std::uint8_t { Int, Loc } kind = Kind::Int;
  std::int64_t v = 0;  // the integer, or the location's index in Program::locations
  static Value integer(std::int64_t i) { return Value{Kind::Int, i}; }
  static Value location(int index) { return Value{Kind::Loc, index}; }
  bool is_loc() const { return kind == Kind::Loc; }
  friend bool operator==(const Value&, const Value&) = default;
  friend auto operator<=>(const Value&, const Value&) = default;
};

/// Pure expressions over registers. Register numbers index the thread's Thread::registers.
struct Expr {
  enum class Op : std::uint8_t {
    Const, Reg,
    Add, Sub, Mul, Div, Mod, And, Or, Xor, Shl, Shr,
    Eq, Ne, Lt, Le, Gt, Ge, LogAnd, LogOr,
    Not, Neg, BitNot,
  };
  Op op = Op::Const;
  Value value;  // Const
  int reg = -1;  // Reg
  std::vector<Expr> args;  // operands (1 for Not/Neg/BitNot, 2 for the binary operators)
};

/// herd7's access annotation (linux-kernel.bell: 'once, 'acquire, 'release, 'noreturn) or none for a
/// plain C access. Mb is only on Rmw (a fully ordered atomic: smp_mb(); Once R/W; smp_mb()).
enum class Order : std::uint8_t { Plain, Once, Acquire, Release, Mb, Noreturn };

/// linux-kernel.bell's fences (Barriers).
enum class FenceKind : std::uint8_t {
  Mb, Rmb, Wmb, Barrier, RcuLock, RcuUnlock, SyncRcu,
  BeforeAtomic, AfterAtomic, AfterSpinlock, AfterUnlockLock,
};

/// What a read-modify-write computes from the old value `old` and its operands.
enum class RmwKind : std::uint8_t {
  Xchg,        // stores a; returns old
  Cmpxchg,     // if old == a stores b (success, R+W) else no store (failure, one R); returns old
  OpReturn,    // stores old OP a; returns the new value (atomic_add_return, ...)
  FetchOp,     // stores old OP a; returns old (atomic_fetch_add, ...)
  OpNoReturn,  // stores old OP a; no result; its read is Noreturn (atomic_add, atomic_inc, ...)
};

struct Instr {
  enum class Kind : std::uint8_t {
    Load,       // dst = *addr (order: Plain, Once, Acquire)
    Store,      // *addr = a (order: Plain, Once, Release)
    Rmw,        // see RmwKind (order: Once = _relaxed, Acquire, Release, Mb = fully ordered)
    Fence,      // fence
    Lock,       // spin_lock(addr): a Lock-Read (Acquire) and a Lock-Write (lock.cat's LKR, LKW)
    Unlock,     // spin_unlock(addr): UL (Release)
    TryLock,    // dst = spin_trylock(addr): 1 with LKR+LKW, or 0 with a Lock-Fail read (LF)
    IsLocked,   // dst = spin_is_locked(addr): 1 (RL) or 0 (RU)
    Assign,     // dst = a (pure)
    Branch,     // if (!a) goto target; `join` is the end of the whole if/else (control scope)
    Jump,       // goto target
  };
  Kind kind = Kind::Assign;
  Order order = Order::Plain;
  FenceKind fence = FenceKind::Mb;
  RmwKind rmw = RmwKind::Xchg;
  Expr::Op rmw_op = Expr::Op::Add;  // OpReturn / FetchOp / OpNoReturn
  int dst = -1;   // destination register, or -1
  Expr addr;      // the address (an expression whose value is a Loc)
  Expr a, b;      // operands (see Kind)
  int target = -1, join = -1;  // Branch / Jump
  int line = 0;   // source line, for messages
};

struct Thread {
  int id = 0;                            // the N of PN
  std::vector<std::string> registers;    // register names; temporaries start with '%'
  std::vector<Instr> code;
  std::vector<std::pair<int, Value>> reg_init;  // `N:r=v` in the init block
};

/// The final condition: herd7's `exists`, `~exists`, `forall` over atoms `N:r=v` and `x=v`.
struct Prop {
  enum class Kind : std::uint8_t { True, False, Atom, Not, And, Or, Implies } kind = Kind::True;
  // Atom: a register of a thread (thread >= 0) or a shared location (thread == -1) equals value.
  int thread = -1;
  std::string name;  // register or location name
  Value value;
  std::vector<Prop> args;
};

struct Condition {
  enum class Quantifier : std::uint8_t { Exists, NotExists, Forall } quantifier = Quantifier::Exists;
  Prop prop;
};

/// One observed thing in a final state: `thread:reg` or a location (thread == -1).
struct Observed {
  int thread = -1;
  std::string name;
  friend bool operator==(const Observed&, const Observed&) = default;
};

struct Program {
  std::string name;                   // after `C`
  std::string file;
  std::vector<std::string> locations; // every shared location (init block and thread parameters)
  std::vector<bool> is_lock;          // locations declared spinlock_t
  std::vector<Value> init;            // initial value of each location (0 unless given)
  std::vector<Thread> threads;
  std::vector<Observed> observed;     // `locations [...]` and the condition's atoms: what a state prints
  Condition condition;
  std::optional<Prop> filter;         // herd7's `filter (...)`: executions whose final state fails it
                                      // are discarded (its atoms need not be observed)

  int location_index(const std::string& n) const;  // -1 if absent
};

/// A final state: a value per Program::observed entry, in that order.
using FinalState = std::vector<Value>;

/// Evaluates a pure expression; registers from `regs`. Division by zero yields 0 (a litmus test
/// that divides by zero is meaningless; herd7 also does not fault).
Value eval(const Expr& e, const std::vector<Value>& regs);

/// True when `v` counts as true in a C condition (non-zero integer, or any address).
inline bool truthy(const Value& v) { return v.is_loc() || v.v != 0; }

/// Evaluates the condition's proposition (not the quantifier) on a final state.
bool eval_prop(const Program& p, const Prop& prop, const FinalState& s);

/// The same over any final values: `lookup` gives the final value of a register or location.
bool eval_prop(const Prop& prop, const std::function<Value(const Observed&)>& lookup);

/// herd7's spelling: `1:r0=1`, `x=y`, and the condition as herd7 prints it.
std::string value_to_string(const Program& p, const Value& v);
std::string observed_to_string(const Observed& o);
std::string condition_to_string(const Program& p);

}  // namespace litmus
