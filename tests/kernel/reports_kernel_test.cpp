// tests/kernel/reports_kernel_test.cpp — the Perfetto and HTML writers on the kernel's own code:
// its memory records copies in its own encoding (no ghost tags), which the writers must not read
// as ByteBuffer copies (no invented flows, fills or buffers), and its steps keep their functions.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>

#include "reports/culprit.h"
#include "reports/html.h"
#include "reports/perfetto.h"
#include "tests/reports/report_checks.h"

namespace {

TEST(ReportsKernel, RelayHardirqFromTheKernelsSource) {
  model::SourceOptions so;
  so.source = "kernel";
  cli::Loaded l = cli::load(std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/relay/relay_write_hardirq.toml", "", so);
  std::unique_ptr<sim::Workload> w;
  auto s = cli::make_sim(l, w);
  sim::ExecResult r = sim::rerun(*s, sim::Strategy::Random, 1, 1, 3);
  ASSERT_TRUE(r.violation);
  bool copies = false;
  for (const auto& e : s->trace())
    if (e.op == sim::Op::CopyIn) {
      copies = true;
      EXPECT_FALSE(reports::as_copy(*s, e)) << "a kernel-memory copy is not a ByteBuffer copy";
    }
  ASSERT_TRUE(copies);
  nlohmann::json t = reports::perfetto_trace(*s, r, "kernel");
  auto problems = reports_test::check_trace(t);
  EXPECT_TRUE(problems.empty()) << problems.front();
  bool named = false;
  for (const auto& e : t["traceEvents"]) {
    EXPECT_FALSE(e.contains("bind_id")) << e.dump();
    if (e["ph"] == "C") {
      EXPECT_NE(e["name"].get<std::string>().rfind("fill ", 0), 0u) << e.dump();
    }
    if (e["ph"] == "X" && e["cat"] == "op" && e["args"]["event"].get<std::string>().find("relay_write()") != std::string::npos)
      named = true;
  }
  EXPECT_TRUE(named) << "operation slices carry the kernel function of each step";
  std::set<std::string> functions;
  for (const auto& e : t["traceEvents"])
    if (e["ph"] == "X" && e["cat"] == "function") functions.insert(e["name"].get<std::string>());
  EXPECT_TRUE(functions.count("rs___relay_write")) << "function slices from the kernel's own steps";
  EXPECT_TRUE(functions.count("relay_file_read"));
  std::string html = reports::render_html(*s, r, {"kernel", ""});
  EXPECT_NE(html.find("\"buffers\":[]"), std::string::npos);
}

}  // namespace
