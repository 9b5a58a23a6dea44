// tests/cli/memory_model_cli_test.cpp — --memory-model on the command and memory_model in scenarios
// and schedules (sim/memory.h): bad values are one line naming file, line and field (exit 2); dfs
// refuses to be asked for a reduction under tso/lkmm; schedules record the model so that replay
// needs no flag; diff warns when two variants differ only in ordering under sc; the plain
// consumer_pos store is found under lkmm only.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/cli/cli_helpers.h"

namespace fs = std::filesystem;
using namespace cli_test;

namespace {

const std::string kPlain = "scenarios/bpf_ringbuf/plain_consumer_pos.toml";

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(MemoryModelCli, BadScenarioFieldNamesFileLineAndField) {
  const std::string d = tmpdir("mm-bad");
  fs::create_directories(d);
  const std::string f = d + "/bad.toml";
  std::ofstream(f) << "name = \"x\"\nmodel = \"toy\"\nmemory_model = \"arm\"\n";
  Out o = sh("explore " + f + " --quiet");
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_NE(o.text.find(f + ":3:"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("memory_model"), std::string::npos) << o.text;
  EXPECT_EQ(lines(o.text), 1) << o.text;
}

TEST(MemoryModelCli, BadFlagIsAUsageError) {
  Out o = sh("explore scenarios/toy/irq_counter.toml --memory-model arm --quiet");
  EXPECT_EQ(o.status, 2) << o.text;
}

TEST(MemoryModelCli, DfsRefusesAReductionUnderAWeakModel) {
  Out o = sh("explore scenarios/toy/irq_counter.toml --strategy dfs --memory-model lkmm --reduction sleep --quiet");
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_NE(o.text.find("not sound"), std::string::npos) << o.text;
  EXPECT_EQ(lines(o.text), 1) << o.text;
  // Without --reduction it runs, unreduced.
  Out ok = sh("explore scenarios/toy/irq_counter.toml --strategy dfs --memory-model tso --quiet --out " + tmpdir("mm-dfs"));
  EXPECT_NE(ok.text.find("reduction none"), std::string::npos) << ok.text;
}

TEST(MemoryModelCli, BadScheduleFieldIsExit2) {
  const std::string d = tmpdir("mm-sched");
  fs::create_directories(d);
  std::string s = slurp(std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/regressions/bpf_ringbuf-plain_consumer_pos.schedule.json");
  const std::string key = "\"memory_model\": \"lkmm\"";
  ASSERT_NE(s.find(key), std::string::npos);
  s.replace(s.find(key), key.size(), "\"memory_model\": \"power\"");
  std::ofstream(d + "/bad.schedule.json") << s;
  Out o = sh("replay --quiet " + d + "/bad.schedule.json");
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_NE(o.text.find("memory_model"), std::string::npos) << o.text;
}

TEST(MemoryModelCli, PlainConsumerPosIsFoundUnderLkmmOnly) {
  const std::string out = tmpdir("mm-plain");
  Out lkmm = sh("explore " + kPlain + " --quiet -n 20000 --out " + out);  // the scenario's lkmm
  EXPECT_EQ(lkmm.status, 0) << lkmm.text;
  EXPECT_NE(lkmm.text.find("no-corruption"), std::string::npos) << lkmm.text;
  // The recorded schedule names the model, so replay needs no flag.
  const std::string sched = out + "/plain_consumer_pos-libbpf-plain-consumer-pos-no-corruption/schedule.json";
  EXPECT_NE(slurp(sched).find("\"memory_model\": \"lkmm\""), std::string::npos);
  Out rep = sh("replay --quiet " + sched);
  EXPECT_EQ(rep.status, 0) << rep.text;
  // sc and tso (x86 keeps a load before a later store) find nothing; neither does mainline.
  for (const std::string& extra : {std::string("--memory-model sc"), std::string("--memory-model tso"), std::string("--variant mainline")}) {
    Out o = sh("explore " + kPlain + " " + extra + " --quiet -n 5000 --out " + out);
    EXPECT_EQ(o.status, 1) << extra << ": " << o.text;  // the expected violation is not found
    EXPECT_NE(o.text.find("no violation"), std::string::npos) << extra << ": " << o.text;
  }
}

// bf378d341e48 (perf: data_head stored with no smp_wmb before it): found under lkmm, where the
// perf data area's words are under the memory model; sc, tso and mainline find nothing with the
// same budget. The first violation's trace names a stale read of the data area.
TEST(MemoryModelCli, PerfPreBf378d341e48IsFoundUnderLkmmOnly) {
  const std::string scenario = "scenarios/perf_buf/pre_bf378d341e48_data_head_without_wmb.toml";
  const std::string out = tmpdir("mm-perf");
  Out lkmm = sh("explore " + scenario + " --quiet -n 3000 --out " + out);  // the scenario's lkmm
  EXPECT_EQ(lkmm.status, 0) << lkmm.text;
  EXPECT_NE(lkmm.text.find("no-corruption"), std::string::npos) << lkmm.text;
  const std::string dir = out + "/pre_bf378d341e48_data_head_without_wmb-pre-bf378d341e48-no-corruption";
  EXPECT_NE(slurp(dir + "/schedule.json").find("\"memory_model\": \"lkmm\""), std::string::npos);
  EXPECT_NE(slurp(dir + "/trace.txt").find("stale read of rb0->data+0x"), std::string::npos)
      << "the violation comes from a stale read of the data area's words";
  // The shrunk schedule replays to its violation; on mainline its promise is broken at the
  // control dependency, and the trace says the execution was infeasible (not "every actor finished").
  const std::string reg = "scenarios/regressions/perf_buf-pre_bf378d341e48_data_head_without_wmb.schedule.json";
  Out rep = sh("replay --quiet " + reg);
  EXPECT_EQ(rep.status, 0) << rep.text;
  Out main = sh("replay " + reg + " --variant mainline");
  EXPECT_NE(main.text.find("# infeasible: a load-buffering promise was broken"), std::string::npos) << main.text;
  EXPECT_EQ(main.text.find("# every actor finished"), std::string::npos) << main.text;
  for (const std::string& extra : {std::string("--memory-model sc"), std::string("--memory-model tso"), std::string("--variant mainline")}) {
    Out o = sh("explore " + scenario + " " + extra + " --quiet -n 3000 --out " + out);
    EXPECT_EQ(o.status, 1) << extra << ": " << o.text;  // the expected violation is not found
    EXPECT_NE(o.text.find("no violation"), std::string::npos) << extra << ": " << o.text;
  }
}

// libbpf/libbpf 556e0a0def95 (libbpf's perf buffer reader loaded data_head with only a compiler
// barrier after it; the sync brought ring_buffer_read_head, smp_load_acquire): found under lkmm,
// where the perf data area's words are under the memory model; sc, tso (x86 keeps loads in order)
// and mainline find nothing with the same budget. The kernel is mainline in both variants: the
// trace names a stale read of the data area, and the shrunk schedule replays to the violation.
TEST(MemoryModelCli, PerfPre556e0a0def95IsFoundUnderLkmmOnly) {
  const std::string scenario = "scenarios/perf_buf/pre_556e0a0def95_read_head_without_rmb.toml";
  const std::string out = tmpdir("mm-perf-rmb");
  Out lkmm = sh("explore " + scenario + " --quiet -n 3000 --out " + out);  // the scenario's lkmm
  EXPECT_EQ(lkmm.status, 0) << lkmm.text;
  EXPECT_NE(lkmm.text.find("VIOLATION padding"), std::string::npos) << lkmm.text;  // seed 1: execution 13
  const std::string dir = out + "/pre_556e0a0def95_read_head_without_rmb-pre-556e0a0def95-padding";
  EXPECT_NE(slurp(dir + "/schedule.json").find("\"memory_model\": \"lkmm\""), std::string::npos);
  EXPECT_NE(slurp(dir + "/trace.txt").find("stale read of rb0->data+0x"), std::string::npos)
      << "the violation comes from a stale read of the data area's words";
  const std::string reg = "scenarios/regressions/perf_buf-pre_556e0a0def95_read_head_without_rmb.schedule.json";
  Out rep = sh("replay --quiet " + reg);
  EXPECT_EQ(rep.status, 0) << rep.text;
  Out main = sh("replay " + reg + " --variant mainline");  // the acquire leaves no stale read to take
  EXPECT_NE(main.text.find("on variant mainline: no violation"), std::string::npos) << main.text;
  EXPECT_EQ(main.text.find("VIOLATION"), std::string::npos) << main.text;
  for (const std::string& extra : {std::string("--memory-model sc"), std::string("--memory-model tso"), std::string("--variant mainline")}) {
    Out o = sh("explore " + scenario + " " + extra + " --quiet -n 3000 --out " + out);
    EXPECT_EQ(o.status, 1) << extra << ": " << o.text;  // the expected violation is not found
    EXPECT_NE(o.text.find("no violation"), std::string::npos) << extra << ": " << o.text;
  }
}

TEST(MemoryModelCli, DiffWarnsWhenVariantsDifferOnlyInOrderingUnderSc) {
  const std::string out = tmpdir("mm-diff");
  Out sc = sh("diff " + kPlain + " --variant mainline --variant libbpf-plain-consumer-pos --memory-model sc -n 50 --out " + out);
  EXPECT_EQ(sc.status, 0) << sc.text;
  EXPECT_NE(sc.text.find("differ only in memory-order tags or barriers"), std::string::npos) << sc.text;
  EXPECT_NE(sc.text.find("--memory-model lkmm"), std::string::npos) << sc.text;
  // Variants whose accesses differ get no such warning.
  Out other = sh("diff scenarios/bpf_ringbuf/quickstart.toml --variant mainline --variant pre-cve-2024-41009 -n 50 --out " + out);
  EXPECT_EQ(other.text.find("differ only in memory-order"), std::string::npos) << other.text;
}

}  // namespace
