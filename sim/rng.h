// sim/rng.h — the one random source of relaysim, with its algorithm written down.
//
// Determinism contract (DESIGN.md, "The engine"): every random decision of an execution comes from
// a SplitMix64 generator (Steele, Lea, Flood 2014) seeded from (master seed, execution index), so an
// execution reproduces from `--seed s --execution i` alone on any machine and any number of jobs.
// Nothing here reads the time, an address, or an unordered container.
#pragma once

#include <cstdint>
#include <string_view>

namespace sim {

/// One SplitMix64 output step applied to an arbitrary 64-bit value (a good bijective mixer).
constexpr std::uint64_t splitmix64_mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// The seed of execution `index` under master seed `master`: two rounds of the mixer over the pair.
constexpr std::uint64_t derive_seed(std::uint64_t master, std::uint64_t index) noexcept {
  return splitmix64_mix(splitmix64_mix(master + 0x9e3779b97f4a7c15ULL) ^ (index * 0xd1b54a32d192ed03ULL));
}

/// SplitMix64: state += golden gamma; output = mix(state).
class Rng {
 public:
  explicit constexpr Rng(std::uint64_t seed = 0) noexcept : state_(seed) {}
  void reseed(std::uint64_t seed) noexcept { state_ = seed; }

  constexpr std::uint64_t next() noexcept {
    state_ += 0x9e3779b97f4a7c15ULL;
    return splitmix64_mix(state_);
  }

  /// A value in [0, n), n >= 1: Lemire's multiply-shift on the high 32 bits of one output.
  /// (Bias below 2^-32 * n; accepted for speed, and it is part of the contract: do not change it
  /// without bumping the schedule format version, since seeds would map to other executions.)
  constexpr std::uint32_t below(std::uint32_t n) noexcept {
    return static_cast<std::uint32_t>(((next() >> 32) * static_cast<std::uint64_t>(n)) >> 32);
  }

 private:
  std::uint64_t state_;
};

/// Incremental trace hash: FNV-1a's prime over 64-bit words, finished by the mixer when read.
constexpr std::uint64_t hash_step(std::uint64_t h, std::uint64_t word) noexcept {
  return (h ^ word) * 0x100000001b3ULL;
}
inline constexpr std::uint64_t kHashSeed = 0xcbf29ce484222325ULL;

/// FNV-1a over the bytes of a name: the stable key of an object or a note in the trace hash.
constexpr std::uint64_t stable_text_hash(std::string_view text) noexcept {
  std::uint64_t h = kHashSeed;
  for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  return h;
}

}  // namespace sim
