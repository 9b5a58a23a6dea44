// tests/litmus/litmus_test.cpp — the litmus front-end and the axiomatic LKMM checker on our own
// small litmus files (tests/litmus/*.litmus): MP, SB, LB, IRIW, WRC and friends, each with and
// without the ordering that forbids the weak outcome. Every "Never" test also runs with the axiom
// that forbids it left out (CheckOptions::skip) and must then turn "Sometimes": that is the
// mutation each test is able to catch. The "Sometimes" tests catch a checker that is too strong
// (for example one that made READ_ONCE an acquire, or ctrl extend past the if).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

#include "litmus/lkmm.h"
#include "litmus/parser.h"
#include "litmus/report.h"

namespace {

std::string path_of(const std::string& name) { return std::string(RELAYSIM_LITMUS_DIR) + "/" + name; }

struct Case {
  const char* file;
  const char* observation;
  std::uint64_t positive, negative;
  std::optional<litmus::Axiom> forbidding;  // the axiom that forbids the outcome, for Never/Always
};

using litmus::Axiom;

const Case kCases[] = {
    {"MP.litmus", "Sometimes", 1, 3, {}},
    {"MP+wmb-only.litmus", "Sometimes", 1, 3, {}},
    {"MP+wmb+rmb.litmus", "Never", 0, 3, Axiom::HappensBefore},
    {"MP+release+acquire.litmus", "Never", 0, 3, Axiom::HappensBefore},
    {"SB.litmus", "Sometimes", 1, 3, {}},
    {"SB+mb+release-acquire.litmus", "Sometimes", 1, 3, {}},
    {"SB+xchg_relaxeds.litmus", "Sometimes", 1, 3, {}},
    {"SB+mbs.litmus", "Never", 0, 3, Axiom::Propagation},
    {"SB+xchgs.litmus", "Never", 0, 3, Axiom::Propagation},
    {"LB.litmus", "Sometimes", 1, 3, {}},
    {"LB+ctrl+after-if.litmus", "Sometimes", 1, 2, {}},
    {"LB+ctrls.litmus", "Never", 0, 2, Axiom::HappensBefore},
    {"LB+ctrl-via-plain+ctrl.litmus", "Never", 0, 1, Axiom::HappensBefore},
    {"IRIW.litmus", "Sometimes", 1, 15, {}},
    {"IRIW+acquires.litmus", "Sometimes", 1, 15, {}},
    {"IRIW+mbs.litmus", "Never", 0, 15, Axiom::Propagation},
    {"WRC.litmus", "Sometimes", 1, 7, {}},
    {"WRC+wmb+acquire.litmus", "Sometimes", 1, 7, {}},
    {"WRC+release+acquire.litmus", "Never", 0, 7, Axiom::HappensBefore},
    {"CoRR.litmus", "Never", 0, 3, Axiom::Coherence},
    {"atomic-incs.litmus", "Always", 2, 0, Axiom::Atomic},
    {"cmpxchg.litmus", "Never", 0, 2, Axiom::Atomic},
    {"locked-incs.litmus", "Never", 0, 2, Axiom::HappensBefore},
    {"trylock.litmus", "Never", 0, 4, Axiom::HappensBefore},
    {"SB+unlock-lock.litmus", "Sometimes", 1, 3, {}},
    {"SB+unlock-lock+after.litmus", "Never", 0, 3, Axiom::Propagation},
    {"trylock-fails.litmus", "Sometimes", 2, 2, {}},
    {"rcu-gp.litmus", "Never", 0, 3, Axiom::Rcu},
    {"rcu-pointer.litmus", "Never", 0, 2, Axiom::HappensBefore},
    {"plain-race.litmus", "Sometimes", 1, 1, {}},
    {"plain-mp-release.litmus", "Never", 0, 2, Axiom::PlainCoherence},
    {"plain-mp-wmb-rmb.litmus", "Never", 0, 2, Axiom::PlainCoherence},
    {"plain-mp-no-rmb.litmus", "Sometimes", 1, 2, {}},
    {"plain-locked.litmus", "Never", 0, 2, Axiom::PlainCoherence},
    {"plain-unlocked.litmus", "Sometimes", 2, 2, {}},
    // Self-justifying values: each load reads 1 only because the other thread's store of 1 runs.
    // Allowed for plain accesses (a data race); forbidden by hb when they are marked (LB+ctrls).
    {"LB+plain-ctrls.litmus", "Sometimes", 1, 1, {}},
};

// linux-kernel.cat's data-race flag: plain accesses bounded by locks, release/acquire or
// smp_wmb()/smp_rmb() do not race; without the bounds they do.
TEST(LitmusFlags, DataRaces) {
  const std::pair<const char*, bool> cases[] = {
      {"plain-race.litmus", true},        {"plain-unlocked.litmus", true},    {"plain-mp-no-rmb.litmus", true},
      {"plain-locked.litmus", false},     {"plain-mp-release.litmus", false}, {"plain-mp-wmb-rmb.litmus", false},
      {"LB+plain-ctrls.litmus", true},    {"MP.litmus", false},
  };
  for (const auto& [file, race] : cases) {
    const litmus::Program p = litmus::parse_file(path_of(file));
    const auto flags = litmus::check(p).flags;
    EXPECT_EQ(std::find(flags.begin(), flags.end(), "data-race") != flags.end(), race) << file;
  }
}

class Shapes : public ::testing::TestWithParam<Case> {};

TEST_P(Shapes, ObservationAndMutation) {
  const Case& c = GetParam();
  const litmus::Program p = litmus::parse_file(path_of(c.file));
  const litmus::Result r = litmus::check(p);
  EXPECT_EQ(r.observation(), c.observation) << litmus::herd_text(p, r);
  EXPECT_EQ(r.positive, c.positive);
  EXPECT_EQ(r.negative, c.negative);
  if (c.forbidding) {
    litmus::CheckOptions o;
    o.skip[static_cast<int>(*c.forbidding)] = true;
    const litmus::Result weak = litmus::check(p, o);
    EXPECT_EQ(weak.observation(), "Sometimes") << "without the axiom that forbids it:\n" << litmus::herd_text(p, weak);
  }
}

INSTANTIATE_TEST_SUITE_P(Litmus, Shapes, ::testing::ValuesIn(kCases), [](const auto& param_info) {
  std::string n = param_info.param.file;
  n = n.substr(0, n.find(".litmus"));
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
});

TEST(LitmusReport, HerdTextOfMessagePassing) {
  const litmus::Program p = litmus::parse_file(path_of("MP.litmus"));
  EXPECT_EQ(litmus::herd_text(p, litmus::check(p)),
            "Test MP Allowed\n"
            "States 4\n"
            "1:r0=0; 1:r1=0;\n"
            "1:r0=0; 1:r1=1;\n"
            "1:r0=1; 1:r1=0;\n"
            "1:r0=1; 1:r1=1;\n"
            "Ok\n"
            "Witnesses\n"
            "Positive: 1 Negative: 3\n"
            "Condition exists (1:r0=1 /\\ 1:r1=0)\n"
            "Observation MP Sometimes 1 3\n");
}

TEST(LitmusReport, NotExistsSwapsWitnessesAndFlagsDataRaces) {
  const litmus::Program p = litmus::parse_file(path_of("cmpxchg.litmus"));
  const std::string t = litmus::herd_text(p, litmus::check(p));
  EXPECT_NE(t.find("Test cmpxchg Forbidden\n"), std::string::npos) << t;
  EXPECT_NE(t.find("\nOk\nWitnesses\nPositive: 2 Negative: 0\n"), std::string::npos) << t;
  EXPECT_NE(t.find("Condition ~exists (0:r0=0 /\\ 1:r0=0)\n"), std::string::npos) << t;
  const litmus::Program race = litmus::parse_file(path_of("plain-race.litmus"));
  EXPECT_NE(litmus::herd_text(race, litmus::check(race)).find("\nFlag data-race\n"), std::string::npos);
  const litmus::Program clean = litmus::parse_file(path_of("plain-mp-release.litmus"));
  EXPECT_EQ(litmus::check(clean).flags, std::vector<std::string>{});
}

TEST(LitmusReport, ForallAndJson) {
  const litmus::Program p = litmus::parse_file(path_of("atomic-incs.litmus"));
  const litmus::Result r = litmus::check(p);
  const std::string t = litmus::herd_text(p, r);
  EXPECT_NE(t.find("Test atomic-incs Required\n"), std::string::npos) << t;
  EXPECT_NE(t.find("Condition forall (x=8 /\\ (1:r0=5 \\/ 1:r0=6))\n"), std::string::npos) << t;
  EXPECT_NE(t.find("1:r0=5; x=8;\n1:r0=6; x=8;\n"), std::string::npos) << t;
  const auto j = litmus::herd_json(p, r);
  EXPECT_EQ(j["test"], "atomic-incs");
  EXPECT_EQ(j["kind"], "Required");
  EXPECT_EQ(j["observation"], "Always");
  EXPECT_EQ(j["states"].size(), 2u);
  EXPECT_EQ(j["states"][0]["state"]["x"], "8");
  EXPECT_EQ(j["states"][0]["count"], 1u);
}

TEST(LitmusReport, PointerValuesPrintAsLocationNames) {
  const litmus::Program p = litmus::parse_file(path_of("rcu-pointer.litmus"));
  const std::string t = litmus::herd_text(p, litmus::check(p));
  EXPECT_NE(t.find("1:r0=a; 1:r1=0;\n1:r0=b; 1:r1=42;\n"), std::string::npos) << t;
}

// ---- the parser and its IR ----------------------------------------------------------------

TEST(LitmusParser, LowersExpressionsToOneAccessPerInstruction) {
  const litmus::Program p = litmus::parse(
      "C lower\n{ x=3; 0:r1=7; }\nP0(int *x, int *y) { int r0; int r1; r0 = READ_ONCE(*x) + *y * 2; if (r0 > 1 && r1) "
      "smp_store_release(y, r0); else WRITE_ONCE(*x, -r0); }\nlocations [y]\nexists (0:r0=1 \\/ ~x=2)\n",
      "lower.litmus");
  ASSERT_EQ(p.threads.size(), 1u);
  const auto& code = p.threads[0].code;
  using K = litmus::Instr::Kind;
  ASSERT_EQ(code.size(), 7u);
  EXPECT_EQ(code[0].kind, K::Load);
  EXPECT_EQ(code[0].order, litmus::Order::Once);
  EXPECT_EQ(code[1].kind, K::Load);
  EXPECT_EQ(code[1].order, litmus::Order::Plain);
  EXPECT_EQ(code[2].kind, K::Assign);
  EXPECT_EQ(code[3].kind, K::Branch);
  EXPECT_EQ(code[3].target, 6);
  EXPECT_EQ(code[3].join, 7);
  EXPECT_EQ(code[4].kind, K::Store);
  EXPECT_EQ(code[4].order, litmus::Order::Release);
  EXPECT_EQ(code[5].kind, K::Jump);
  EXPECT_EQ(code[5].target, 7);
  EXPECT_EQ(code[6].kind, K::Store);
  EXPECT_EQ(code[6].order, litmus::Order::Once);
  EXPECT_EQ(p.init[static_cast<std::size_t>(p.location_index("x"))], litmus::Value::integer(3));
  ASSERT_EQ(p.threads[0].reg_init.size(), 1u);
  // Observed: registers first, then locations by name.
  ASSERT_EQ(p.observed.size(), 3u);
  EXPECT_EQ(litmus::observed_to_string(p.observed[0]), "0:r0");
  EXPECT_EQ(litmus::observed_to_string(p.observed[1]), "x");
  EXPECT_EQ(litmus::observed_to_string(p.observed[2]), "y");
  EXPECT_EQ(litmus::condition_to_string(p), "exists (0:r0=1 \\/ not (x=2))");
  // The evaluator: r1=7 initially, x=3, y=0: r0 = 3 + 0 = 3 > 1, so the release store runs.
  const litmus::Result r = litmus::check(p);
  ASSERT_EQ(r.states.size(), 1u);
  EXPECT_EQ(r.states[0].state, (litmus::FinalState{litmus::Value::integer(3), litmus::Value::integer(3), litmus::Value::integer(3)}));
  EXPECT_TRUE(eval_prop(p, p.condition.prop, r.states[0].state));  // x=3: not (x=2)
}

struct BadCase {
  const char* text;
  const char* message;  // expected what(), after "bad.litmus:"
};

const BadCase kBad[] = {
    {"C t\n{}\nP0(int *x) {\n  while (1) ;\n}\nexists (x=0)\n", "4: unsupported: 'while' statement"},
    {"C t\n{}\nP0(int *x) {\n  frob(x);\n}\nexists (x=0)\n", "4: unsupported: call to 'frob'"},
    {"C t\n{}\nP0(int *x) {\n  int r0;\n  r0 = srcu_read_lock(x);\n}\nexists (x=0)\n", "5: unsupported: SRCU (srcu_read_lock)"},
    {"C t\n{}\nP0(int *x) {\n  int r0;\n}\nexists (0:r1=0)\n", "6: P0 has no register 'r1'"},
    {"C t\n{}\nP0(int *x) {\n  r5 = 1;\n}\nexists (x=0)\n", "4: 'r5' is not a declared register (declare it: int r5;)"},
    {"C t\n{}\nP0(int *x) {\n  WRITE_ONCE(*x, 1);\n}\n", "6: syntax error: expected exists, ~exists or forall, got end of file"},
    {"C t\n{}\nP0(int *x) {\n  WRITE_ONCE(x, 1);\n}\nexists (x=0)\n", "4: unsupported: WRITE_ONCE() expects *pointer as argument 1"},
    {"C t\n{}\nP0(int *x) {\n  int r0 = smp_mb();\n}\nexists (x=0)\n", "4: unsupported: smp_mb() used as a value"},
    {"C t\n{}\nP0(spinlock_t *l) {\n  spin_lock(l);\n}\nexists (l=0)\n", "6: unsupported: the final value of spinlock 'l' (lock.cat flags lock-final)"},
    {"X86 t\n{}\n", "1: unsupported architecture 'X86' (only C litmus tests)"},
    {"C t\n{}\nP1(int *x) { }\nexists (x=0)\n", "3: syntax error: expected thread P0, got P1"},
    {"C t\n(* unterminated\n", "2: syntax error: unterminated (* comment"},
    {"C t\n{}\nP0(int *x) {\n  WRITE_ONCE(*x, 1)\n}\nexists (x=0)\n", "5: syntax error: expected ';', got '}'"},
    {"C t\n{}\nP0(int *x, spinlock_t *l) {\n  int r0;\n  r0 = READ_ONCE(*l);\n}\nexists (x=0)\n",
     "5: unsupported: ordinary access to spinlock 'l' (lock.cat: mixed-lock-accesses)"},
    {"C t\n{}\nP0(int *x) {\n  int r0;\n  r0 = READ_ONCE(*x);\n  WRITE_ONCE(*r0, 1);\n}\nexists (x=0)\n",
     "6: unsupported: an allowed execution accesses memory through a value that is not a pointer"},
};

TEST(LitmusParser, CastsChangeNothing) {
  const litmus::Program p = litmus::parse(
      "C casts\n{ p=x; }\nP0(intptr_t *x, intptr_t **p) { intptr_t r1 = (intptr_t)rcu_dereference(*(intptr_t **)p);\n"
      "  WRITE_ONCE(*(intptr_t *)r1, 1); }\nexists (x=1 /\\ 0:r1=x)\n",
      "casts.litmus");
  EXPECT_EQ(litmus::check(p).observation(), "Always");
}

TEST(LitmusParser, DeepInputIsAnErrorNotAStackOverflow) {
  for (const std::string& body : {std::string(100000, '(') + "1" + std::string(100000, ')'), "1" + std::string(1000, '+') + "1",
                                  [] {
                                    std::string e = "1";
                                    for (int i = 0; i < 1000; ++i) e += "+1";
                                    return e;
                                  }()}) {
    const std::string text = "C deep\n{}\nP0(int *x) { int r0; r0 = " + body + "; }\nexists (0:r0=1)\n";
    EXPECT_THROW((void)litmus::parse(text, "deep.litmus"), litmus::LitmusError);
  }
}

class BadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadInput, OneLineNamingTheLine) {
  const BadCase& c = GetParam();
  try {
    const litmus::Program p = litmus::parse(c.text, "bad.litmus");
    (void)litmus::check(p);
    FAIL() << "accepted: " << c.text;
  } catch (const litmus::LitmusError& e) {
    EXPECT_EQ(std::string(e.what()), std::string("bad.litmus:") + c.message);
  }
}

