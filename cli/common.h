// cli/common.h — what the subcommands share: loading a scenario with its model and variant, making
// a simulation for it, judging a result against the scenario's expectation, building schedules.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "model/registry.h"
#include "reports/output.h"
#include "reports/schedule.h"
#include "scenarios/spec.h"
#include "sim/sim.h"

namespace cli {

/// A usage error: one line on stderr, exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::uint64_t parse_seed(const std::string& s);
/// 1234567 -> "1.23M": for human-readable rates.
std::string human(double v);

struct Loaded {
  scenario::Spec spec;
  model::Prepared prepared;
  sim::Sim::Config config;
  model::SourceOptions source;  // as asked for (prepared.source says what ran)
};
/// The source options a schedule records (its `kernel` field), for replay and shrink without flags.
model::SourceOptions source_of(const reports::Schedule& sch);
/// Loads a scenario file and prepares its model (variant "" = the scenario's own) from the source
/// `source` names (default: the scenario's `source`, else the model).
Loaded load(const std::string& path, const std::string& variant, const model::SourceOptions& source = {});
/// A simulation loaded with a fresh workload of `l` (kept alive in `workload`).
std::unique_ptr<sim::Sim> make_sim(const Loaded& l, std::unique_ptr<sim::Workload>& workload);
/// Did the execution end as the scenario expects?
bool as_expected(const scenario::Spec& spec, const std::optional<sim::Violation>& v);
std::string expectation(const scenario::Spec& spec);
reports::Schedule make_schedule(const Loaded& l, const std::string& path, const std::string& strategy, std::uint64_t seed,
                                std::uint64_t execution, unsigned depth, const sim::Sim& s, const sim::ExecResult& r);
/// "<scenario stem>-<variant>[-kernel]-<property>": the name of a violation's files.
std::string violation_stem(const std::string& scenario, const Loaded& l, sim::Property p);
/// Publishes a violation's schedule, trace and HTML report (report.html, when reports::html_fits)
/// as one directory, OUT/<stem>/ (reports/output.h), so a reader never sees one without the
/// others; sets the paths (report_path empty: no page). Throws reports::IoError.
void publish_violation(const std::string& out, const std::string& stem, const reports::Schedule& sch, const sim::Sim& s,
                       const sim::ExecResult& r, std::string* schedule_path, std::string* trace_path,
                       std::string* report_path = nullptr);
/// The command's status once its verdict is printed: a failed write of the violation's files
/// prints one line with the path and errno and gives 4; else 0 as expected, 1 not.
int exit_status(bool as_expected, const std::optional<reports::IoError>& write_error);
/// An exception that escaped model code ends the command with status 3.
void rethrow_if_error(const sim::ExecResult& r);

}  // namespace cli
