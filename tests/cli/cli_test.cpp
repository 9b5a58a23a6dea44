// tests/cli/cli_test.cpp — the command's exit statuses and files (0 / 1 / 2), end to end.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

#include "tests/cli/cli_helpers.h"

using namespace cli_test;

TEST(Cli, BadInputIsOneLineAndStatus2) {
  for (const char* args : {"explore", "explore scenarios/toy/irq_counter.toml --bogus", "explore /nope.toml",
                           "explore scenarios/toy/irq_counter.toml --strategy bfs", "explore scenarios/toy/irq_counter.toml --preemption-bound 1", "list nothing",
                           "explore scenarios/toy/irq_counter.toml --variant nope", "replay /nope.json",
                           "explore scenarios/toy/irq_counter.toml --seed -5"}) {
    Out o = sh(args);
    EXPECT_EQ(o.status, 2) << args << ": " << o.text;
    EXPECT_EQ(lines(o.text), 1) << args << ": " << o.text;
  }
}

TEST(Cli, DfsPrintsCompleteCoverageAndTheBug) {
  std::string out = tmpdir("dfs");
  Out e = sh("explore scenarios/toy/irq_counter.toml --strategy dfs --preemption-bound 2 --out " + out);
  ASSERT_EQ(e.status, 0) << e.text;
  EXPECT_NE(e.text.find("complete: every schedule within the bounds (preemptions <= 0) explored: "), std::string::npos) << e.text;
  EXPECT_NE(e.text.find("equivalence classes"), std::string::npos) << e.text;
  EXPECT_NE(e.text.find("smallest preemption bound with a violation: 0"), std::string::npos) << e.text;
  Out r = sh("replay --quiet " + out + "/irq_counter-racy-assertion/schedule.json");
  EXPECT_EQ(r.status, 0) << r.text;
  Out b = sh("explore scenarios/toy/mpsc_ring.toml --strategy dfs --preemption-bound 2 --executions 100 --json --out " + out);
  EXPECT_NE(b.text.find("\"complete\":false"), std::string::npos) << b.text;
  EXPECT_NE(b.text.find("incomplete: "), std::string::npos) << b.text;
}

TEST(Cli, ExploreFindsReplaysAndShrinks) {
  std::string out = tmpdir("explore");
  Out e = sh("explore scenarios/toy/irq_counter.toml --quiet --executions 2000 --out " + out);
  ASSERT_EQ(e.status, 0) << e.text;
  std::string sched = out + "/irq_counter-racy-assertion/schedule.json";
  ASSERT_TRUE(fs::exists(sched)) << e.text;
  EXPECT_TRUE(fs::exists(out + "/irq_counter-racy-assertion/trace.txt"));
  EXPECT_NE(e.text.find("relaysim replay " + sched), std::string::npos) << e.text;

  Out r = sh("replay --quiet " + sched);
  EXPECT_EQ(r.status, 0) << r.text;
  EXPECT_NE(r.text.find("matches the schedule"), std::string::npos) << r.text;

  Out s = sh("shrink " + sched);
  EXPECT_EQ(s.status, 0) << s.text;
  std::string shrunk = out + "/irq_counter-racy-assertion/shrunk.schedule.json";
  ASSERT_TRUE(fs::exists(shrunk)) << s.text;
  Out r2 = sh("replay --quiet " + shrunk);
  EXPECT_EQ(r2.status, 0) << r2.text;
  // The shrunk schedule's content (issue 18), not only its existence: fewer choices and fewer
  // non-zero choices (preemptions) than the found one, the same property, and a strict replay
  // that matches it (same trace hash, no choice out of range).
  auto load = [](const std::string& f) {
    std::ifstream in(f);
    return nlohmann::json::parse(in);
  };
  const nlohmann::json before = load(sched), after = load(shrunk);
  auto nonzero = [](const nlohmann::json& j) {
    int n = 0;
    for (const auto& c : j.at("choices")) n += c.get<int>() != 0;
    return n;
  };
  EXPECT_EQ(after.at("violation").at("property"), before.at("violation").at("property"));
  EXPECT_EQ(after.at("violation").at("property"), "assertion");
  // The file records every choice point of the final replay; what the shrinker removes are the
  // choices up to the last non-zero one (after it, option 0 is what a replay past its end does).
  auto significant = [](const nlohmann::json& j) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < j.at("choices").size(); ++i)
      if (j.at("choices")[i].get<int>() != 0) n = i + 1;
    return n;
  };
  EXPECT_LT(significant(after), significant(before)) << s.text;
  EXPECT_LT(nonzero(after), nonzero(before)) << s.text;
  EXPECT_LE(nonzero(after), 2) << "the toy's lost update needs two preemptions: " << after.at("choices").dump();
  EXPECT_NE(s.text.find("still violates assertion"), std::string::npos) << s.text;
  EXPECT_NE(r2.text.find("matches the schedule"), std::string::npos) << r2.text;

  // A passing scenario under a budget; an expected violation that a correct variant lacks → 1.
  EXPECT_EQ(sh("explore scenarios/toy/irq_counter_locked.toml --quiet --executions 3000 --out " + out).status, 0);
  Out miss = sh("explore scenarios/toy/irq_counter.toml --variant locked --quiet --executions 3000 --out " + out);
  EXPECT_EQ(miss.status, 1) << miss.text;
  EXPECT_NE(miss.text.find("NOT as expected"), std::string::npos);
}

