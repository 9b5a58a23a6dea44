// tests/kernel/relay_kernel_test.cpp — kernel/relay.c itself under the engine (the kernel-source
// mode, kernel/ and model/relay/kernel_channel.h): the exec files agree with the model field by
// field, scenarios find the kernel's race and pass where the kernel is right, runs are
// deterministic, and bad trees, patches and compilers are one-line errors.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "kernel/build.h"
#include "kernel/subject.h"
#include "model/relay/kernel_channel.h"
#include "model/registry.h"
#include "model/relay/exec.h"
#include "scenarios/spec.h"
#include "sim/explorer.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSource = RELAYSIM_SOURCE_DIR;

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

// The first path at which two JSON values differ ("" if none).
std::string first_difference(const json& a, const json& b, const std::string& at = "") {
  if (a.type() != b.type()) return at + ": " + a.dump() + " vs " + b.dump();
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (it.key() == "source") continue;
      if (!b.contains(it.key())) return at + "." + it.key() + ": missing in the kernel's output";
      if (auto d = first_difference(it.value(), b[it.key()], at + "." + it.key()); !d.empty()) return d;
    }
    for (auto it = b.begin(); it != b.end(); ++it)
      if (it.key() != "source" && !a.contains(it.key())) return at + "." + it.key() + ": missing in the model's output";
    return "";
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return at + ": " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) + " entries";
    for (std::size_t i = 0; i < a.size(); ++i)
      if (auto d = first_difference(a[i], b[i], at + "[" + std::to_string(i) + "]"); !d.empty()) return d;
    return "";
  }
  return a == b ? "" : at + ": " + a.dump() + " vs " + b.dump();
}

sim::ExploreResult explore_kernel(const std::string& scenario, std::uint64_t executions, unsigned jobs,
                                  const kernel::TreeOptions& tree = {}) {
  model::SourceOptions so;
  so.source = "kernel";
  so.tree = tree;
  cli::Loaded l = cli::load((kSource / scenario).string(), "", so);
  sim::ExploreConfig cfg;
  cfg.executions = executions;
  cfg.jobs = jobs;
  cfg.seed = 7;
  return sim::explore(l.prepared.factory, l.config, cfg);
}

// The model, with the tree's configuration (6.12 predates relay_stats), against the kernel.
TEST(RelayKernel, EveryExecFileAgreesWithTheModel) {
  int files = 0;
  for (const auto& e : fs::directory_iterator(kSource / "scenarios/relay/exec")) {
    json input = read_json(e.path());
    input["params"]["stats"] = false;
    const model::relay::KernelSource kernel;
    json m = model::relay::relay_exec(input, e.path().string());
    json k = model::relay::relay_exec(input, e.path().string(), &kernel);
    EXPECT_EQ(k["source"], "kernel");
    EXPECT_EQ(first_difference(m, k), "") << e.path();
    ++files;
  }
  EXPECT_GE(files, 4);
}

// Cases beyond the bundled files: every writer kind, refusal, reset, close, global buffers.
TEST(RelayKernel, GeneratedOpSequencesAgreeWithTheModel) {
  const char* cases[] = {
      R"({"params":{"subbuf_size":32,"n_subbufs":2,"stats":false},"ops":[{"op":"write","cpu":0,"len":20},{"op":"write","cpu":0,"len":20},{"op":"write","cpu":0,"len":20},{"op":"write","cpu":0,"len":20},{"op":"read","buffer":0,"count":100},{"op":"write","cpu":0,"len":5},{"op":"poll","buffer":0}]})",
      R"({"params":{"subbuf_size":64,"n_subbufs":4,"cpus":2,"stats":false,"callback":"counting"},"ops":[{"op":"reserve","cpu":1,"len":40},{"op":"reserve","cpu":1,"len":40},{"op":"write","cpu":0,"len":64,"fn":"__relay_write"},{"op":"flush"},{"op":"read","buffer":1,"count":30},{"op":"read","buffer":1,"count":30,"file":1},{"op":"reset"},{"op":"write","cpu":1,"len":3}]})",
      R"({"params":{"subbuf_size":48,"n_subbufs":3,"stats":false,"callback":"header_reserve","header_size":8},"ops":[{"op":"write","cpu":0,"len":30},{"op":"write","cpu":0,"len":30},{"op":"mmap_consume","buffer":0},{"op":"switch","buffer":0},{"op":"mmap_consume","buffer":0},{"op":"close"},{"op":"poll","buffer":0}]})",
      R"({"params":{"subbuf_size":16,"n_subbufs":2,"cpus":2,"is_global":true,"stats":false,"callback":"overwrite"},"ops":[{"op":"write","cpu":0,"len":10},{"op":"write","cpu":1,"len":10},{"op":"write","cpu":0,"len":10},{"op":"write","cpu":1,"len":17},{"op":"write","cpu":0,"len":0},{"op":"read","buffer":0,"count":7},{"op":"subbufs_consumed","buffer":0,"n":1},{"op":"read","buffer":0,"count":64}]})",
  };
  const model::relay::KernelSource kernel;
  for (const char* c : cases) {
    json input = json::parse(c);
    EXPECT_EQ(first_difference(model::relay::relay_exec(input, "case"), model::relay::relay_exec(input, "case", &kernel)), "")
        << c;
  }
}

