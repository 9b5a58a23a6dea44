// tests/reports/html_test.cpp — the one-file HTML report (golden lines, escaping, embedded data)
// and the KCSAN-style culprit of the relay hardirq bug.
#include <gtest/gtest.h>

#include <regex>

#include "reports/culprit.h"
#include "reports/html.h"
#include "tests/reports/report_checks.h"

namespace {

using nlohmann::json;

// Google Benchmark's output-test style: each expected pattern matches a line, in order.
void expect_lines_in_order(const std::string& text, const std::vector<std::string>& patterns) {
  std::istringstream in(text);
  std::string line;
  std::size_t k = 0;
  while (k < patterns.size() && std::getline(in, line))
    if (std::regex_search(line, std::regex(patterns[k]))) ++k;
  EXPECT_EQ(k, patterns.size()) << "no line matches /" << (k < patterns.size() ? patterns[k] : "") << "/ after the earlier ones";
}

json embedded_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"data\">";
  auto b = html.find(open);
  EXPECT_NE(b, std::string::npos);
  b += open.size();
  auto e = html.find("</script>", b);
  std::string text = html.substr(b, e - b);
  EXPECT_EQ(text.find("</"), std::string::npos) << "an unescaped </ would end the script early";
  return json::parse(text);
}

TEST(Culprit, RelayHardirqNamesTheDamagingCopyAndTheOverwrittenOne) {
  auto r = reports_test::record("scenarios/relay/relay_write_hardirq.toml", 1, 1);
  ASSERT_TRUE(r->result.violation);
  EXPECT_EQ(r->result.violation->step, 82u) << "the checker fires long after the damage";
  auto c = reports::find_culprit(*r->sim, *r->result.violation);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->summary,
            "message 1 written by writer0 (task, CPU 0) at step 17 over live message 2 written by hardirq1 (hardirq, CPU 0) "
            "at step 12");
  ASSERT_EQ(c->accesses.size(), 2u);
  EXPECT_EQ(c->accesses[0].step, 17u);
  EXPECT_EQ(c->accesses[0].ctx, sim::Ctx::Task);
  EXPECT_EQ(c->accesses[1].step, 12u);
  EXPECT_EQ(c->accesses[1].ctx, sim::Ctx::Hardirq);
  EXPECT_EQ(r->sim->trace()[c->accesses[0].event].op, sim::Op::CopyIn);
}

TEST(Culprit, DuplicationNamesBothReads) {
  auto r = reports_test::record("scenarios/relay/read_races_switch.toml", 1, 58);
  ASSERT_TRUE(r->result.violation);
  ASSERT_EQ(r->result.violation->property, sim::Property::NoDuplication);
  auto c = reports::find_culprit(*r->sim, *r->result.violation);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->summary, "message 5 read by reader0-read-buf0 (task, CPU 1) at step 123 and again by reader0-read-buf0 (task, CPU 1) at step 181");
  EXPECT_EQ(r->sim->trace()[c->accesses[0].event].op, sim::Op::CopyOut);
}

TEST(Culprit, WordCopiesOfOneReadAreNotADuplicate) {
  // Word granularity: one read() is many copies; the second read is the one that re-reads bytes.
  auto r = reports_test::record("scenarios/relay/overwrite_read_word.toml", 1, 14);
  ASSERT_TRUE(r->result.violation);
  auto c = reports::find_culprit(*r->sim, *r->result.violation);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->summary, "message 11 read by reader0-read-buf0 (task, CPU 1) at step 330 and again by reader0-read-buf0 (task, CPU 1) at step 400");
}

TEST(Culprit, SilentLossNamesTheOverwrite) {
  // Seed 3, execution 17: the model's schedules moved with issue 15's conformance fixes. Step 713
  // (was 722): the spin rule, on by default since issue 14, drops nine pure spin iterations before.
  auto r = reports_test::record("scenarios/ftrace_rb/candidate_swap_vs_commit.toml", 3, 17);
  ASSERT_TRUE(r->result.violation);
  ASSERT_EQ(r->result.violation->property, sim::Property::NoSilentLoss);
  auto c = reports::find_culprit(*r->sim, *r->result.violation);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->summary, "message 12 written by task-writer0 (task, CPU 0) at step 713 over live message 4 written by nmi-writer3 (nmi, CPU 0) at step 74");
}

