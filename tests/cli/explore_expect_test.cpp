// tests/cli/explore_expect_test.cpp — `relaysim explore --expect`: the run's expected outcome
// instead of the scenario's [check] expect (the kernel-source ctests of scenarios whose historical
// variant 6.12 no longer has, tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include "cli_helpers.h"

using cli_test::sh;

TEST(ExploreExpect, OverridesTheScenariosExpectation) {
  const std::string s = "explore scenarios/ftrace_rb/pre_mmap_missed_events.toml -n 100 --quiet --out /tmp/relaysim-expect-test";
  // the model's variant finds its counters violation: as the file expects, not as "pass"
  EXPECT_EQ(sh(s).status, 0);
  const auto pass = sh(s + " --expect pass");
  EXPECT_EQ(pass.status, 1) << pass.text;
  EXPECT_NE(pass.text.find("expected pass: NOT as expected"), std::string::npos) << pass.text;
  EXPECT_EQ(sh(s + " --expect counters").status, 0);
  EXPECT_EQ(sh(s + " --expect padding,counters").status, 0);
  EXPECT_EQ(sh(s + " --expect padding").status, 1);
}

TEST(ExploreExpect, BadValueIsAUsageError) {
  const auto o = sh("explore scenarios/ftrace_rb/quickstart.toml -n 1 --expect nothing");
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.text.find("--expect: 'nothing' is not pass or a property name"), std::string::npos) << o.text;
}
