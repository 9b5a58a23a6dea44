// tests/model/bpf_relay_map_test.cpp — pins the BPF relay map model (model/bpf_relay_map/) to the
// series' relaymap.c: BPF_MAP_CREATE's checks and error codes, map_update_elem's answers,
// the stubbed element operations, memory accounting and bpf_relay_output's return values,
// through the exec mode (operations in, return codes out).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "model/bpf_relay_map/exec.h"
#include "model/bpf_relay_map/map.h"
#include "scenarios/spec.h"

using nlohmann::json;
namespace brm = model::bpf_relay_map;

namespace {

int create(const brm::MapAttr& a, const std::string& variant = "v1", brm::Created* out = nullptr, int cpus = 2) {
  std::string why;
  return brm::map_create(a, *brm::design_of(variant), cpus, out, &why);
}

brm::MapAttr attr() {
  brm::MapAttr a;
  a.max_entries = 64;
  a.map_extra = 4;
  a.map_name = "rmap";
  return a;
}

json run(json input) { return brm::relay_map_exec(input, "t.json"); }
json ret(const json& out, std::size_t step) { return out["steps"][step]["return"]["ret"]; }

json base(json ops, std::string variant = "v1") {
  return json{{"variant", variant}, {"cpus", 2}, {"map", {{"max_entries", 64}, {"map_extra", 2}, {"map_name", "rmap"}}}, {"ops", ops}};
}

}  // namespace

TEST(BpfRelayMapCreate, AcceptsThePatchDefaults) {
  brm::Created c;
  brm::MapAttr a = attr();
  a.map_extra = 0;
  a.value_size = 0;
  ASSERT_EQ(create(a, "v1", &c), 0);
  EXPECT_EQ(c.n_subbufs, 8u);                // map_extra 0 -> 8 sub-buffers
  EXPECT_EQ(c.value_size, brm::kNameMax);    // value_size 0 -> NAME_MAX
  EXPECT_EQ(c.params.subbuf_size, 64u);      // max_entries is the sub-buffer size
  EXPECT_FALSE(c.overwrite);
  a.map_flags = brm::kBpfFOverwrite;
  ASSERT_EQ(create(a, "v1", &c), 0);
  EXPECT_TRUE(c.overwrite);
}

TEST(BpfRelayMapCreate, RejectsWhatRelayMapAllocRejects) {
  const int einval = -static_cast<int>(brm::kEINVAL);
  brm::MapAttr a = attr();
  a.map_flags = 1;  // BPF_F_NO_PREALLOC: not allowed
  EXPECT_EQ(create(a), einval);
  a = attr();
  a.key_size = 4;
  EXPECT_EQ(create(a), einval);
  a = attr();
  a.value_size = 256;
  EXPECT_EQ(create(a), einval);
  a.value_size = 255;
  EXPECT_EQ(create(a), 0);
  a = attr();
  a.map_name = "";
  EXPECT_EQ(create(a), einval);
  a.map_name = "sixteen_chars_xx";  // bpf_obj_name_cpy: 15 at most
  EXPECT_EQ(create(a), einval);
  a.map_name = "bad-name";
  EXPECT_EQ(create(a), einval);
  a = attr();
  a.max_entries = 0;  // relay_open: subbuf_size 0 -> NULL -> -EINVAL
  EXPECT_EQ(create(a), einval);
  a.max_entries = 1u << 20;
  a.map_extra = 1u << 13;  // 2^33 bytes per buffer: relay_open's overflow check
  EXPECT_EQ(create(a), einval);
}

TEST(BpfRelayMapCreate, MapExtraUpperBitsAreRejectedInV1AndMaskedInV0) {
  brm::MapAttr a = attr();
  a.map_extra = (std::uint64_t{1} << 32) | 4;
  EXPECT_EQ(create(a, "v1"), -static_cast<int>(brm::kEINVAL));
  brm::Created c;
  ASSERT_EQ(create(a, "v0", &c), 0);
  EXPECT_EQ(c.n_subbufs, 4u);
  a.map_extra = std::uint64_t{1} << 32;  // masked to 0 -> the default 8
  ASSERT_EQ(create(a, "v0", &c), 0);
  EXPECT_EQ(c.n_subbufs, 8u);
}

TEST(BpfRelayMapExec, CreateFailureIsReportedAndNoOpRuns) {
  json out = run(json{{"map", {{"key_size", 4}}}, {"ops", json::array({{{"op", "lookup_elem"}}})}});
  EXPECT_EQ(out["create"]["ret"], -22);
  EXPECT_EQ(out["create"]["errno"], "EINVAL");
  EXPECT_TRUE(out["steps"].empty());
}

