// cli/commands.cpp — see commands.h. Each subcommand is a function over parsed options; all
// user-caused errors become one line on stderr and exit status 2.
#include "cli/commands.h"
#include "cli/check_patch.h"
#include "cli/common.h"
#include "cli/diff.h"
#include "cli/exec_stream.h"
#include "cli/litmus.h"
#include "cli/validate.h"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "model/registry.h"
#include "model/bpf_relay_map/exec.h"
#include "model/bpf_ringbuf/exec.h"
#include "model/ftrace_rb/exec.h"
#include "model/perf_buf/exec.h"
#include "model/relay/exec.h"
#include "model/relay/kernel_channel.h"
#include <fstream>
#include "reports/culprit.h"
#include "reports/html.h"
#include "reports/schedule.h"
#include "reports/text_trace.h"
#include "scenarios/spec.h"
#include "sim/choice.h"
#include "sim/dfs.h"
#include "sim/explorer.h"
#include "sim/shrink.h"

namespace cli {
namespace {

constexpr double kMaxSeconds = 1e7;  // about 115 days
constexpr std::uint64_t kMaxExecutions = 1'000'000'000'000;  // as a scenario's explore.executions
constexpr std::uint64_t kMaxDiffExecutions = 1'000'000;       // diff keeps a verdict pair per execution
CLI::Validator seed_check() { return unsigned_in(0, UINT64_MAX); }
CLI::Validator executions_check() { return unsigned_in(1, kMaxExecutions); }
CLI::Validator jobs_check() { return unsigned_in(1, 256); }
CLI::Validator depth_check() { return unsigned_in(1, reports::kMaxPctDepth); }

// A schedule names its scenario by the path it was made with. That path is looked up relative to
// the schedule file's folder and each folder above it (so a schedule in the repository finds
// `scenarios/...` from anywhere), then the current directory, then the source tree relaysim was
// built from. An absolute path is taken as it is; a path found nowhere is kept as written, and
// loading it then reports the missing file.
std::string resolve_scenario_path(const std::string& schedule_file, const std::string& scenario) {
  namespace fs = std::filesystem;
  fs::path p(scenario);
  if (scenario.empty() || p.is_absolute()) return scenario;
  std::error_code ec;
  if (fs::exists(p, ec)) return scenario;  // as written, from here: the common case, kept short
  fs::path dir = fs::absolute(fs::path(schedule_file), ec).parent_path();
  for (fs::path d = dir; !d.empty(); d = d.parent_path()) {
    if (fs::exists(d / p, ec)) return (d / p).lexically_normal().string();
    if (d == d.root_path()) break;
  }
#ifdef RELAYSIM_SOURCE_DIR
  if (fs::exists(fs::path(RELAYSIM_SOURCE_DIR) / p, ec)) return (fs::path(RELAYSIM_SOURCE_DIR) / p).string();
#endif
  return scenario;
}

reports::Schedule read_schedule(const std::string& file) {
  reports::Schedule sch = reports::schedule_from_text(read_input_file(file, kMaxInputBytes, "schedule file"), file);
  sch.scenario = resolve_scenario_path(file, sch.scenario);
  return sch;
}

// ---- explore -----------------------------------------------------------------------------------

// --source, --kernel-tree, --patch, --points: which source of a design runs (model/registry.h).
struct SourceFlags {
  std::string source, tree, points = "all";
  std::vector<std::string> patches;
  void add_to(CLI::App* app) {
    app->add_option("--source", source, "model | kernel (default: the scenario's source, else model)")
        ->check(CLI::IsMember({"model", "kernel"}));
    app->add_option("--kernel-tree", tree, "kernel tree for --source kernel (default: Debian's linux-source-6.12)");
    app->add_option("--patch", patches, "patch applied to a private copy of the tree with patch -p1 (repeatable)");
    app->add_option("--points", points, "all | marked: with marked, plain accesses of kernel code are not steps")
        ->check(CLI::IsMember({"all", "marked"}));
  }
  bool given() const { return !source.empty() || !tree.empty() || !patches.empty() || points != "all"; }
  model::SourceOptions options() const {
    model::SourceOptions o;
    o.source = source;
    o.tree.tree = tree;
    o.tree.patches = patches;
    o.marked_only = points == "marked";
    if (o.source.empty() && (!tree.empty() || !patches.empty())) o.source = "kernel";
    return o;
  }
};

// --memory-model sc|tso|lkmm (sim/memory.h): overrides the scenario's `memory_model` (explore, run,
// diff) or the schedule's (replay, shrink).
struct MemoryFlag {
  std::string name;
  void add_to(CLI::App* app, const char* what) {
    app->add_option("--memory-model", name, what)->check(CLI::IsMember({"sc", "tso", "lkmm"}));
  }
  void apply(Loaded& l) const {
    if (!name.empty()) l.config.memory_model = *sim::memory_model_from_name(name);
  }
};

// The progress line on a terminal (explore's sampling and dfs paths).
void progress_line(std::uint64_t n, std::uint64_t violating, double secs) {
  std::fprintf(stderr, "\r  %llu executions  %s exec/s  %llu violating   ", static_cast<unsigned long long>(n),
               human(secs > 0 ? n / secs : 0).c_str(), static_cast<unsigned long long>(violating));
  std::fflush(stderr);
}

// The progress line of a budgeted run: the share of the budget done and the time left, from the
// executions budget (at the rate so far) or from the time budget.
std::function<void(std::uint64_t, std::uint64_t, double)> budget_progress(std::uint64_t executions, double seconds) {
  return [executions, seconds](std::uint64_t n, std::uint64_t violating, double secs) {
    const double rate = secs > 0 ? n / secs : 0;
    double done = 0, left = 0;
    if (seconds > 0) {
      done = std::min(1.0, secs / seconds);
      left = std::max(0.0, seconds - secs);
    } else if (executions > 0) {
      done = std::min(1.0, double(n) / double(executions));
      left = rate > 0 ? double(executions - std::min(n, executions)) / rate : 0;
    }
    std::fprintf(stderr, "\r  %3.0f%%  %llu executions  %s exec/s  %llu violating  ETA %.0f s   ", done * 100,
                 static_cast<unsigned long long>(n), human(rate).c_str(), static_cast<unsigned long long>(violating), left);
    std::fflush(stderr);
  };
}


struct ExploreOpts {
  SourceFlags source;
  MemoryFlag memory;
  std::string scenario, variant, strategy, seed = "1", out = "relaysim-out";
  std::uint64_t executions = 0;
  double seconds = 0;
  unsigned jobs = 1, pct_depth = 0;
  bool keep_going = false, json = false, quiet = false;
  bool classes = false;  // random/pct: count the equivalence classes visited (sim::sampled_classes)
  std::string perfetto, html;
  std::optional<std::uint32_t> preemption_bound, interrupt_bound, depth_bound;
  bool no_reduction = false;
  std::string reduction;
  std::string expect;  // --expect: overrides the scenario's [check] expect
};

// --expect pass | PROPERTY[,PROPERTY...]: the expectation of this run instead of the scenario's
// (a historical variant's scenario run on a tree that has the fix, for instance).
void apply_expect(const std::string& e, scenario::Spec& spec) {
  if (e.empty()) return;
  spec.expect_violations.clear();
  if (e == "pass") return;
  std::size_t at = 0;
  while (at <= e.size()) {
    const std::size_t comma = std::min(e.find(',', at), e.size());
    const std::string name = e.substr(at, comma - at);
    if (!sim::property_from_name(name)) throw UsageError("--expect: '" + name + "' is not pass or a property name");
    spec.expect_violations.push_back(name);
    at = comma + 1;
  }
}

// ---- explore --strategy dfs ---------------------------------------------------------------------

std::string bounds_text(const sim::DfsConfig& c, const std::optional<std::uint32_t>& pb) {
  std::string t;
  auto add = [&](const std::string& s) { t += (t.empty() ? "" : ", ") + s; };
  if (pb) add("preemptions <= " + std::to_string(*pb));
  if (c.interrupt_bound) add("interrupt firings <= " + std::to_string(*c.interrupt_bound));
  if (c.depth_bound) add("choice depth <= " + std::to_string(*c.depth_bound));
  return t.empty() ? "no bound" : t;
}

std::string coverage_line(const sim::DfsConfig& c, const sim::DfsResult& r) {
  const sim::DfsCoverage& v = r.last();
  std::ostringstream o;
  if (v.complete) {
    if (r.reduction && c.dpor && !r.sleep_sets && v.reversals_beyond_bounds == 0)  // what the bound guarantees with DPOR
      o << "complete: every equivalence class explored, within the bounds (" << bounds_text(c, v.preemption_bound)
        << "; no race reversal needed more): ";
    else if (r.reduction && c.dpor && !r.sleep_sets)
      o << "complete within the bounds (" << bounds_text(c, v.preemption_bound) << ") for source-DPOR, but "
        << v.reversals_beyond_bounds << " race reversals needed more than the bounds (classes reached only through them may "
        << "be missing; --reduction none covers every schedule within the bounds): ";
    else
      o << "complete: every schedule within the bounds (" << bounds_text(c, v.preemption_bound) << ") explored: ";
    o << v.executions << " executions, " << v.classes << " equivalence classes, " << v.distinct_end_states
      << " distinct end states";
  } else {
    char frac[32];
    std::snprintf(frac, sizeof frac, "%.3g", v.fraction);
    o << "incomplete: " << v.executions << " executions at " << bounds_text(c, v.preemption_bound)
      << ", explored fraction ~" << frac << " (Knuth estimate), deepest preemption bound fully covered: "
      << (r.deepest_bound_covered ? std::to_string(*r.deepest_bound_covered) : std::string("none"));
  }
  return o.str();
}

int cmd_explore_dfs(const ExploreOpts& o, const Loaded& l) {
  sim::DfsConfig cfg;
  cfg.preemption_bound = o.preemption_bound;
  cfg.interrupt_bound = o.interrupt_bound;
  cfg.depth_bound = o.depth_bound;
  if (!o.reduction.empty() && o.reduction != "sleep" && o.reduction != "dpor" && o.reduction != "none")
    throw UsageError("--reduction must be sleep, dpor or none, not '" + o.reduction + "'");
  cfg.reduction = !o.no_reduction && o.reduction != "none";
  cfg.dpor = o.reduction == "dpor";
  if (l.config.memory_model != sim::MemoryModel::Sc && cfg.reduction && !o.reduction.empty())
    throw UsageError("--reduction " + o.reduction + " with --memory-model " +
                     std::string(sim::memory_model_name(l.config.memory_model)) +
                     ": sleep sets and DPOR are not sound with the memory model's read choices; omit --reduction (dfs then runs unreduced)");
  cfg.executions = o.executions ? o.executions : (o.seconds > 0 ? 0 : 1'000'000);
  cfg.seconds = o.seconds;
  cfg.jobs = o.jobs ? o.jobs : 1;
  cfg.keep_going = o.keep_going;
  const bool tty = isatty(STDERR_FILENO) && !o.quiet && !o.json;
  if (tty)
    cfg.progress = progress_line;
  sim::DfsResult r = sim::explore_dfs(l.prepared.factory, l.config, cfg);
  if (tty) std::fprintf(stderr, "\r%70s\r", "");
  if (r.error) throw std::runtime_error("dfs: internal fault in model code: " + *r.error);
  std::optional<sim::Violation> found;
  if (r.first) found = r.first->violation;
  const bool ok = as_expected(l.spec, found);

  std::string schedule_path, trace_path, violation_text, report_path;
  std::uint64_t trace_hash = 0;
  std::optional<reports::IoError> write_error;
  if (r.first) {
    std::unique_ptr<sim::Workload> w;
    auto s = make_sim(l, w);
    sim::ReplaySource src(r.first->choices, true);
    sim::ExecResult rr = s->run(src, sim::RunOptions{true});
    rethrow_if_error(rr);
    trace_hash = rr.trace_hash;
    if (rr.violation) violation_text = reports::describe_violation(*s, *rr.violation);
    auto sch = make_schedule(l, o.scenario, "dfs", 0, r.first->execution, l.spec.pct_depth, *s, rr);  // pct_depth unused by dfs
    try {
      publish_violation(o.out, violation_stem(o.scenario, l, r.first->violation.property), sch, *s, rr, &schedule_path,
                        &trace_path, &report_path);
      reports::write_reports(*s, rr, o.perfetto, o.html, {o.scenario + " (" + l.prepared.variant + ")", "relaysim replay " + schedule_path});
    } catch (const reports::IoError& e) {
      write_error = e;
    }
  }
  auto status = [&](bool as_exp) { return exit_status(as_exp, write_error); };
  const sim::DfsCoverage& last = r.last();
  auto opt_json = [](const std::optional<std::uint32_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  if (o.json) {
    nlohmann::json j;
    j["scenario"] = o.scenario;
    j["model"] = l.spec.model;
    j["variant"] = l.prepared.variant;
    j["source"] = l.prepared.source;
    j["strategy"] = "dfs";
    j["jobs"] = cfg.jobs;
    j["reduction"] = r.reduction ? (cfg.dpor ? "dpor" : "sleep-sets") : "none";
    j["preemption_bound"] = opt_json(cfg.preemption_bound);
    j["interrupt_bound"] = opt_json(cfg.interrupt_bound);
    j["depth_bound"] = opt_json(cfg.depth_bound);
    j["executions"] = r.total_executions;
    j["seconds"] = r.seconds;
    j["executions_per_second"] = r.seconds > 0 ? r.total_executions / r.seconds : 0;
    j["distinct_end_states"] = last.distinct_end_states;
    nlohmann::json iters = nlohmann::json::array();
    for (const auto& it : r.iterations)
      iters.push_back({{"preemption_bound", opt_json(it.preemption_bound)},
                       {"complete", it.complete},
                       {"executions", it.executions},
                       {"classes", it.classes},
                       {"distinct_end_states", it.distinct_end_states},
                       {"sleep_blocked", it.sleep_blocked},
                       {"bounded_out", it.bounded_out},
                       {"reversals_beyond_bounds", it.reversals_beyond_bounds},
                       {"steps", it.steps},
                       {"fraction", it.fraction},
                       {"work_items", it.work_items},
                       {"seconds", it.seconds}});
    j["coverage"] = {{"complete", last.complete},
                     {"executions", last.executions},
                     {"classes", last.classes},
                     {"distinct_end_states", last.distinct_end_states},
                     {"fraction", last.fraction},
                     {"deepest_bound_covered", opt_json(r.deepest_bound_covered)},
                     {"line", coverage_line(cfg, r)},
                     {"iterations", iters}};
    j["expect"] = expectation(l.spec);
    j["as_expected"] = ok;
    if (r.first) {
      j["violation"] = {{"property", sim::property_name(r.first->violation.property)},
                        {"execution", r.first->execution},
                        {"preemption_bound", opt_json(r.first->preemption_bound)},
                        {"step", r.first->violation.step},
                        {"message", r.first->violation.message},
                        {"trace_hash", reports::hex64(trace_hash)},
                        {"schedule", schedule_path}};
    }
    nlohmann::json per = nlohmann::json::object();
    for (std::size_t p = 0; p < r.violations.size(); ++p)
      if (r.violations[p]) per[std::string(sim::kPropertyNames[p])] = r.violations[p];
    j["violating_executions_by_property"] = per;
    std::cout << j.dump() << "\n";
    return status(ok);
  }
  std::ostream& out = std::cout;
  out << "relaysim explore " << o.scenario << ": model " << l.spec.model << ", variant " << l.prepared.variant
      << (l.prepared.source == "kernel" ? ", source kernel" : "") << ", strategy dfs (" << bounds_text(cfg, cfg.preemption_bound) << "), reduction "
      << (r.reduction ? (cfg.dpor ? (r.sleep_sets ? "source-DPOR + sleep sets" : "source-DPOR within the bounds (BPOR)") : "sleep sets") : "none") << ", jobs "
      << cfg.jobs << "\n";
  if (r.iterations.size() > 1)
    for (const auto& it : r.iterations)
      out << "  bound " << (it.preemption_bound ? std::to_string(*it.preemption_bound) : std::string("-")) << ": "
          << (it.complete ? "complete" : "incomplete") << ", " << it.executions << " executions, " << it.classes
          << " classes, " << it.distinct_end_states << " end states, " << it.seconds << " s\n";
  out << "  " << coverage_line(cfg, r) << "\n";
  out << "  executions " << r.total_executions << " in all, " << r.seconds << " s";
  if (last.sleep_blocked) out << ", sleep-set blocked " << last.sleep_blocked;
  if (last.bounded_out) out << ", cut by the bounds " << last.bounded_out;
  out << "\n";
  for (std::size_t p = 0; p < r.violations.size(); ++p)
    if (r.violations[p]) out << "  " << sim::kPropertyNames[p] << ": violated in " << r.violations[p] << " executions\n";
  if (r.first) {
    if (r.first->preemption_bound)
      out << "  smallest preemption bound with a violation: " << *r.first->preemption_bound << "\n";
    out << "  execution " << r.first->execution << ": " << violation_text << "\n";
    out << "  trace:     " << trace_path << "\n";
    if (!report_path.empty()) out << "  report:    " << report_path << "\n";
    out << "  replay:    relaysim replay " << schedule_path << "\n";
  } else {
    out << "  no violation\n";
  }
  out << "  expected " << expectation(l.spec) << ": " << (ok ? "as expected" : "NOT as expected") << "\n";
  return status(ok);
}

int cmd_explore(const ExploreOpts& o) {
  Loaded l = load(o.scenario, o.variant, o.source.options());
  o.memory.apply(l);
  apply_expect(o.expect, l.spec);
  if (o.strategy == "dfs") return cmd_explore_dfs(o, l);
  if (o.preemption_bound || o.interrupt_bound || o.depth_bound || o.no_reduction || !o.reduction.empty())
    throw UsageError("--preemption-bound, --interrupt-bound, --depth-bound and --reduction need --strategy dfs");
  sim::ExploreConfig cfg;
  auto strategy = sim::strategy_from_name(o.strategy.empty() ? l.spec.strategy : o.strategy);
  if (!strategy || *strategy == sim::Strategy::Replay) throw UsageError("--strategy must be random, pct or dfs");
  cfg.strategy = *strategy;
  cfg.seed = parse_seed(o.seed);
  cfg.seconds = o.seconds;
  cfg.executions = o.executions ? o.executions : (o.seconds > 0 ? 0 : l.spec.executions);
  cfg.jobs = o.jobs ? o.jobs : 1;
  cfg.pct_depth = o.pct_depth ? o.pct_depth : l.spec.pct_depth;
  cfg.keep_going = o.keep_going;
  const bool tty = isatty(STDERR_FILENO) && !o.quiet && !o.json;
  if (tty)
    cfg.progress = budget_progress(cfg.executions, cfg.seconds);
  sim::ExploreResult r = sim::explore(l.prepared.factory, l.config, cfg);
  if (tty) std::fprintf(stderr, "\r%100s\r", "");
  if (r.error_execution)
    throw std::runtime_error("execution " + std::to_string(*r.error_execution) + ": internal fault in model code: " + r.error_message);

  const double exec_s = r.seconds > 0 ? r.executions / r.seconds : 0;
  // --classes: the executions the run counted (up to the first violation when it stopped there).
  std::optional<std::uint64_t> classes;
  if (o.classes)
    classes = sim::sampled_classes(l.prepared.factory, l.config, cfg.strategy, cfg.seed, cfg.pct_depth,
                                   r.pct_steps_estimate,
                                   r.first && !o.keep_going ? std::min(r.executions, r.first->execution + 1) : r.executions);
  const double steps_s = r.seconds > 0 ? r.steps / r.seconds : 0;
  std::optional<sim::Violation> found;
  if (r.first) found = r.first->violation;
  const bool ok = as_expected(l.spec, found);

  std::string schedule_path, trace_path, violation_text, html_path, culprit;
  std::uint64_t trace_hash = 0;
  std::optional<reports::IoError> write_error;  // reported after the verdict
  if (r.first) {
    // Re-run the violating execution with recording on: its choices, trace and hash.
    std::unique_ptr<sim::Workload> w;
    auto s = make_sim(l, w);
    sim::ExecResult rr = sim::rerun(*s, cfg.strategy, cfg.seed, r.first->execution, cfg.pct_depth);
    rethrow_if_error(rr);
    trace_hash = rr.trace_hash;
    if (rr.violation) violation_text = reports::describe_violation(*s, *rr.violation);
    auto sch = make_schedule(l, o.scenario, std::string(sim::strategy_name(cfg.strategy)), cfg.seed, r.first->execution,
                             cfg.pct_depth, *s, rr);
    // One directory per violation, published as a unit (reports/output.h): its schedule, trace
    // and HTML report always belong together, whatever kills relaysim or runs beside it.
    try {
      publish_violation(o.out, violation_stem(o.scenario, l, r.first->violation.property), sch, *s, rr, &schedule_path,
                        &trace_path, &html_path);
      reports::write_reports(*s, rr, o.perfetto, o.html, {o.scenario + " (" + l.prepared.variant + ")", "relaysim replay " + schedule_path});
      if (!o.html.empty()) html_path = o.html;
    } catch (const reports::IoError& e) {
      write_error = e;
    }
    if (rr.violation)
      if (auto c = reports::find_culprit(*s, *rr.violation)) culprit = c->summary;
  }
  // --keep-going: every other violated property gets its own directory (schedule, trace, report)
  // from the first execution that violated it, so each can be replayed and shrunk on its own.
  std::array<std::string, static_cast<std::size_t>(sim::Property::kCount)> schedule_by_property{};
  if (o.keep_going && r.first && !write_error) {
    for (std::size_t p = 0; p < r.violations.size(); ++p) {
      if (!r.first_by_property[p] || p == static_cast<std::size_t>(r.first->violation.property)) continue;
      std::unique_ptr<sim::Workload> w;
      auto s = make_sim(l, w);
      sim::ExecResult rr = sim::rerun(*s, cfg.strategy, cfg.seed, *r.first_by_property[p], cfg.pct_depth);
      rethrow_if_error(rr);
      if (!rr.violation || static_cast<std::size_t>(rr.violation->property) != p)
        throw std::runtime_error("execution " + std::to_string(*r.first_by_property[p]) + " did not violate " +
                                 std::string(sim::kPropertyNames[p]) + " again when re-run");
      auto sch = make_schedule(l, o.scenario, std::string(sim::strategy_name(cfg.strategy)), cfg.seed,
                               *r.first_by_property[p], cfg.pct_depth, *s, rr);
      std::string sp, tp, hp;
      try {
        publish_violation(o.out, violation_stem(o.scenario, l, rr.violation->property), sch, *s, rr, &sp, &tp, &hp);
        schedule_by_property[p] = sp;
      } catch (const reports::IoError& e) {
        write_error = e;
        break;
      }
    }
    schedule_by_property[static_cast<std::size_t>(r.first->violation.property)] = schedule_path;
  }
  auto status = [&](bool as_exp) { return exit_status(as_exp, write_error); };

  if (o.json) {
    nlohmann::json j;
    j["scenario"] = o.scenario;
    j["model"] = l.spec.model;
    j["variant"] = l.prepared.variant;
    j["source"] = l.prepared.source;
    j["strategy"] = sim::strategy_name(cfg.strategy);
    j["seed"] = std::to_string(cfg.seed);
    j["jobs"] = cfg.jobs;
    j["executions"] = r.executions;
    j["steps"] = r.steps;
    j["seconds"] = r.seconds;
    j["executions_per_second"] = exec_s;
    j["steps_per_second"] = steps_s;
    j["preemptions"] = r.preemptions;
    j["interrupts"] = r.interrupts;
    j["distinct_end_states"] = r.distinct_end_states;
    if (classes) j["classes"] = *classes;
    j["expect"] = expectation(l.spec);
    j["as_expected"] = ok;
    if (r.first) {
      j["violation"] = {{"property", sim::property_name(r.first->violation.property)},
                        {"execution", r.first->execution},
                        {"step", r.first->violation.step},
                        {"message", r.first->violation.message},
                        {"trace_hash", reports::hex64(trace_hash)},
                        {"schedule", schedule_path},
                        {"report", html_path},
                        {"accesses", culprit}};
    }
    if (o.keep_going) {
      nlohmann::json per;
      for (std::size_t p = 0; p < r.violations.size(); ++p)
        if (r.violations[p])
          per[std::string(sim::kPropertyNames[p])] = {{"executions", r.violations[p]},
                                                      {"first", *r.first_by_property[p]},
                                                      {"schedule", schedule_by_property[p]}};
      j["violations_by_property"] = per;
    }
    std::cout << j.dump() << "\n";
    return status(ok);
  }

  std::ostream& out = std::cout;
  out << "relaysim explore " << o.scenario << ": model " << l.spec.model << ", variant " << l.prepared.variant
      << (l.prepared.source == "kernel" ? ", source kernel" : "") << ", strategy " << sim::strategy_name(cfg.strategy) << ", seed " << cfg.seed << ", jobs " << cfg.jobs << "\n";
  out << "  executions " << r.executions << ", steps " << r.steps << ", " << human(exec_s) << " exec/s, " << human(steps_s)
      << " steps/s, preemptions " << r.preemptions << ", interrupts " << r.interrupts << ", distinct end states "
      << r.distinct_end_states << (r.end_states_saturated ? "+" : "") << ", " << r.seconds << " s\n";
  if (classes) out << "  equivalence classes visited: " << *classes << " (Mazurkiewicz classes, as dfs counts them)\n";
  if (o.keep_going) {
    for (std::size_t p = 0; p < r.violations.size(); ++p)
      if (r.violations[p])
        out << "  " << sim::kPropertyNames[p] << ": violated in " << r.violations[p] << " executions (first: "
            << *r.first_by_property[p] << ")"
            << (schedule_by_property[p].empty() ? std::string() : "; replay: relaysim replay " + schedule_by_property[p]) << "\n";
  }
  if (r.first) {
    out << "  execution " << r.first->execution << ": " << violation_text << "\n";
    if (!culprit.empty()) out << "  accesses:  " << culprit << "\n";
    if (write_error) {
      out << "  files:     not written (see below)\n";
    } else {
      out << "  trace:     " << trace_path << "\n";
      out << "  report:    " << (html_path.empty() ? std::string("(too many events for a default page; pass --html FILE)") : html_path) << "\n";
      out << "  replay:    relaysim replay " << schedule_path << "\n";
    }
  } else {
    out << "  no violation\n";
  }
  out << "  expected " << expectation(l.spec) << ": " << (ok ? "as expected" : "NOT as expected") << "\n";
  const std::string own = l.spec.strategy.empty() ? "random" : l.spec.strategy;
  if (!ok && !r.first && !l.spec.expect_violations.empty() && own != sim::strategy_name(cfg.strategy))
    out << "  budget miss: this scenario's own strategy is " << own << "; under " << sim::strategy_name(cfg.strategy)
        << " its budget ran out before the bug showed (no violation was found, so no property is missing from the list)\n";
  return status(ok);
}

// ---- run ---------------------------------------------------------------------------------------

int cmd_run(const std::string& path, const std::string& variant, const std::string& strategy_name,
            const std::string& seed_text, std::uint64_t execution, unsigned depth, const SourceFlags& source,
            const std::string& perfetto, const std::string& html, const std::string& save_schedule,
            const MemoryFlag& memory) {
  Loaded l = load(path, variant, source.options());
  memory.apply(l);
  auto strategy = sim::strategy_from_name(strategy_name.empty() ? l.spec.strategy : strategy_name);
  if (!strategy || *strategy == sim::Strategy::Replay) throw UsageError("--strategy must be random or pct");
  std::uint64_t seed = parse_seed(seed_text);
  std::unique_ptr<sim::Workload> w;
  auto s = make_sim(l, w);
  sim::ExecResult r = sim::rerun(*s, *strategy, seed, execution, depth ? depth : l.spec.pct_depth);
  rethrow_if_error(r);
  std::cout << reports::render_text_trace(*s, r);
  reports::write_reports(*s, r, perfetto, html, {path + " (" + l.prepared.variant + ")", save_schedule.empty() ? "" : "relaysim replay " + save_schedule});
  if (!save_schedule.empty())
    reports::write_file_atomic(save_schedule, reports::schedule_to_json(make_schedule(l, path, std::string(sim::strategy_name(*strategy)), seed, execution,
                                                                                      depth ? depth : l.spec.pct_depth, *s, r), s.get()).dump(1) + "\n");
  return as_expected(l.spec, r.violation) ? kExitOk : kExitFailed;
}

// ---- replay ------------------------------------------------------------------------------------

// The recorded choices run leniently on another target (another variant, another scenario): a
// recorded choice the target does not offer becomes option 0, and the count of those is said.
struct LenientReplay {
  std::unique_ptr<sim::Workload> workload;
  std::unique_ptr<sim::Sim> sim;
  sim::ExecResult result;
  std::string fit;  // empty, or "; N of M recorded choices did not fit (replaced by option 0)"
};
LenientReplay replay_leniently(const reports::Schedule& sch, Loaded& l, bool quiet, const MemoryFlag& memory) {
  l.config.spin_wait = sch.spin_wait;        // as recorded (absent: off)
  l.config.memory_model = sch.memory_model;  // as recorded, unless --memory-model
  memory.apply(l);
  LenientReplay out;
  out.sim = make_sim(l, out.workload);
  sim::ReplaySource src(sch.choices, false);
  out.result = out.sim->run(src, sim::RunOptions{true});
  rethrow_if_error(out.result);
  if (src.out_of_range())
    out.fit = "; " + std::to_string(src.out_of_range()) + " of " + std::to_string(src.consumed()) +
              " recorded choices did not fit (replaced by option 0)";
  if (!quiet) std::cout << reports::render_text_trace(*out.sim, out.result);
  return out;
}

std::string verdict_text(const LenientReplay& run) {
  return run.result.violation ? reports::describe_violation(*run.sim, *run.result.violation) : std::string("no violation");
}

// `replay --variant V` ("does this schedule pass on the fixed code?"). Exit 0 if it ends with no
// violation there, 1 if it violates.
int replay_on_variant(const reports::Schedule& sch, const std::string& file, const std::string& path,
                      const std::string& variant, bool quiet, const model::SourceOptions& source, const MemoryFlag& memory) {
  Loaded l = load(path, variant, source);
  LenientReplay run = replay_leniently(sch, l, quiet, memory);
  std::cout << "replay " << file << " (recorded on " << sch.variant << ") on variant " << variant << ": "
            << verdict_text(run) << run.fit << "\n";
  return run.result.violation ? kExitFailed : kExitOk;
}

// `replay --scenario OTHER`: the recorded choices on another scenario (typically the fixed one,
// with its own variant). The trace hash and verdict are not expected to match; the run is judged
// by OTHER's expectation, so "no violation" on a scenario that expects a pass exits 0.
int replay_on_scenario(const reports::Schedule& sch, const std::string& file, const std::string& path, bool quiet,
                       const model::SourceOptions& source, const MemoryFlag& memory, const std::string& perfetto,
                       const std::string& html) {
  Loaded l = load(path, "", source);
  if (l.spec.model != sch.model)
    throw UsageError(file + ": schedule is for model " + sch.model + " but " + path + " is model " + l.spec.model);
  LenientReplay run = replay_leniently(sch, l, quiet, memory);
  reports::write_reports(*run.sim, run.result, perfetto, html,
                         {path + " (" + l.prepared.variant + ")", "relaysim replay " + file + " --scenario " + path});
  const bool ok = as_expected(l.spec, run.result.violation);
  std::cout << "replay " << file << " (recorded on " << sch.scenario << ") on " << path << ": " << verdict_text(run)
            << run.fit << "\n  expected " << expectation(l.spec) << ": " << (ok ? "as expected" : "NOT as expected") << "\n";
  return ok ? kExitOk : kExitFailed;
}

int cmd_replay(const std::string& file, const std::string& scenario_override, const std::string& variant, bool quiet,
               const SourceFlags& source, const std::string& perfetto, const std::string& html, const MemoryFlag& memory,
               bool repin) {
  reports::Schedule sch = read_schedule(file);
  std::string path = scenario_override.empty() ? sch.scenario : scenario_override;
  // The source the schedule records, unless the command names one (--source, --kernel-tree, --patch).
  const model::SourceOptions so = source.given() ? source.options() : source_of(sch);
  if (repin && (!variant.empty() || !scenario_override.empty()))
    throw UsageError("replay --repin: rewrites the schedule's own hash; it takes neither --variant nor --scenario");
  if (!variant.empty() && variant != sch.variant) return replay_on_variant(sch, file, path, variant, quiet, so, memory);
  if (!scenario_override.empty()) {
    std::error_code ec;
    if (!std::filesystem::equivalent(scenario_override, sch.scenario, ec))
      return replay_on_scenario(sch, file, path, quiet, so, memory, perfetto, html);
  }
  Loaded l = load(path, sch.variant, so);
  l.config.spin_wait = sch.spin_wait;        // as recorded (absent: off)
  l.config.memory_model = sch.memory_model;  // as recorded (absent: sc), unless --memory-model
  memory.apply(l);
  if (l.spec.model != sch.model)
    throw UsageError(file + ": schedule is for model " + sch.model + " but " + path + " is model " + l.spec.model);
  std::unique_ptr<sim::Workload> w;
  auto s = make_sim(l, w);
  sim::ReplaySource src(sch.choices, true);
  sim::ExecResult r = s->run(src, sim::RunOptions{true});
  rethrow_if_error(r);
  if (src.divergence()) throw UsageError(file + ": the schedule does not fit " + path + ": " + *src.divergence());
  if (!quiet) std::cout << reports::render_text_trace(*s, r);
  reports::write_reports(*s, r, perfetto, html, {path + " (" + sch.variant + ")", "relaysim replay " + file});
  bool hash_ok = r.trace_hash == sch.trace_hash;
  std::optional<std::string> got;
  if (r.violation) got = std::string(sim::property_name(r.violation->property));
  bool verdict_ok = got == sch.property;
  // --repin: after an intended change of what is hashed, the same choices and the same verdict
  // get the new hash written into the schedule. A changed verdict is never repinned.
  if (repin && verdict_ok && !hash_ok) {
    const std::string text = read_input_file(file, kMaxInputBytes, "schedule file");
    nlohmann::json j = nlohmann::json::parse(text);
    j["trace_hash"] = reports::hex64(r.trace_hash);
    reports::write_file_atomic(file, j.dump(1) + "\n");
    std::cout << "replay " << file << ": trace hash " << reports::hex64(sch.trace_hash) << " -> "
              << reports::hex64(r.trace_hash) << " (repinned); " << (got ? "violation " + *got : std::string("no violation"))
              << " as recorded\n";
    return kExitOk;
  }
  // A schedule that does not reproduce belongs to another scenario, variant or relaysim: bad input.
  if (!hash_ok || !verdict_ok)
    throw UsageError(file + ": replay did NOT reproduce it: trace hash " + reports::hex64(r.trace_hash) + " (schedule: " +
                     reports::hex64(sch.trace_hash) + "), " + (got ? "violation " + *got : std::string("no violation")) +
                     " (schedule: " + sch.property.value_or("no violation") + ")");
  std::cout << "replay " << file << ": trace hash " << reports::hex64(r.trace_hash) << " matches the schedule; "
            << (got ? "violation " + *got : std::string("no violation")) << " as recorded\n";
  return kExitOk;
}

// ---- shrink ------------------------------------------------------------------------------------

int cmd_shrink(const std::string& file, const std::string& out_path, std::uint64_t max_runs, const MemoryFlag& memory) {
  if (!out_path.empty() && std::filesystem::is_directory(out_path))
    throw UsageError("shrink --out " + out_path + ": is a directory; give the path of the schedule file to write");
  reports::Schedule sch = read_schedule(file);
  if (!sch.property) throw UsageError(file + ": the schedule records no violation; nothing to shrink");
  auto property = sim::property_from_name(*sch.property);
  if (!property) throw UsageError(file + ": field \"violation.property\" = \"" + *sch.property + "\" is not a property");
  Loaded l = load(sch.scenario, sch.variant, source_of(sch));
  l.config.spin_wait = sch.spin_wait;        // as recorded (absent: off)
  l.config.memory_model = sch.memory_model;  // as recorded (absent: sc), unless --memory-model
  memory.apply(l);
  std::unique_ptr<sim::Workload> w;
  auto s = make_sim(l, w);
  sim::ShrinkResult r = sim::shrink(*s, sch.choices, *property, max_runs);
  if (!r.reproduced) {
    std::cerr << "relaysim: " << file << " does not violate " << *sch.property << " when replayed; nothing to shrink\n";
    return kExitFailed;
  }
  rethrow_if_error(r.result);
  reports::Schedule shrunk = make_schedule(l, sch.scenario, "shrink", sch.seed, sch.execution, sch.pct_depth, *s, r.result);
  std::string out = out_path;
  if (out.empty()) {
    std::filesystem::path p(file);
    std::string stem = p.stem().string();
    if (stem == "schedule") stem.clear();  // a violation directory's schedule.json -> shrunk.schedule.json
    if (stem.size() > 9 && stem.substr(stem.size() - 9) == ".schedule") stem.resize(stem.size() - 9);
    out = (p.parent_path() / (stem + (stem.empty() ? "" : ".") + "shrunk.schedule.json")).string();
  }
  std::optional<reports::IoError> write_error;
  try {
    reports::write_file_atomic(out, reports::schedule_to_json(shrunk, s.get()).dump(1) + "\n");
  } catch (const reports::IoError& e) {
    write_error = e;  // the result first, then the error (status 4)
  }
  std::cout << "shrink " << file << ": " << sch.choices.size() << " choices with " << sim::count_nonzero(sch.choices)
            << " non-zero -> " << r.choices.size() << " choices with " << r.preemptions_after << " non-zero (" << r.runs
            << " replays); still violates " << *sch.property << "\n";
  if (write_error) {
    std::cout.flush();
    std::cerr << "relaysim: cannot write the shrunk schedule: " << write_error->what() << "\n";
    return kExitIo;
  }
  std::cout << "  replay: relaysim replay " << out << "\n";
  return kExitOk;
}

// ---- exec -------------------------------------------------------------------------------------

int cmd_exec(const std::string& model_name, const std::string& file, const SourceFlags& source) {
  using Exec = std::function<void(const nlohmann::json&, model::OpSource&, const std::string&, model::ExecOutput&)>;
  const model::SourceOptions so = source.options();
  if (so.source == "kernel") {
    // The kernel's own code: the same ops, the same JSON (model/relay/kernel_channel.h).
    if (model_name != "relay" && model_name != "bpf_ringbuf" && model_name != "perf_buf" && model_name != "ftrace_rb")
      throw UsageError("exec --source kernel: model \"" + model_name +
                       "\" has no kernel source (models with one: relay, bpf_ringbuf, ftrace_rb, perf_buf)");
  }
  const model::relay::KernelSource relay_kernel{so.tree, so.marked_only};
  const model::bpf_ringbuf::KernelSource ringbuf_kernel{so.tree, so.marked_only};
  const model::perf_buf::KernelSource perf_kernel{so.tree, so.marked_only};
  const std::vector<std::pair<std::string, Exec>> execs = {
      {"relay",
       [&](const nlohmann::json& j, model::OpSource& ops, const std::string& f, model::ExecOutput& out) {
         model::relay::relay_exec_stream(j, ops, f, out, so.source == "kernel" ? &relay_kernel : nullptr);
       }},
      {"bpf_relay_map", model::bpf_relay_map::relay_map_exec_stream},
      {"bpf_ringbuf",
       [&](const nlohmann::json& j, model::OpSource& ops, const std::string& f, model::ExecOutput& out) {
         model::bpf_ringbuf::ringbuf_exec_stream(j, ops, f, out, so.source == "kernel" ? &ringbuf_kernel : nullptr);
       }},
      {"ftrace_rb",
       [&](const nlohmann::json& j, model::OpSource& ops, const std::string& f, model::ExecOutput& out) {
         model::ftrace_rb::ftrace_rb_exec_stream(j, ops, f, out, so.source == "kernel" ? &ringbuf_kernel : nullptr);
       }},
      {"perf_buf",
       [&](const nlohmann::json& j, model::OpSource& ops, const std::string& f, model::ExecOutput& out) {
         model::perf_buf::perf_exec_stream(j, ops, f, out, so.source == "kernel" ? &perf_kernel : nullptr);
       }}};
  const Exec* run = nullptr;
  std::string known;
  for (auto& [name, fn] : execs) {
    if (name == model_name) run = &fn;
    known += (known.empty() ? "" : ", ") + name;
  }
  if (!run) throw UsageError("exec: model \"" + model_name + "\" has no exec mode (models with one: " + known + ")");
  // A file is streamed op by op (bounded memory); standard input is read whole, up to 64 MiB.
  std::unique_ptr<ExecFile> ops = file == "-" ? std::make_unique<ExecFile>(read_input_file(file, kMaxInputBytes, "operations file"), file)
                                              : std::make_unique<ExecFile>(open_input_file(file, kMaxExecBytes, "operations file"), file);
  ExecPrinter printer(std::cout);
  (*run)(ops->top(), *ops, file, printer);
  if (!std::cout.flush()) throw reports::IoError("standard output", errno ? errno : EIO);
  return kExitOk;
}

// ---- list --------------------------------------------------------------------------------------

int cmd_list(const std::string& what, const std::string& model_filter) {
  if (what == "models") {
    for (auto& m : model::models()) std::cout << m.name << "\t" << m.description << "\n";
  } else if (what == "variants") {
    bool known = model_filter.empty();
    std::string names;
    for (auto& m : model::models()) {
      known = known || m.name == model_filter;
      names += (names.empty() ? "" : ", ") + m.name;
    }
    if (!known) throw UsageError("list variants --model " + model_filter + ": no such model (models: " + names + ")");
    for (auto& m : model::models()) {
      if (!model_filter.empty() && m.name != model_filter) continue;
      for (auto& v : m.variants) std::cout << m.name << "\t" << v.name << "\t" << v.description << "\n";
    }
  } else if (what == "properties") {
    for (auto n : sim::kPropertyNames) std::cout << n << "\n";
  } else if (what == "scenarios") {
    // ./scenarios, else the nearest folder above with one, else the source tree relaysim was built from.
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path dir;
    for (fs::path d = fs::current_path(ec); !d.empty(); d = d.parent_path()) {
      if (fs::is_directory(d / "scenarios", ec) && fs::exists(d / "scenarios" / "relay", ec)) {
        dir = d / "scenarios";
        break;
      }
      if (d == d.root_path()) break;
    }
#ifdef RELAYSIM_SOURCE_DIR
    if (dir.empty() && fs::is_directory(fs::path(RELAYSIM_SOURCE_DIR) / "scenarios", ec))
      dir = fs::path(RELAYSIM_SOURCE_DIR) / "scenarios";
#endif
    if (dir.empty())
      throw UsageError("list scenarios: no scenarios/ folder here or above, and the source tree relaysim was built from is gone");
    // Paths print relative to the current directory when they are below it, else absolute.
    const fs::path here = fs::current_path(ec);
    std::vector<std::string> files;
    for (auto& e : fs::recursive_directory_iterator(dir))
      if (e.path().extension() == ".toml") {
        fs::path rel = e.path().lexically_relative(here);
        const bool below = !rel.empty() && *rel.begin() != "..";
        files.push_back(below ? rel.string() : e.path().lexically_normal().string());
      }
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      try {
        auto spec = scenario::load_string(read_input_file(f, kMaxInputBytes, "scenario file"), f);
        std::cout << f << "\t" << spec.model << "\t" << (spec.variant.empty() ? "-" : spec.variant) << "\t"
                  << expectation(spec) << "\t" << spec.name << "\n";
      } catch (const std::runtime_error& e) {  // ScenarioError, UsageError: listed, not fatal
        std::cout << f << "\tERROR\t" << e.what() << "\n";
      }
    }
  } else {
    throw UsageError("list: expected models, variants, properties or scenarios, not '" + what + "'");
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv, bool parse_only) {
  CLI::App app{"relaysim — a deterministic simulator and model checker for kernel-to-user buffers"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("relaysim ") + RELAYSIM_VERSION);
  app.footer(std::string(kInputLimitsHelp) +
             "\nExit status: 0 as expected; 1 not as expected; 2 bad usage or input; 3 internal error; 4 an output file "
             "could not be written.");

  ExploreOpts eo;
  auto* explore = app.add_subcommand("explore", "run many executions of a scenario under a strategy and a budget");
  explore->add_option("scenario", eo.scenario, "scenario file (TOML)")->required();
  explore->add_option("--variant", eo.variant, "override the scenario's variant");
  explore->add_option("--strategy", eo.strategy, "random | pct | dfs (default: the scenario's, else random)");
  explore->add_option("--preemption-bound", eo.preemption_bound,
                      "dfs: at most K preemptions; bounds 0..K are searched in turn (default: none)");
  explore->add_option("--interrupt-bound", eo.interrupt_bound, "dfs: at most M interrupt firings taken at a choice (default: none)");
  explore->add_option("--depth-bound", eo.depth_bound, "dfs: only the first D choice points branch (default: none)");
  explore->add_option("--reduction", eo.reduction,
                      "dfs: sleep (sleep sets, default; off under bounds) | dpor (source-DPOR with sleep sets; "
                      "under preemption/interrupt bounds with BPOR's conservative points, no sleep sets) | none");
  explore->add_flag("--no-reduction", eo.no_reduction, "dfs: the same as --reduction none");
  explore->add_option("--seed", eo.seed, "master seed (default 1)")->check(seed_check());
  auto* ex_n = explore->add_option("--executions,-n", eo.executions, "execution budget")->check(executions_check());
  explore->add_option("--time", eo.seconds, "time budget in seconds")->excludes(ex_n)->check(seconds_in(0.001, kMaxSeconds));
  explore->add_option("--jobs,-j", eo.jobs, "threads (default 1)")->check(jobs_check());
  explore->add_option("--pct-depth", eo.pct_depth, "PCT bug depth d (default: the scenario's, else 3)")->check(depth_check());
  explore->add_option("--out", eo.out, "directory for schedules and traces (default ./relaysim-out)");
  explore->add_flag("--keep-going", eo.keep_going, "run the whole budget and count violations per property");
  explore->add_flag("--classes", eo.classes,
                    "random/pct: also count the distinct equivalence classes the executions visited (reruns them once)");
  explore->add_flag("--json", eo.json, "print one JSON object with the statistics on stdout");
  explore->add_flag("--quiet,-q", eo.quiet, "no progress line");
  explore->add_option("--expect", eo.expect,
                      "pass | PROPERTY[,PROPERTY...]: the expected outcome instead of the scenario's [check] expect");
  eo.source.add_to(explore);
  eo.memory.add_to(explore, "sc | tso | lkmm (default: the scenario's memory_model, else sc)");
  explore->add_option("--perfetto", eo.perfetto, "write the violating execution as Perfetto / Chrome trace JSON");
  explore->add_option("--html", eo.html, "write its one-file HTML report here (default: beside the schedule)");

  std::string run_path, run_variant, run_strategy, run_seed = "1";
  std::uint64_t run_execution = 0;
  unsigned run_depth = 0;
  auto* run = app.add_subcommand("run", "run one execution and print its kernel-style trace");
  run->add_option("scenario", run_path, "scenario file (TOML)")->required();
  run->add_option("--variant", run_variant, "override the scenario's variant");
  run->add_option("--strategy", run_strategy, "random | pct");
  run->add_option("--seed", run_seed, "master seed (default 1)")->check(seed_check());
  run->add_option("--execution", run_execution, "execution index (default 0)")->check(unsigned_in(0, UINT64_MAX));
  run->add_option("--pct-depth", run_depth, "PCT depth")->check(depth_check());
  SourceFlags run_source;
  run_source.add_to(run);
  MemoryFlag run_memory;
  run_memory.add_to(run, "sc | tso | lkmm (default: the scenario's memory_model, else sc)");
  std::string run_perfetto, run_html, run_save;
  run->add_option("--save-schedule", run_save, "write the execution's replayable schedule (JSON) here");
  run->add_option("--perfetto", run_perfetto, "write the execution as Perfetto / Chrome trace JSON");
  run->add_option("--html", run_html, "write a one-file HTML report of the execution");

  std::string replay_file, replay_scenario, replay_variant;
  bool replay_quiet = false;
  auto* replay = app.add_subcommand("replay", "replay a schedule file and check its trace hash");
  replay->add_option("schedule", replay_file, "schedule JSON")->required();
  replay->add_option("--scenario", replay_scenario, "scenario file (default: the one the schedule names)");
  replay->add_option("--variant", replay_variant, "replay the same choices on another variant (exit 0: no violation there)");
  replay->add_flag("--quiet,-q", replay_quiet, "print only the verdict line");
  bool replay_repin = false;
  replay->add_flag("--repin", replay_repin,
                   "after an intended change of what the trace hash covers: same choices, same verdict -> write the new hash into the schedule");
  SourceFlags replay_source;
  replay_source.add_to(replay);
  MemoryFlag replay_memory;
  replay_memory.add_to(replay, "sc | tso | lkmm (default: the one the schedule records)");
  std::string replay_perfetto, replay_html;
  replay->add_option("--perfetto", replay_perfetto, "write the replayed execution as Perfetto / Chrome trace JSON");
  replay->add_option("--html", replay_html, "write a one-file HTML report of the replayed execution");

  std::string shrink_file, shrink_out;
  std::uint64_t shrink_runs = 20000;
  auto* shrink = app.add_subcommand("shrink", "shrink a failing schedule to fewer preemptions and interrupts");
  shrink->add_option("schedule", shrink_file, "schedule JSON with a violation")->required();
  shrink->add_option("--out,-o", shrink_out, "output schedule (default: <input>.shrunk.schedule.json)");
  shrink->add_option("--max-runs", shrink_runs, "replay budget (default 20000)")->check(unsigned_in(1, 1'000'000'000));
  MemoryFlag shrink_memory;
  shrink_memory.add_to(shrink, "sc | tso | lkmm (default: the one the schedule records)");

  std::string exec_model, exec_file;
  auto* exec = app.add_subcommand("exec", "run a list of operations sequentially; print the observable state after each as JSON");
  exec->add_option("--model", exec_model, "model: relay | bpf_ringbuf | bpf_relay_map | ftrace_rb | perf_buf (the models with an exec mode)")->required();
  exec->add_option("ops", exec_file, "operations JSON (see README, \"exec mode\")")->required();
  SourceFlags exec_source;
  exec_source.add_to(exec);

  DiffOptions dopt;
  std::vector<std::string> diff_variants;
  auto* diff = app.add_subcommand("diff", "run the same schedules against two variants; print per property where they differ");
  diff->add_option("scenario", dopt.scenario, "scenario file (TOML)")->required();
  std::vector<std::string> diff_sources, diff_patches;
  std::string diff_tree;
  diff->add_option("--variant", diff_variants, "two variants: --variant A --variant B (one with two sources)")->expected(1)->take_all();
  diff->add_option("--source", diff_sources, "two sources: --source model --source kernel (verdicts on the same budget)")
      ->check(CLI::IsMember({"model", "kernel"}));
  diff->add_option("--kernel-tree", diff_tree, "kernel tree for the kernel side");
  diff->add_option("--patch", diff_patches, "patches for the kernel side (repeatable)");
  diff->add_option("--strategy", dopt.strategy, "random | pct");
  diff->add_option("--seed", dopt.seed, "master seed (default 1)")->check(seed_check());
  diff->add_option("--executions,-n", dopt.executions, "schedules per variant")->check(unsigned_in(1, kMaxDiffExecutions));
  diff->add_option("--jobs,-j", dopt.jobs, "threads")->check(jobs_check());
  diff->add_option("--pct-depth", dopt.pct_depth, "PCT depth")->check(depth_check());
  diff->add_option("--out", dopt.out, "directory for the differing schedules (default ./relaysim-out)");
  diff->add_flag("--json", dopt.json, "print one JSON object");
  diff->add_option("--memory-model", dopt.memory_model, "sc | tso | lkmm (default: the scenario's memory_model, else sc)")
      ->check(CLI::IsMember({"sc", "tso", "lkmm"}));

  CheckPatchOptions cpo;
  std::string cpo_seed = "1";
  auto* check_patch = app.add_subcommand("check-patch", "build the kernel before and after patches; compare every property on the touched designs' scenarios");
  check_patch->add_option("patch", cpo.patches, "patch files (patch -p1), applied in order")->required();
  check_patch->add_option("--scenarios", cpo.scenarios, "directory of scenarios (default ./scenarios)");
  check_patch->add_option("--executions,-n", cpo.executions, "executions per scenario and side (default 2000)")->check(unsigned_in(1, 100000000));
  check_patch->add_option("--seed", cpo_seed, "master seed (default 1)")->check(seed_check());
  check_patch->add_option("--strategy", cpo.strategy, "random | pct (default: each scenario's, else random)")
      ->check(CLI::IsMember({"random", "pct"}));
  check_patch->add_option("--jobs,-j", cpo.jobs, "threads")->check(jobs_check());
  check_patch->add_option("--kernel-tree", cpo.tree, "kernel tree (default: Debian's linux-source-6.12)");
  check_patch->add_option("--out", cpo.out, "directory for the new violations' schedules (default ./relaysim-out)");

  // `relaysim litmus` is dispatched before this parser (cli/main.cpp, cli/litmus.h); it is listed
  // here so that --help, `relaysim help` and the man page name it.
  app.add_subcommand("litmus", "check C litmus tests (herd7's format) exhaustively under the Linux-kernel memory model")
      ->allow_extras();

  std::string list_what, list_model;
  auto* list = app.add_subcommand("list", "list models, variants, properties or scenarios");
  list->add_option("what", list_what, "models | variants | properties | scenarios")->required();
  list->add_option("--model", list_model, "variants of one model only");

  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) sub->footer(kInputLimitsHelp);
  // `relaysim help [CMD]`: the same text as `relaysim [CMD] --help`.
  if (argc > 1 && std::string(argv[1]) == "help") {
    if (argc == 2) {
      std::cout << app.help();
      return kExitOk;
    }
    if (argc > 3) {
      std::cerr << "relaysim: help: give at most one command (see relaysim help)\n";
      return kExitUsage;
    }
    if (std::string(argv[2]) == "litmus") {
      char litmus[] = "litmus", help[] = "--help";
      char* args[] = {litmus, help, nullptr};
      return litmus_main(2, args);
    }
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
      if (sub->get_name() == argv[2]) {
        std::cout << sub->help();
        return kExitOk;
      }
    std::cerr << "relaysim: help: no command '" << argv[2] << "' (see relaysim help)\n";
    return kExitUsage;
  }
  // An unknown first word is an unknown command, not "a subcommand is required".
  if (argc > 1 && argv[1][0] != '-') {
    std::string names;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      known = known || sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::cerr << "relaysim: unknown command '" << argv[1] << "' (commands: " << names << "; see relaysim --help)\n";
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion&) {
    std::cout << "relaysim " << RELAYSIM_VERSION << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    std::string m = e.what();
    std::cerr << "relaysim: " << m << " (see relaysim --help)\n";
    return kExitUsage;
  }
  if (*diff && diff_sources.empty() && diff_variants.size() != 2) {
    std::cerr << "relaysim: diff: give exactly two variants (--variant A --variant B)\n";
    return kExitUsage;
  }
  if (parse_only) return kExitOk;
  try {
    if (*explore) return cmd_explore(eo);
    if (*run) return cmd_run(run_path, run_variant, run_strategy, run_seed, run_execution, run_depth, run_source, run_perfetto, run_html, run_save, run_memory);
    if (*replay) return cmd_replay(replay_file, replay_scenario, replay_variant, replay_quiet, replay_source, replay_perfetto, replay_html, replay_memory,
                                   replay_repin);
    if (*shrink) return cmd_shrink(shrink_file, shrink_out, shrink_runs, shrink_memory);
    if (*list) return cmd_list(list_what, list_model);
    if (*exec) return cmd_exec(exec_model, exec_file, exec_source);
    if (*check_patch) {
      cpo.seed = parse_seed(cpo_seed);
      return cmd_check_patch(cpo);
    }
    if (*diff && !diff_sources.empty()) {
      if (diff_sources.size() != 2 || diff_sources[0] == diff_sources[1])
        throw UsageError("diff: give the two sources (--source model --source kernel)");
      if (diff_variants.size() > 1) throw UsageError("diff: with two sources, give at most one --variant");
      CheckPatchOptions co;
      co.tree = diff_tree;
      co.patches = diff_patches;
      co.executions = dopt.executions;
      co.seed = parse_seed(dopt.seed);
      co.jobs = std::max(1u, dopt.jobs);
      return cmd_diff_sources(dopt.scenario, diff_variants.empty() ? "" : diff_variants[0], co);
    }
    if (*diff) {
      if (diff_variants.size() != 2) throw UsageError("diff: give exactly two variants (--variant A --variant B)");
      dopt.variant_a = diff_variants[0];
      dopt.variant_b = diff_variants[1];
      return cmd_diff(dopt);
    }
  }
  // The catch audit (issue 17): bad input of any kind is 2; a failed write is 4; 3 is left for
  // what no input can cause: an exception escaping model or engine code (rethrow_if_error), an
  // exhausted allocator although every input is bounded, a library exception we did not expect.
  catch (const scenario::ScenarioError& e) {
    std::cerr << "relaysim: " << e.what() << "\n";
    return kExitUsage;
  } catch (const reports::ScheduleError& e) {
    std::cerr << "relaysim: " << e.what() << "\n";
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "relaysim: " << e.what() << "\n";
    return kExitUsage;
  } catch (const kernel::BuildError& e) {
    std::cerr << "relaysim: " << e.what() << "\n";
    return kExitUsage;
  } catch (const reports::IoError& e) {
    std::cout.flush();
    std::cerr << "relaysim: cannot write: " << e.what() << "\n";
    return kExitIo;
  } catch (const std::filesystem::filesystem_error& e) {
    std::cout.flush();
    std::cerr << "relaysim: " << e.path1().string() << ": " << e.code().message() << "\n";
    return kExitIo;
  } catch (const std::bad_alloc&) {
    std::cerr << "relaysim: internal error: out of memory\n";  // every input is bounded: a bug
    return kExitInternal;
  } catch (const std::exception& e) {
    std::cerr << "relaysim: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
  return kExitUsage;
}

}  // namespace cli
