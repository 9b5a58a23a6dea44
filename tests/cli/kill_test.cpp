// tests/cli/kill_test.cpp — relaysim killed while it writes a violation's files never leaves a
// partial file or a schedule beside another run's trace under a final name.
//
// Two reference runs (seeds 1 and 2) give two different (schedule, trace) pairs. Then 100 runs,
// alternating the two seeds into one --out, are each SIGKILLed at a point of the write path chosen
// at random (RELAYSIM_KILL_AT, reports/output.h: after a chunk, an fsync, a rename), plus 20 runs
// killed from outside after a random delay. After every kill the violation directory is absent or
// holds exactly one of the two reference pairs, byte for byte.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "tests/cli/cli_helpers.h"

namespace fs = std::filesystem;

namespace {

const char* kScenario = "scenarios/toy/irq_counter.toml";
const char* kStem = "irq_counter-racy-assertion";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t spawn(const std::string& out, int seed, long kill_at) {
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(RELAYSIM_SOURCE_DIR) != 0) _exit(127);
    if (kill_at > 0) setenv("RELAYSIM_KILL_AT", std::to_string(kill_at).c_str(), 1);
    const std::string s = std::to_string(seed);
    freopen("/dev/null", "w", stdout);
    execl(RELAYSIM_BINARY, RELAYSIM_BINARY, "explore", kScenario, "--quiet", "--executions", "5000", "--seed", s.c_str(),
          "--out", out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// 0: exited with status 0; -9: killed by SIGKILL; anything else is a failure of the test.
int wait_for(pid_t pid) {
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFSIGNALED(st)) return -WTERMSIG(st);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1000;
}

int run(const std::string& out, int seed, long kill_at) { return wait_for(spawn(out, seed, kill_at)); }

struct Pair {
  std::string schedule, trace, report;
  bool operator==(const Pair&) const = default;
};

Pair read_pair(const std::string& out) {
  const fs::path d = fs::path(out) / kStem;
  // The report names its schedule's path (the replay command): compare it with OUT for the directory.
  std::string report = slurp(d / "report.html");
  for (std::size_t at; (at = report.find(out)) != std::string::npos;) report.replace(at, out.size(), "OUT");
  return Pair{slurp(d / "schedule.json"), slurp(d / "trace.txt"), report};
}

// What a reader may see under the final names: nothing yet, or one complete reference pair.
void check(const std::string& out, const Pair& a, const Pair& b, const std::string& when) {
  for (auto& e : fs::directory_iterator(out)) {
    const std::string name = e.path().filename().string();
    if (name[0] == '.') continue;  // a temporary a kill left behind (never a final name)
    ASSERT_EQ(name, kStem) << when;
    std::vector<std::string> files;
    for (auto& f : fs::directory_iterator(e.path())) files.push_back(f.path().filename().string());
    std::sort(files.begin(), files.end());
    ASSERT_EQ(files, (std::vector<std::string>{"report.html", "schedule.json", "trace.txt"})) << when;
    const Pair p = read_pair(out);
    ASSERT_TRUE(p == a || p == b) << when << ": a partial or mismatched pair";
  }
}

}  // namespace

TEST(KillDuringWrites, NoFinalFileIsPartialOrMismatched) {
  const std::string ref_a = cli_test::tmpdir("kill-ref-a"), ref_b = cli_test::tmpdir("kill-ref-b");
  ASSERT_EQ(run(ref_a, 1, 0), 0);
  ASSERT_EQ(run(ref_b, 2, 0), 0);
  const Pair a = read_pair(ref_a), b = read_pair(ref_b);
  ASSERT_FALSE(a.schedule.empty());
  ASSERT_NE(a.schedule, b.schedule) << "the two seeds must give different pairs";
  ASSERT_NE(a.trace, b.trace);

  // How many kill points one publication has: the first N at which the run completes, minus one.
  const std::string probe = cli_test::tmpdir("kill-probe");
  long points = 0;
  while (run(probe, 1, points + 1) == -SIGKILL) ++points;
  ASSERT_GE(points, 6) << "chunks, fsyncs and renames of two files and a directory";

  const std::string out = cli_test::tmpdir("kill-out");
  fs::create_directories(out);
  std::mt19937 rng(20261201);
  int kills = 0;
  for (int i = 0; i < 100; ++i) {
    const long at = std::uniform_int_distribution<long>(1, points)(rng);
    const int st = run(out, 1 + i % 2, at);
    ASSERT_EQ(st, -SIGKILL) << "run " << i << " kill point " << at;
    ++kills;
    check(out, a, b, "after kill " + std::to_string(i) + " at point " + std::to_string(at));
    if (i % 10 == 9) {
      ASSERT_EQ(run(out, 2 - i % 2, 0), 0);  // now and then a complete run in between
    }
    check(out, a, b, "after a complete run");
  }
  // Kills from outside at random times (anywhere in the run, sometimes in the write path).
  for (int i = 0; i < 20; ++i) {
    pid_t pid = spawn(out, 1 + i % 2, 0);
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 20000)(rng)));
    kill(pid, SIGKILL);
    const int st = wait_for(pid);
    ASSERT_TRUE(st == -SIGKILL || st == 0) << st;
    kills += st == -SIGKILL;
    check(out, a, b, "after external kill " + std::to_string(i));
  }
  EXPECT_GE(kills, 100);
  // A complete run at the end publishes its pair, whatever the kills left behind.
  ASSERT_EQ(run(out, 2, 0), 0);
  EXPECT_TRUE(read_pair(out) == b);
}

// Four runs at once into one --out, five times: every time the violation directory holds one
// complete reference pair and no temporary is left (they all finished).
TEST(ConcurrentRuns, IntoOneOutEachPublishACompletePair) {
  const std::string ref_a = cli_test::tmpdir("conc-ref-a"), ref_b = cli_test::tmpdir("conc-ref-b");
  ASSERT_EQ(run(ref_a, 1, 0), 0);
  ASSERT_EQ(run(ref_b, 2, 0), 0);
  const Pair a = read_pair(ref_a), b = read_pair(ref_b);
  const std::string out = cli_test::tmpdir("conc-out");
  for (int round = 0; round < 5; ++round) {
    std::vector<pid_t> pids;
    for (int k = 0; k < 4; ++k) pids.push_back(spawn(out, 1 + k % 2, 0));
    for (pid_t p : pids) ASSERT_EQ(wait_for(p), 0);
    check(out, a, b, "round " + std::to_string(round));
    for (auto& e : fs::directory_iterator(out)) EXPECT_EQ(e.path().filename().string(), kStem) << "a temporary left behind";
  }
}
