// tests/properties/prop_support.h — what the RapidCheck property files share (issue 18): exploring
// one generated scenario under random and PCT schedules with every violated property counted, the
// "is every violation a known finding" check, and the "does a property run find this variant's bug"
// driver.
//
// Generators are wrapped in gen::resize(kNominalSize, ...) so that their shape does not grow with
// RapidCheck's size: without it, gen::inRange starts near its lower bound and a third of the cases
// have one CPU and one writer (no concurrency at all). Shares that matter are fixed with
// gen::weightedElement (e.g. at least 3 CPUs in a stated share of cases); RC_TAG prints them.
#pragma once

#include <array>
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdio>
#include <string>

#include "model/registry.h"
#include "scenarios/spec.h"
#include "sim/explorer.h"

namespace prop_support {

/// Everything one case's exploration found: the properties violated (a bit per sim::Property, over
/// both strategies, the whole budget), the first violation, and any internal fault.
struct Outcome {
  std::uint32_t violated = 0;
  std::optional<sim::FoundViolation> first;
  sim::Strategy first_strategy = sim::Strategy::Random;
  bool error = false;
  std::string error_message;
  std::array<std::uint64_t, static_cast<std::size_t>(sim::Property::kCount)> count{};  // executions per property
  bool has(sim::Property p) const { return violated & (1u << static_cast<int>(p)); }
};

inline std::string names(std::uint32_t mask) {
  std::string out;
  for (int p = 0; p < static_cast<int>(sim::Property::kCount); ++p)
    if (mask & (1u << p)) out += (out.empty() ? "" : ", ") + std::string(sim::property_name(static_cast<sim::Property>(p)));
  return out.empty() ? "none" : out;
}

/// Explores `toml` (as `variant`) under random then PCT, `executions` each, counting every
/// violation (keep_going) so that a known finding does not hide an unknown one.
inline Outcome explore_both(const std::string& toml, std::uint64_t executions, std::uint64_t seed = 7) {
  Outcome out;
  auto spec = scenario::load_string(toml, "generated.toml");
  auto prepared = model::prepare(spec);
  for (auto strategy : {sim::Strategy::Random, sim::Strategy::Pct}) {
    sim::ExploreConfig ec;
    ec.strategy = strategy;
    ec.seed = seed;
    ec.executions = executions;
    ec.keep_going = true;
    auto r = sim::explore(prepared.factory, model::engine_config(spec), ec);
    if (r.error_execution) {
      out.error = true;
      out.error_message = std::string(sim::strategy_name(strategy)) + " execution " + std::to_string(*r.error_execution) +
                          ": " + r.error_message;
      return out;
    }
    for (int p = 0; p < static_cast<int>(sim::Property::kCount); ++p)
      if (r.violations[static_cast<std::size_t>(p)]) {
        out.violated |= 1u << p;
        out.count[static_cast<std::size_t>(p)] += r.violations[static_cast<std::size_t>(p)];
      }
    if (r.first && !out.first) {
      out.first = r.first;
      out.first_strategy = strategy;
    }
  }
  return out;
}

inline std::string first_text(const Outcome& o) {
  if (!o.first) return "no violation";
  return std::string(sim::strategy_name(o.first_strategy)) + " execution " + std::to_string(o.first->execution) + ": " +
         std::string(sim::property_name(o.first->violation.property)) + ": " + o.first->violation.message;
}

/// The mainline check of every model property: the exploration ended in no internal fault, and
/// every property it violated is one of `known` (the README's known findings for the case's shape).
inline void assert_only_known_findings(const Outcome& o, std::uint32_t known) {
  RC_ASSERT(!o.error);
  RC_CLASSIFY(o.violated != 0, "found a known finding");
  const std::uint32_t unknown = o.violated & ~known;
  if (unknown)
    RC_FAIL("violations the README does not list for this shape: " + names(unknown) + " (first: " + first_text(o) + ")");
}

/// The historical variant against the fixed code on the same generated case: what the variant
/// violates and the fixed code does not (so a finding both share never counts as the variant's bug).
inline Outcome differential(const std::string& variant_toml, const std::string& fixed_toml, std::uint64_t executions,
                            std::uint64_t seed = 7) {
  Outcome o = explore_both(variant_toml, executions, seed);
  if (o.error) return o;
  const Outcome fixed = explore_both(fixed_toml, executions, seed);
  if (fixed.error) return fixed;
  // A property both violate counts as the variant's bug only where the variant violates it in more
  // executions: mainline's rare known findings (a candidate race's WARN) must not hide a variant's
  // frequent one of the same property (pre-commit-overrun-warn-fix's WARN in GET_READER).
  for (int p = 0; p < static_cast<int>(sim::Property::kCount); ++p)
    if ((fixed.violated >> p & 1u) && fixed.count[static_cast<std::size_t>(p)] >= o.count[static_cast<std::size_t>(p)])
      o.violated &= ~(1u << p);
  return o;
}

/// A property run over the model's generator on a historical variant must find that variant's bug:
/// RapidCheck searches the generated cases (RC_PARAMS: the CI's fixed seed and case count) for one
/// in which a violation of `bug` appears, and reports it as its counterexample. `prop` returns the
/// case's outcome. Internal faults fail the test separately (they must not count as the bug).
template <class Prop>
void expect_property_run_finds(const char* what, std::uint32_t bug, Prop prop) {
  bool error = false;
  std::string error_message;
  int cases = 0;
  const bool held = rc::check(std::string("the generator never finds: ") + what, [&] {
    if (error) return;
    const Outcome o = prop();
    ++cases;
    if (o.error) {
      error = true;
      error_message = o.error_message;
      return;
    }
    RC_ASSERT((o.violated & bug) == 0u);
  });
  EXPECT_FALSE(error) << error_message;
  EXPECT_FALSE(held) << what << ": no generated case found a violation of " << names(bug) << " in " << cases << " cases";
  std::printf("[ finds    ] %s: %s after %d generated case(s) (RapidCheck's counterexample above)\n", what,
              held ? "NOT FOUND" : "found", cases);
}

}  // namespace prop_support