TEST(RelayKernel, QuickstartPassesAndTheHardirqBugIsFound) {
  sim::ExploreResult ok = explore_kernel("scenarios/relay/quickstart.toml", 400, 1);
  EXPECT_FALSE(ok.first) << ok.first->violation.message;
  EXPECT_FALSE(ok.error_execution) << ok.error_message;
  sim::ExploreResult bug = explore_kernel("scenarios/relay/relay_write_hardirq.toml", 2000, 1);
  ASSERT_TRUE(bug.first);
  EXPECT_EQ(bug.first->violation.property, sim::Property::NoCorruption);
}

// The read()/relay_switch_subbuf window is in the kernel's own code (source_mode.md).
TEST(RelayKernel, ReadRacesSwitchInTheKernelsCode) {
  sim::ExploreResult r = explore_kernel("scenarios/relay/read_races_switch.toml", 20000, 2);
  ASSERT_TRUE(r.first);
  EXPECT_TRUE(r.first->violation.property == sim::Property::Padding ||
              r.first->violation.property == sim::Property::NoDuplication);
}

TEST(RelayKernel, DeterministicForAnyJobs) {
  sim::ExploreResult a = explore_kernel("scenarios/relay/relay_write_hardirq.toml", 3000, 1);
  sim::ExploreResult b = explore_kernel("scenarios/relay/relay_write_hardirq.toml", 3000, 2);
  ASSERT_TRUE(a.first && b.first);
  EXPECT_EQ(a.first->execution, b.first->execution);
  EXPECT_EQ(a.first->violation.step, b.first->violation.step);
  EXPECT_EQ(a.first->violation.message, b.first->violation.message);
}

// --points marked: plain accesses of relay.c are not scheduling points; READ_ONCE/WRITE_ONCE,
// atomics, locks and copies still are. Fewer steps, the same verdicts on these two scenarios.
TEST(RelayKernel, MarkedPointsTakeFewerStepsWithTheSameVerdicts) {
  auto run = [](const char* scenario, bool marked) {
    model::SourceOptions so;
    so.source = "kernel";
    so.marked_only = marked;
    cli::Loaded l = cli::load((kSource / scenario).string(), "", so);
    sim::ExploreConfig cfg;
    cfg.executions = 300;
    return sim::explore(l.prepared.factory, l.config, cfg);
  };
  sim::ExploreResult all = run("scenarios/relay/quickstart.toml", false);
  sim::ExploreResult marked = run("scenarios/relay/quickstart.toml", true);
  EXPECT_FALSE(all.first);
  EXPECT_FALSE(marked.first);
  EXPECT_LT(marked.steps * 2, all.steps) << marked.steps << " vs " << all.steps;
  sim::ExploreResult bug = run("scenarios/relay/relay_write_hardirq.toml", true);
  ASSERT_TRUE(bug.first);
  EXPECT_EQ(bug.first->violation.property, sim::Property::NoCorruption);
}