TEST(BpfRelayMapExec, UpdateElemCreatesTheFilesOnce) {
  json out = run(base(json::array({
      {{"op", "output"}, {"cpu", 0}, {"len", 16}},                  // 0: before the files: -ENOENT
      {{"op", "update_elem"}, {"value", "relay_test"}, {"key", true}},  // 1: a key: -EINVAL
      {{"op", "update_elem"}, {"value", "relay_test"}, {"flags", 1}},   // 2: flags: -EINVAL
      {{"op", "update_elem"}, {"value", "relay_test"}},                 // 3: ok
      {{"op", "update_elem"}, {"value", "relay_test"}},                 // 4: debugfs_create_dir: -EEXIST
      {{"op", "update_elem"}, {"value", "other"}},                      // 5: relay_late_setup_files: -EEXIST
      {{"op", "lookup_elem"}}, {{"op", "delete_elem"}}, {{"op", "get_next_key"}},
  })));
  EXPECT_EQ(ret(out, 0), -2);
  EXPECT_EQ(out["steps"][0]["return"]["errno"], "ENOENT");
  EXPECT_EQ(ret(out, 1), -22);
  EXPECT_EQ(ret(out, 2), -22);
  EXPECT_FALSE(out["steps"][2]["state"]["has_base_filename"].get<bool>());
  EXPECT_EQ(ret(out, 3), 0);
  EXPECT_EQ(out["steps"][3]["state"]["files"], json::array({"relay_test/rmap0", "relay_test/rmap1"}));
  EXPECT_EQ(ret(out, 4), -17);
  EXPECT_EQ(ret(out, 5), -17);
  EXPECT_EQ(out["steps"][5]["state"]["dirs"], json::array({"relay_test"}));  // "other" was removed again
  for (int i : {6, 7, 8}) EXPECT_EQ(ret(out, static_cast<std::size_t>(i)), -95);
}

TEST(BpfRelayMapExec, ExistingDirectoryAndTruncatedName) {
  json in = base(json::array({{{"op", "update_elem"}, {"value", "taken"}}}));
  in["debugfs"] = json::array({"taken"});
  json out = run(in);
  EXPECT_EQ(ret(out, 0), -17);
  EXPECT_FALSE(out["steps"][0]["state"]["has_base_filename"].get<bool>());
  in = base(json::array({{{"op", "update_elem"}, {"value", "abcdefgh"}}}));
  in["map"]["value_size"] = 4;  // value[3] = '\0': the directory is "abc"
  out = run(in);
  EXPECT_EQ(ret(out, 0), 0);
  EXPECT_EQ(out["steps"][0]["state"]["parent"], "abc");
}

TEST(BpfRelayMapExec, V0ChecksHasBaseFilenameFirst) {
  json out = run(base(json::array({{{"op", "update_elem"}, {"value", "a"}}, {{"op", "update_elem"}, {"value", "b"}}}), "v0"));
  EXPECT_EQ(ret(out, 1), -17);
  EXPECT_EQ(out["steps"][1]["state"]["dirs"], json::array({"a"}));  // "b" was never created
}

TEST(BpfRelayMapExec, OutputReturnValues) {
  json out = run(base(json::array({
      {{"op", "update_elem"}, {"value", "d"}},
      {{"op", "output"}, {"cpu", 1}, {"len", 16}},                                         // 1: 0, written to buffer 1
      {{"op", "output"}, {"cpu", 0}, {"len", 16}, {"flags", 1}},                           // 2: -EINVAL
      {{"op", "output"}, {"cpu", 0}, {"len", 16}, {"flags", std::uint64_t{1} << 32}},      // 3: u32 flags: 0
      {{"op", "output"}, {"cpu", 0}, {"len", 16}, {"map_null", true}},                     // 4: -EINVAL
      {{"op", "output"}, {"cpu", 0}, {"len", 65}},                                         // 5: too big: still 0
      {{"op", "output"}, {"cpu", 0}, {"len", 64}}, {{"op", "output"}, {"cpu", 0}, {"len", 64}},
      {{"op", "output"}, {"cpu", 0}, {"len", 64}},                                         // 8: full: still 0
      {{"op", "read"}, {"buffer", 1}},
  })));
  EXPECT_EQ(ret(out, 1), 0);
  EXPECT_EQ(out["steps"][1]["return"]["buffer"], 1);
  EXPECT_EQ(ret(out, 2), -22);
  EXPECT_EQ(ret(out, 3), 0);
  EXPECT_EQ(ret(out, 4), -22);
  EXPECT_EQ(ret(out, 5), 0);
  EXPECT_EQ(out["steps"][5]["return"]["dropped"], "too_big");
  EXPECT_EQ(ret(out, 8), 0);
  EXPECT_EQ(out["steps"][8]["return"]["dropped"], "full");
  EXPECT_EQ(ret(out, 9), 16);
  // v0's helper takes u64 flags: the upper half counts.
  out = run(base(json::array({{{"op", "update_elem"}, {"value", "d"}},
                              {{"op", "output"}, {"cpu", 0}, {"len", 8}, {"flags", std::uint64_t{1} << 32}}}),
                 "v0"));
  EXPECT_EQ(ret(out, 1), -22);
  EXPECT_THROW(run(base(json::array({{{"op", "output"}, {"len", 8}, {"map_null", true}}}), "v0")), scenario::ScenarioError);
}

