// tests/properties/bpf_ringbuf_prop.cpp — RapidCheck: random BPF ring buffer scenarios that reach
// the interleavings where its bugs live (issue 18).
//
// Generated (gen::resize'd): 1–4 producer CPUs (3 or more in 5/8 of the cases) plus one for the
// consumer and user space, 1–2 rings of 4 or 8 KiB, overwrite mode (BPF_F_RB_OVERWRITE, no
// consumer: libbpf has none) in 1/4 of the cases, 1–5 BPF programs in every context (task,
// softirq, hardirq, NMI, a program re-entering inside another's locked section) on random CPUs,
// every API (reserve, output, reserve_dynptr), commit mode (submit, discard, mixed, reverse order
// within a batch) and wakeup flag (none, NO_WAKEUP, FORCE — per program), sizes from 8 bytes up to
// the ring and past it; a libbpf consumer (poll, consume, consume_n, callbacks failing every k-th
// record) that runs live in 2/3 of the cases; user space lying about consumer_pos in 1/4; libbpf's
// record counts as 4-bit ints in 1/4 (the INT_MAX caps at work).
//
// Mainline: every violation found must be a README-listed finding for the case's shape (a
// NO_WAKEUP program with a poll consumer: lost-wakeup). Historical variants: a property run over
// the same generator must find each variant's bug: CVE-2024-41009 (no-corruption), CVE-2021-3489
// (memory-safety), the spinlock era's same-CPU re-entry (deadlock), libbpf's int overflow (counters).
// The spinlock era with NMI programs in place of re-entering ones: only mainline's findings (its NMI
// trylock rule).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <sstream>

#include "tests/properties/prop_support.h"

namespace {

using sim::Property;
constexpr std::uint32_t bit(Property p) { return 1u << static_cast<int>(p); }

struct GenProducer {
  int cpu, context, api, commit, flags, count, size;  // context 4: in-lock (re-enters producer 0's lock)
  bool batch, reverse;
};

struct GenScenario {
  std::string variant = "mainline";
  int cpus, rings, ring_kib, int_bits;
  bool overwrite;
  std::vector<GenProducer> producers;
  int consumer;  // 0 none, 1 poll, 2 consume, 3 consume_n
  int fail_every;
  bool live;
  int lie;  // 0 none; else user space stores consumer_pos = lie * ring / 4

  int ring() const { return ring_kib * 1024; }
  int max_size(int which) const {
    const int sizes[] = {8, 64, 600, ring() / 2, ring() - 8, 2 * ring()};
    return sizes[which];
  }
  // A lie about consumer_pos gives the skipped records up (they are lost by user space's choice,
  // uncounted), so a lying case has no consumer: what it checks is the kernel's own promise, that
  // busy records never overlap and nothing is written outside the ring (the two CVEs).
  bool has_consumer() const { return consumer && !overwrite && !lie; }
  bool in_lock(const GenProducer& p, std::size_t i) const { return p.context == 4 && i > 0 && producers[0].context != 4; }