class RelayKernelBadInput : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("relaysim-kernel-bad-" + std::to_string(::getpid()));
  std::string tree, saved_cache;
  // The shared cache's tree, then a private cache: other test processes build into the shared one
  // concurrently, and their builds in progress are not this test's partial entries.
  void SetUp() override {
    fs::create_directories(dir / "cache");
    tree = kernel::default_tree(model::relay::relay_subject().kernel_files);
    kernel::default_tree({"include/linux/relay.h"});
    if (const char* c = std::getenv("RELAYSIM_CACHE")) saved_cache = c;
    ::setenv("RELAYSIM_CACHE", (dir / "cache").c_str(), 1);
  }
  void TearDown() override {
    if (saved_cache.empty()) ::unsetenv("RELAYSIM_CACHE");
    else ::setenv("RELAYSIM_CACHE", saved_cache.c_str(), 1);
    fs::remove_all(dir);
  }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
  std::string build_error(const kernel::TreeOptions& t) {
    try {
      kernel::build_subject(model::relay::relay_subject(), t);
    } catch (const kernel::BuildError& e) {
      return e.what();
    }
    return "";
  }
  // No build leaves a partial entry: only finished builds (with their subject.so) are in the cache.
  void expect_no_partial_entries() {
    if (!fs::exists(fs::path(kernel::cache_dir()) / "build")) return;
    for (const auto& e : fs::directory_iterator(fs::path(kernel::cache_dir()) / "build")) {
      EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
      EXPECT_TRUE(fs::exists(e.path() / "subject.so")) << e.path();
    }
  }
};

TEST_F(RelayKernelBadInput, APatchThatDoesNotApply) {
  std::string p = write("bad.patch", "--- a/kernel/relay.c\n+++ b/kernel/relay.c\n@@ -1,1 +1,1 @@\n-no such line\n+x\n");
  EXPECT_NE(build_error({tree, {p}}).find("does not apply"), std::string::npos);
  expect_no_partial_entries();
}

TEST_F(RelayKernelBadInput, ATreeWithoutTheFile) {
  EXPECT_NE(build_error({dir.string(), {}}).find("has no kernel/relay.c"), std::string::npos);
}

TEST_F(RelayKernelBadInput, ACompileErrorInThePatchedFile) {
  // A patch of our own that makes relay.c's last line invalid C (made from the tree's file).
  std::ifstream in(fs::path(tree) / "kernel/relay.c");
  std::string last, line;
  int n = 0;
  while (std::getline(in, line)) {
    last = line;
    ++n;
  }
  std::string p = write("syntax.patch", "--- a/kernel/relay.c\n+++ b/kernel/relay.c\n@@ -" + std::to_string(n) +
                                             ",1 +" + std::to_string(n) + ",2 @@\n " + last + "\n+this is not C;\n");
  std::string e = build_error({tree, {p}});
  EXPECT_NE(e.find("compile error in kernel/relay.c"), std::string::npos) << e;
  EXPECT_NE(e.find("error:"), std::string::npos) << e;
  expect_no_partial_entries();
}

TEST_F(RelayKernelBadInput, AMissingClang) {
  ::setenv("RELAYSIM_CLANG", "/nonexistent/clang-16", 1);
  std::string e = build_error({tree, {}});
  ::unsetenv("RELAYSIM_CLANG");
  EXPECT_NE(e.find("needs /nonexistent/clang-16"), std::string::npos) << e;
}

}  // namespace

// ---- check-patch and diff across sources, with the demonstration patch of our own ---------------

#include "cli/check_patch.h"
#include "cli/commands.h"
#include "reports/schedule.h"
#include "sim/choice.h"

namespace {

// scripts/kernel-demo-patches.sh writes relay_write-no-irqsave.patch from the tree's relay.h.
std::string demo_patch(const fs::path& dir) {
  const std::string tree = kernel::default_tree({"include/linux/relay.h"});
  const std::string cmd = "RELAYSIM_KERNEL_TREE='" + tree + "' '" + (kSource / "scripts/kernel-demo-patches.sh").string() +
                          "' '" + dir.string() + "' > /dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  return (dir / "relay_write-no-irqsave.patch").string();
}

class RelayKernelPatch : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("relaysim-kernel-patch-" + std::to_string(::getpid()));
  void SetUp() override {
    fs::create_directories(dir / "scenarios");
    for (const char* s : {"relay_write_hardirq_safe.toml", "quickstart.toml"})
      fs::copy_file(kSource / "scenarios/relay" / s, dir / "scenarios" / s);
  }
  void TearDown() override { fs::remove_all(dir); }
};