INSTANTIATE_TEST_SUITE_P(Litmus, BadInput, ::testing::ValuesIn(kBad),
                         [](const auto& param_info) { return "case" + std::to_string(param_info.index); });

TEST(LitmusParser, FilterDiscardsExecutionsAndCommentsFollowTheName) {
  // Documentation/litmus-tests.txt's C-SB+l-o-o-u+l-o-o-u-X: xchg_acquire as a lock, the failed
  // acquisitions filtered out. herd7 prints States 2, Positive: 0 Negative: 2.
  const litmus::Program p = litmus::parse(
      "C C-SB+xchg-lock (* a comment after the name *)\n{}\n"
      "P0(int *sl, int *x0, int *x1) { int r2; int r1; r2 = xchg_acquire(sl, 1); WRITE_ONCE(*x0, 1);\n"
      "  r1 = READ_ONCE(*x1); smp_store_release(sl, 0); }\n"
      "P1(int *sl, int *x0, int *x1) { int r2; int r1; r2 = xchg_acquire(sl, 1); WRITE_ONCE(*x1, 1);\n"
      "  r1 = READ_ONCE(*x0); smp_store_release(sl, 0); }\n"
      "filter (0:r2=0 /\\ 1:r2=0)\nexists (0:r1=0 /\\ 1:r1=0)\n",
      "filter.litmus");
  EXPECT_EQ(p.name, "C-SB+xchg-lock");
  const litmus::Result r = litmus::check(p);
  EXPECT_EQ(r.states.size(), 2u);
  EXPECT_EQ(r.positive, 0u);
  EXPECT_EQ(r.negative, 2u);
  ASSERT_EQ(p.observed.size(), 2u);  // the filter's 0:r2 and 1:r2 are not printed
}

