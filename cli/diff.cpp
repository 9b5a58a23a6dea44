// cli/diff.cpp — see diff.h.
#include "cli/diff.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/common.h"
#include "reports/schedule.h"
#include "sim/choice.h"
#include "sim/explorer.h"

namespace cli {
namespace {

constexpr std::size_t kProps = static_cast<std::size_t>(sim::Property::kCount);
constexpr int kNone = -1;

// One execution index: the verdicts of A and B under A's schedule and under B's schedule.
struct Pair {
  int a_own = kNone, b_on_a = kNone;  // A's schedule: A's verdict, B's verdict
  int b_own = kNone, a_on_b = kNone;  // B's schedule: B's verdict, A's verdict
};

int verdict(const sim::ExecResult& r) {
  if (r.end == sim::ExecResult::End::Error) std::rethrow_exception(r.error);
  return r.violation ? static_cast<int>(r.violation->property) : kNone;
}

struct Side {
  Loaded loaded;
  std::unique_ptr<sim::Workload> workload;
  std::unique_ptr<sim::Sim> sim;
};

Side make_side(const std::string& path, const std::string& variant, const std::string& memory_model) {
  Side s{load(path, variant), nullptr, nullptr};
  if (!memory_model.empty()) s.loaded.config.memory_model = *sim::memory_model_from_name(memory_model);
  s.sim = make_sim(s.loaded, s.workload);
  return s;
}

// Two recorded executions on the same choices: the same accesses except for memory-order tags and
// barriers (Op::Fence)? Then under sc the variants cannot differ, whatever the schedule.
enum class Likeness { Same, OrderingOnly, Different };
Likeness compare_traces(const std::vector<sim::TraceEvent>& a, const std::vector<sim::TraceEvent>& b) {
  bool ordering = false;
  std::size_t i = 0, j = 0;
  for (;;) {
    while (i < a.size() && a[i].op == sim::Op::Fence) ++i;
    while (j < b.size() && b[j].op == sim::Op::Fence) ++j;
    if (i == a.size() || j == b.size()) {
      if (i != a.size() || j != b.size()) return Likeness::Different;
      break;
    }
    const sim::TraceEvent &x = a[i++], &y = b[j++];
    if (x.op != y.op || x.object != y.object || x.value != y.value || x.extra != y.extra || x.actor != y.actor ||
        x.step != y.step)
      return Likeness::Different;
    ordering |= x.mo != y.mo;
  }
  // The barriers: the same ones at the same steps?
  std::vector<std::pair<std::uint64_t, std::uint64_t>> fa, fb;
  for (const auto& e : a)
    if (e.op == sim::Op::Fence) fa.push_back({e.step, e.value});
  for (const auto& e : b)
    if (e.op == sim::Op::Fence) fb.push_back({e.step, e.value});
  ordering |= fa != fb;
  return ordering ? Likeness::OrderingOnly : Likeness::Same;
}

// Runs `own` under (strategy, seed, i) recording its choices, then replays them on `other`.
std::pair<int, int> run_pair(Side& own, Side& other, sim::ExecutionSource& src, std::uint64_t seed, std::uint64_t i) {
  int mine = verdict(own.sim->run(src.at(seed, i), sim::RunOptions{true}));
  sim::ReplaySource replay(own.sim->choices(), false);
  int theirs = verdict(other.sim->run(replay));
  return {mine, theirs};
}

}  // namespace

int cmd_diff(const DiffOptions& o) {
  if (o.variant_a == o.variant_b) throw UsageError("diff: give two different variants (--variant A --variant B)");
  Side probe_a = make_side(o.scenario, o.variant_a, o.memory_model);
  Side probe_b = make_side(o.scenario, o.variant_b, o.memory_model);
  const auto strategy = sim::strategy_from_name(o.strategy.empty() ? probe_a.loaded.spec.strategy : o.strategy);
  if (!strategy || *strategy == sim::Strategy::Replay) throw UsageError("--strategy must be random or pct");
  const std::uint64_t seed = parse_seed(o.seed);
  const std::uint64_t n = o.executions ? o.executions : probe_a.loaded.spec.executions;
  const unsigned depth = o.pct_depth ? o.pct_depth : probe_a.loaded.spec.pct_depth;
  const unsigned jobs = std::max(1u, o.jobs);
  const std::uint64_t k_a = sim::pct_steps_estimate(*probe_a.sim), k_b = sim::pct_steps_estimate(*probe_b.sim);

  std::vector<Pair> pairs(n);
  std::vector<std::exception_ptr> errors(jobs);
  auto work = [&](unsigned j) {
    try {
      Side a = make_side(o.scenario, o.variant_a, o.memory_model), b = make_side(o.scenario, o.variant_b, o.memory_model);
      sim::ExecutionSource src_a(*strategy, depth, k_a), src_b(*strategy, depth, k_b);
      for (std::uint64_t i = j; i < n; i += jobs) {
        std::tie(pairs[i].a_own, pairs[i].b_on_a) = run_pair(a, b, src_a, seed, i);
        std::tie(pairs[i].b_own, pairs[i].a_on_b) = run_pair(b, a, src_b, seed, i);
      }
    } catch (...) {
      errors[j] = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < jobs; ++j) threads.emplace_back(work, j);
  work(0);
  for (auto& t : threads) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);

  // Per property: executions violating it under A, under B (own schedules), and one-sided
  // differences on the same schedule (A's schedules replayed on B and B's replayed on A).
  struct Row {
    std::uint64_t a = 0, b = 0, only_a = 0, only_b = 0;
    std::optional<std::uint64_t> first_only_a, first_only_b;
    bool only_b_on_a_schedule = false;
  };
  std::array<Row, kProps> rows{};
  for (std::uint64_t i = 0; i < n; ++i) {
    const Pair& p = pairs[i];
    if (p.a_own != kNone) ++rows[static_cast<std::size_t>(p.a_own)].a;
    if (p.b_own != kNone) ++rows[static_cast<std::size_t>(p.b_own)].b;
    auto one_sided = [&](int in, int out, bool a_side, bool on_a_schedule) {
      if (in == kNone || in == out) return;
      Row& r = rows[static_cast<std::size_t>(in)];
      (a_side ? r.only_a : r.only_b) += 1;
      auto& first = a_side ? r.first_only_a : r.first_only_b;
      if (!first) {
        first = i;
        if (!a_side) r.only_b_on_a_schedule = on_a_schedule;
      }
    };
    one_sided(p.a_own, p.b_on_a, true, true);
    one_sided(p.b_on_a, p.a_own, false, true);
    one_sided(p.b_own, p.a_on_b, false, false);
    one_sided(p.a_on_b, p.b_own, true, false);
  }

  std::optional<reports::IoError> write_error;
  // Write the first one-sided schedule of each property, recorded on the variant that violates.
  auto write_schedule = [&](const std::string& variant, const std::string& schedule_variant, std::uint64_t i,
                            sim::Property prop) -> std::string {
    Side rec = make_side(o.scenario, schedule_variant, o.memory_model);
    sim::ExecutionSource src(*strategy, depth, schedule_variant == o.variant_a ? k_a : k_b);
    rec.sim->run(src.at(seed, i), sim::RunOptions{true});
    Side on = make_side(o.scenario, variant, o.memory_model);
    sim::ReplaySource replay(rec.sim->choices(), false);
    sim::ExecResult r = on.sim->run(replay, sim::RunOptions{true});
    rethrow_if_error(r);
    reports::Schedule sch = make_schedule(on.loaded, o.scenario, "replay", seed, i, depth, *on.sim, r);
    std::string path = (std::filesystem::path(o.out) / (std::filesystem::path(o.scenario).stem().string() + "-diff-" +
                                                         variant + "-" + std::string(sim::property_name(prop)) +
                                                         ".schedule.json"))
                           .string();
    try {
      reports::write_file_atomic(path, reports::schedule_to_json(sch, on.sim.get()).dump(1) + "\n");
    } catch (const reports::IoError& e) {
      if (!write_error) write_error = e;  // the table first, then the error (status 4)
      return "(not written)";
    }
    return path;
  };

  nlohmann::json j = {{"scenario", o.scenario}, {"variant_a", o.variant_a}, {"variant_b", o.variant_b},
                      {"strategy", sim::strategy_name(*strategy)}, {"seed", std::to_string(seed)}, {"executions", n}};
  nlohmann::json props = nlohmann::json::object();
  bool differ = false;
  if (!o.json)
    std::cout << "relaysim diff " << o.scenario << ": " << n << " schedules of each variant (" << sim::strategy_name(*strategy)
              << ", seed " << seed << "), each also replayed on the other\n"
              << "  property          " << o.variant_a << " | " << o.variant_b << " | only " << o.variant_a << " | only "
              << o.variant_b << " (same schedule)\n";
  for (std::size_t p = 0; p < kProps; ++p) {
    const Row& r = rows[p];
    if (!r.a && !r.b && !r.only_a && !r.only_b) continue;
    const auto prop = static_cast<sim::Property>(p);
    nlohmann::json row = {{"a", r.a}, {"b", r.b}, {"only_a", r.only_a}, {"only_b", r.only_b}};
    std::string sched_a, sched_b;
    if (r.first_only_a) {
      differ = true;
      // A violated where B did not: the schedule came from A's run unless it was B's.
      sched_a = write_schedule(o.variant_a, o.variant_a, *r.first_only_a, prop);
      row["first_only_a"] = {{"execution", *r.first_only_a}, {"schedule", sched_a}};
    }
    if (r.first_only_b) {
      differ = true;
      sched_b = write_schedule(o.variant_b, r.only_b_on_a_schedule ? o.variant_a : o.variant_b, *r.first_only_b, prop);
      row["first_only_b"] = {{"execution", *r.first_only_b}, {"schedule", sched_b}};
    }
    props[std::string(sim::property_name(prop))] = row;
    if (!o.json) {
      char line[160];
      std::snprintf(line, sizeof line, "  %-16s %8llu | %8llu | %8llu | %8llu\n", std::string(sim::property_name(prop)).c_str(),
                    static_cast<unsigned long long>(r.a), static_cast<unsigned long long>(r.b),
                    static_cast<unsigned long long>(r.only_a), static_cast<unsigned long long>(r.only_b));
      std::cout << line;
      if (!sched_a.empty()) std::cout << "    only " << o.variant_a << ": relaysim replay " << sched_a << "\n";
      if (!sched_b.empty()) std::cout << "    only " << o.variant_b << ": relaysim replay " << sched_b << "\n";
    }
  }
  j["properties"] = props;
  j["differ"] = differ;
  // Under sc, variants that differ only in ordering annotations (Mo tags, barriers) run the same
  // accesses on every schedule: say so, rather than a bare "no property differs" (issue 13).
  const sim::MemoryModel mm = probe_a.loaded.config.memory_model;
  if (mm == sim::MemoryModel::Sc) {
    Likeness like = Likeness::Same;
    for (std::uint64_t i = 0; i < std::min<std::uint64_t>(n, 8) && like != Likeness::Different; ++i) {
      sim::ExecutionSource src(*strategy, depth, k_a);
      probe_a.sim->run(src.at(seed, i), sim::RunOptions{true});
      sim::ReplaySource replay(probe_a.sim->choices(), false);
      probe_b.sim->run(replay, sim::RunOptions{true});
      const Likeness l = compare_traces(probe_a.sim->trace(), probe_b.sim->trace());
      if (l == Likeness::Different) like = l;
      else if (l == Likeness::OrderingOnly) like = l;
    }
    if (like == Likeness::OrderingOnly) {
      j["ordering_only"] = true;
      if (!o.json)
        std::cout << "  warning: " << o.variant_a << " and " << o.variant_b
                  << " make the same accesses and differ only in memory-order tags or barriers, which the sc memory "
                     "model ignores: run with --memory-model lkmm (or tso) to compare them\n";
    }
  }
  if (o.json) std::cout << j.dump() << "\n";
  else if (!differ) std::cout << "  no property differs between " << o.variant_a << " and " << o.variant_b << "\n";
  if (write_error) {
    std::cout.flush();
    std::cerr << "relaysim: cannot write a differing schedule: " << write_error->what() << "\n";
    return kExitIo;
  }
  return kExitOk;
}

}  // namespace cli