TEST(Culprit, NoneWithoutMessages) {
  auto r = reports_test::record("scenarios/relay/relay_write_hardirq.toml", 1, 1);
  sim::Violation v;
  v.property = sim::Property::Deadlock;
  EXPECT_FALSE(reports::find_culprit(*r->sim, v));
}

TEST(Html, EscapesScriptEnds) {
  EXPECT_EQ(reports::escape_script_json(R"({"a":"x</script><b>"})"), R"({"a":"x<\/script><b>"})");
  EXPECT_EQ(json::parse(reports::escape_script_json(R"({"a":"</"})"))["a"], "</");
}

TEST(Html, RelayHardirqReport) {
  auto r = reports_test::record("scenarios/relay/relay_write_hardirq.toml", 1, 1);
  std::string html = reports::render_html(*r->sim, r->result, {"relay</script>_write_hardirq", "relaysim replay x.json"});
  expect_lines_in_order(html, {
                                  R"(^<!DOCTYPE html>)",
                                  R"(<title>relaysim: relay&lt;/script&gt;_write_hardirq</title>)",
                                  R"(<div id="verdict" class="verdict bad">VIOLATION no-corruption at step 82 in writer0)",
                                  R"(<div id="culprit" class="culprit">message 1 written by writer0 \(task, CPU 0\) at step 17 over live message 2 written by hardirq1 \(hardirq, CPU 0\) at step 12</div>)",
                                  R"(<pre id="replay">relaysim replay x.json</pre>)",
                                  R"(<div id="timeline"></div>)",
                                  R"(<input type="range" id="step")",
                                  R"(<div id="buffers"></div>)",
                                  R"(<script type="application/json" id="data">)",
                                  R"(document.body.dataset.rendered = 'ok')",
                                  R"(</body></html>)",
                              });
  EXPECT_EQ(html.find("http://"), std::string::npos) << "no network access";
  EXPECT_EQ(html.find("https://"), std::string::npos) << "no network access";
  json d = embedded_data(html);
  EXPECT_EQ(d["cpus"], 2);
  EXPECT_EQ(d["events"].size(), r->sim->trace().size());
  // Lanes: CPU 0 has the task with three hardirq runs nested one deep; CPU 1 the reader.
  std::vector<std::string> lanes;
  for (const auto& c : d["contexts"])
    lanes.push_back("cpu" + std::to_string(c["cpu"].get<int>()) + " depth" + std::to_string(c["depth"].get<int>()) + " " +
                    c["name"].get<std::string>());
  EXPECT_EQ(lanes, (std::vector<std::string>{"cpu0 depth0 writer0 (task)", "cpu1 depth0 reader0-read-buf0 (task)",
                                              "cpu0 depth1 hardirq1 (hardirq)", "cpu0 depth1 hardirq1 (hardirq)",
                                              "cpu0 depth1 hardirq1 (hardirq)"}));
  // The slider opens at the damaging copy; both accesses are marked.
  EXPECT_EQ(d["events"][d["focus"].get<std::size_t>()]["step"], 17);
  EXPECT_EQ(d["marks"].size(), 2u);
  ASSERT_EQ(d["buffers"].size(), 1u);
  EXPECT_EQ(d["buffers"][0]["name"], "buf0.start");
}

TEST(Html, NoViolationSaysSo) {
  auto r = reports_test::record("scenarios/relay/relay_write_hardirq_safe.toml", 1, 0);
  ASSERT_FALSE(r->result.violation);
  std::string html = reports::render_html(*r->sim, r->result, {"safe", ""});
  expect_lines_in_order(html, {R"(<div id="verdict" class="verdict good">every actor finished; no violation</div>)"});
  EXPECT_EQ(html.find("id=\"replay\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"culprit\""), std::string::npos);
}

TEST(Html, LongTracesGetNoDefaultPage) {
  auto r = reports_test::record("scenarios/relay/relay_write_hardirq.toml", 1, 1);
  EXPECT_TRUE(reports::html_fits(*r->sim));
  static_assert(reports::kHtmlDefaultEvents >= 100'000);
}

}  // namespace