// ---- the command ------------------------------------------------------------------------------

struct CommandRun {
  int status;
  std::string out;
};

CommandRun run(const std::string& args) {
  const std::string cmd = std::string(RELAYSIM_BINARY) + " litmus " + args + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), f)) out.append(buf.data(), n);
  const int st = pclose(f);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

TEST(LitmusCommand, PrintsEveryTestAndExitsZero) {
  const CommandRun r = run(path_of("SB.litmus") + " " + path_of("SB+mbs.litmus"));
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("Observation SB Sometimes 1 3\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Observation SB+mbs Never 0 3\n"), std::string::npos) << r.out;
}

TEST(LitmusCommand, JsonHasTheSameContent) {
  const CommandRun r = run("--json " + path_of("IRIW+mbs.litmus"));
  EXPECT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["observation"], "Never");
  EXPECT_EQ(j[0]["negative"], 15u);
}

TEST(LitmusCommand, BadInputIsOneLineAndExitTwo) {
  const CommandRun r = run(path_of("bad/bad-while.litmus") + " " + path_of("MP.litmus"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find(path_of("bad/bad-while.litmus") + ":6: unsupported: 'while' statement\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Observation MP Sometimes"), std::string::npos) << r.out;  // the others still run
  EXPECT_EQ(run(path_of("no-such-file.litmus")).status, 2);
  EXPECT_EQ(run("").status, 2);
}

}  // namespace
