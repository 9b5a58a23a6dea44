// sim/shared.h — instrumented shared words (folly's DeterministicAtomic habit).
//
// `Shared<T>` is the only way model code touches state another actor can see. Every operation is a
// step: a yield point (where the scheduler may run another actor or fire an interrupt) followed by
// the access itself. Under the default memory model (sc) the access is atomic with respect to every
// other actor and in program order, and the memory-order argument is only recorded in the trace.
// Under tso and lkmm (sim/memory.h) the value lives in the Sim's Memory and the tag is what the
// model acts on (READ_ONCE/WRITE_ONCE = Relaxed, smp_load_acquire = Acquire, smp_store_release =
// Release, value-returning atomics = SeqCst); the sc path costs one null test.
// `peek`/`poke` access the value without a step: for setup and for end-of-execution checks only
// (under tso/lkmm: the newest value, and a write every CPU sees at once).
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>

#include "sim/memory.h"
#include "sim/sim.h"

namespace sim {

template <class T>
class Shared final : public SimObject {
  static_assert(std::is_integral_v<T> || std::is_enum_v<T>, "Shared<T> holds integers, bools and enums");

 public:
  Shared(Sim& sim, std::string_view name, T initial = T{}) : SimObject(sim, name), initial_(initial), v_(initial) {}

  void reset() override { v_ = initial_; }
  T peek() const {
    if (Memory* m = sim_.memory()) [[unlikely]]
      return from_bits(m->latest(id_, bits(initial_)));
    return v_;
  }
  void poke(T v) {
    if (Memory* m = sim_.memory()) [[unlikely]]
      m->poke(id_, bits(initial_), bits(v));
    v_ = v;
  }

  T load(Mo mo = Mo::Relaxed) {
    if (Memory* m = sim_.memory()) [[unlikely]]
      m->before_load(mo);  // lkmm: a promise may be made here, before the yield point
    sim_.yield_point();
    if (Memory* m = sim_.memory()) [[unlikely]]
      v_ = from_bits(m->load(id_, bits(initial_), mo));
    T v = v_;
    sim_.record(Op::Load, id_, bits(v), 0, mo);
    return v;
  }
  void store(T v, Mo mo = Mo::Relaxed) {
    sim_.yield_point();
    if (Memory* m = sim_.memory()) [[unlikely]]
      m->store(id_, bits(initial_), bits(v), mo);
    v_ = v;
    sim_.record(Op::Store, id_, bits(v), 0, mo);
  }
  T exchange(T v, Mo mo = Mo::SeqCst) {
    sim_.yield_point();
    if (Memory* m = sim_.memory()) [[unlikely]] {
      v_ = from_bits(m->rmw_read(id_, bits(initial_), mo));
      m->rmw_write(id_, bits(v), mo);
    }
    T old = v_;
    v_ = v;
    sim_.record(Op::Xchg, id_, bits(v), bits(old), mo);
    return old;
  }
  /// cmpxchg: on failure `expected` receives the current value.
  bool compare_exchange(T& expected, T desired, Mo mo = Mo::SeqCst) {
    sim_.yield_point();
    Memory* m = sim_.memory();
    if (m) [[unlikely]]
      v_ = from_bits(m->rmw_read(id_, bits(initial_), mo));
    if (v_ == expected) {
      if (m) [[unlikely]]
        m->rmw_write(id_, bits(desired), mo);
      v_ = desired;
      sim_.record(Op::CasOk, id_, bits(desired), bits(expected), mo);
      return true;
    }
    if (m) [[unlikely]]
      m->rmw_fail(id_, mo);
    expected = v_;
    sim_.record(Op::CasFail, id_, bits(v_), bits(desired), mo);
    return false;
  }
  T fetch_add(T d, Mo mo = Mo::SeqCst) { return rmw(Op::FetchAdd, [d](T x) { return static_cast<T>(x + d); }, mo); }
  T fetch_sub(T d, Mo mo = Mo::SeqCst) { return rmw(Op::FetchAdd, [d](T x) { return static_cast<T>(x - d); }, mo); }
  T fetch_or(T d, Mo mo = Mo::SeqCst) { return rmw(Op::FetchOr, [d](T x) { return static_cast<T>(x | d); }, mo); }
  T fetch_and(T d, Mo mo = Mo::SeqCst) { return rmw(Op::FetchAnd, [d](T x) { return static_cast<T>(x & d); }, mo); }

 private:
  static std::uint64_t bits(T v) {
    if constexpr (std::is_enum_v<T>)
      return static_cast<std::uint64_t>(static_cast<std::underlying_type_t<T>>(v));
    else
      return static_cast<std::uint64_t>(v);
  }
  static T from_bits(std::uint64_t b) {
    if constexpr (std::is_enum_v<T>)
      return static_cast<T>(static_cast<std::underlying_type_t<T>>(b));
    else if constexpr (std::is_same_v<T, bool>)
      return b != 0;
    else
      return static_cast<T>(b);
  }
  template <class F>
  T rmw(Op op, F f, Mo mo) {
    sim_.yield_point();
    Memory* m = sim_.memory();
    if (m) [[unlikely]]
      v_ = from_bits(m->rmw_read(id_, bits(initial_), mo));
    T old = v_;
    v_ = f(old);
    if (m) [[unlikely]]
      m->rmw_write(id_, bits(v_), mo);
    sim_.record(op, id_, bits(v_), bits(old), mo);
    return old;
  }

  T initial_;
  T v_;
};

}  // namespace sim
