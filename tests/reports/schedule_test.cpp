// tests/reports/schedule_test.cpp — the schedule checks in code (reports/schedule.cpp) are the
// rules of reports/schedule.schema.json: same fields, same required ones, same strategies, same
// pct_depth bound; every bundled regression schedule passes them.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "reports/schedule.h"

using nlohmann::json;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

}  // namespace

TEST(ScheduleSchema, CodeAndSchemaFileAgree) {
  const json schema = json::parse(slurp(std::string(RELAYSIM_SOURCE_DIR) + "/reports/schedule.schema.json"));
  std::set<std::string> props;
  for (auto it = schema["properties"].begin(); it != schema["properties"].end(); ++it) props.insert(it.key());
  EXPECT_EQ(props, as_set(reports::schedule_fields()));
  EXPECT_EQ(schema["required"].get<std::set<std::string>>(), as_set(reports::schedule_required_fields()));
  EXPECT_EQ(schema["properties"]["strategy"]["enum"].get<std::set<std::string>>(), as_set(reports::schedule_strategies()));
  EXPECT_EQ(schema["properties"]["pct_depth"]["maximum"].get<unsigned>(), reports::kMaxPctDepth);
  EXPECT_EQ(schema["properties"]["version"]["const"].get<int>(), reports::kScheduleVersion);
  EXPECT_FALSE(schema["additionalProperties"].get<bool>());
}

TEST(ScheduleSchema, BundledSchedulesPassAndRoundTrip) {
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/regressions")) {
    const std::string text = slurp(e.path().string());
    reports::Schedule s = reports::schedule_from_text(text, e.path().string());
    reports::Schedule again = reports::schedule_from_json(reports::schedule_to_json(s, nullptr), "again");
    EXPECT_EQ(again.choices, s.choices);
    EXPECT_EQ(again.trace_hash, s.trace_hash);
    ++n;
  }
  EXPECT_GE(n, 20);
}

TEST(ScheduleSchema, ChoiceAsLargeFloatIsRefusedNotConverted) {
  // 1e20 as a choice used to be converted to uint32 (undefined behaviour; 0 in release builds).
  reports::Schedule base;
  base.scenario = "s.toml";
  base.model = "m";
  base.variant = "v";
  base.strategy = "random";
  json j = reports::schedule_to_json(base, nullptr);
  j["choices"] = json::array({1e20});
  EXPECT_THROW(reports::schedule_from_json(j, "f"), reports::ScheduleError);
  j["choices"] = json::array({1.0});
  EXPECT_THROW(reports::schedule_from_json(j, "f"), reports::ScheduleError);
  j["choices"] = json::array({4294967295u});
  EXPECT_EQ(reports::schedule_from_json(j, "f").choices.at(0), 4294967295u);
}
