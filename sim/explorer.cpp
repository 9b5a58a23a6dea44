// sim/explorer.cpp — the parallel, deterministic explorer (see explorer.h).
#include "sim/explorer.h"
#include "sim/workers.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace sim {

std::string_view strategy_name(Strategy s) {
  switch (s) {
    case Strategy::Random: return "random";
    case Strategy::Pct: return "pct";
    case Strategy::Replay: return "replay";
  }
  return "?";
}

std::optional<Strategy> strategy_from_name(std::string_view name) {
  if (name == "random") return Strategy::Random;
  if (name == "pct") return Strategy::Pct;
  if (name == "replay") return Strategy::Replay;
  return std::nullopt;
}

std::uint64_t pct_steps_estimate(Sim& sim) {
  ReplaySource zeros({}, false);
  ExecResult r = sim.run(zeros);
  return std::max<std::uint64_t>(r.steps, 1);
}

ExecResult rerun(Sim& sim, Strategy strategy, std::uint64_t seed, std::uint64_t index, unsigned pct_depth,
                 bool record) {
  std::uint64_t k = strategy == Strategy::Pct ? pct_steps_estimate(sim) : 1;
  ExecutionSource src(strategy, pct_depth, k);
  return sim.run(src.at(seed, index), RunOptions{record});
}

namespace {

// A fixed-capacity open-addressing set of end-state hashes: no allocation per execution.
class EndStates {
 public:
  EndStates() : slots_(kCapacity, 0) {}
  void insert(std::uint64_t h) {
    if (h == 0) h = 1;
    if (count_ * 4 >= kCapacity * 3) {
      saturated_ = true;
      return;
    }
    std::size_t i = splitmix64_mix(h) & (kCapacity - 1);
    while (slots_[i] != 0) {
      if (slots_[i] == h) return;
      i = (i + 1) & (kCapacity - 1);
    }
    slots_[i] = h;
    ++count_;
  }
  const std::vector<std::uint64_t>& slots() const { return slots_; }
  bool saturated() const { return saturated_; }

 private:
  static constexpr std::size_t kCapacity = 1 << 16;
  std::vector<std::uint64_t> slots_;
  std::size_t count_ = 0;
  bool saturated_ = false;
};

struct Worker {
  std::uint64_t executions = 0, steps = 0, preemptions = 0, interrupts = 0;
  std::optional<FoundViolation> first;
  std::array<std::uint64_t, static_cast<std::size_t>(Property::kCount)> violations{};
  std::array<std::optional<std::uint64_t>, static_cast<std::size_t>(Property::kCount)> first_by_property{};
  std::optional<std::uint64_t> error_execution;
  std::string error_message;
  EndStates end_states;
  std::exception_ptr setup_error;
};

}  // namespace

ExploreResult explore(const WorkloadFactory& factory, const Sim::Config& config, const ExploreConfig& cfg) {
  const unsigned jobs = std::max(1u, cfg.jobs);
  const std::uint64_t limit = cfg.executions ? cfg.executions : UINT64_MAX;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };

  std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> stop_at{limit};  // no index >= stop_at is started
  std::atomic<std::uint64_t> done{0}, found{0};
  std::atomic<bool> out_of_time{false};
  std::atomic<std::uint64_t> k_estimate{0};
  const std::uint64_t chunk = limit < 4096 ? 1 : 64;

  std::vector<Worker> workers(jobs);
  auto work = [&](Worker& w) {
    try {
      std::unique_ptr<Workload> workload = factory();
      Sim sim(config);
      sim.load(*workload);
      std::uint64_t k = cfg.strategy == Strategy::Pct ? pct_steps_estimate(sim) : 1;
      k_estimate.store(k, std::memory_order_relaxed);
      ExecutionSource sources(cfg.strategy, cfg.pct_depth, k);
      for (;;) {
        if (out_of_time.load(std::memory_order_relaxed)) return;
        std::uint64_t begin = next.fetch_add(chunk, std::memory_order_relaxed);
        if (begin >= stop_at.load(std::memory_order_relaxed)) return;
        std::uint64_t end = std::min(begin + chunk, limit);
        for (std::uint64_t i = begin; i < end; ++i) {
          if (i >= stop_at.load(std::memory_order_relaxed)) return;
          ExecResult r = sim.run(sources.at(cfg.seed, i));
          ++w.executions;
          w.steps += r.steps;
          w.preemptions += r.preemptions;
          w.interrupts += r.interrupts;
          if (r.end == ExecResult::End::Finished) {
            if (!r.infeasible) w.end_states.insert(r.end_state_hash);
            continue;
          }
          found.fetch_add(1, std::memory_order_relaxed);
          auto lower_stop = [&](std::uint64_t to) {
            std::uint64_t cur = stop_at.load();
            while (to < cur && !stop_at.compare_exchange_weak(cur, to)) {
            }
          };
          if (r.end == ExecResult::End::Error) {
            if (!w.error_execution) {
              w.error_execution = i;
              try {
                std::rethrow_exception(r.error);
              } catch (const std::exception& e) {
                w.error_message = e.what();
              } catch (...) {
                w.error_message = "unknown exception";
              }
            }
            lower_stop(i + 1);
            done.fetch_add(end - begin, std::memory_order_relaxed);
            return;
          }
          auto p = static_cast<std::size_t>(r.violation->property);
          ++w.violations[p];
          if (!w.first_by_property[p]) w.first_by_property[p] = i;
          if (!w.first) w.first = FoundViolation{i, *r.violation};
          if (!cfg.keep_going) {
            lower_stop(i);
            return;
          }
        }
        done.fetch_add(end - begin, std::memory_order_relaxed);
        if (cfg.seconds > 0 && elapsed() >= cfg.seconds) out_of_time.store(true);
      }
    } catch (...) {
      w.setup_error = std::current_exception();
      stop_at.store(0);
    }
  };

  run_workers(workers, work,
              cfg.progress ? std::function<void()>([&] { cfg.progress(done.load(), found.load(), elapsed()); })
                           : std::function<void()>());

  ExploreResult res;
  res.seconds = elapsed();
  res.pct_steps_estimate = k_estimate.load();
  std::vector<std::uint64_t> states;
  for (auto& w : workers) {
    if (w.setup_error) std::rethrow_exception(w.setup_error);
    res.executions += w.executions;
    res.steps += w.steps;
    res.preemptions += w.preemptions;
    res.interrupts += w.interrupts;
    res.end_states_saturated |= w.end_states.saturated();
    for (std::uint64_t h : w.end_states.slots())
      if (h) states.push_back(h);
    if (w.first && (!res.first || w.first->execution < res.first->execution)) res.first = w.first;
    for (std::size_t p = 0; p < res.violations.size(); ++p) {
      res.violations[p] += w.violations[p];
      if (w.first_by_property[p] && (!res.first_by_property[p] || *w.first_by_property[p] < *res.first_by_property[p]))
        res.first_by_property[p] = w.first_by_property[p];
    }
    if (w.error_execution && (!res.error_execution || *w.error_execution < *res.error_execution)) {
      res.error_execution = w.error_execution;
      res.error_message = w.error_message;
    }
  }
  std::sort(states.begin(), states.end());
  res.distinct_end_states = static_cast<std::uint64_t>(std::unique(states.begin(), states.end()) - states.begin());
  return res;
}

}  // namespace sim
