// tests/scenarios/loader_test.cpp — every user mistake in a scenario is one error with
// file:line:column and the field; the loader never crashes on any input.
#include <gtest/gtest.h>

#include "model/registry.h"
#include "scenarios/spec.h"
#include "sim/rng.h"

namespace {

std::string error_of(const std::string& text) {
  try {
    auto spec = scenario::load_string(text, "s.toml");
    model::prepare(spec);
  } catch (const scenario::ScenarioError& e) {
    return e.what();
  }
  return "";
}

const char* kGood = R"(name = "x"
model = "irq_counter"
variant = "racy"
[params]
iterations = 2
fires = 1
[check]
expect = { violation = "assertion" }
)";

}  // namespace

TEST(Loader, AcceptsAGoodScenario) { EXPECT_EQ(error_of(kGood), ""); }

TEST(Loader, ErrorsNameFileLineColumnAndField) {
  EXPECT_EQ(error_of("name = \"x\"\nmodel = \"nope\"\n"),
            "s.toml:2:9: model = \"nope\" is not a known model (relay, bpf_ringbuf, bpf_relay_map, ftrace_rb, perf_buf, toy_counter, mpsc_ring, irq_counter, readers, lastzero, indexer)");
  EXPECT_EQ(error_of("name = \"x\"\nmodel = \"irq_counter\"\nvariant = \"fast\"\n").substr(0, 11), "s.toml:3:11");
  EXPECT_NE(error_of("name = \"x\"\nmodel = \"irq_counter\"\nvariant = \"fast\"\n").find("racy, locked"), std::string::npos);
  EXPECT_EQ(error_of("name = \"x\"\nmodel = \"irq_counter\"\n[params]\niterations = \"two\"\n"),
            "s.toml:4:14: params.iterations must be an integer, not a string");
  EXPECT_EQ(error_of("name = \"x\"\nmodel = \"irq_counter\"\n[params]\niterations = 0\n"),
            "s.toml:4:14: params.iterations = 0 is out of range [1, 1000]");
  EXPECT_EQ(error_of("name = \"x\"\nmodel = \"irq_counter\"\n[params]\nspeed = 3\n"), "s.toml:4:1: unknown field params.speed");
  EXPECT_EQ(error_of("name = \"x\"\nmodel = \"irq_counter\"\ncolour = 3\n"), "s.toml:3:1: unknown field colour");
  EXPECT_EQ(error_of("model = \"irq_counter\"\n"), "s.toml:1:1: missing required field name");
  EXPECT_EQ(error_of("name = \"x\"\nmodel = \"irq_counter\"\n[check]\nexpect = \"fail\"\n"),
            "s.toml:4:10: check.expect must be \"pass\" or { violation = \"<property>\" }");
  EXPECT_NE(error_of("name = \"x\"\nmodel = \"irq_counter\"\n[check]\nexpect = { violation = \"sadness\" }\n").find("not a property"),
            std::string::npos);
  EXPECT_EQ(error_of("name = \"x\"\nname = \"y\"\n").substr(0, 9), "s.toml:2:");  // duplicate key
  EXPECT_EQ(error_of("name = \n").substr(0, 9), "s.toml:1:");                     // syntax error
}

TEST(Loader, MissingFileIsAnError) {
  EXPECT_THROW(scenario::load_file("/nonexistent/x.toml"), scenario::ScenarioError);
}

TEST(Loader, NeverCrashesOnMutatedInput) {
  // Byte-level mutations of a valid scenario: every outcome is a scenario or a ScenarioError.
  sim::Rng rng(2024);
  const std::string good = kGood;
  const std::string alphabet = "=[]{}\"'#\n .,0123456789abcxyz_-+";
  for (int i = 0; i < 3000; ++i) {
    std::string s = good;
    int edits = 1 + static_cast<int>(rng.below(6));
    for (int e = 0; e < edits; ++e) {
      std::size_t at = rng.below(static_cast<std::uint32_t>(s.size()));
      switch (rng.below(3)) {
        case 0: s[at] = alphabet[rng.below(static_cast<std::uint32_t>(alphabet.size()))]; break;
        case 1: s.erase(at, 1 + rng.below(4)); break;
        default: s.insert(at, 1, alphabet[rng.below(static_cast<std::uint32_t>(alphabet.size()))]); break;
      }
    }
    try {
      auto spec = scenario::load_string(s, "m.toml");
      model::prepare(spec);
    } catch (const scenario::ScenarioError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("m.toml:", 0), 0u) << e.what();
    }
  }
}

