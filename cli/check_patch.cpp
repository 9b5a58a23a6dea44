// cli/check_patch.cpp — `relaysim check-patch PATCH...`: a kernel patch in, a per-property verdict
// before and after it out (see check_patch.h).
#include "cli/check_patch.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/common.h"
#include "kernel/build.h"
#include "model/bpf_ringbuf/kernel_ringbuf.h"
#include "model/ftrace_rb/kernel_ring.h"
#include "model/perf_buf/kernel_perf.h"
#include "model/relay/kernel_channel.h"
#include "reports/output.h"
#include "reports/schedule.h"
#include "reports/text_trace.h"
#include "sim/choice.h"
#include "sim/explorer.h"

namespace cli {
namespace {

// The designs with a kernel source, and what each compiles (the files a patch must touch).
struct Design {
  std::string model;
  kernel::SubjectSpec spec;
};
std::vector<Design> designs() {
  return {{"relay", model::relay::relay_subject()},
          {"bpf_ringbuf", model::bpf_ringbuf::ringbuf_subject()},
          {"ftrace_rb", model::ftrace_rb::ftrace_subject()},
          {"perf_buf", model::perf_buf::perf_subject()}};
}

bool touches(const kernel::SubjectSpec& spec, const std::vector<std::string>& files) {
  for (const auto& f : files) {
    if (std::find(spec.kernel_files.begin(), spec.kernel_files.end(), f) != spec.kernel_files.end()) return true;
    for (const auto& h : spec.real_headers)
      if (h.first == f) return true;
  }
  return false;
}

struct Side {
  sim::ExploreResult result;
  Loaded loaded;
};

Side explore_side(const std::string& path, const CheckPatchOptions& o, const std::vector<std::string>& patches,
                  const std::string& source = "kernel", const std::string& variant = "") {
  model::SourceOptions so;
  so.source = source;
  so.tree.tree = o.tree;
  so.tree.patches = patches;
  Side s{{}, load(path, variant, so)};
  sim::ExploreConfig cfg;
  const auto strategy = sim::strategy_from_name(o.strategy.empty() ? s.loaded.spec.strategy : o.strategy);
  if (!strategy || (*strategy != sim::Strategy::Random && *strategy != sim::Strategy::Pct))
    throw UsageError("--strategy must be random or pct");
  cfg.strategy = *strategy;
  cfg.seed = o.seed;
  cfg.executions = o.executions ? o.executions : s.loaded.spec.executions;
  cfg.jobs = o.jobs;
  cfg.pct_depth = s.loaded.spec.pct_depth;
  cfg.keep_going = true;  // every property's count, not only the first violation
  s.result = sim::explore(s.loaded.prepared.factory, s.loaded.config, cfg);
  if (s.result.error_execution)
    throw std::runtime_error(path + ": execution " + std::to_string(*s.result.error_execution) +
                             ": internal fault: " + s.result.error_message);
  return s;
}

}  // namespace

int cmd_check_patch(const CheckPatchOptions& o) {
  if (o.patches.empty()) throw UsageError("check-patch: give at least one patch");
  const std::vector<std::string> files = kernel::patched_files(o.patches);
  std::vector<std::string> touched;
  for (const auto& d : designs())
    if (touches(d.spec, files)) {
      touched.push_back(d.model);
      kernel::build_subject(d.spec, kernel::TreeOptions{o.tree, {}});         // before
      kernel::build_subject(d.spec, kernel::TreeOptions{o.tree, o.patches});  // after: bad patches fail here (exit 2)
    }
  if (touched.empty()) {
    std::string names;
    for (const auto& f : files) names += (names.empty() ? "" : ", ") + f;
    std::cout << "check-patch: the patches touch no file a kernel-source design compiles (" << names << ")\n";
    return kExitOk;
  }
  // The scenarios of the touched designs, in path order.
  std::vector<std::string> scenarios;
  if (!std::filesystem::is_directory(o.scenarios)) throw UsageError("--scenarios " + o.scenarios + ": not a directory");
  for (const auto& e : std::filesystem::recursive_directory_iterator(o.scenarios)) {
    if (e.path().extension() != ".toml") continue;
    try {
      scenario::Spec spec = scenario::load_file(e.path().string());
      if (std::find(touched.begin(), touched.end(), spec.model) != touched.end()) scenarios.push_back(e.path().string());
    } catch (const scenario::ScenarioError&) {
      // not a scenario of ours: skipped, as `list scenarios` reports it
    }
  }
  std::sort(scenarios.begin(), scenarios.end());

  bool added = false;
  int fixed = 0;
  std::optional<reports::IoError> write_error;
  std::cout << "check-patch: " << o.patches.size() << " patch(es) touching " << files.size() << " file(s); "
            << scenarios.size() << " scenario(s), " << o.executions << " executions each, seed " << o.seed
            << (o.strategy.empty() ? "" : ", strategy " + o.strategy) << "\n";
  for (const auto& path : scenarios) {
    Side before = explore_side(path, o, {});
    Side after = explore_side(path, o, o.patches);
    std::cout << path << "\n";
    for (std::size_t p = 0; p < static_cast<std::size_t>(sim::Property::kCount); ++p) {
      const std::uint64_t b = before.result.violations[p], a = after.result.violations[p];
      if (!a && !b) continue;
      const bool only_after = a && !b, only_before = b && !a;
      std::cout << "  " << sim::kPropertyNames[p] << ": before " << b << " | after " << a
                << (only_after ? " | only after: NEW" : only_before ? " | fixed by the patch" : "") << "\n";
      fixed += only_before;
      if (!only_after) continue;
      added = true;
      // A replayable schedule of the first new violation (replay with the same --patch flags).
      const std::uint64_t exec = *after.result.first_by_property[p];
      std::unique_ptr<sim::Workload> w;
      auto s = make_sim(after.loaded, w);
      const sim::Strategy strategy = *sim::strategy_from_name(o.strategy.empty() ? after.loaded.spec.strategy : o.strategy);
      sim::ExecResult rr = sim::rerun(*s, strategy, o.seed, exec, after.loaded.spec.pct_depth);
      rethrow_if_error(rr);
      auto sch = make_schedule(after.loaded, path, std::string(sim::strategy_name(strategy)), o.seed, exec,
                               after.loaded.spec.pct_depth, *s, rr);
      const std::string stem = std::filesystem::path(path).stem().string() + "-patched-" + std::string(sim::kPropertyNames[p]);
      std::string out;
      try {
        publish_violation(o.out, stem, sch, *s, rr, &out, nullptr);
      } catch (const reports::IoError& e) {
        write_error = e;
      }
      std::cout << "    execution " << exec << ": "
                << (rr.violation ? reports::describe_violation(*s, *rr.violation) : std::string("(no violation on rerun)"))
                << "\n    replay: relaysim replay " << out << "   (the schedule records the tree and patches)\n";
    }
  }
  if (added) std::cout << "check-patch: the patches ADD a violation\n";
  else std::cout << "check-patch: no new violation" << (fixed ? ", " + std::to_string(fixed) + " fixed" : std::string()) << "\n";
  return exit_status(!added, write_error);
}

int cmd_diff_sources(const std::string& scenario, const std::string& variant, const CheckPatchOptions& o) {
  Side m = explore_side(scenario, o, {}, "model", variant);
  Side k = explore_side(scenario, o, o.patches, "kernel", variant);
  std::cout << "diff " << scenario << ": source model vs source kernel, " << m.result.executions << " executions each, seed "
            << o.seed << " (each source under its own schedules: their steps differ)\n";
  int differ = 0;
  for (std::size_t p = 0; p < static_cast<std::size_t>(sim::Property::kCount); ++p) {
    const std::uint64_t a = m.result.violations[p], b = k.result.violations[p];
    if (!a && !b) continue;
    const bool one_sided = (a == 0) != (b == 0);
    differ += one_sided;
    std::cout << "  " << sim::kPropertyNames[p] << ": model " << a << " | kernel " << b
              << (one_sided ? (a ? " | model only" : " | kernel only") : "") << "\n";
  }
  std::cout << (differ ? "  " + std::to_string(differ) + " propert" + (differ == 1 ? "y is" : "ies are") +
                             " violated in one source only\n"
                       : std::string("  no property is violated in one source only\n"));
  return differ ? kExitFailed : kExitOk;
}

}  // namespace cli
