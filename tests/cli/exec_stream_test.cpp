// tests/cli/exec_stream_test.cpp — the streamed exec mode prints exactly what the in-memory one
// returns, for every bundled operations file of every model, and refuses malformed files.
#include <gtest/gtest.h>

#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/common.h"
#include "cli/exec_stream.h"
#include "model/bpf_relay_map/exec.h"
#include "model/bpf_ringbuf/exec.h"
#include "model/ftrace_rb/exec.h"
#include "model/relay/exec.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Model {
  const char* name;
  json (*whole)(const json&, const std::string&);
  void (*stream)(const json&, model::OpSource&, const std::string&, model::ExecOutput&);
};

const Model kModels[] = {{"relay", [](const json& j, const std::string& f) { return model::relay::relay_exec(j, f); },
                          [](const json& j, model::OpSource& o, const std::string& f, model::ExecOutput& out) {
                            model::relay::relay_exec_stream(j, o, f, out);
                          }},
                         {"bpf_ringbuf", [](const json& j, const std::string& f) { return model::bpf_ringbuf::ringbuf_exec(j, f); },
                          [](const json& j, model::OpSource& o, const std::string& f, model::ExecOutput& out) {
                            model::bpf_ringbuf::ringbuf_exec_stream(j, o, f, out);
                          }},
                         {"bpf_relay_map", model::bpf_relay_map::relay_map_exec, model::bpf_relay_map::relay_map_exec_stream},
                         {"ftrace_rb", [](const json& j, const std::string& f) { return model::ftrace_rb::ftrace_rb_exec(j, f); },
                          [](const json& j, model::OpSource& o, const std::string& f, model::ExecOutput& out) {
                            model::ftrace_rb::ftrace_rb_exec_stream(j, o, f, out);
                          }}};

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string streamed(const Model& m, const std::string& text) {
  cli::ExecFile f(text, "ops.json");
  std::ostringstream out;
  cli::ExecPrinter printer(out);
  m.stream(f.top(), f, "ops.json", printer);
  return out.str();
}

}  // namespace

TEST(ExecStream, PrintsWhatTheWholeDocumentGives) {
  int files = 0;
  for (const Model& m : kModels) {
    for (auto& e : fs::directory_iterator(std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/" + m.name + "/exec")) {
      const std::string text = slurp(e.path().string());
      const std::string whole = m.whole(json::parse(text), "ops.json").dump(1) + "\n";
      EXPECT_EQ(streamed(m, text), whole) << e.path();
      // The same through a descriptor (the window code path), and with the ops first.
      int fd = ::open(e.path().c_str(), O_RDONLY);
      ASSERT_GE(fd, 0);
      cli::ExecFile f(fd, "ops.json");
      std::ostringstream out;
      cli::ExecPrinter printer(out);
      m.stream(f.top(), f, "ops.json", printer);
      EXPECT_EQ(out.str(), whole) << e.path();
      ++files;
    }
  }
  EXPECT_GE(files, 15);
}

TEST(ExecStream, ViolationAndEmptyOps) {
  const Model& relay = kModels[0];
  for (const char* text : {R"({"ops": []})", R"({"ops":[{"op":"write","cpu":0,"len":1}], "params": {"cpus": 1}})"}) {
    EXPECT_EQ(streamed(relay, text), relay.whole(json::parse(text), "ops.json").dump(1) + "\n") << text;
  }
}

TEST(ExecStream, RefusesMalformedFilesWithTheByteOffset) {
  const Model& relay = kModels[0];
  const std::pair<const char*, const char*> cases[] = {
      {"", "one JSON object"},
      {"[]", "one JSON object"},
      {R"({"ops": []} x)", "trailing bytes"},
      {R"({"ops": [], "ops": []})", "appears twice"},
      {R"({"ops": [{"op": "flush"} {"op": "flush"}]})", "expected ',' or ']'"},
      {R"({"ops": [{"op": "flush"}, tru]})", "not valid JSON"},
      {R"({"ops": [{"op": "flush})", "unterminated"},
      {R"({"ops": [1e]})", "not valid JSON"},
      {"{\"ops\": [1e]", "expected ',' or '}'"},
  };
  for (auto& [text, want] : cases) {
    try {
      streamed(relay, text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const cli::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << text << " -> " << e.what();
      EXPECT_NE(std::string(e.what()).find("(byte "), std::string::npos) << e.what();
    }
  }
  std::string deep = R"({"ops": [)" + std::string(100000, '[') + std::string(100000, ']') + "]}";
  try {
    streamed(relay, deep);
    ADD_FAILURE() << "deep nesting accepted";
  } catch (const cli::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("nested deeper than 64"), std::string::npos) << e.what();
  }
}

TEST(ExecStream, OpenReservationAtTheEndIsBadInput) {
  const Model& ftrace = kModels[3];
  EXPECT_THROW(streamed(ftrace, R"({"ops":[{"op":"reserve","len":8}]})"), scenario::ScenarioError);
}
