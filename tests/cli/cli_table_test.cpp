// tests/cli/cli_table_test.cpp — every bad input the command can be given (issue 17's list and
// more) is one line on stderr with exit status 2; a failed write is the verdict, then one line
// with the path and strerror, and status 4. Never 3 (internal error) for any of them.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/cli/cli_helpers.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace cli_test;

namespace {

const std::string kToy = "scenarios/toy/irq_counter.toml";
const std::string kSchedule = "scenarios/regressions/relay-flush_race.schedule.json";

std::string slurp(const std::string& p) {
  std::ifstream in(std::string(RELAYSIM_SOURCE_DIR) + "/" + p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Fixture files under one temporary directory.
struct Files {
  std::string dir;
  explicit Files(const std::string& name) : dir(tmpdir(name)) { fs::create_directories(dir); }
  std::string put(const std::string& name, const std::string& text) {
    std::ofstream(dir + "/" + name, std::ios::binary) << text;
    return dir + "/" + name;
  }
  // The bundled schedule with one change applied.
  std::string schedule(const std::string& name, const std::function<void(json&)>& change) {
    json j = json::parse(slurp(kSchedule));
    change(j);
    return put(name, j.dump(1));
  }
};

std::string nested(int levels) { return std::string(static_cast<std::size_t>(levels), '[') + std::string(static_cast<std::size_t>(levels), ']'); }

struct Row {
  std::string args;
  std::string want;  // a part of the one line printed
};

}  // namespace

TEST(CliTable, EveryBadInputIsOneLineAndStatus2) {
  Files f("table-input");
  const std::string fifo = f.dir + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  const std::string big = f.dir + "/big.toml";
  { std::ofstream(big) << "name = \"x\"\n"; }
  fs::resize_file(big, (std::uint64_t{64} << 20) + 1);  // sparse: fast
  auto sched = [&](const std::string& name, const std::function<void(json&)>& change) { return "replay " + f.schedule(name, change); };
  const std::string deep_ops = "{\"ops\": [" + nested(130000) + "]}";
  const std::string deep_path = f.put("deep-ops.json", deep_ops);

  const std::vector<Row> rows = {
      // input files: directories, devices, FIFOs, missing, too big
      {"replay scenarios", "not a directory"},
      {"shrink scenarios", "not a directory"},
      {"explore scenarios", "not a directory"},
      {"exec --model relay scenarios", "not a directory"},
      {"run scenarios", "not a directory"},
      {"explore /dev/zero", "not a character device"},
      {"replay /dev/zero", "not a character device"},
      {"exec --model relay /dev/zero", "not a character device"},
      {"replay " + fifo, "not a FIFO"},
      {"explore " + fifo, "not a FIFO"},
      {"exec --model bpf_ringbuf " + fifo, "not a FIFO"},
      {"explore /nope.toml", "No such file or directory"},
      {"replay /nope.json", "No such file or directory"},
      {"explore " + big, "larger than the 64 MiB limit"},
      {sched("names-dev-zero.json", [](json& j) { j["scenario"] = "/dev/zero"; }), "not a character device"},
      {sched("names-fifo.json", [&](json& j) { j["scenario"] = fifo; }), "not a FIFO"},
      {sched("names-dir.json", [](json& j) { j["scenario"] = "scenarios"; }), "not a directory"},
      // schedules against reports/schedule.schema.json
      {sched("depth-x.json", [](json& j) { j["pct_depth"] = "x"; }), "\"pct_depth\" must be an integer"},
      {sched("step-x.json", [](json& j) { j["violation"]["step"] = "x"; }), "\"violation.step\" must be an integer"},
      {sched("name-5.json", [](json& j) { j["scenario_name"] = 5; }), "\"scenario_name\" must be a string"},
      {sched("version-1.5.json", [](json& j) { j["version"] = 1.5; }), "\"version\" must be an integer"},
      {sched("version-2.json", [](json& j) { j["version"] = 2; }), "version 2 is not supported"},
      {sched("exec-neg.json", [](json& j) { j["execution"] = -1; }), "\"execution\" = -1 is out of range"},
      {sched("exec-frac.json", [](json& j) { j["execution"] = 1.5; }), "\"execution\" must be an integer"},
      {sched("strategy.json", [](json& j) { j["strategy"] = "bogus"; }), "\"strategy\" = \"bogus\""},
      {sched("hash-short.json", [](json& j) { j["trace_hash"] = "0xabc"; }), "\"trace_hash\" = \"0xabc\""},
      {sched("hash-upper.json", [](json& j) { j["trace_hash"] = "0x00000000000000AB"; }), "\"trace_hash\""},
      {"replay " + f.put("trailing.json", slurp(kSchedule) + " x"), "not valid JSON"},
      {sched("choice-1e20.json", [](json& j) { j["choices"][0] = 1e20; }), "\"choices[0]\" must be an integer"},
      {sched("choice-neg.json", [](json& j) { j["choices"][0] = -1; }), "\"choices[0]\" = -1 is out of range"},
      {sched("choice-big.json", [](json& j) { j["choices"][0] = 4294967296ULL; }), "\"choices[0]\" = 4294967296 is out of range"},
      {sched("choices-str.json", [](json& j) { j["choices"] = "x"; }), "\"choices\" must be an array"},
      {sched("seed-neg.json", [](json& j) { j["seed"] = "-1"; }), "\"seed\" = \"-1\""},
      {sched("seed-big.json", [](json& j) { j["seed"] = "18446744073709551616"; }), "\"seed\""},
      {sched("seed-num.json", [](json& j) { j["seed"] = 5; }), "\"seed\" must be a string"},
      {sched("extra.json", [](json& j) { j["extra"] = 1; }), "unknown field \"extra\""},
      {sched("no-choices.json", [](json& j) { j.erase("choices"); }), "missing field \"choices\""},
      {sched("format.json", [](json& j) { j["format"] = "x"; }), "not a relaysim schedule"},
      {sched("violation-5.json", [](json& j) { j["violation"] = 5; }), "\"violation\" must be null or an object"},
      {sched("violation-noprop.json", [](json& j) { j["violation"].erase("property"); }), "missing field \"property\""},
      {sched("ctx.json", [](json& j) { j["steps"] = json::array({{{"ctx", "bogus"}}}); }), "\"steps[0].ctx\""},
      {sched("depth-0.json", [](json& j) { j["pct_depth"] = 0; }), "\"pct_depth\" = 0 is out of range"},
      {sched("depth-65.json", [](json& j) { j["pct_depth"] = 65; }), "\"pct_depth\" = 65 is out of range"},
      {sched("model-7.json", [](json& j) { j["model"] = 7; }), "\"model\" must be a string"},
      {sched("scenario-empty.json", [](json& j) { j["scenario"] = ""; }), "\"scenario\" must name a scenario file"},
      {"replay " + f.put("deep-schedule.json", "{\"format\": \"relaysim-schedule\", \"x\": " + nested(100000) + "}"),
       "nested deeper than 16"},
      {"replay " + f.put("not-json.json", "{ not json"), "not valid JSON"},
      {"replay " + f.put("overflow.json", "{\"format\": \"relaysim-schedule\", \"choices\": [1e999]}"), "a number out of range"},
      {"exec --model bpf_ringbuf " + f.put("overflow-ops.json", R"({"params": {"max_entries": 1e2288}, "ops": []})"),
       "a number out of range"},
      {"shrink " + f.put("shrink-v2.json", [] { json j = json::parse(slurp(kSchedule)); j["version"] = 2; return j.dump(); }()),
       "version 2 is not supported"},
      // exec operation files
      {"exec --model relay " + deep_path, "nested deeper than 64"},
      {"exec --model bpf_ringbuf " + deep_path, "nested deeper than 64"},
      {"exec --model bpf_relay_map " + deep_path, "nested deeper than 64"},
      {"exec --model ftrace_rb " + deep_path, "nested deeper than 64"},
      {"exec --model ftrace_rb " + f.put("open.json", R"({"ops":[{"op":"reserve","len":8}]})"), "left open"},
      {"exec --model relay " + f.put("trail.json", R"({"ops":[]} [])"), "trailing bytes"},
      {"exec --model relay " + f.put("ops-5.json", R"({"ops": 5})"), "ops: must be an array"},
      {"exec --model relay " + f.put("twice.json", R"({"ops": [], "ops": []})"), "appears twice"},
      {"exec --model nope " + f.put("empty-ops.json", R"({"ops": []})"), "has no exec mode"},
      {"exec --model relay " + f.put("bad-op.json", R"({"ops": [{"op": "frob"}]})"), "ops[0].op"},
      // numeric flags: ranges, signs, bases, special values
      {"diff " + kToy + " --variant racy --variant locked -n -1", "-1 is negative"},
      {"diff " + kToy + " --variant racy --variant locked -n 10000000000", "out of range [1, 1000000]"},
      {"diff " + kToy + " --variant racy --variant locked -n 0", "out of range"},
      {"diff " + kToy + " --variant racy", "exactly two variants"},
      {"diff " + kToy + " --variant racy --variant locked --pct-depth 0", "out of range [1, 64]"},
      {"explore " + kToy + " --pct-depth 4294967295", "out of range [1, 64]"},
      {"explore " + kToy + " --pct-depth 0", "out of range [1, 64]"},
      {"explore " + kToy + " --executions -1", "-1 is negative"},
      {"explore " + kToy + " --executions 99999999999999999999", "out of range"},
      {"explore " + kToy + " --executions 0", "out of range"},
      {"explore " + kToy + " --executions 1.5", "not a decimal integer"},
      {"explore " + kToy + " --time 0", "out of range"},
      {"explore " + kToy + " --time -1", "out of range"},
      {"explore " + kToy + " --time nan", "not a decimal number"},
      {"explore " + kToy + " --time inf", "not a decimal number"},
      {"explore " + kToy + " --time 1e400", "not a finite number"},
      {"explore " + kToy + " --jobs 0", "out of range [1, 256]"},
      {"explore " + kToy + " --jobs 257", "out of range [1, 256]"},
      {"explore " + kToy + " --jobs -1", "-1 is negative"},
      {"explore " + kToy + " --seed 010", "no leading zeros"},
      {"explore " + kToy + " --seed 0x10", "not a decimal integer"},
      {"explore " + kToy + " --seed -5", "-5 is negative"},
      {"explore " + kToy + " --seed 18446744073709551616", "out of range"},
      {"run " + kToy + " --execution -1", "-1 is negative"},
      {"run " + kToy + " --pct-depth 65", "out of range [1, 64]"},
      {"shrink " + kSchedule + " --max-runs 0", "out of range"},
      {"shrink " + kSchedule + " --out " + f.dir, "is a directory"},
      // commands and options
      {"frob", "unknown command 'frob'"},
      {"list variants --model nope", "no such model"},
      {"list nothing", "expected models, variants"},
      {"explore", "scenario is required"},
      {"explore " + kToy + " --bogus", "--bogus"},
      {"explore " + kToy + " --strategy bogus", "--strategy must be"},
      {"explore " + kToy + " --preemption-bound 1", "need --strategy dfs"},
      {"explore " + kToy + " --variant nope", "nope"},
  };
  ASSERT_GE(rows.size(), 60u);
  for (const Row& r : rows) {
    Out o = sh(r.args);
    EXPECT_EQ(o.status, 2) << r.args << "\n" << o.text;
    EXPECT_EQ(lines(o.text), 1) << r.args << "\n" << o.text;
    EXPECT_NE(o.text.find(r.want), std::string::npos) << r.args << "\n  wanted: " << r.want << "\n  got:    " << o.text;
    EXPECT_EQ(o.text.find("internal error"), std::string::npos) << r.args;
  }
}

// A write that fails: the verdict first, then one line with the path and strerror; status 4.
TEST(CliTable, WriteFailuresPrintTheVerdictThenPathAndErrnoAndExit4) {
  Files f("table-output");
  const std::string file = f.put("a-file", "x");
  const struct {
    std::string out, error;
  } cases[] = {{file, file + ": Not a directory"}, {file + "/sub", file + ": Not a directory"}, {"/proc/relaysim-x", "/proc/relaysim-x: "}};
  for (const auto& c : cases) {
    Out o = sh("explore " + kToy + " --quiet --executions 2000 --out " + c.out);
    EXPECT_EQ(o.status, 4) << o.text;
    const auto verdict = o.text.find("expected violation assertion: as expected");
    const auto error = o.text.find("relaysim: cannot write the violation's files: " + c.error);
    EXPECT_NE(verdict, std::string::npos) << o.text;
    EXPECT_NE(error, std::string::npos) << o.text;
    EXPECT_LT(verdict, error) << o.text;
    EXPECT_EQ(o.text.substr(error).find('\n'), o.text.size() - error - 1) << "the error is the last line: " << o.text;
    EXPECT_EQ(o.text.find(".tmp"), std::string::npos) << o.text;
  }
  // --json: the statistics object, then the error line.
  Out j = sh("explore " + kToy + " --json --executions 2000 --out " + file);
  EXPECT_EQ(j.status, 4) << j.text;
  EXPECT_EQ(j.text.rfind("{\"", 0), 0u) << j.text;
  // diff: the table first, then the error.
  Out d = sh("diff scenarios/relay/full_no_client.toml --variant pre-relay-stats --variant mainline -n 20 --out " + file);
  EXPECT_EQ(d.status, 4) << d.text;
  EXPECT_LT(d.text.find("no-silent-loss"), d.text.find("relaysim: cannot write a differing schedule: " + file + "/")) << d.text;
  // shrink onto a path under a regular file.
  Out s = sh("shrink " + kSchedule + " --out " + file + "/x.json");
  EXPECT_EQ(s.status, 4) << s.text;
  EXPECT_NE(s.text.find(file + ": Not a directory"), std::string::npos) << s.text;
  for (auto& e : fs::directory_iterator(f.dir)) EXPECT_NE(e.path().filename().string().rfind(".a-file", 0), 0u) << e.path();
}
