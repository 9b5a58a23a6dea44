// tests/kernel/wmem_kernel_test.cpp — the kernel-source mode under the weak memory models (issue 13,
// kernel/runtime.cpp "Weak memory"): the BPF ring buffer's own kernel/bpf/ringbuf.c and libbpf's
// tools/lib/bpf/ringbuf.c (Debian's linux-source-6.12) under --memory-model lkmm and tso.
//   - mainline stays clean under lkmm, while the model does make stale reads of the kernel's words
//     (so a run that silently stayed sc would not pass);
//   - libbpf with consumer_pos published by WRITE_ONCE (a patch of ours made at test time by
//     scripts/kernel-wmem-patches.sh, never committed) corrupts a record under lkmm and under no
//     other model: the kernel reads the promised consumer_pos, reserves the space the consumer is
//     still copying and writes over it;
//   - the same seed gives the same first violation for any --jobs.
//
// Needs clang-16 and linux-source-6.12 (scripts/install-deps.sh); label `kernel`, with
// RELAYSIM_CACHE set to the build tree's kernel-cache by tests/CMakeLists.txt.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "kernel/build.h"
#include "model/registry.h"
#include "scenarios/spec.h"
#include "sim/choice.h"
#include "sim/explorer.h"

namespace {

namespace fs = std::filesystem;
const fs::path kSource = RELAYSIM_SOURCE_DIR;

std::string plain_patch(const fs::path& dir) {
  const std::string tree = kernel::default_tree({"tools/lib/bpf/ringbuf.c"});
  const std::string cmd = "RELAYSIM_KERNEL_TREE='" + tree + "' '" + (kSource / "scripts/kernel-wmem-patches.sh").string() +
                          "' '" + dir.string() + "' > /dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  return (dir / "libbpf-ringbuf-plain-consumer-pos.patch").string();
}

struct Prep {
  scenario::Spec spec;
  model::Prepared prepared;
  sim::Sim::Config config;
};

Prep prepare(const std::string& scenario, sim::MemoryModel mm, const std::vector<std::string>& patches = {}) {
  Prep r{scenario::load_file((kSource / scenario).string()), {}, {}};
  model::SourceOptions so;
  so.source = "kernel";
  so.tree.patches = patches;
  r.prepared = model::prepare(r.spec, "", so);
  r.config = model::engine_config(r.spec);
  r.config.memory_model = mm;
  return r;
}

sim::ExploreResult explore(const Prep& r, std::uint64_t executions, unsigned jobs = 1, std::uint64_t seed = 7) {
  sim::ExploreConfig cfg;
  cfg.executions = executions;
  cfg.jobs = jobs;
  cfg.seed = seed;
  return sim::explore(r.prepared.factory, r.config, cfg);
}

class KernelWeakMemory : public ::testing::Test {
 protected:
  fs::path dir = fs::temp_directory_path() / ("relaysim-wmem-" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir); }
  void TearDown() override { fs::remove_all(dir); }
};

// Mainline 6.12 (smp_store_release / smp_load_acquire on the positions, xchg on the header) is
// clean under lkmm on the scenarios that expect a pass, with the plain-store scenario among them
// (6.12's libbpf has the release store the scenario's model variant removes).
TEST_F(KernelWeakMemory, MainlineIsCleanUnderLkmm) {
  for (const char* s : {"scenarios/bpf_ringbuf/quickstart.toml", "scenarios/bpf_ringbuf/multi_producer_nmi.toml",
                        "scenarios/bpf_ringbuf/plain_consumer_pos.toml"}) {
    SCOPED_TRACE(s);
    sim::ExploreResult r = explore(prepare(s, sim::MemoryModel::Lkmm), 1500);
    EXPECT_FALSE(r.error_execution.has_value()) << r.error_message;
    EXPECT_FALSE(r.first.has_value()) << r.first->violation.message;
    EXPECT_GT(r.executions, 0u);
  }
}

// The kernel's words are under the model: random lkmm executions of the quickstart read stale
// values of them, named in the trace with the word, at READ_ONCE (a relaxed load) as well as at
// smp_load_acquire; sc never does.
TEST_F(KernelWeakMemory, KernelWordsReadStaleUnderLkmmAndNeverUnderSc) {
  for (sim::MemoryModel mm : {sim::MemoryModel::Lkmm, sim::MemoryModel::Sc}) {
    SCOPED_TRACE(std::string(sim::memory_model_name(mm)));
    Prep run = prepare("scenarios/bpf_ringbuf/multi_producer_nmi.toml", mm);
    sim::Sim s(run.config);
    auto w = run.prepared.factory();
    s.load(*w);
    sim::RandomSource rnd(1);
    std::uint64_t stale = 0, named = 0, after_relaxed = 0;
    for (int seed = 0; seed < 300; ++seed) {
      rnd.reseed(static_cast<std::uint64_t>(seed));
      auto r = s.run(rnd, sim::RunOptions{true});
      stale += r.stale_reads;
      const auto& t = s.trace();
      for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i].op != sim::Op::StaleRead) continue;
        const std::string& text = s.note_text(static_cast<std::uint32_t>(t[i].extra));
        const bool kernel_word = text.rfind("stale read of kernel.memory+0x", 0) == 0 && text.find(" bytes)") != std::string::npos;
        named += kernel_word;
        // The stale read's own load step comes right before it: READ_ONCE is a relaxed load.
        after_relaxed += kernel_word && i > 0 && t[i - 1].op == sim::Op::Load && t[i - 1].mo == sim::Mo::Relaxed;
      }
    }
    if (mm == sim::MemoryModel::Sc) {
      EXPECT_EQ(stale, 0u);
    } else {
      EXPECT_GT(stale, 0u);
      EXPECT_GT(named, 0u);
      EXPECT_GT(after_relaxed, 0u) << "no READ_ONCE of the kernel read a stale value";
    }
  }
}

// The new user's design in the kernel's own libbpf: found under lkmm only, the same for any --jobs.
TEST_F(KernelWeakMemory, PlainConsumerPosIsFoundUnderLkmmOnly) {
  const std::string patch = plain_patch(dir);
  const std::string scenario = "scenarios/bpf_ringbuf/plain_consumer_pos.toml";
  Prep lk = prepare(scenario, sim::MemoryModel::Lkmm, {patch});
  sim::ExploreResult r1 = explore(lk, 5000, 1), r2 = explore(lk, 5000, 2);
  ASSERT_TRUE(r1.first.has_value()) << "lkmm finds the plain consumer_pos store";
  const std::string p(sim::property_name(r1.first->violation.property));
  EXPECT_TRUE(p == "no-corruption" || p == "no-split") << p << ": " << r1.first->violation.message;
  ASSERT_TRUE(r2.first.has_value());
  EXPECT_EQ(r1.first->execution, r2.first->execution);
  EXPECT_EQ(r1.first->violation.message, r2.first->violation.message);

  for (sim::MemoryModel mm : {sim::MemoryModel::Sc, sim::MemoryModel::Tso}) {
    SCOPED_TRACE(std::string(sim::memory_model_name(mm)));
    sim::ExploreResult r = explore(prepare(scenario, mm, {patch}), 3000);
    EXPECT_FALSE(r.first.has_value()) << r.first->violation.message;
    EXPECT_FALSE(r.error_execution.has_value()) << r.error_message;
  }
}

}  // namespace