TEST(BpfRelayMapExec, ReportDropsReturnsTheDrop) {
  json out = run(base(json::array({
      {{"op", "update_elem"}, {"value", "d"}},
      {{"op", "output"}, {"cpu", 0}, {"len", 65}},
      {{"op", "output"}, {"cpu", 0}, {"len", 64}}, {{"op", "output"}, {"cpu", 0}, {"len", 64}},
      {{"op", "output"}, {"cpu", 0}, {"len", 64}},
  }), "report-drops"));
  EXPECT_EQ(ret(out, 1), -7);   // -E2BIG
  EXPECT_EQ(ret(out, 3), 0);
  EXPECT_EQ(ret(out, 4), -28);  // -ENOSPC
}

TEST(BpfRelayMapExec, MemUsageCountsEveryOnlineCpu) {
  json out = run(base(json::array({{{"op", "mem_usage"}}})));
  brm::Sizes s;
  EXPECT_EQ(ret(out, 0), s.bpf_relay_map + s.rchan + 2 * (s.rchan_buf + 4096));
  json g = run(base(json::array({{{"op", "mem_usage"}}}), "global"));
  EXPECT_EQ(ret(g, 0), ret(out, 0));  // the patch's formula ignores is_global...
  EXPECT_EQ(g["steps"][0]["return"]["buffers"], 1);  // ...though one buffer exists
}

TEST(BpfRelayMapExec, GlobalVariantHasOneFile) {
  json out = run(base(json::array({{{"op", "update_elem"}, {"value", "d"}}, {{"op", "output"}, {"cpu", 1}, {"len", 8}}}), "global"));
  EXPECT_EQ(out["steps"][0]["state"]["files"], json::array({"d/rmap0"}));
  EXPECT_EQ(out["steps"][1]["return"]["buffer"], 0);
}

TEST(BpfRelayMapExec, FailedSetupLeavesHasBaseFilenameAndADanglingDentry) {
  json out = run(base(json::array({
      {{"op", "update_elem"}, {"value", "d"}, {"fail_file_cpu", 1}},
      {{"op", "output"}, {"cpu", 1}, {"len", 8}},
      {{"op", "update_elem"}, {"value", "d"}},
      {{"op", "free"}},
  })));
  EXPECT_EQ(ret(out, 0), -22);
  EXPECT_TRUE(out["steps"][0]["state"]["has_base_filename"].get<bool>());
  EXPECT_TRUE(out["steps"][0]["state"]["dirs"].empty());
  EXPECT_EQ(ret(out, 1), 0);    // written into a buffer no file shows
  EXPECT_EQ(ret(out, 2), -17);  // and the map can never be set up again
  ASSERT_TRUE(out.contains("violation"));
  EXPECT_EQ(out["violation"]["property"], "memory-safety");  // relay_close_buf on the freed dentry
  EXPECT_EQ(out["violation"]["op"], 3);
  json fixed = run(base(json::array({{{"op", "update_elem"}, {"value", "d"}, {"fail_file_cpu", 1}},
                                     {{"op", "output"}, {"cpu", 1}, {"len", 8}}}),
                        "files-ready"));
  EXPECT_EQ(ret(fixed, 1), -2);
}

TEST(BpfRelayMapExec, BadInputIsOneLine) {
  try {
    run(base(json::array({{{"op", "output"}, {"cpu", 5}, {"len", 8}}})));
    FAIL();
  } catch (const scenario::ScenarioError& e) {
    EXPECT_EQ(std::string(e.what()), "t.json: ops[0].cpu: 5 is out of range [0, 1]");
  }
  EXPECT_THROW(run(base(json::array({{{"op", "nope"}}}))), scenario::ScenarioError);
  EXPECT_THROW(run(base(json::array(), "v9")), scenario::ScenarioError);
}
