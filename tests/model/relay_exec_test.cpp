// tests/model/relay_exec_test.cpp — the relay exec mode (model/relay/exec.h): the bundled example
// op files produce the kernel's answers, and bad input is a one-line ScenarioError.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "model/relay/exec.h"
#include "scenarios/spec.h"

using nlohmann::json;
using model::relay::relay_exec;

namespace {

json load(const std::string& name) {
  std::ifstream in(std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/relay/exec/" + name);
  EXPECT_TRUE(in.good()) << name;
  return json::parse(in);
}

json run_file(const std::string& name) { return relay_exec(load(name), name); }

const json& buf0(const json& step) { return step.at("state").at("buffers").at(0); }

std::string error_of(const json& input) {
  try {
    relay_exec(input, "ops.json");
  } catch (const scenario::ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(RelayExec, FillAndRefuse) {
  json out = run_file("fill-and-refuse.json");
  EXPECT_EQ(out["model"], "relay");
  const json& st = out["steps"];
  ASSERT_EQ(st.size(), 11u);
  EXPECT_EQ(st[1]["return"]["offset"], 64);
  EXPECT_EQ(buf0(st[3])["padding"], json::parse("[24,24,24,0]"));
  EXPECT_EQ(st[4]["return"]["accepted"], false);
  EXPECT_EQ(st[4]["return"]["drop"], "full");
  EXPECT_EQ(buf0(st[4])["offset"], 65);
  EXPECT_EQ(buf0(st[4])["produced"], 4);
  EXPECT_EQ(buf0(st[5])["produced"], 4);  // the retry does not produce again
  EXPECT_EQ(buf0(st[5])["dropped"], 2);
  EXPECT_EQ(buf0(st[5])["full_count"], 2);
  EXPECT_EQ(buf0(st[5])["file_size"], 160);
  EXPECT_EQ(st[6]["return"]["mask"], 1);
  EXPECT_EQ(st[8]["return"]["accepted"], true);
  EXPECT_EQ(st[8]["return"]["id"], 7);
  EXPECT_EQ(st[8]["return"]["subbuf_seq"], 4);
  EXPECT_EQ(buf0(st[8])["subbufs"][0], json::parse("[[7,40],[0,24]]"));
  EXPECT_EQ(st[9]["return"]["bytes"], 160);
  EXPECT_EQ(st[9]["return"]["messages"], json::parse("[[2,40],[3,40],[4,40],[7,40]]"));
  EXPECT_EQ(buf0(st[9])["consumed"], 4);
  EXPECT_EQ(buf0(st[9])["bytes_consumed"], 40);
  EXPECT_EQ(st[10]["return"]["readable"], false);
}

TEST(RelayExec, OverwriteLapAndRead) {
  json out = run_file("overwrite-lap-and-read.json");
  const json& st = out["steps"];
  EXPECT_EQ(st[4]["return"]["offset"], 0);  // message 5 overwrites sub-buffer 0
  EXPECT_EQ(buf0(st[5])["produced"], 5);
  EXPECT_EQ(buf0(st[5])["full_count"], 2);
  EXPECT_EQ(st[6]["return"]["skipped"], json::parse("[0,1]"));
  EXPECT_EQ(st[6]["return"]["messages"], json::parse("[[3,40],[4,40],[5,40],[6,40]]"));
  EXPECT_EQ(buf0(st[6])["consumed"], 5);
  EXPECT_EQ(st[7]["return"]["bytes"], 0);
}

TEST(RelayExec, PaddingHeadersAndRead) {
  json out = run_file("padding-and-read.json");
  const json& st = out["steps"];
  EXPECT_EQ(st[0]["return"]["offset"], 8);
  EXPECT_EQ(st[3]["return"]["offset"], 136);  // the reserve's slot, after sub-buffer 2's header
  EXPECT_EQ(buf0(st[3])["padding"], json::parse("[16,6,0,0]"));
  EXPECT_EQ(buf0(st[3])["file_size"], 106);
  EXPECT_EQ(st[4]["return"]["padding"], 16);  // read from sub-buffer 0's header
  EXPECT_EQ(st[4]["return"]["messages"], json::parse("[[1,40]]"));
  EXPECT_EQ(st[5]["return"]["messages"], json::parse("[[0,8],[2,20],[3,30],[0,8],[4,10]]"));
  EXPECT_EQ(buf0(st[6])["padding"], json::parse("[16,6,46,0]"));
  EXPECT_EQ(buf0(st[6])["offset"], 8);
  EXPECT_EQ(st[7]["return"]["readable"], true);
  EXPECT_EQ(st[8]["return"]["padding"], 46);
  EXPECT_EQ(st[8]["return"]["messages"], json::parse("[[4,10]]"));
  EXPECT_EQ(buf0(st[9])["finalized"], true);
  EXPECT_EQ(st[10]["return"]["mask"], 2);
}

TEST(RelayExec, TooBigOnAnOlderKernel) {
  json out = run_file("too-big.json");
  const json& st = out["steps"];
  EXPECT_EQ(st[1]["return"]["drop"], "too_big");
  EXPECT_EQ(st[1]["state"]["last_toobig"], 65);
  EXPECT_EQ(buf0(st[1])["produced"], 0);
  EXPECT_EQ(st[2]["return"]["offset"], 64);
  EXPECT_EQ(st[3]["state"]["last_toobig"], 100);
  EXPECT_EQ(buf0(st[3])["big_count"], 0);
  EXPECT_EQ(st[4]["return"]["messages"], json::parse("[[1,30],[3,64]]"));
  EXPECT_EQ(buf0(st[4])["bytes_consumed"], 64);  // the writer's full sub-buffer is not released
  EXPECT_EQ(buf0(st[4])["consumed"], 1);
  EXPECT_EQ(buf0(st[5])["produced"], 0);
  EXPECT_EQ(buf0(st[5])["file_size"], 30);
  EXPECT_EQ(st[5]["state"]["last_toobig"], 100);
  EXPECT_EQ(st[7]["return"]["messages"], json::parse("[[5,10]]"));
}

TEST(RelayExec, DefaultsAndOutputShape) {
  json out = relay_exec(json::parse(R"({"ops":[{"op":"write","cpu":0,"len":1}]})"), "x.json");
  EXPECT_FALSE(out.contains("violation"));
  EXPECT_EQ(out["params"]["callback"], "buf_full");
  EXPECT_EQ(out["steps"][0]["state"]["buffers"][0]["subbufs"][0], json::parse("[[1,1],[0,63]]"));
}

TEST(RelayExec, PerCpuBuffersAndGlobal) {
  json out = relay_exec(json::parse(R"({"params":{"cpus":2},"ops":[{"op":"write","cpu":1,"len":5},{"op":"flush"}]})"), "x");
  EXPECT_EQ(out["steps"][0]["return"]["buffer"], 1);
  EXPECT_EQ(out["steps"][1]["state"]["buffers"].size(), 2u);
  EXPECT_EQ(out["steps"][1]["state"]["buffers"][1]["padding"][0], 59);
  EXPECT_EQ(out["steps"][1]["state"]["buffers"][0]["padding"][0], 64);
  out = relay_exec(json::parse(R"({"params":{"cpus":2,"is_global":true},"ops":[{"op":"write","cpu":1,"len":5}]})"), "x");
  EXPECT_EQ(out["steps"][0]["return"]["buffer"], 0);
  EXPECT_EQ(out["steps"][0]["state"]["buffers"].size(), 1u);
}

TEST(RelayExec, BadInputIsAOneLineScenarioError) {
  EXPECT_EQ(error_of(json::parse(R"({"ops":[{"op":"write","cpu":0,"len":1},{"op":"explode"}]})")),
            "ops.json: ops[1].op: \"explode\" is not one of: write, reserve, switch, flush, reset, subbufs_consumed, "
            "read, mmap_consume, poll, close");
  EXPECT_EQ(error_of(json::parse(R"({"ops":[{"op":"write","cpu":0}]})")), "ops.json: ops[0].len: missing required field");
  EXPECT_EQ(error_of(json::parse(R"({"ops":[{"op":"write","cpu":0,"len":"ten"}]})")),
            "ops.json: ops[0].len: must be an integer, not a string");
  EXPECT_EQ(error_of(json::parse(R"({"ops":[{"op":"write","cpu":0,"len":-1}]})")),
            "ops.json: ops[0].len: -1 is out of range [0, 1048576]");
  EXPECT_EQ(error_of(json::parse(R"({"ops":[{"op":"write","cpu":1,"len":1}]})")),
            "ops.json: ops[0].cpu: 1 is out of range [0, 0]");
  EXPECT_EQ(error_of(json::parse(R"({"ops":[{"op":"read","buffer":0,"count":1,"extra":2}]})")),
            "ops.json: ops[0].extra: unknown field");
  EXPECT_EQ(error_of(json::parse(R"({"ops":[{"op":"write","cpu":0,"len":1,"fn":"relay_reserve"}]})")),
            "ops.json: ops[0].fn: \"relay_reserve\" is not one of: relay_write, __relay_write");
  EXPECT_EQ(error_of(json::parse(R"({"params":{"subbuf_size":0},"ops":[]})")),
            "ops.json: params: relay_open fails (-EINVAL): subbuf_size is 0 (relay_open returns NULL)");
  EXPECT_EQ(error_of(json::parse(R"({"params":{"callback":"sometimes"},"ops":[]})")),
            "ops.json: params.callback: \"sometimes\" is not one of: buf_full, counting, overwrite, header_reserve");
  EXPECT_EQ(error_of(json::parse(R"({"params":{"stats":1},"ops":[]})")),
            "ops.json: params.stats: must be a boolean, not an integer");
  EXPECT_EQ(error_of(json::parse(R"({"ops":{}})")), "ops.json: ops: must be an array, not an object");
  EXPECT_EQ(error_of(json::parse(R"({"params":{}})")), "ops.json: ops: missing required field");
  EXPECT_EQ(error_of(json::parse(R"({"ops":[], "opz":1})")), "ops.json: opz: unknown field");
  EXPECT_EQ(error_of(json::parse(R"([1])")), "ops.json: (top level): must be an object, not an array");
  EXPECT_EQ(error_of(json::parse(R"({"ops":[3]})")), "ops.json: ops[0]: must be an object, not an integer");
}
