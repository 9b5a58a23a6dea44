// tests/cli/expectation_test.cpp — what `relaysim explore` says about a scenario's expectation
// under a strategy other than its own: a known finding a pass scenario accepts (check.accept) is
// as expected; finding nothing where the scenario's own strategy finds its bug is a budget miss.
#include <gtest/gtest.h>

#include "cli_helpers.h"

using cli_test::sh;

TEST(Expectation, AnAcceptedKnownFindingIsAsExpected) {
  // consume_vs_overwrite expects a pass and accepts the candidate races' findings; PCT seed 4 meets
  // the "new head flag 4" WARN at execution 19.
  const auto o = sh("explore scenarios/ftrace_rb/consume_vs_overwrite.toml --strategy pct --seed 4 --quiet --out /tmp/relaysim-expectation-test");
  EXPECT_EQ(o.status, 0) << o.text;
  EXPECT_NE(o.text.find("VIOLATION assertion"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("expected pass, or the known finding no-silent-loss or assertion (check.accept): as expected"),
            std::string::npos)
      << o.text;
}

TEST(Expectation, NothingFoundUnderAnotherStrategyIsABudgetMiss) {
  const std::string s = "explore scenarios/ftrace_rb/commit_overrun_warn.toml --quiet --out /tmp/relaysim-expectation-test";
  const auto random = sh(s + " --strategy random -n 50");
  EXPECT_EQ(random.status, 1) << random.text;
  EXPECT_NE(random.text.find("budget miss: this scenario's own strategy is pct; under random"), std::string::npos) << random.text;
  const auto own = sh(s);  // its own strategy (pct) and budget find the WARN
  EXPECT_EQ(own.status, 0) << own.text;
  EXPECT_EQ(own.text.find("budget miss"), std::string::npos) << own.text;
}
