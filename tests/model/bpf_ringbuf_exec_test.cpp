// tests/model/bpf_ringbuf_exec_test.cpp — the bundled exec examples (scenarios/bpf_ringbuf/exec/)
// give the positions, return codes and deliveries the kernel and libbpf would.
#include <gtest/gtest.h>

#include <fstream>

#include "model/bpf_ringbuf/exec.h"

namespace {

nlohmann::json run(const std::string& name) {
  const std::string path = std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/bpf_ringbuf/exec/" + name;
  std::ifstream in(path);
  nlohmann::json input;
  in >> input;
  return model::bpf_ringbuf::ringbuf_exec(input, path);
}

const nlohmann::json& ring0(const nlohmann::json& out, std::size_t step) { return out["steps"][step]["state"]["rings"][0]; }

}  // namespace

TEST(BpfRingbufExecExamples, BusyBlocksLaterCommits) {
  auto out = run("busy-blocks-later-commits.json");
  EXPECT_EQ(out["steps"][3]["return"]["ret"], 0);
  EXPECT_EQ(ring0(out, 3)["consumer_pos"], 0);
  EXPECT_EQ(out["steps"][4]["return"]["wakeups_queued"], 1);  // a is at the consumer: wake
  EXPECT_EQ(out["steps"][2]["return"]["wakeups_queued"], 0);  // b is not
  EXPECT_EQ(out["steps"][5]["return"]["ret"], 2);
  EXPECT_EQ(ring0(out, 5)["consumer_pos"], 48);
  EXPECT_EQ(out["steps"][6]["return"]["value"], 0);
}

TEST(BpfRingbufExecExamples, CreationErrorIsAResult) {
  auto out = run("creation-error.json");
  EXPECT_EQ(out["create"]["ret"], -22);
  EXPECT_TRUE(out["steps"].empty());
}

TEST(BpfRingbufExecExamples, SizesFlagsAndCallbackErrors) {
  auto out = run("sizes-and-wakeups.json");
  const auto& s = out["steps"];
  EXPECT_EQ(s[0]["return"]["fail"], "no_space");
  EXPECT_EQ(s[1]["return"]["fail"], "too_big");
  EXPECT_EQ(s[2]["return"]["len"], 8);
  EXPECT_EQ(s[3]["return"]["pos"], 8);
  EXPECT_EQ(s[3]["return"]["len"], 24);
  EXPECT_EQ(s[6]["return"]["ret"], 0);
  EXPECT_EQ(ring0(out, 6)["wakeups_queued"], 1);  // FORCE_WAKEUP
  EXPECT_EQ(s[7]["return"]["ret"], -22);
  EXPECT_EQ(s[8]["return"]["ret"], -7);  // -E2BIG past DYNPTR_MAX_SIZE
  EXPECT_EQ(s[9]["return"]["value"], 48);
  EXPECT_EQ(s[10]["return"]["ret"], 1);
  EXPECT_EQ(s[11]["return"]["ret"], -7);
  EXPECT_EQ(ring0(out, 11)["consumer_pos"], 32);  // the failing record is consumed
  EXPECT_EQ(s[12]["return"]["ret"], 1);
  EXPECT_EQ(ring0(out, 12)["avail_data"], 0);
}

TEST(BpfRingbufExecExamples, Cve202441009LieLetsACommitRecoverAWildRing) {
  auto out = run("cve-2024-41009-lie.json");
  EXPECT_EQ(out["steps"][2]["return"]["ok"], true);  // B handed out over A's header
  EXPECT_EQ(out["steps"][2]["return"]["pos"], 3072);
  ASSERT_TRUE(out.contains("violation"));
  EXPECT_EQ(out["violation"]["property"], "memory-safety");
  EXPECT_EQ(out["violation"]["op"], 3);
}

TEST(BpfRingbufExecExamples, OldLibbpfReturnsANegativeCount) {
  auto out = run("int-overflow.json");
  EXPECT_EQ(out["steps"][10]["return"]["ret"], -6);
  EXPECT_EQ(out["steps"][10]["return"]["delivered"].size(), 10u);
}
