// cli/common.cpp — see common.h.
#include "cli/common.h"
#include "cli/commands.h"

#include "reports/html.h"

#include "reports/output.h"
#include "reports/text_trace.h"
#include "cli/validate.h"

#include <cstdio>
#include <iostream>
#include <filesystem>

namespace cli {

std::uint64_t parse_seed(const std::string& s) {
  // Decimal only ("010" is not octal 8); the option's validator already refused anything else.
  std::string text = s;
  if (!unsigned_in(0, UINT64_MAX)(text).empty()) throw UsageError("--seed " + s + ": not a decimal unsigned 64-bit number");
  return parse_decimal_u64(s);
}

std::string human(double v) {
  char buf[32];
  if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

Loaded load(const std::string& path, const std::string& variant, const model::SourceOptions& source) {
  Loaded l;
  l.spec = scenario::load_string(read_input_file(path, kMaxInputBytes, "scenario file"), path);
  l.prepared = model::prepare(l.spec, variant, source);
  l.source = source;
  l.config = model::engine_config(l.spec);
  return l;
}

std::unique_ptr<sim::Sim> make_sim(const Loaded& l, std::unique_ptr<sim::Workload>& workload) {
  workload = l.prepared.factory();
  auto s = std::make_unique<sim::Sim>(l.config);
  s->load(*workload);
  return s;
}

bool as_expected(const scenario::Spec& spec, const std::optional<sim::Violation>& v) {
  if (spec.expect_violations.empty()) {
    if (!v) return true;
    for (auto& a : spec.accept_findings)
      if (sim::property_name(v->property) == a) return true;  // a known finding (check.accept)
    return false;
  }
  if (!v) return false;
  for (auto& e : spec.expect_violations)
    if (sim::property_name(v->property) == e) return true;
  return false;
}

std::string expectation(const scenario::Spec& spec) {
  if (spec.expect_violations.empty()) {
    if (spec.accept_findings.empty()) return "pass";
    std::string s = "pass, or the known finding ";
    for (std::size_t i = 0; i < spec.accept_findings.size(); ++i) s += (i ? " or " : "") + spec.accept_findings[i];
    return s + " (check.accept)";
  }
  std::string s = "violation ";
  for (std::size_t i = 0; i < spec.expect_violations.size(); ++i) s += (i ? " or " : "") + spec.expect_violations[i];
  return s;
}

reports::Schedule make_schedule(const Loaded& l, const std::string& path, const std::string& strategy, std::uint64_t seed,
                                std::uint64_t execution, unsigned depth, const sim::Sim& s, const sim::ExecResult& r) {
  reports::Schedule sch;
  sch.scenario = path;
  sch.scenario_name = l.spec.name;
  sch.model = l.spec.model;
  sch.variant = l.prepared.variant;
  if (l.prepared.source == "kernel") {
    reports::KernelSourceRecord k;
    if (!l.source.tree.tree.empty()) k.tree = std::filesystem::absolute(l.source.tree.tree).string();
    for (const auto& p : l.source.tree.patches) k.patches.push_back(std::filesystem::absolute(p).string());
    k.marked_only = l.source.marked_only;
    sch.kernel = k;
  }
  sch.memory_model = l.config.memory_model;
  sch.spin_wait = s.config().spin_wait;  // in effect (off under tso and lkmm)
  sch.strategy = strategy;
  sch.seed = seed;
  sch.execution = execution;
  sch.pct_depth = depth;
  sch.choices = s.choices();
  sch.trace_hash = r.trace_hash;
  if (r.violation) {
    sch.property = std::string(sim::property_name(r.violation->property));
    sch.violation_step = r.violation->step;
    sch.violation_message = r.violation->message;
  }
  return sch;
}

model::SourceOptions source_of(const reports::Schedule& sch) {
  model::SourceOptions o;
  if (!sch.kernel) return o;  // the scenario's own source (a schedule of a model run)
  o.source = "kernel";
  o.tree.tree = sch.kernel->tree;
  o.tree.patches = sch.kernel->patches;
  o.marked_only = sch.kernel->marked_only;
  return o;
}

std::string violation_stem(const std::string& scenario, const Loaded& l, sim::Property p) {
  return std::filesystem::path(scenario).stem().string() + "-" + l.prepared.variant +
         (l.prepared.source == "kernel" ? "-kernel" : "") + "-" + std::string(sim::property_name(p));
}

void publish_violation(const std::string& out, const std::string& stem, const reports::Schedule& sch, const sim::Sim& s,
                       const sim::ExecResult& r, std::string* schedule_path, std::string* trace_path,
                       std::string* report_path) {
  const std::string dir = (std::filesystem::path(out) / stem).string();
  const std::string schedule = (std::filesystem::path(dir) / "schedule.json").string();
  std::vector<std::pair<std::string, std::string>> files = {{"schedule.json", reports::schedule_to_json(sch, &s).dump(1) + "\n"},
                                                            {"trace.txt", reports::render_text_trace(s, r)}};
  // The one-file HTML report (reports/html.h), unless the trace is too long for a page.
  const bool html = reports::html_fits(s);
  if (html) files.push_back({"report.html", reports::render_html(s, r, {stem, "relaysim replay " + schedule})});
  reports::publish_directory(dir, files);
  if (schedule_path) *schedule_path = schedule;
  if (trace_path) *trace_path = (std::filesystem::path(dir) / "trace.txt").string();
  if (report_path) *report_path = html ? (std::filesystem::path(dir) / "report.html").string() : std::string();
}

int exit_status(bool as_expected, const std::optional<reports::IoError>& write_error) {
  if (write_error) {
    std::cout.flush();
    std::cerr << "relaysim: cannot write the violation's files: " << write_error->what() << "\n";
    return kExitIo;
  }
  return as_expected ? kExitOk : kExitFailed;
}

void rethrow_if_error(const sim::ExecResult& r) {
  if (r.end == sim::ExecResult::End::Error) std::rethrow_exception(r.error);
}

}  // namespace cli
