// cli/check_patch.h — `relaysim check-patch PATCH... [--scenarios DIR] [-n N]`.
//
// Builds the kernel-source designs whose files the patches touch twice, from the same tree:
// before (the tree as it is) and after (with the patches applied, in order, to a private copy).
// Every scenario of those designs under DIR runs on both builds with the same seed and budget,
// counting every property's violations (--keep-going). Printed per scenario and property:
// `before N | after M`, marked "only after: NEW" or "fixed by the patch". Each new violation gets
// a schedule and a trace in --out, with the command that replays it on the patched build.
// Exit status: 1 if the patches add a violation, 0 if not, 2 for a patch that does not apply, a
// file the tree lacks, a compile error or a missing clang (kernel::BuildError).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cli {

struct CheckPatchOptions {
  std::vector<std::string> patches;
  std::string scenarios = "scenarios";
  std::string tree;  // empty: Debian's linux-source-6.12
  std::string out = "relaysim-out";
  std::uint64_t executions = 2000;
  std::uint64_t seed = 1;
  unsigned jobs = 1;
  std::string strategy;  // random | pct; empty: each scenario's own, else random
};

int cmd_check_patch(const CheckPatchOptions& o);

/// `relaysim diff SCENARIO --source model --source kernel`: both sources explore the scenario with
/// the same seed and budget (their own schedules: a model step is not a kernel step), and the
/// per-property violation counts are printed side by side. Exit 1 if a property is violated in
/// one source only. The options' patches apply to the kernel side.
int cmd_diff_sources(const std::string& scenario, const std::string& variant, const CheckPatchOptions& o);

}  // namespace cli
