// sim/shrink.cpp — see shrink.h.
#include "sim/shrink.h"

#include <tuple>

#include "sim/choice.h"

namespace sim {

std::uint32_t count_nonzero(const std::vector<std::uint32_t>& choices) {
  std::uint32_t n = 0;
  for (auto c : choices) n += c != 0;
  return n;
}

namespace {

std::uint64_t sum(const std::vector<std::uint32_t>& c) {
  std::uint64_t s = 0;
  for (auto x : c) s += x;
  return s;
}

bool smaller(const std::vector<std::uint32_t>& a, const std::vector<std::uint32_t>& b) {
  return std::make_tuple(count_nonzero(a), sum(a), a.size()) < std::make_tuple(count_nonzero(b), sum(b), b.size());
}

struct Tester {
  Sim& sim;
  Property property;
  std::uint64_t max_runs;
  std::uint64_t runs = 0;

  // Replays `candidate`; on the same violation, returns its canonical choices.
  std::optional<std::pair<std::vector<std::uint32_t>, ExecResult>> test(const std::vector<std::uint32_t>& candidate) {
    if (runs >= max_runs) return std::nullopt;
    ++runs;
    ReplaySource src(candidate, false);
    ExecResult r = sim.run(src, RunOptions{true});
    if (r.end != ExecResult::End::Violation || r.violation->property != property) return std::nullopt;
    std::vector<std::uint32_t> canon = sim.choices();
    while (!canon.empty() && canon.back() == 0) canon.pop_back();
    return std::make_pair(std::move(canon), std::move(r));
  }
};

}  // namespace

ShrinkResult shrink(Sim& sim, const std::vector<std::uint32_t>& choices, Property property, std::uint64_t max_runs) {
  Tester t{sim, property, max_runs};
  ShrinkResult out;
  auto first = t.test(choices);
  if (!first) {
    out.runs = t.runs;
    return out;
  }
  out.reproduced = true;
  std::vector<std::uint32_t> best = std::move(first->first);
  ExecResult best_result = std::move(first->second);
  out.preemptions_before = count_nonzero(best);

  auto accept = [&](const std::vector<std::uint32_t>& cand) {
    if (!smaller(cand, best)) return false;
    auto r = t.test(cand);
    if (!r || !smaller(r->first, best)) return false;
    best = std::move(r->first);
    best_result = std::move(r->second);
    return true;
  };

  bool progress = true;
  while (progress && t.runs < max_runs) {
    progress = false;
    // 1. truncation
    for (std::size_t cut = best.size() / 2; cut >= 1 && t.runs < max_runs; cut /= 2) {
      while (cut <= best.size()) {
        std::vector<std::uint32_t> cand(best.begin(), best.end() - static_cast<std::ptrdiff_t>(cut));
        if (!accept(cand)) break;
        progress = true;
      }
    }
    // 2. delta debugging over the non-zero positions
    for (std::size_t chunk = std::max<std::size_t>(count_nonzero(best) / 2, 1); chunk >= 1 && t.runs < max_runs;) {
      std::vector<std::size_t> nz;
      for (std::size_t i = 0; i < best.size(); ++i)
        if (best[i]) nz.push_back(i);
      bool changed = false;
      for (std::size_t start = 0; start < nz.size() && t.runs < max_runs; start += chunk) {
        std::vector<std::uint32_t> cand = best;
        for (std::size_t j = start; j < std::min(nz.size(), start + chunk); ++j) cand[nz[j]] = 0;
        if (accept(cand)) {
          changed = progress = true;
          break;  // positions moved: recompute them
        }
      }
      if (!changed) {
        if (chunk == 1) break;
        chunk /= 2;
      }
    }
    // 3. delta debugging by deletion: drop chunks of choices (later ones move up)
    for (std::size_t chunk = std::max<std::size_t>(best.size() / 2, 1); chunk >= 1 && t.runs < max_runs;) {
      bool changed = false;
      for (std::size_t start = 0; start < best.size() && t.runs < max_runs; start += chunk) {
        std::vector<std::uint32_t> cand(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(start));
        cand.insert(cand.end(), best.begin() + static_cast<std::ptrdiff_t>(std::min(best.size(), start + chunk)), best.end());
        if (accept(cand)) {
          changed = progress = true;
          break;
        }
      }
      if (!changed) {
        if (chunk == 1) break;
        chunk /= 2;
      }
    }
    // 4. lowering single choices
    for (std::size_t i = 0; i < best.size() && t.runs < max_runs; ++i) {
      if (best[i] <= 1) continue;
      std::vector<std::uint32_t> cand = best;
      cand[i] = 1;
      if (accept(cand)) {
        progress = true;
        continue;
      }
      cand[i] = best[i] - 1;
      if (accept(cand)) progress = true;
    }
  }
  out.choices = std::move(best);
  out.result = std::move(best_result);
  out.runs = t.runs;
  out.preemptions_after = count_nonzero(out.choices);
  // Leave the simulation with the final schedule's trace recorded.
  ReplaySource src(out.choices, false);
  out.result = sim.run(src, RunOptions{true});
  return out;
}

}  // namespace sim
