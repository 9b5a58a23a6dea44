// tests/properties/ftrace_rb_prop.cpp — RapidCheck: random tracing ring buffer scenarios that reach
// the interleavings where its bugs live (issue 18).
//
// Generated (gen::resize'd): 1–3 writer CPUs (3 in 1/2 of the cases) plus one for readers,
// sub-buffers of 32/48/64 bytes, 2–4 of them, overwrite on or off, per CPU a task writer and 0–3
// nested writers in every interrupt context (softirq, hardirq, NMI) on random CPUs, event sizes
// up to the sub-buffer's payload, and per written buffer a reader of a random kind (consume,
// read_page, mmap) that runs live, while the writers write, in 2/3 of the cases, or after them.
//
// Mainline: every violation found must be a README-listed finding for the case's shape (a live
// consuming or mapped reader: the two candidate kernel races, no-silent-loss). Historical
// variants: a property run over the same generator must find each variant's bug
// (pre-mmap-missed-events: counters; pre-commit-overrun-warn-fix: assertion; pre-commit-counters:
// a nested commit publishing the interrupted event).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <sstream>

#include "tests/properties/prop_support.h"

namespace {

using sim::Property;
constexpr std::uint32_t bit(Property p) { return 1u << static_cast<int>(p); }

struct GenWriter {
  int cpu, context, count, max_size;  // context 0 task (one per CPU), 1 softirq, 2 hardirq, 3 NMI
};
struct GenScenario {
  std::string variant = "mainline";
  int cpus, subbuf, pages, reader_kind;
  bool overwrite, live;
  std::vector<GenWriter> nested;
  std::vector<int> task_counts;  // per CPU
  int task_size;