TEST_F(RelayKernelPatch, CheckPatchFindsTheViolationThePatchAddsWithAReplayableSchedule) {
  cli::CheckPatchOptions o;
  o.patches = {demo_patch(dir)};
  o.scenarios = (dir / "scenarios").string();
  o.out = (dir / "out").string();
  o.executions = 400;
  testing::internal::CaptureStdout();
  const int rc = cli::cmd_check_patch(o);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("no-corruption: before 0 | after"), std::string::npos) << out;
  EXPECT_NE(out.find("only after: NEW"), std::string::npos) << out;
  // The schedule replays on the patched build to its recorded hash and verdict.
  const fs::path sch_path = dir / "out" / "relay_write_hardirq_safe-patched-no-corruption" / "schedule.json";
  ASSERT_TRUE(fs::exists(sch_path)) << out;
  reports::Schedule sch = reports::read_schedule_file(sch_path.string());
  model::SourceOptions so;
  so.source = "kernel";
  so.tree.patches = o.patches;
  cli::Loaded l = cli::load((dir / "scenarios/relay_write_hardirq_safe.toml").string(), "", so);
  std::unique_ptr<sim::Workload> w;
  auto s = cli::make_sim(l, w);
  sim::ReplaySource src(sch.choices, true);
  sim::ExecResult r = s->run(src, sim::RunOptions{true});
  EXPECT_FALSE(src.divergence());
  EXPECT_EQ(r.trace_hash, sch.trace_hash);
  ASSERT_TRUE(r.violation);
  EXPECT_EQ(r.violation->property, sim::Property::NoCorruption);
}

// Our lock between relay_switch_subbuf and read() (scripts/kernel-demo-patches.sh) closes the window.
TEST_F(RelayKernelPatch, CheckPatchSeesTheReadSwitchRaceFixed) {
  fs::copy_file(kSource / "scenarios/relay/read_races_switch.toml", dir / "scenarios/read_races_switch.toml");
  demo_patch(dir);
  cli::CheckPatchOptions o;
  o.patches = {(dir / "relay-read-switch-lock.patch").string()};
  o.scenarios = (dir / "scenarios").string();
  o.out = (dir / "out").string();
  o.executions = 2000;
  o.strategy = "pct";
  o.jobs = 2;
  testing::internal::CaptureStdout();
  const int rc = cli::cmd_check_patch(o);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("fixed by the patch"), std::string::npos) << out;
  EXPECT_NE(out.find("no new violation"), std::string::npos) << out;
  // After the patch the live reader scenario has no violation at all.
  model::SourceOptions so;
  so.source = "kernel";
  so.tree.patches = o.patches;
  cli::Loaded l = cli::load((dir / "scenarios/read_races_switch.toml").string(), "", so);
  sim::ExploreConfig cfg;
  cfg.strategy = sim::Strategy::Pct;
  cfg.executions = 5000;
  cfg.jobs = 2;
  sim::ExploreResult r = sim::explore(l.prepared.factory, l.config, cfg);
  EXPECT_FALSE(r.first) << r.first->violation.message;
}

