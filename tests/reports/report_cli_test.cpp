// tests/reports/report_cli_test.cpp — --perfetto and --html on explore, run and replay, end to end.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/reports/report_checks.h"

namespace fs = std::filesystem;

namespace {

int sh(const std::string& args, std::string* text = nullptr) {
  std::string cmd = std::string("cd ") + RELAYSIM_SOURCE_DIR + " && " + RELAYSIM_BINARY + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  std::string out;
  while (fgets(buf, sizeof buf, p)) out += buf;
  if (text) *text = out;
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ReportCli, ExploreWritesTheReportBesideTheScheduleAndNamesTheAccesses) {
  fs::path d = fs::temp_directory_path() / "relaysim-report-cli";
  fs::remove_all(d);
  std::string text;
  ASSERT_EQ(sh("explore scenarios/relay/relay_write_hardirq.toml --quiet --out " + d.string() + " --perfetto " +
               (d / "p.json").string(), &text), 0) << text;
  EXPECT_NE(text.find("accesses:  message 1 written by writer0 (task, CPU 0) at step 17 over live message 2 written by "
                      "hardirq1 (hardirq, CPU 0) at step 12"), std::string::npos) << text;
  const std::string stem = (d / "relay_write_hardirq-mainline-no-corruption").string();
  std::string html = slurp(stem + "/report.html");
  EXPECT_NE(html.find("relaysim replay " + stem + "/schedule.json"), std::string::npos);
  auto trace = nlohmann::json::parse(slurp((d / "p.json").string()));
  EXPECT_TRUE(reports_test::check_trace(trace).empty());
  EXPECT_NE(slurp(stem + "/trace.txt").find("# accesses: message 1 written by writer0"), std::string::npos);

  // replay and run write the same execution's files.
  ASSERT_EQ(sh("replay -q " + stem + "/schedule.json --perfetto " + (d / "r.json").string() + " --html " +
               (d / "r.html").string(), &text), 0) << text;
  auto replayed = nlohmann::json::parse(slurp((d / "r.json").string()));
  EXPECT_EQ(replayed["traceEvents"].size(), trace["traceEvents"].size());
  EXPECT_NE(slurp((d / "r.html").string()).find("id=\"culprit\""), std::string::npos);
  ASSERT_EQ(sh("run scenarios/relay/relay_write_hardirq.toml --execution 1 --perfetto " + (d / "run.json").string() +
               " --html " + (d / "run.html").string(), &text), 0);
  EXPECT_EQ(nlohmann::json::parse(slurp((d / "run.json").string()))["traceEvents"].size(), trace["traceEvents"].size());
  EXPECT_TRUE(fs::exists(d / "run.html"));
}

TEST(ReportCli, ExplicitHtmlPathIsWrittenAndNamed) {
  fs::path d = fs::temp_directory_path() / "relaysim-report-cli-html";
  fs::remove_all(d);
  std::string text;
  ASSERT_EQ(sh("explore scenarios/relay/relay_write_hardirq.toml --quiet --out " + d.string() + " --html " +
               (d / "mine.html").string(), &text), 0);
  EXPECT_TRUE(fs::exists(d / "mine.html"));
  EXPECT_NE(text.find("report:    " + (d / "mine.html").string()), std::string::npos) << text;
  EXPECT_TRUE(fs::exists(d / "relay_write_hardirq-mainline-no-corruption" / "report.html")) << "the published unit keeps its page";
}

}  // namespace

namespace {

TEST(ReportCli, RunSavesAReplayableSchedule) {
  fs::path d = fs::temp_directory_path() / "relaysim-report-cli-save";
  fs::remove_all(d);
  fs::create_directories(d);
  std::string text;
  // A violating execution (exit 0: the scenario expects it) and a PCT one: both replay with no flags.
  ASSERT_EQ(sh("run scenarios/relay/relay_write_hardirq.toml --execution 1 --save-schedule " + (d / "a.json").string(), &text), 0);
  ASSERT_EQ(sh("replay -q " + (d / "a.json").string(), &text), 0) << text;
  EXPECT_NE(text.find("violation no-corruption as recorded"), std::string::npos) << text;
  ASSERT_EQ(sh("run scenarios/relay/quickstart.toml --strategy pct --seed 5 --execution 3 --save-schedule " + (d / "b.json").string(), &text), 0) << text;
  auto j = nlohmann::json::parse(slurp((d / "b.json").string()));
  EXPECT_EQ(j["strategy"], "pct");
  EXPECT_EQ(j["seed"], "5");
  EXPECT_EQ(j["execution"], 3);
  ASSERT_EQ(sh("replay -q " + (d / "b.json").string(), &text), 0) << text;
  EXPECT_NE(text.find("matches the schedule"), std::string::npos) << text;
}

TEST(ReportCli, Version) {
  std::string text;
  ASSERT_EQ(sh("--version", &text), 0) << text;
  EXPECT_TRUE(std::regex_match(text, std::regex("relaysim [0-9]+\\.[0-9]+\\.[0-9]+\n"))) << text;
}

}  // namespace

namespace {

TEST(ReportCli, ExploreJsonNamesTheReportAndTheAccesses) {
  fs::path d = fs::temp_directory_path() / "relaysim-report-cli-json";
  fs::remove_all(d);
  std::string text;
  ASSERT_EQ(sh("explore scenarios/relay/relay_write_hardirq.toml --json --out " + d.string(), &text), 0) << text;
  auto j = nlohmann::json::parse(text);
  EXPECT_TRUE(fs::exists(j["violation"]["report"].get<std::string>()));
  EXPECT_NE(j["violation"]["accesses"].get<std::string>().find("at step 17 over live message 2"), std::string::npos);
}

}  // namespace

namespace {

TEST(ReportCli, DfsExploreWritesTheReportToo) {
  fs::path d = fs::temp_directory_path() / "relaysim-report-cli-dfs";
  fs::remove_all(d);
  std::string text;
  ASSERT_EQ(sh("explore scenarios/toy/irq_counter.toml --strategy dfs --quiet --out " + d.string() + " --perfetto " +
               (d / "p.json").string(), &text), 0) << text;
  EXPECT_TRUE(fs::exists(d / "irq_counter-racy-assertion" / "report.html")) << text;
  EXPECT_NE(text.find("report:    " + (d / "irq_counter-racy-assertion" / "report.html").string()), std::string::npos) << text;
  EXPECT_TRUE(reports_test::check_trace(nlohmann::json::parse(slurp((d / "p.json").string()))).empty());
}

}  // namespace
