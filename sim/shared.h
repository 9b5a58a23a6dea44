// sim/shared.h — instrumented shared words (folly's DeterministicAtomic habit).
//
// `Shared<T>` is the only way model code touches state another actor can see. Every operation is a
// step: a yield point (where the scheduler may run another actor or fire an interrupt) followed by
// the access itself, which is atomic with respect to every other actor (sequential consistency).
// The memory-order argument is recorded in the trace; it does not weaken anything yet.
// `peek`/`poke` access the value without a step: for setup and for end-of-execution checks only.
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>

#include "sim/sim.h"

namespace sim {

template <class T>
class Shared final : public SimObject {
  static_assert(std::is_integral_v<T> || std::is_enum_v<T>, "Shared<T> holds integers, bools and enums");

 public:
  Shared(Sim& sim, std::string_view name, T initial = T{}) : SimObject(sim, name), initial_(initial), v_(initial) {}

  void reset() override { v_ = initial_; }
  T peek() const { return v_; }
  void poke(T v) { v_ = v; }

  T load(Mo mo = Mo::Relaxed) {
    sim_.yield_point();
    T v = v_;
    sim_.record(Op::Load, id_, bits(v), 0, mo);
    return v;
  }
  void store(T v, Mo mo = Mo::Relaxed) {
    sim_.yield_point();
    v_ = v;
    sim_.record(Op::Store, id_, bits(v), 0, mo);
  }
  T exchange(T v, Mo mo = Mo::SeqCst) {
    sim_.yield_point();
    T old = v_;
    v_ = v;
    sim_.record(Op::Xchg, id_, bits(v), bits(old), mo);
    return old;
  }
  /// cmpxchg: on failure `expected` receives the current value.
  bool compare_exchange(T& expected, T desired, Mo mo = Mo::SeqCst) {
    sim_.yield_point();
    if (v_ == expected) {
      v_ = desired;
      sim_.record(Op::CasOk, id_, bits(desired), bits(expected), mo);
      return true;
    }
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
  template <class F>
  T rmw(Op op, F f, Mo mo) {
    sim_.yield_point();
    T old = v_;
    v_ = f(old);
    sim_.record(op, id_, bits(v_), bits(old), mo);
    return old;
  }

  T initial_;
  T v_;
};

}  // namespace sim