  int payload() const { return subbuf - 4; }
  std::string toml() const {
    static const char* contexts[] = {"task", "softirq", "hardirq", "nmi"};
    static const char* kinds[] = {"consume", "read_page", "mmap"};
    std::ostringstream t;
    t << "name = \"generated\"\nmodel = \"ftrace_rb\"\nvariant = \"" << variant << "\"\n[params]\nsubbuf_size = " << subbuf
      << "\nnr_subbufs = " << pages << "\nmode = \"" << (overwrite ? "overwrite" : "no-overwrite") << "\"\n[[cpu]]\ncount = " << cpus + 1
      << "\n";
    for (int c = 0; c < cpus; ++c)
      t << "[[writer]]\ncpu = " << c << "\ncontext = \"task\"\nmessages = { count = " << task_counts[static_cast<std::size_t>(c)]
        << ", size = [1, " << std::min(task_size, payload()) << "] }\n";
    for (const GenWriter& w : nested)
      t << "[[writer]]\ncpu = " << w.cpu << "\ncontext = \"" << contexts[w.context] << "\"\nfires = 2\nmessages = { count = "
        << w.count << ", size = [1, " << std::min(w.max_size, payload()) << "] }\n";
    for (int b = 0; b < cpus; ++b)
      t << "[[reader]]\nkind = \"" << kinds[(reader_kind + b) % 3] << "\"\nbuffer = " << b << "\ncpu = " << cpus << "\nstart = \""
        << (live ? "live" : "after-writers") << "\"\n";
    t << "[check]\nexpect = \"pass\"\n";
    return t.str();
  }
  // The shapes of the known findings (README: "Known findings the properties accept"): a live
  // consuming or mapped reader meets the two candidate races of rb_get_reader_page (no-silent-loss)
  // and, with nested writers, the open no-corruption item (only ever with a live reader) and the
  // WARNs of the candidate races with nested writers (assertion: "new head flag 4" in
  // rb_handle_head_page, consume_vs_overwrite.toml; GET_READER's, candidate_move_tail_vs_swap.toml).
  std::uint32_t known() const {
    if (!live) return 0u;
    return bit(Property::NoSilentLoss) | bit(Property::NoCorruption) | (nested.empty() ? 0u : bit(Property::Assertion));
  }
};
void showValue(const GenScenario& g, std::ostream& os) { os << "\n" << g.toml(); }

rc::Gen<GenScenario> gen_scenario(const std::string& variant) {
  using namespace rc;
  return gen::resize(kNominalSize, gen::mapcat(gen::pair(gen::weightedElement<int>({{1, 1}, {1, 2}, {2, 3}}), gen::element(32, 48, 64)),
                                               [variant](std::pair<int, int> cs) {
    const int cpus = cs.first, subbuf = cs.second;
    auto writer = gen::build<GenWriter>(gen::set(&GenWriter::cpu, gen::inRange(0, cpus)), gen::set(&GenWriter::context, gen::inRange(1, 4)),
                                        gen::set(&GenWriter::count, gen::inRange(1, 5)),
                                        gen::set(&GenWriter::max_size, gen::element(4, 12, subbuf)));
    return gen::build<GenScenario>(
        gen::set(&GenScenario::variant, gen::just(variant)), gen::set(&GenScenario::cpus, gen::just(cpus)),
        gen::set(&GenScenario::subbuf, gen::just(subbuf)), gen::set(&GenScenario::pages, gen::inRange(2, 5)),
        gen::set(&GenScenario::reader_kind, gen::inRange(0, 3)), gen::set(&GenScenario::overwrite, gen::arbitrary<bool>()),
        gen::set(&GenScenario::live, gen::weightedElement<bool>({{2, true}, {1, false}})),
        gen::set(&GenScenario::nested, gen::mapcat(gen::weightedElement<int>({{1, 0}, {2, 1}, {2, 2}, {1, 3}}), [writer](int n) {
                   return gen::container<std::vector<GenWriter>>(static_cast<std::size_t>(n), writer);
                 })),
        gen::set(&GenScenario::task_counts, gen::container<std::vector<int>>(static_cast<std::size_t>(cpus), gen::inRange(1, 15))),
        gen::set(&GenScenario::task_size, gen::element(4, 8, 16, subbuf)));
  }));
}

void tag(const GenScenario& g) {
  RC_TAG(g.cpus >= 3 ? "3 CPUs" : "1-2 CPUs", g.live ? "live reader" : "reader after writers",
         g.nested.empty() ? "no nested writers" : "nested writers", g.overwrite ? "overwrite" : "no-overwrite");
}

// One generated case on a historical variant, minus what mainline violates on the same case.
prop_support::Outcome variant_case(const char* variant) {
  GenScenario g = *rc::gen::noShrink(gen_scenario(variant));
  tag(g);
  const std::string buggy = g.toml();
  g.variant = "mainline";
  return prop_support::differential(buggy, g.toml(), 100);
}

}  // namespace

RC_GTEST_PROP(FtraceRbProp, MainlineFindsOnlyTheKnownFindings, ()) {
  const GenScenario g = *gen_scenario("mainline");
  tag(g);
  const prop_support::Outcome o = prop_support::explore_both(g.toml(), 100);
  prop_support::assert_only_known_findings(o, g.known());
}

TEST(FtraceRbProp, PreMmapMissedEventsIsFoundByAPropertyRun) {
  prop_support::expect_property_run_finds("pre-mmap-missed-events: a stale meta.reader.lost_events", bit(Property::Counters),
                                          [] { return variant_case("pre-mmap-missed-events"); });
}

TEST(FtraceRbProp, PreCommitOverrunWarnFixIsFoundByAPropertyRun) {
  prop_support::expect_property_run_finds("pre-commit-overrun-warn-fix: GET_READER WARNs on a commit overrun",
                                          bit(Property::Assertion), [] { return variant_case("pre-commit-overrun-warn-fix"); });
}

TEST(FtraceRbProp, PreCommitCountersIsFoundByAPropertyRun) {
  prop_support::expect_property_run_finds(
      "pre-commit-counters: a nested commit publishes the interrupted event",
      bit(Property::Padding) | bit(Property::MemorySafety) | bit(Property::NoSilentLoss) | bit(Property::Assertion),
      [] { return variant_case("pre-commit-counters"); });
}
