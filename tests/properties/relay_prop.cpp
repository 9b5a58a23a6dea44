// tests/properties/relay_prop.cpp — RapidCheck: random relay scenarios that reach the interleavings
// where relay's bugs live (issue 18).
//
// Generated (gen::resize'd: the shape does not shrink with RapidCheck's size): 1–4 CPUs (3 or more
// in 5/8 of the cases), a task writer on each of the first 1..cpus CPUs with a random writer kind
// (relay_write, __relay_write, relay_reserve), 0–3 interrupts of every kind (hardirq, softirq,
// NMI) on random CPUs writing with relay_write or __relay_write, sub-buffers of 32–128 bytes, 2–6
// of them, overwrite or not, client none / counting / header, message sizes up to the sub-buffer
// (and past it: too-big messages), and a read() or mmap reader per buffer (two on old-read-pos) that runs
// live, while the writers write, in 2/3 of the cases, or after tracing stops.
//
// Mainline: every violation found (random and PCT, all properties counted) must be a finding the
// README lists ("Known findings the properties accept"), given the case's shape; anything else
// fails the property. Historical variants: a property run over the same generator must find the
// variant's bug (pre-relay-stats: silent drops; old-read-pos: two readers re-read each other's
// data) within the CI's case budget.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <sstream>

#include "tests/properties/prop_support.h"

namespace {

using sim::Property;
constexpr std::uint32_t bit(Property p) { return 1u << static_cast<int>(p); }

const char* const kWrites[] = {"relay_write", "__relay_write", "relay_reserve"};
const char* const kIrqKinds[] = {"hardirq", "softirq", "nmi"};

struct GenWriter {
  int write, count, max_size;  // max_size: 0 small (8), 1 half, 2 the sub-buffer, 3 past it
};
struct GenIrq {
  int cpu, kind, fires, write, size;
};
struct GenScenario {
  std::string variant = "mainline";
  int cpus, subbuf_size, n_subbufs;
  bool overwrite;
  int client;  // 0 none, 1 counting, 2 header (none in overwrite mode)
  std::vector<GenWriter> writers;  // on CPUs 0..writers-1
  std::vector<GenIrq> irqs;
  int reader_kind;  // 0 read, 1 mmap (mmap needs the header client: relay.rst's protocol)
  bool live;
  int read_count, readers_per_buffer;
  bool poll;

  // relay.rst's header protocol is read through the mapping: a read() reader would receive the
  // headers as data, so the header client comes only with the mmap reader.
  int eff_client() const { return client == 2 && reader_kind != 1 ? 0 : client; }
  int header() const { return eff_client() == 2 && !overwrite ? 8 : 0; }
  int size_limit(int which) const {
    const int fit = subbuf_size - header();
    return which == 0 ? 8 : which == 1 ? fit / 2 : which == 2 ? fit : subbuf_size + 16;
  }
  bool mmap() const { return reader_kind == 1 && eff_client() == 2 && !overwrite; }

  std::string toml() const {
    std::ostringstream t;
    t << "name = \"generated\"\nmodel = \"relay\"\nvariant = \"" << variant << "\"\n[params]\nsubbuf_size = " << subbuf_size
      << "\nn_subbufs = " << n_subbufs << "\nmode = \"" << (overwrite ? "overwrite" : "no-overwrite") << "\"\nclient = \""
      << (overwrite ? "none" : eff_client() == 1 ? "counting" : eff_client() == 2 ? "header" : "none") << "\"\n";
    if (header()) t << "header_size = 8\n";
    t << "[[cpu]]\ncount = " << cpus << "\n";
    for (std::size_t c = 0; c < writers.size(); ++c) {
      const GenWriter& w = writers[c];
      const int max = size_limit(w.max_size);
      t << "[[writer]]\ncpu = " << c << "\nwrite = \"" << kWrites[w.write] << "\"\nmessages = { count = " << w.count
        << ", size = [1, " << max << "], must_fit = " << (max <= subbuf_size - header() ? "true" : "false") << " }\n";
    }
    for (const GenIrq& i : irqs)
      t << "[[interrupt]]\ncpu = " << i.cpu << "\nkind = \"" << kIrqKinds[i.kind] << "\"\nfires = " << i.fires << "\nwrite = \""
        << kWrites[i.write] << "\"\nmessages = { count = 1, size = [1, " << std::min(i.size, subbuf_size - header()) << "] }\n";
    for (int r = 0; r < readers_per_buffer; ++r)
      t << "[[reader]]\nkind = \"" << (mmap() ? "mmap" : "read") << "\"\ncpu = " << (cpus - 1) << "\ncount = " << read_count
        << "\nwait = \"" << (poll ? "poll" : "spin") << "\"\nstart = \"" << (live ? "live" : "after-stop") << "\"\n";
    t << "[check]\nexpect = \"pass\"\n";
    return t.str();
  }