// A kernel-source schedule records its tree and patches: replay and shrink need no flags.
TEST_F(RelayKernelPatch, SchedulesRecordTheKernelSourceSoReplayNeedsNoFlags) {
  const std::string patch = demo_patch(dir);
  const std::string out = (dir / "out").string();
  auto run = [](std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    testing::internal::CaptureStdout();
    int rc = cli::main(static_cast<int>(argv.size()), argv.data());
    std::string text = testing::internal::GetCapturedStdout();
    return std::make_pair(rc, text);
  };
  const std::string scenario = (dir / "scenarios/relay_write_hardirq_safe.toml").string();
  auto [rc, text] = run({"relaysim", "explore", scenario, "--patch", patch, "-n", "2000", "--quiet", "--out", out});
  EXPECT_EQ(rc, 1) << text;  // the scenario expects a pass; the patch breaks it
  const std::string sch = out + "/relay_write_hardirq_safe-mainline-kernel-no-corruption/schedule.json";
  ASSERT_TRUE(fs::exists(sch)) << text;
  reports::Schedule s = reports::read_schedule_file(sch);
  ASSERT_TRUE(s.kernel);
  EXPECT_EQ(s.kernel->patches, std::vector<std::string>{fs::absolute(patch).string()});
  auto [rrc, rtext] = run({"relaysim", "replay", "--quiet", sch});
  EXPECT_EQ(rrc, 0) << rtext;
  EXPECT_NE(rtext.find("matches the schedule"), std::string::npos) << rtext;
  // The same choices on the model are another execution: the recorded hash does not fit it.
  auto [mrc, mtext] = run({"relaysim", "replay", "--quiet", sch, "--source", "model"});
  EXPECT_EQ(mrc, 2) << mtext;
}

TEST_F(RelayKernelPatch, CheckPatchOnAFileNoDesignCompilesChangesNothing) {
  std::ofstream(dir / "other.patch") << "--- a/README\n+++ b/README\n@@ -1 +1 @@\n-a\n+b\n";
  cli::CheckPatchOptions o;
  o.patches = {(dir / "other.patch").string()};
  o.scenarios = (dir / "scenarios").string();
  testing::internal::CaptureStdout();
  EXPECT_EQ(cli::cmd_check_patch(o), 0);
  EXPECT_NE(testing::internal::GetCapturedStdout().find("touch no file"), std::string::npos);
}

TEST_F(RelayKernelPatch, DiffSourcesAgreeOnTheTreeAndDisagreeOnThePatchedTree) {
  cli::CheckPatchOptions o;
  o.executions = 400;
  testing::internal::CaptureStdout();
  EXPECT_EQ(cli::cmd_diff_sources((dir / "scenarios/relay_write_hardirq_safe.toml").string(), "", o), 0);
  o.patches = {demo_patch(dir)};
  EXPECT_EQ(cli::cmd_diff_sources((dir / "scenarios/relay_write_hardirq_safe.toml").string(), "", o), 1);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("no-corruption: model 0 | kernel"), std::string::npos) << out;
  EXPECT_NE(out.find("kernel only"), std::string::npos) << out;
}

}  // namespace

// A trace hash folds the code address of every kernel access as its code identity (the function
// and the offset inside it, kernel/subject.h), not as its offset in the object: code added
// elsewhere in the object (a new client entry point) moves every offset but no identity.
TEST(KernelSubject, CodeIdentityDoesNotMoveWithUnrelatedCode) {
  kernel::SubjectSpec a = model::relay::relay_subject();
  kernel::SubjectSpec b = a;
  b.name += "-layout-shift";
  b.client_files.insert(b.client_files.begin(), "tests/kernel/data/layout_shift.c");
  auto sa = kernel::Subject::acquire(kernel::build_subject(a, {}));
  auto sb = kernel::Subject::acquire(kernel::build_subject(b, {}));
  std::set<std::uint64_t> seen;
  for (const char* fn : {"relay_switch_subbuf", "relay_open", "relay_flush", "relay_close"}) {
    const std::uint64_t oa = reinterpret_cast<std::uintptr_t>(sa->symbol(fn)) - sa->load_base();
    const std::uint64_t ob = reinterpret_cast<std::uintptr_t>(sb->symbol(fn)) - sb->load_base();
    ASSERT_NE(oa, ob) << fn << ": the extra client code did not move the kernel's code (the test shows nothing)";
    for (std::uint64_t k : {0u, 4u, 17u}) {
      const std::uint64_t ia = sa->code_identity(oa + k);
      EXPECT_NE(ia, 0u) << fn << "+" << k;
      EXPECT_EQ(ia, sb->code_identity(ob + k)) << fn << "+" << k;
      EXPECT_TRUE(seen.insert(ia).second) << fn << "+" << k << " has another place's identity";
    }
  }
  EXPECT_EQ(sa->code_identity(0), 0u) << "an offset in no function";
}
