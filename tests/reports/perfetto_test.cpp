// tests/reports/perfetto_test.cpp — the Perfetto / Chrome trace writer: golden output for one
// failing execution, and the structure (nesting, CPU and context of every slice, flows) over
// executions of every bundled scenario.
#include <gtest/gtest.h>

#include "reports/perfetto.h"
#include "tests/reports/report_checks.h"

namespace {

using nlohmann::json;
using reports_test::check_trace;

// The golden projection: one line per context slice, flow end and instant, in file order
// (operation slices and counters are covered by the structural check, not listed).
std::string projection(const json& trace) {
  std::ostringstream o;
  for (const auto& e : trace.at("traceEvents")) {
    const std::string ph = e.at("ph");
    if (ph == "M") {
      o << "M " << e.at("name").get<std::string>() << " tid=" << e.value("tid", -1) << " " << e.at("args").dump() << "\n";
    } else if (ph == "X" && e.at("cat") != "op") {
      o << "X " << e.at("cat").get<std::string>() << " tid=" << e.at("tid") << " ts=" << e.at("ts") << " dur=" << e.at("dur")
        << " " << e.at("name").get<std::string>();
      if (e.contains("bind_id")) o << " bind_id=" << e.at("bind_id") << (e.contains("flow_out") ? " out" : " in");
      o << "\n";
    } else if (ph == "i") {
      o << "i tid=" << e.value("tid", -1) << " s=" << e.at("s").get<std::string>() << " ts=" << e.at("ts") << " "
        << e.at("name").get<std::string>() << " | " << e.at("args").at("verdict").get<std::string>() << "\n";
    }
  }
  return o.str();
}

TEST(Perfetto, RelayHardirqGolden) {
  // Execution 1 of seed 1 is the one `relaysim explore` reports for this scenario.
  auto r = reports_test::record("scenarios/relay/relay_write_hardirq.toml", 1, 1);
  ASSERT_TRUE(r->result.violation);
  json trace = json::parse(reports::render_perfetto(*r->sim, r->result, "relay_write_hardirq"));
  EXPECT_EQ(trace.at("displayTimeUnit"), "ns");
  auto problems = check_trace(trace);
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(reports_test::golden_diff("perfetto_relay_write_hardirq.txt", projection(trace)), "");
}

TEST(Perfetto, EveryOperationIsASliceOnItsCpuInItsContext) {
  // Every bundled scenario (interrupts of each kind, task switches, flows), a few executions each.
  std::vector<std::string> scenarios;
  for (auto& f : std::filesystem::recursive_directory_iterator(std::string(RELAYSIM_SOURCE_DIR) + "/scenarios"))
    if (f.path().extension() == ".toml")
      scenarios.push_back(std::filesystem::relative(f.path(), RELAYSIM_SOURCE_DIR).string());
  std::sort(scenarios.begin(), scenarios.end());
  ASSERT_GT(scenarios.size(), 30u);
  for (const std::string& s : scenarios) {
    for (std::uint64_t x = 0; x < 3; ++x) {
      auto r = reports_test::record(s, 7, x);
      json trace = reports::perfetto_trace(*r->sim, r->result, s);
      auto problems = check_trace(trace);
      EXPECT_TRUE(problems.empty()) << s << " execution " << x << ": " << problems.front();
      // One operation slice per recorded access, on the CPU the access ran on.
      std::size_t ops = 0, want = 0;
      std::map<std::string, int> ctx_seen;
      for (const auto& e : trace.at("traceEvents"))
        if (e.at("ph") == "X" && e.at("cat") == "op") ++ops;
        else if (e.at("ph") == "X" && e.at("cat") == "context") ++ctx_seen[e.at("args").at("ctx")];
      for (const auto& e : r->sim->trace())
        if (e.cpu >= 0 && e.op != sim::Op::Start && e.op != sim::Op::Finish && e.op != sim::Op::Fire) ++want;
      EXPECT_EQ(ops, want) << s;
      std::map<std::string, int> fired;
      for (const auto& e : r->sim->trace())
        if (e.op == sim::Op::Fire) ++fired[std::string(sim::ctx_name(e.ctx))];
      for (auto& [ctx, n] : fired) EXPECT_EQ(ctx_seen[ctx], n) << s << ": one slice per " << ctx << " handler run";
    }
  }
}

TEST(Perfetto, FlowsGoFromEachWriteToItsRead) {
  auto r = reports_test::record("scenarios/relay/quickstart.toml", 1, 0);
  json trace = reports::perfetto_trace(*r->sim, r->result, "quickstart");
  int outs = 0, ins = 0;
  for (const auto& e : trace.at("traceEvents"))
    if (e.contains("bind_id")) (e.contains("flow_out") ? outs : ins)++;
  EXPECT_GT(outs, 0);
  EXPECT_EQ(outs, ins);
  bool fill = false;
  for (const auto& e : trace.at("traceEvents"))
    if (e.at("ph") == "C" && e.at("name").get<std::string>().rfind("fill ", 0) == 0) fill = true;
  EXPECT_TRUE(fill) << "a fill counter per buffer";
}

TEST(Perfetto, CheckerCatchesBadNesting) {
  // The structural check itself can fail: partial overlap, a task inside a hardirq, an operation
  // on the wrong track, a flow without its end.
  json t = {{"traceEvents",
             {{{"ph", "X"}, {"cat", "context"}, {"name", "a"}, {"tid", 0}, {"ts", 0}, {"dur", 10}, {"args", {{"ctx", "hardirq"}, {"actor", "a"}}}},
              {{"ph", "X"}, {"cat", "context"}, {"name", "b"}, {"tid", 0}, {"ts", 2}, {"dur", 3}, {"args", {{"ctx", "task"}, {"actor", "b"}}}},
              {{"ph", "X"}, {"cat", "context"}, {"name", "c"}, {"tid", 0}, {"ts", 8}, {"dur", 5}, {"args", {{"ctx", "nmi"}, {"actor", "c"}}}},
              {{"ph", "X"}, {"cat", "op"}, {"name", "o"}, {"tid", 0}, {"ts", 1}, {"dur", 1}, {"bind_id", 9}, {"flow_out", true},
               {"args", {{"ctx", "hardirq"}, {"actor", "a"}, {"cpu", 1}}}}}}};
  auto p = check_trace(t);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_NE(p[0].find("its CPU is not its track"), std::string::npos) << p[0];
  EXPECT_NE(p[1].find("nests inside"), std::string::npos) << p[1];
  EXPECT_NE(p[2].find("without nesting"), std::string::npos) << p[2];
  EXPECT_NE(p[3].find("flow 9"), std::string::npos) << p[3];
}

}  // namespace