  std::string toml() const {
    static const char* contexts[] = {"task", "softirq", "hardirq", "nmi", "in-lock"};
    static const char* apis[] = {"reserve", "output", "reserve_dynptr"};
    static const char* commits[] = {"submit", "discard", "mixed"};
    static const int flag_values[] = {0, 1, 2};  // none, BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP
    std::ostringstream t;
    t << "name = \"generated\"\nmodel = \"bpf_ringbuf\"\nvariant = \"" << variant << "\"\n[params]\nmax_entries = " << ring()
      << "\nrings = " << rings << "\nint_bits = " << int_bits << "\n";
    if (overwrite) t << "map_flags = " << (1u << 19) << "\n";
    t << "[[cpu]]\ncount = " << cpus + 1 << "\n";
    for (std::size_t i = 0; i < producers.size(); ++i) {
      const GenProducer& p = producers[i];
      const bool inlock = in_lock(p, i);
      const int ctx = p.context == 4 && !inlock ? 0 : p.context;
      const bool output = p.api == 1;
      t << "[[producer]]\ncpu = " << p.cpu << "\ncontext = \"" << contexts[ctx] << "\"\nring = " << i % rings << "\napi = \""
        << apis[p.api] << "\"\ncommit = \"" << (output ? "submit" : commits[p.commit]) << "\"\nflags = " << flag_values[p.flags]
        << "\nbatch = " << (p.batch && !output ? "true" : "false") << "\ncommit_order = \""
        << (p.batch && !output && p.reverse ? "reverse" : "in-order") << "\"\nmessages = { count = " << p.count << ", size = [1, "
        << max_size(p.size) << "] }\n";
      if (inlock) t << "host = 0\n";
      if (ctx != 0) t << "fires = 2\n";
    }
    if (has_consumer()) {
      static const char* calls[] = {"", "poll", "consume", "consume_n"};
      t << "[[consumer]]\ncpu = " << cpus << "\ncall = \"" << calls[consumer] << "\"\nn = 3\nstart = \""
        << (live ? "live" : "after-stop") << "\"\n";
      if (fail_every) t << "callback = { fail_every = " << fail_every << ", ret = -7 }\n";
    }
    if (lie) t << "[[user]]\ncpu = " << cpus << "\nconsumer_pos = " << lie * ring() / 4 << "\n";
    t << "[check]\nexpect = \"pass\"\n";
    return t.str();
  }

