// tests/reports/report_checks.h — what the Perfetto and HTML tests share: a recorded execution
// of a bundled scenario, and a checker of a Chrome trace's structure.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/common.h"
#include "sim/explorer.h"

namespace reports_test {

struct Recorded {
  cli::Loaded loaded;
  std::unique_ptr<sim::Workload> workload;
  std::unique_ptr<sim::Sim> sim;
  sim::ExecResult result;
};

/// Execution `index` of the scenario (path relative to the source tree) under its own strategy.
inline std::unique_ptr<Recorded> record(const std::string& scenario, std::uint64_t seed, std::uint64_t index) {
  auto r = std::make_unique<Recorded>();
  r->loaded = cli::load(std::string(RELAYSIM_SOURCE_DIR) + "/" + scenario, "");
  r->sim = cli::make_sim(r->loaded, r->workload);
  auto strategy = sim::strategy_from_name(r->loaded.spec.strategy).value_or(sim::Strategy::Random);
  r->result = sim::rerun(*r->sim, strategy, seed, index, r->loaded.spec.pct_depth);
  return r;
}

inline int ctx_rank(const std::string& c) {
  return c == "task" ? 0 : c == "softirq" ? 1 : c == "hardirq" ? 2 : c == "nmi" ? 3 : -1;
}

/// Problems with a Chrome trace: "X" slices on one track that overlap without nesting; a context
/// nested in one that is not strictly outer (task → softirq → hardirq → NMI); an operation whose
/// CPU is not its track's, or whose context or actor is not its innermost context slice's; a flow
/// id without exactly one start before exactly one end. Empty: none.
inline std::vector<std::string> check_trace(const nlohmann::json& trace) {
  std::vector<std::string> problems;
  std::map<int, std::vector<const nlohmann::json*>> tracks;
  std::map<std::uint64_t, std::vector<const nlohmann::json*>> flows;
  for (const auto& e : trace.at("traceEvents")) {
    if (e.at("ph") != "X") continue;
    tracks[e.at("tid").get<int>()].push_back(&e);
    if (e.contains("bind_id")) flows[e.at("bind_id").get<std::uint64_t>()].push_back(&e);
  }
  constexpr double eps = 1e-9;
  for (auto& [tid, xs] : tracks) {
    std::stable_sort(xs.begin(), xs.end(), [](const nlohmann::json* a, const nlohmann::json* b) {
      double ta = a->at("ts").get<double>(), tb = b->at("ts").get<double>();
      if (ta != tb) return ta < tb;
      double da = a->at("dur").get<double>(), db = b->at("dur").get<double>();
      if (da != db) return da > db;
      // Equal spans: a context contains its operation, an operation its flow end.
      auto rank = [](const nlohmann::json* e) {
        const auto& c = e->at("cat");
        return c == "context" ? 0 : c == "function" ? 1 : c == "op" ? 2 : 3;
      };
      return rank(a) < rank(b);
    });
    std::vector<const nlohmann::json*> open;
    for (auto* e : xs) {
      const double b = e->at("ts").get<double>(), end = b + e->at("dur").get<double>();
      while (!open.empty() && open.back()->at("ts").get<double>() + open.back()->at("dur").get<double>() <= b + eps)
        open.pop_back();
      std::string what = e->at("name").get<std::string>() + " at ts " + std::to_string(b) + " on tid " + std::to_string(tid);
      if (!open.empty() && open.back()->at("ts").get<double>() + open.back()->at("dur").get<double>() < end - eps)
        problems.push_back(what + " overlaps " + open.back()->at("name").get<std::string>() + " without nesting");
      const nlohmann::json* ctx = nullptr;
      for (auto it = open.rbegin(); it != open.rend(); ++it)
        if ((*it)->at("cat") == "context") {
          ctx = *it;
          break;
        }
      const std::string cat = e->at("cat");
      if (cat == "context") {
        if (ctx && ctx_rank(ctx->at("args").at("ctx")) >= ctx_rank(e->at("args").at("ctx")))
          problems.push_back(what + " (" + e->at("args").at("ctx").get<std::string>() + ") nests inside " +
                             ctx->at("args").at("ctx").get<std::string>());
      } else if (cat == "op") {
        if (e->at("args").at("cpu").get<int>() != tid) problems.push_back(what + ": its CPU is not its track");
        if (!ctx)
          problems.push_back(what + ": outside every context slice");
        else if (ctx->at("args").at("ctx") != e->at("args").at("ctx") || ctx->at("args").at("actor") != e->at("args").at("actor"))
          problems.push_back(what + ": in " + ctx->at("name").get<std::string>() + " but recorded in " +
                             e->at("args").at("actor").get<std::string>() + " (" + e->at("args").at("ctx").get<std::string>() + ")");
      } else if (cat == "function") {
        if (!ctx || ctx->at("args").at("actor") != e->at("args").at("actor"))
          problems.push_back(what + ": a function slice outside its own context");
      } else if (cat == "flow") {
        if (open.empty() || open.back()->at("cat") != "op") problems.push_back(what + ": a flow end outside an operation");
      }
      open.push_back(e);
    }
  }
  for (auto& [id, ends] : flows) {
    if (ends.size() != 2 || !ends[0]->contains("flow_out") == !ends[1]->contains("flow_out")) {
      problems.push_back("flow " + std::to_string(id) + ": not one start and one end");
      continue;
    }
    const auto* out = ends[0]->contains("flow_out") ? ends[0] : ends[1];
    const auto* in = out == ends[0] ? ends[1] : ends[0];
    if (!in->contains("flow_in") || out->at("ts").get<double>() >= in->at("ts").get<double>())
      problems.push_back("flow " + std::to_string(id) + ": ends before it starts");
  }
  return problems;
}

/// Compares `got` with the golden file tests/golden/NAME; RELAYSIM_UPDATE_GOLDEN=1 rewrites it.
inline std::string golden_diff(const std::string& name, const std::string& got) {
  const std::string path = std::string(RELAYSIM_SOURCE_DIR) + "/tests/golden/" + name;
  if (std::getenv("RELAYSIM_UPDATE_GOLDEN")) std::ofstream(path) << got;
  std::ifstream in(path);
  if (!in) return path + ": missing (run with RELAYSIM_UPDATE_GOLDEN=1)";
  std::stringstream want;
  want << in.rdbuf();
  if (want.str() == got) return {};
  std::istringstream a(want.str()), b(got);
  std::string la, lb;
  for (int line = 1;; ++line) {
    bool ea = !std::getline(a, la), eb = !std::getline(b, lb);
    if (ea && eb) break;
    if (ea || eb || la != lb)
      return path + ":" + std::to_string(line) + ": want \"" + (ea ? "<end>" : la) + "\", got \"" + (eb ? "<end>" : lb) + "\"";
  }
  return path + ": differs";
}

}  // namespace reports_test
