// tests/sim/runtime_weak_test.cpp — the kernel-source mode's READ_ONCE under the weak memory models
// (kernel/runtime.cpp, "Weak memory"), driven through kernel::Runtime's hooks the way an
// instrumented kernel file calls them: the volatile hook (Runtime::access, marked), then the
// compiler's own load or store of the word.
//
// READ_ONCE cannot hand its value back through the hook: the compiler loads the word right after
// it. So when the model picks a store other than the newest, the Runtime places that stale value in
// the word for this one load, and puts the newest back at the next entry into the Runtime. These
// tests check both halves on a two-CPU message (writer: WRITE_ONCE(*w, 1); reader: READ_ONCE(*w)
// after the writer's store, then a plain read), explored exhaustively:
//   - under tso and lkmm the reader's compiled load sees the stale 0 after the writer stored 1
//     (not only the model's bookkeeping: the value the kernel code computes with), under sc never;
//   - the next entry into the Runtime restores the newest value: the plain read sees 1.
// A Runtime that asks the model but skips the placement makes the first check fail under tso and
// lkmm (tests/mutations/mutations.txt, runtime-stale-read-not-placed).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <tuple>

#include "kernel/runtime.h"
#include "sim/dfs.h"

namespace {

using Access = kernel::Runtime::Access;

/// One kernel word, two CPUs: the writer's WRITE_ONCE, the reader's READ_ONCE and a plain read.
struct ReadOnceMessage final : sim::Workload {
  std::unique_ptr<kernel::Runtime> rt;
  volatile std::uint64_t* word = nullptr;
  bool stored = false;  // ghost: the writer's compiled store has happened
  // The outcome: whether the writer had stored when the reader's READ_ONCE hook returned, what
  // the reader's compiled load saw, and what its plain read saw at the next entry.
  int stored_before = 0, seen = 0, after = 0;

  void build(sim::Sim& sim) override {
    sim.set_cpus(2);
    rt = std::make_unique<kernel::Runtime>(sim, kernel::Subject::acquire(RELAYSIM_TEST_SUBJECT), kernel::RuntimeOptions{});
    rt->setup([&] { word = static_cast<volatile std::uint64_t*>(rt->alloc_user(8)); });
    sim.add_task("writer", 0, [this] {
      rt->access(const_cast<std::uint64_t*>(word), 8, Access::Write, true, nullptr);  // WRITE_ONCE's hook
      *word = 1;                                                                        // the compiler's store
      stored = true;
    });
    sim.add_task("reader", 1, [this] {
      rt->access(const_cast<std::uint64_t*>(word), 8, Access::Read, true, nullptr);  // READ_ONCE's hook
      stored_before = stored;  // no other actor runs between a hook's return and the compiled access
      seen = static_cast<int>(*word);                                                  // the compiler's load
      rt->access(const_cast<std::uint64_t*>(word), 8, Access::Read, false, nullptr);  // a plain read's hook
      after = static_cast<int>(*word);
    });
  }
  void reset(sim::Sim&) override {
    stored = false;
    stored_before = seen = after = 0;
  }
  std::uint64_t end_state_hash(const sim::Sim&) const override {
    return static_cast<std::uint64_t>(stored_before) | static_cast<std::uint64_t>(seen) << 4 |
           static_cast<std::uint64_t>(after) << 8;
  }
};

using Outcome = std::tuple<int, int, int>;  // stored_before, seen, after

std::set<Outcome> outcomes(sim::MemoryModel m) {
  sim::Sim::Config cfg;
  cfg.memory_model = m;
  cfg.step_bound = 1000;
  sim::DfsConfig d;
  d.collect_outcomes = true;
  d.executions = 100'000;
  sim::DfsResult r = sim::explore_dfs([] { return std::make_unique<ReadOnceMessage>(); }, cfg, d);
  EXPECT_FALSE(r.error) << *r.error;
  EXPECT_TRUE(r.last().complete) << "the search must be exhaustive";
  std::set<Outcome> out;
  for (std::uint64_t h : r.last().outcomes)
    out.insert({static_cast<int>(h & 15), static_cast<int>((h >> 4) & 15), static_cast<int>((h >> 8) & 15)});
  return out;
}

TEST(KernelRuntimeWeak, ReadOnceCompiledLoadSeesTheStaleValueTheModelPicked) {
  for (sim::MemoryModel m : {sim::MemoryModel::Sc, sim::MemoryModel::Tso, sim::MemoryModel::Lkmm}) {
    SCOPED_TRACE(std::string(sim::memory_model_name(m)));
    const std::set<Outcome> o = outcomes(m);
    // Reached under every model: the read before the store, and the read of the store.
    EXPECT_TRUE(o.count({0, 0, 0}) || o.count({0, 0, 1}));
    EXPECT_TRUE(o.count({1, 1, 1}));
    // The stale read, in the value the kernel's compiled load returns.
    EXPECT_EQ(o.count({1, 0, 1}) == 1, m != sim::MemoryModel::Sc) << "the compiled load after the writer's store";
    for (const Outcome& x : o) {
      // Before the writer's store the word holds 0 whatever the model: nothing newer to skip.
      if (std::get<0>(x) == 0) {
        EXPECT_EQ(std::get<1>(x), 0);
      }
      // The next entry into the Runtime puts the newest value back (the plain read is sc).
      if (std::get<0>(x) == 1) {
        EXPECT_EQ(std::get<2>(x), 1) << "stale value left in the word";
      }
    }
  }
}

}  // namespace