TEST(Loader, RelayScenarioErrorsNameTheField) {
  const std::string head = "name = \"x\"\nmodel = \"relay\"\n[params]\nsubbuf_size = 64\n[[cpu]]\ncount = 2\n";
  EXPECT_EQ(error_of(head + "[[writer]]\ncpu = 5\n"), "s.toml:8:7: writer[0].cpu = 5 but the scenario has 2 CPUs");
  EXPECT_EQ(error_of(head + "[[writer]]\ncpu = 0\nmessages = { count = 2, size = 80, must_fit = true }\n"),
            "s.toml:9:32: writer[0].messages.size allows 80-byte messages but a sub-buffer holds at most 64 (must_fit = true)");
  EXPECT_EQ(error_of(head + "[[writer]]\ncpu = 0\nwrite = \"relay_wrte\"\n"),
            "s.toml:9:9: writer[0].write = \"relay_wrte\" is not one of: relay_write, __relay_write, relay_reserve");
  EXPECT_EQ(error_of(head + "[[writer]]\ncpu = 0\nspeed = 1\n"), "s.toml:9:1: unknown field writer[0].speed");
  EXPECT_EQ(error_of(head + "[[writer]]\n[[reader]]\nbuffer = 2\n"), "s.toml:9:10: reader[0].buffer = 2 is out of range [0, 1]");
  EXPECT_EQ(error_of(head + "[[interrupt]]\nkind = \"fiq\"\n"),
            "s.toml:8:8: interrupt[0].kind = \"fiq\" is not one of: hardirq, nmi, softirq");
  EXPECT_EQ(error_of("name = \"x\"\nmodel = \"relay\"\n[[reader]]\n"),
            "s.toml:1:1: a relay scenario needs at least one [[writer]] or [[interrupt]]");
  EXPECT_NE(error_of("name = \"x\"\nmodel = \"relay\"\n[params]\nn_subbufs = 0\n[[writer]]\n").find("n_subbufs = 0 is out of range"),
            std::string::npos);
  EXPECT_NE(error_of("name = \"x\"\nmodel = \"relay\"\n[params]\nclient = \"header\"\nheader_size = 63\n[[writer]]\n")
                .find("relay_open would fail"),
            std::string::npos);
}

TEST(Loader, SpinWaitIsAnExploreBooleanThatReachesTheEngine) {
  EXPECT_TRUE(model::engine_config(scenario::load_string(kGood, "s.toml")).spin_wait);  // on by default
  auto spec = scenario::load_string(std::string(kGood) + "[explore]\nspin_wait = false\n", "s.toml");
  EXPECT_FALSE(spec.spin_wait);
  EXPECT_FALSE(model::engine_config(spec).spin_wait);
  EXPECT_NE(error_of(std::string(kGood) + "[explore]\nspin_wait = 1\n").find("explore.spin_wait must be a boolean"), std::string::npos)
      << error_of(std::string(kGood) + "[explore]\nspin_wait = 1\n");
}

// check.accept: known findings on a pass scenario; a list of property names, nothing else.
TEST(Loader, CheckAcceptNamesKnownFindingsOfAPassScenario) {
  const std::string head = "name = \"x\"\nmodel = \"irq_counter\"\nvariant = \"racy\"\n[check]\n";
  EXPECT_EQ(error_of(head + "expect = \"pass\"\naccept = [\"assertion\"]\n"), "");
  EXPECT_EQ(error_of(head + "expect = \"pass\"\naccept = \"assertion\"\n"),
            "s.toml:6:10: check.accept must be a non-empty list of property names");
  EXPECT_EQ(error_of(head + "expect = \"pass\"\naccept = []\n"), "s.toml:6:10: check.accept must be a non-empty list of property names");
  EXPECT_EQ(error_of(head + "expect = { violation = \"assertion\" }\naccept = [\"assertion\"]\n"),
            "s.toml:6:10: check.accept is for a scenario that expects a pass; list the properties in check.expect.violation "
            "instead");
  EXPECT_NE(error_of(head + "expect = \"pass\"\naccept = [\"sadness\"]\n").find("check.accept = \"sadness\" is not a property"),
            std::string::npos);
  auto spec = scenario::load_string(head + "expect = \"pass\"\naccept = [\"assertion\", \"deadlock\"]\n", "s.toml");
  EXPECT_EQ(spec.accept_findings, (std::vector<std::string>{"assertion", "deadlock"}));
}