  // ---- the shapes of the known findings (README: "Known findings the properties accept") ----
  /// A producer on `cpu` that another producer on the same CPU can interrupt in the middle of its
  /// write: __relay_write and relay_reserve only disable preemption; relay_write disables irqs,
  /// which an NMI ignores. Softirqs interrupt only tasks.
  bool unsafe_nesting() const {
    for (const GenIrq& i : irqs) {
      auto interrupts = [&](int victim_write, int victim_level) {  // level: 0 task, 1 softirq, 2 hardirq
        const int level = i.kind == 1 ? 1 : i.kind == 0 ? 2 : 3;
        if (level <= victim_level) return false;
        return victim_write != 0 || level == 3;
      };
      if (static_cast<std::size_t>(i.cpu) < writers.size() && interrupts(writers[static_cast<std::size_t>(i.cpu)].write, 0)) return true;
      for (const GenIrq& v : irqs)
        if (&v != &i && v.cpu == i.cpu && interrupts(v.write, v.kind == 1 ? 1 : v.kind == 0 ? 2 : 3)) return true;
    }
    return false;
  }
  bool too_big() const {
    for (const GenWriter& w : writers)
      if (size_limit(w.max_size) > subbuf_size - header()) return true;
    return false;
  }
  /// The properties a mainline case may violate, given its shape.
  std::uint32_t known() const {
    std::uint32_t k = 0;
    if (live && !mmap()) k |= kReadSwitchRace;
    if (live && mmap()) k |= kMmapHeaderRace;
    if (live && overwrite) k |= kOverwriteLiveRead;
    if (unsafe_nesting()) k |= kUnsafeNesting;
    return k;
  }
  // The stale sub-buffer the race returns holds bytes since rewritten: no-corruption too.
  // step-bound: open item (README): under PCT a live read() reader can run a case to the step
  // bound (seen with two readers of one buffer; not reproduced from the command line yet).
  static constexpr std::uint32_t kReadSwitchRace = bit(Property::Padding) | bit(Property::NoDuplication) | bit(Property::NoSplit) |
                                                   bit(Property::Order) | bit(Property::StepBound) | bit(Property::NoCorruption);
  static constexpr std::uint32_t kMmapHeaderRace = bit(Property::Padding) | bit(Property::NoSplit);
  // step-bound: open item (README): under PCT a live read() of a lapping overwrite buffer can run
  // to the step bound (the reader loop yields only after an empty read).
  static constexpr std::uint32_t kOverwriteLiveRead = bit(Property::NoSplit) | bit(Property::NoDuplication) | bit(Property::Order) |
                                                      bit(Property::NoSilentLoss) | bit(Property::StepBound);
  // A nested write moves buf->offset under the interrupted one: overlapping messages, and an
  // offset past the sub-buffer that the interrupted memcpy then writes beyond (memory-safety).
  static constexpr std::uint32_t kUnsafeNesting = bit(Property::NoCorruption) | bit(Property::NoSplit) | bit(Property::Padding) |
                                                  bit(Property::NoSilentLoss) | bit(Property::Order) |
                                                  bit(Property::MemorySafety) | bit(Property::NoDuplication) | bit(Property::Counters);
};

void showValue(const GenScenario& g, std::ostream& os) { os << "\n" << g.toml(); }

rc::Gen<GenScenario> gen_scenario(const std::string& variant) {
  using namespace rc;
  return gen::resize(kNominalSize, gen::mapcat(gen::weightedElement<int>({{1, 1}, {2, 2}, {3, 3}, {2, 4}}), [variant](int cpus) {
    return gen::mapcat(gen::inRange(1, cpus + 1), [variant, cpus](int nwriters) {
      auto writer = gen::build<GenWriter>(gen::set(&GenWriter::write, gen::inRange(0, 3)), gen::set(&GenWriter::count, gen::inRange(1, 13)),
                                          gen::set(&GenWriter::max_size, gen::weightedElement<int>({{2, 0}, {2, 1}, {2, 2}, {1, 3}})));
      auto irq = gen::build<GenIrq>(gen::set(&GenIrq::cpu, gen::inRange(0, cpus)), gen::set(&GenIrq::kind, gen::inRange(0, 3)),
                                    gen::set(&GenIrq::fires, gen::inRange(1, 4)), gen::set(&GenIrq::write, gen::inRange(0, 2)),
                                    gen::set(&GenIrq::size, gen::element(8, 16, 40)));
      return gen::build<GenScenario>(
          gen::set(&GenScenario::variant, gen::just(variant)), gen::set(&GenScenario::cpus, gen::just(cpus)),
          gen::set(&GenScenario::subbuf_size, gen::element(32, 64, 128)), gen::set(&GenScenario::n_subbufs, gen::inRange(2, 7)),
          gen::set(&GenScenario::overwrite, gen::weightedElement<bool>({{3, false}, {1, true}})),
          gen::set(&GenScenario::client, gen::inRange(0, 3)),
          gen::set(&GenScenario::writers, gen::container<std::vector<GenWriter>>(static_cast<std::size_t>(nwriters), writer)),
          gen::set(&GenScenario::irqs, gen::mapcat(gen::weightedElement<int>({{1, 0}, {2, 1}, {1, 2}, {1, 3}}), [irq](int n) {
                     return gen::container<std::vector<GenIrq>>(static_cast<std::size_t>(n), irq);
                   })),
          gen::set(&GenScenario::reader_kind, gen::inRange(0, 2)),
          gen::set(&GenScenario::live, gen::weightedElement<bool>({{2, true}, {1, false}})),
          gen::set(&GenScenario::read_count, gen::element(7, 16, 64, 4096)),
          // Two readers of one buffer share its read position on mainline, so a read() may stop
          // inside a message that the other reader then continues: only old-read-pos (each file
          // its own *ppos) is generated with them.
          gen::set(&GenScenario::readers_per_buffer,
                   variant == "old-read-pos" ? gen::weightedElement<int>({{1, 1}, {1, 2}}) : gen::just(1)),
          gen::set(&GenScenario::poll, gen::arbitrary<bool>()));
    });
  }));
}

void tag(const GenScenario& g);

// One generated case on a historical variant, minus what mainline violates on the same case.
prop_support::Outcome variant_case(const char* variant) {
  GenScenario g = *rc::gen::noShrink(gen_scenario(variant));
  tag(g);
  const std::string buggy = g.toml();
  g.variant = "mainline";
  return prop_support::differential(buggy, g.toml(), 100);
}

void tag(const GenScenario& g) {
  RC_TAG(g.cpus >= 3 ? "3+ CPUs" : "1-2 CPUs", g.live ? "live reader" : "reader after stop",
         g.irqs.empty() ? "no interrupts" : "interrupts", g.overwrite ? "overwrite" : "no-overwrite");
}

}  // namespace

RC_GTEST_PROP(RelayProperties, MainlineFindsOnlyTheKnownFindings, ()) {
  const GenScenario g = *gen_scenario("mainline");
  tag(g);
  const prop_support::Outcome o = prop_support::explore_both(g.toml(), 200);
  RC_ASSERT(!o.error);
  const std::uint32_t unknown = o.violated & ~g.known();
  RC_CLASSIFY(o.violated != 0, "found a known finding");
  if (unknown)
    RC_FAIL("violations the README does not list for this shape: " + prop_support::names(unknown) + " (first: " +
            prop_support::first_text(o) + ")");
}

TEST(RelayProperties, PreRelayStatsSilentDropsAreFoundByAPropertyRun) {
  prop_support::expect_property_run_finds("pre-relay-stats: a full buffer or a too-big message drops silently",
                                          bit(Property::NoSilentLoss), [] {
                                            return variant_case("pre-relay-stats");
                                          });
}

TEST(RelayProperties, OldReadPosDuplicationIsFoundByAPropertyRun) {
  prop_support::expect_property_run_finds("old-read-pos: two readers of one buffer re-read each other's data",
                                          bit(Property::NoDuplication), [] {
                                            return variant_case("old-read-pos");
                                          });
}