  // ---- the shapes of the known findings (README: "Known findings the properties accept") ----
  bool no_wakeup_with_poll() const {
    if (!has_consumer() || consumer != 1) return false;
    for (const GenProducer& p : producers)
      if (p.flags == 1) return true;
    return false;
  }
  std::uint32_t known() const {
    std::uint32_t k = 0;
    if (no_wakeup_with_poll()) k |= bit(Property::LostWakeup);
    // A lie gives committed records up; the ledger still holds them live, so a later reservation
    // over them reads as no-corruption (open item: the workload does not tell the ledger).
    if (lie) k |= bit(Property::NoCorruption) | bit(Property::NoSilentLoss);
    return k;
  }
};

void showValue(const GenScenario& g, std::ostream& os) { os << "\n" << g.toml(); }

rc::Gen<GenProducer> gen_producer(int cpus) {
  using namespace rc;
  return gen::build<GenProducer>(
      gen::set(&GenProducer::cpu, gen::inRange(0, cpus)),
      gen::set(&GenProducer::context, gen::weightedElement<int>({{3, 0}, {2, 1}, {2, 2}, {2, 3}, {1, 4}})),
      gen::set(&GenProducer::api, gen::inRange(0, 3)), gen::set(&GenProducer::commit, gen::inRange(0, 3)),
      gen::set(&GenProducer::flags, gen::weightedElement<int>({{4, 0}, {1, 1}, {1, 2}})),
      gen::set(&GenProducer::count, gen::inRange(1, 9)),
      gen::set(&GenProducer::size, gen::weightedElement<int>({{3, 0}, {3, 1}, {2, 2}, {1, 3}, {1, 4}, {1, 5}})),
      gen::set(&GenProducer::batch, gen::arbitrary<bool>()), gen::set(&GenProducer::reverse, gen::arbitrary<bool>()));
}

rc::Gen<GenScenario> gen_scenario(const std::string& variant) {
  using namespace rc;
  return gen::resize(kNominalSize, gen::mapcat(gen::pair(gen::weightedElement<int>({{1, 1}, {2, 2}, {3, 3}, {2, 4}}), gen::inRange(1, 6)),
                                               [variant](std::pair<int, int> cp) {
    const int cpus = cp.first;
    return gen::build<GenScenario>(
        gen::set(&GenScenario::variant, gen::just(variant)), gen::set(&GenScenario::cpus, gen::just(cpus)),
        gen::set(&GenScenario::rings, gen::weightedElement<int>({{3, 1}, {1, 2}})), gen::set(&GenScenario::ring_kib, gen::element(4, 8)),
        gen::set(&GenScenario::int_bits, gen::weightedElement<int>({{3, 32}, {1, 4}})),
        gen::set(&GenScenario::overwrite, gen::weightedElement<bool>({{3, false}, {1, true}})),
        gen::set(&GenScenario::producers,
                 gen::container<std::vector<GenProducer>>(static_cast<std::size_t>(cp.second), gen_producer(cpus))),
        gen::set(&GenScenario::consumer, gen::weightedElement<int>({{1, 0}, {2, 1}, {2, 2}, {1, 3}})),
        gen::set(&GenScenario::fail_every, gen::element(0, 0, 2, 3)),
        gen::set(&GenScenario::live, gen::weightedElement<bool>({{2, true}, {1, false}})),
        gen::set(&GenScenario::lie, gen::weightedElement<int>({{6, 0}, {1, 2}, {1, 3}, {1, 8}})));
  }));
}

void tag(const GenScenario& g) {
  bool irq = false;
  for (const GenProducer& p : g.producers) irq |= p.context != 0;
  RC_TAG(g.cpus >= 3 ? "3+ CPUs" : "1-2 CPUs", g.has_consumer() ? (g.live ? "live consumer" : "consumer after stop") : "no consumer",
         irq ? "interrupts" : "tasks only", g.overwrite ? "overwrite" : "no-overwrite");
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

RC_GTEST_PROP(BpfRingbufProperties, MainlineFindsOnlyTheKnownFindings, ()) {
  const GenScenario g = *gen_scenario("mainline");
  tag(g);
  const prop_support::Outcome o = prop_support::explore_both(g.toml(), 150, 11);
  prop_support::assert_only_known_findings(o, g.known());
}

// The spinlock era's NMI rule (kernel/bpf/ringbuf.c:421 in 6.12: `if (in_nmi()) { if
// (!spin_trylock_irqsave(...)) return NULL; }`): the same generator on spinlock-era, with each
// program that would re-enter inside another's locked section (that era's known deadlock, found by
// SpinlockEraReentryIsFoundByAPropertyRun) made an NMI program instead, and no overwrite mode (not
// in those kernels). NMI programs land anywhere, inside a task's, softirq's or hardirq's locked
// section on their CPU included, where only the trylock keeps them from spinning on a lock their
// own CPU holds: every violation found must be one mainline may show for the shape, never a
// deadlock.
RC_GTEST_PROP(BpfRingbufProperties, SpinlockEraNmiProgramsFindOnlyTheKnownFindings, ()) {
  GenScenario g = *gen_scenario("spinlock-era");
  for (GenProducer& p : g.producers)
    if (p.context == 4) p.context = 3;
  g.overwrite = false;
  tag(g);
  bool nmi = false;
  for (const GenProducer& p : g.producers) nmi |= p.context == 3;
  RC_CLASSIFY(nmi, "NMI programs");
  const prop_support::Outcome o = prop_support::explore_both(g.toml(), 150, 11);
  prop_support::assert_only_known_findings(o, g.known());
}

TEST(BpfRingbufProperties, Cve2024_41009IsFoundByAPropertyRun) {
  prop_support::expect_property_run_finds("pre-cve-2024-41009: busy reservations overlap after a consumer_pos lie",
                                          bit(Property::NoCorruption), [] { return variant_case("pre-cve-2024-41009"); });
}

TEST(BpfRingbufProperties, Cve2021_3489IsFoundByAPropertyRun) {
  prop_support::expect_property_run_finds("pre-cve-2021-3489: a record larger than the ring runs past the mapping",
                                          bit(Property::MemorySafety), [] { return variant_case("pre-cve-2021-3489"); });
}

TEST(BpfRingbufProperties, SpinlockEraReentryIsFoundByAPropertyRun) {
  prop_support::expect_property_run_finds("spinlock-era: a program re-entering reserve on the same CPU spins forever",
                                          bit(Property::Deadlock), [] { return variant_case("spinlock-era"); });
}

TEST(BpfRingbufProperties, LibbpfIntOverflowIsFoundByAPropertyRun) {
  prop_support::expect_property_run_finds("libbpf-int-overflow: record counts wrap to a negative error",
                                          bit(Property::Counters), [] { return variant_case("libbpf-int-overflow"); });
}
