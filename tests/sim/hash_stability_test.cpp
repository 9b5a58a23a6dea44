// tests/sim/hash_stability_test.cpp — trace hashes survive unrelated edits (issue 16, item 4).
//
// The rule (sim/sim.h, Sim::fold): a trace hash covers what identifies an execution — the
// choices, the actors, the operations, their values and the objects and notes by their stable
// names — never object ids or registration order. So adding a shared variable or a note to a
// model, used or not, leaves every other scenario's hashes as they were. The test registers an
// unrelated `Shared<int>` and a note before each bundled scenario's workload builds its own
// objects (every id then moves by one) and expects the pinned digests of
// tests/golden/schedule_digests.txt unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "reports/schedule.h"
#include "sim/shared.h"
#include "tests/sim/pin_digest.h"

namespace fs = std::filesystem;

namespace {

const std::string kRoot = RELAYSIM_SOURCE_DIR;

std::map<std::string, std::string> pinned() {
  std::map<std::string, std::string> want;
  std::ifstream in(kRoot + "/tests/golden/schedule_digests.txt");
  std::string a, b, c;
  while (in >> a >> b >> c) want[a + " " + b] = c;
  return want;
}

}  // namespace

TEST(HashStability, AnUnrelatedSharedVariableLeavesEveryBundledHashUnchanged) {
  const auto want = pinned();
  ASSERT_GE(want.size(), 40u);
  std::vector<std::unique_ptr<sim::Shared<int>>> extra;
  int compared = 0;
  for (auto& [key, digest_pinned] : want) {
    const std::string rel = key.substr(0, key.find(' '));
    const std::string strategy = key.substr(key.find(' ') + 1);
    if (!fs::exists(kRoot + "/" + rel)) continue;
    auto st = sim::strategy_from_name(strategy);
    ASSERT_TRUE(st) << key;
    const std::uint64_t d = pin::digest(kRoot + "/" + rel, *st, 400, [&](sim::Sim& s) {
      extra.push_back(std::make_unique<sim::Shared<int>>(s, "unrelated.counter", 7));
      s.note_id("unrelated note");
    });
    EXPECT_EQ(reports::hex64(d), digest_pinned) << key << ": an unrelated object moved the hashes";
    ++compared;
  }
  EXPECT_GE(compared, 40);
}

// The other half of the rule: the hash does see objects, by name. The same accesses to an object
// of another name are another execution.
TEST(HashStability, TheHashSeesAnObjectByItsName) {
  auto run = [](const char* name) {
    struct One final : sim::Workload {
      const char* name;
      std::unique_ptr<sim::Shared<int>> x;
      explicit One(const char* n) : name(n) {}
      void build(sim::Sim& s) override {
        s.set_cpus(1);
        x = std::make_unique<sim::Shared<int>>(s, name, 0);
        s.add_task("t", 0, [this] { x->store(1); });
      }
    } w(name);
    sim::Sim s(sim::Sim::Config{});
    s.load(w);
    sim::ReplaySource src({}, false);
    return s.run(src).trace_hash;
  };
  EXPECT_EQ(run("a.x"), run("a.x"));
  EXPECT_NE(run("a.x"), run("a.y"));
}
