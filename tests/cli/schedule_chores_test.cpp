// tests/cli/schedule_chores_test.cpp — schedule ergonomics and the command's manners (issue 16).
//
// replay --repin, replay --scenario judged by that scenario's expectation, a schedule's scenario
// path found from anywhere, --keep-going's schedule per violated property, `relaysim help`,
// `list scenarios` outside the tree, and the man page.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/cli/cli_helpers.h"

namespace fs = std::filesystem;
using cli_test::sh;

namespace {

const std::string kRoot = RELAYSIM_SOURCE_DIR;
const std::string kCve = "scenarios/regressions/bpf_ringbuf-cve_2024_41009_overlapping_reservations.schedule.json";

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `relaysim ARGS` run from another directory than the source tree; stdout and stderr together.
cli_test::Out sh_in(const std::string& dir, const std::string& args) {
  const std::string cmd = "cd " + dir + " && " + RELAYSIM_BINARY + " " + args + " 2>&1";
  cli_test::Out o{0, ""};
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  while (fgets(buf, sizeof buf, p)) o.text += buf;
  const int st = pclose(p);
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return o;
}

}  // namespace

TEST(ScheduleChores, RepinRewritesOnlyTheHashAndOnlyForTheSameVerdict) {
  const std::string dir = cli_test::tmpdir("repin");
  fs::create_directories(dir);
  const std::string copy = dir + "/cve.schedule.json";
  std::string text = slurp(kRoot + "/" + kCve);
  const std::regex hash_re("\"trace_hash\": \"0x[0-9a-f]{16}\"");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text, m, hash_re));
  const std::string original = m.str();
  std::ofstream(copy) << std::regex_replace(text, hash_re, "\"trace_hash\": \"0x0000000000000001\"");
  // The wrong hash is refused, and --repin restores the true one; the rest of the file is as written.
  auto bad = sh("replay " + copy + " --quiet");
  EXPECT_EQ(bad.status, 2) << bad.text;
  EXPECT_NE(bad.text.find("did NOT reproduce"), std::string::npos) << bad.text;
  auto re = sh("replay " + copy + " --quiet --repin");
  EXPECT_EQ(re.status, 0) << re.text;
  EXPECT_NE(re.text.find("repinned"), std::string::npos) << re.text;
  EXPECT_EQ(slurp(copy), text) << "repin must write back exactly the original file";
  auto ok = sh("replay " + copy + " --quiet");
  EXPECT_EQ(ok.status, 0) << ok.text;
  // A schedule whose verdict is no longer reproduced is never repinned.
  std::string wrong = std::regex_replace(text, std::regex("\"property\": \"no-corruption\""), "\"property\": \"order\"");
  ASSERT_NE(wrong, text);
  std::ofstream(copy) << wrong;
  auto no = sh("replay " + copy + " --quiet --repin");
  EXPECT_EQ(no.status, 2) << no.text;
  EXPECT_EQ(slurp(copy), wrong);
  EXPECT_EQ(sh("replay " + kCve + " --repin --variant mainline").status, 2);
}

TEST(ScheduleChores, ReplayOnTheFixedScenarioIsJudgedByItsExpectation) {
  auto o = sh("replay " + kCve + " --scenario tests/cli/data/cve_2024_41009_fixed.toml --quiet");
  EXPECT_EQ(o.status, 0) << o.text;
  EXPECT_NE(o.text.find("no violation"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("expected pass: as expected"), std::string::npos) << o.text;
  // The schedule's own scenario named with --scenario is the ordinary strict replay.
  auto same = sh("replay " + kCve + " --scenario scenarios/bpf_ringbuf/cve_2024_41009_overlapping_reservations.toml --quiet");
  EXPECT_EQ(same.status, 0) << same.text;
  EXPECT_NE(same.text.find("matches the schedule"), std::string::npos) << same.text;
}

TEST(ScheduleChores, AScheduleFindsItsScenarioFromAnyDirectory) {
  const std::string dir = cli_test::tmpdir("elsewhere");
  fs::create_directories(dir);
  auto r = sh_in(dir, "replay " + kRoot + "/" + kCve + " --quiet");
  EXPECT_EQ(r.status, 0) << r.text;
  EXPECT_NE(r.text.find("matches the schedule"), std::string::npos) << r.text;
  auto l = sh_in(dir, "list scenarios");
  EXPECT_EQ(l.status, 0) << l.text;
  EXPECT_NE(l.text.find("/scenarios/relay/quickstart.toml"), std::string::npos) << l.text;
}

TEST(ScheduleChores, KeepGoingWritesAScheduleForEveryViolatedProperty) {
  const std::string out = cli_test::tmpdir("keep-going");
  auto o = sh("explore scenarios/relay/flush_race.toml --keep-going --executions 3000 --quiet --out " + out);
  int properties = 0;
  std::istringstream lines(o.text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(": violated in ") == std::string::npos) continue;
    ++properties;
    const auto at = line.find("relaysim replay ");
    ASSERT_NE(at, std::string::npos) << line;
    const std::string schedule = line.substr(at + 16);
    EXPECT_TRUE(fs::exists(kRoot + "/" + schedule) || fs::exists(schedule)) << schedule;
    const std::string property = line.substr(2, line.find(':') - 2);
    auto r = sh("replay " + schedule + " --quiet");
    EXPECT_EQ(r.status, 0) << r.text;
    EXPECT_NE(r.text.find("violation " + property), std::string::npos) << r.text;
  }
  EXPECT_GE(properties, 2) << o.text;
}

TEST(ScheduleChores, HelpNamesEveryCommandAndEachCommandsFlags) {
  auto all = sh("help");
  EXPECT_EQ(all.status, 0);
  for (const char* c : {"explore", "run", "replay", "shrink", "diff", "exec", "check-patch", "list", "litmus"})
    EXPECT_NE(all.text.find(c), std::string::npos) << c;
  auto replay = sh("help replay");
  EXPECT_EQ(replay.status, 0);
  EXPECT_NE(replay.text.find("--repin"), std::string::npos) << replay.text;
  EXPECT_EQ(sh("help nosuch").status, 2);
  auto exec = sh("exec --help");
  for (const char* m : {"relay", "bpf_ringbuf", "bpf_relay_map", "ftrace_rb", "perf_buf"})
    EXPECT_NE(exec.text.find(m), std::string::npos) << m << "\n" << exec.text;
}

TEST(ScheduleChores, TheBuildMakesAManPage) {
  const fs::path man = fs::path(RELAYSIM_BINARY).parent_path() / "man" / "relaysim.1";
  if (!fs::exists("/usr/bin/help2man")) GTEST_SKIP() << "help2man is not installed (scripts/install-deps.sh installs it)";
  ASSERT_TRUE(fs::exists(man)) << man;
  const std::string page = slurp(man.string());
  EXPECT_NE(page.find(".TH RELAYSIM"), std::string::npos);
  EXPECT_NE(page.find("--repin"), std::string::npos) << "the COMMANDS section carries each command's help";
}