TEST(Cli, ReplayRejectsOtherVersionsAndReportsWrongHashes) {
  std::string out = tmpdir("replay");
  ASSERT_EQ(sh("explore scenarios/toy/irq_counter.toml --quiet --executions 2000 --out " + out).status, 0);
  std::string sched = out + "/irq_counter-racy-assertion/schedule.json";
  std::ifstream in(sched);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();

  auto write = [&](const std::string& name, std::string t) {
    std::ofstream(out + "/" + name) << t;
    return out + "/" + name;
  };
  std::string v2 = text;
  v2.replace(v2.find("\"version\": 1"), 12, "\"version\": 2");
  Out o = sh("replay " + write("v2.json", v2));
  EXPECT_EQ(o.status, 2) << o.text;
  EXPECT_NE(o.text.find("version 2 is not supported"), std::string::npos) << o.text;

  std::string bad = text;
  auto h = bad.find("\"trace_hash\": \"0x");
  bad.replace(h + 17, 4, "dead");
  Out wrong = sh("replay --quiet " + write("badhash.json", bad));
  EXPECT_EQ(wrong.status, 2) << wrong.text;
  EXPECT_EQ(lines(wrong.text), 1) << wrong.text;
  EXPECT_NE(wrong.text.find("did NOT reproduce"), std::string::npos) << wrong.text;

  Out garbage = sh("replay " + write("garbage.json", "{ not json"));
  EXPECT_EQ(garbage.status, 2);
  Out shrink_bad = sh("shrink " + write("v2b.json", v2) + " --out " + out + "/never.json");
  EXPECT_EQ(shrink_bad.status, 2);
  EXPECT_FALSE(fs::exists(out + "/never.json")) << "no partial files on bad input";
}

TEST(Cli, ListsModelsVariantsAndProperties) {
  Out m = sh("list models");
  EXPECT_EQ(m.status, 0);
  EXPECT_NE(m.text.find("irq_counter"), std::string::npos);
  Out v = sh("list variants --model irq_counter");
  EXPECT_NE(v.text.find("locked-no-irqsave"), std::string::npos);
  Out p = sh("list properties");
  EXPECT_NE(p.text.find("no-silent-loss"), std::string::npos);
  Out s = sh("list scenarios");
  EXPECT_EQ(s.status, 0);
  EXPECT_EQ(s.text.find("ERROR"), std::string::npos) << s.text;
}

TEST(Cli, DiffFindsWhatOnlyTheBuggyVariantViolates) {
  std::string out = tmpdir("diff");
  Out d = sh("diff scenarios/relay/full_no_client.toml --variant pre-relay-stats --variant mainline -n 50 --json --out " + out);
  ASSERT_EQ(d.status, 0) << d.text;
  EXPECT_NE(d.text.find("\"no-silent-loss\":{\"a\":50,\"b\":0,"), std::string::npos) << d.text;
  EXPECT_NE(d.text.find("\"only_b\":0"), std::string::npos) << d.text;
  EXPECT_TRUE(fs::exists(out + "/full_no_client-diff-pre-relay-stats-no-silent-loss.schedule.json"));
  Out same = sh("diff scenarios/relay/quickstart.toml --variant mainline --variant mainline");
  EXPECT_EQ(same.status, 2);
}

TEST(Cli, ReplayOnAnotherVariant) {
  Out fixed = sh("replay --quiet scenarios/regressions/relay-two_readers_old_read_pos.schedule.json --variant mainline");
  EXPECT_EQ(fixed.status, 0) << fixed.text;
  EXPECT_NE(fixed.text.find("on variant mainline: no violation"), std::string::npos) << fixed.text;
  Out buggy = sh("replay --quiet scenarios/regressions/relay-two_readers_old_read_pos.schedule.json --variant old-read-pos");
  EXPECT_EQ(buggy.status, 0) << buggy.text;  // its own variant: an exact replay
  EXPECT_NE(buggy.text.find("matches the schedule"), std::string::npos) << buggy.text;
}

TEST(Cli, DporUnderABoundSaysWhatItCovered) {
  std::string out = tmpdir("dpor");
  Out a = sh("explore scenarios/toy/indexer.toml --strategy dfs --preemption-bound 1 --reduction dpor --out " + out);
  ASSERT_EQ(a.status, 0) << a.text;
  EXPECT_NE(a.text.find("complete: every equivalence class explored, within the bounds (preemptions <= 1; no race reversal"),
            std::string::npos) << a.text;
  Out b = sh("explore scenarios/toy/toy_counter.toml --strategy dfs --preemption-bound 2 --reduction dpor --json --out " + out);
  ASSERT_EQ(b.status, 0) << b.text;
  EXPECT_NE(b.text.find("race reversals needed more than the bounds"), std::string::npos) << b.text;
  EXPECT_NE(b.text.find("\"reversals_beyond_bounds\":4"), std::string::npos) << b.text;
  Out c = sh("explore scenarios/toy/irq_counter_locked.toml --strategy random -n 2000 --classes --json --out " + out);
  ASSERT_EQ(c.status, 0) << c.text;
  EXPECT_NE(c.text.find("\"classes\":"), std::string::npos) << c.text;
}
