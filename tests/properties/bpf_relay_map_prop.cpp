// tests/properties/bpf_relay_map_prop.cpp — RapidCheck: random BPF relay map scenarios under the
// review's proposal (nest guard, drops returned, files-ready) and under v1 as posted (issue 18).
//
// Generated (gen::resize'd): 1–4 CPUs (3 or more in 5/8 of the cases), 1–6 programs in every
// context (task, softirq, hardirq, NMI) on random CPUs, sizes up to the sub-buffer, 2–5
// sub-buffers of 64 bytes, overwrite on or off, and a read() or mmap reader per buffer that runs
// live in 2/3 of the cases, or after tracing stops.
//
// proposed: every violation found must be a README-listed finding for the case's shape (a live
// read(): relay's read/switch race, finding 6; a live mmap reader without overwrite: finding 4,
// the mapping cannot release sub-buffers). v1: a property run over the same generator must find
// finding 1 (an NMI program inside a task program's relay_write on the same CPU: no-corruption)
// with nothing appended to the generated case.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <sstream>

#include "tests/properties/prop_support.h"

namespace {

using sim::Property;
constexpr std::uint32_t bit(Property p) { return 1u << static_cast<int>(p); }

struct Prog {
  int cpu;
  int context;  // 0 task, 1 softirq, 2 hardirq, 3 nmi
  int count, max_size;
};

struct GenMap {
  int cpus;
  bool overwrite, live, mmap;
  int subbufs;
  std::vector<Prog> programs;

  std::string toml(const std::string& variant) const {
    static const char* contexts[] = {"task", "softirq", "hardirq", "nmi"};
    std::ostringstream t;
    t << "name = \"generated\"\nmodel = \"bpf_relay_map\"\nvariant = \"" << variant << "\"\n[map]\nmax_entries = 64\nmap_extra = "
      << subbufs << "\noverwrite = " << (overwrite ? "true" : "false") << "\nmap_name = \"rmap\"\n[[cpu]]\ncount = " << cpus << "\n";
    for (const Prog& p : programs) {
      t << "[[program]]\ncpu = " << p.cpu << "\ncontext = \"" << contexts[p.context] << "\"\n";
      if (p.context) t << "fires = 2\n";
      t << "messages = { count = " << p.count << ", size = [1, " << p.max_size << "] }\n";
    }
    t << "[[reader]]\nkind = \"" << (mmap ? "mmap" : "read") << "\"\ncpu = " << cpus - 1 << "\nstart = \""
      << (live ? "live" : "after-stop") << "\"\n[check]\nexpect = \"pass\"\n";
    return t.str();
  }
  // The shapes of the known findings (README: "Known findings the properties accept").
  std::uint32_t known() const {
    std::uint32_t k = 0;
    // relay's read/switch race returns a stale sub-buffer: repeated, reordered, torn or wrong bytes.
    if (live && !mmap)
      k |= bit(Property::NoDuplication) | bit(Property::Padding) | bit(Property::Order) | bit(Property::NoSplit) | bit(Property::NoCorruption);
    if (live && mmap && !overwrite) k |= bit(Property::NoSilentLoss);
    if (live && mmap) k |= bit(Property::Padding) | bit(Property::NoSplit);  // relay's mmap header race (no header here)
    // relay's overwrite lap under a live reader (README, overwrite_read_word.toml).
    if (live && overwrite) k |= bit(Property::NoSplit) | bit(Property::NoDuplication) | bit(Property::Order) | bit(Property::NoSilentLoss);
    return k;
  }
};

void showValue(const GenMap& g, std::ostream& os) { os << "\n" << g.toml("proposed"); }

rc::Gen<GenMap> gen_map() {
  using namespace rc;
  return gen::resize(kNominalSize, gen::mapcat(gen::pair(gen::weightedElement<int>({{1, 1}, {2, 2}, {3, 3}, {2, 4}}), gen::inRange(1, 7)),
                                               [](std::pair<int, int> cp) {
    const int cpus = cp.first;
    return gen::build<GenMap>(
        gen::set(&GenMap::cpus, gen::just(cpus)), gen::set(&GenMap::overwrite, gen::arbitrary<bool>()),
        gen::set(&GenMap::live, gen::weightedElement<bool>({{2, true}, {1, false}})),
        gen::set(&GenMap::mmap, gen::weightedElement<bool>({{3, false}, {1, true}})), gen::set(&GenMap::subbufs, gen::inRange(2, 6)),
        gen::set(&GenMap::programs,
                 gen::container<std::vector<Prog>>(
                     static_cast<std::size_t>(cp.second),
                     gen::build<Prog>(gen::set(&Prog::cpu, gen::inRange(0, cpus)), gen::set(&Prog::context, gen::inRange(0, 4)),
                                      gen::set(&Prog::count, gen::inRange(1, 9)), gen::set(&Prog::max_size, gen::element(8, 24, 64))))));
  }));
}

void tag(const GenMap& g) {
  bool nmi = false;
  for (const Prog& p : g.programs) nmi |= p.context == 3;
  RC_TAG(g.cpus >= 3 ? "3+ CPUs" : "1-2 CPUs", g.live ? "live reader" : "reader after stop", nmi ? "NMI program" : "no NMI program",
         g.overwrite ? "overwrite" : "no-overwrite");
}

}  // namespace

RC_GTEST_PROP(BpfRelayMapProperties, ProposalFindsOnlyTheKnownFindings, ()) {
  const GenMap g = *gen_map();
  tag(g);
  const prop_support::Outcome o = prop_support::explore_both(g.toml("proposed"), 150, 11);
  prop_support::assert_only_known_findings(o, g.known());
}

TEST(BpfRelayMapProperties, V1NmiFindingIsFoundByAPropertyRun) {
  prop_support::expect_property_run_finds("v1: an NMI program inside a task program's relay_write on the same CPU",
                                          bit(Property::NoCorruption), [] {
                                            const GenMap g = *rc::gen::noShrink(gen_map());
                                            tag(g);
                                            return prop_support::differential(g.toml("v1"), g.toml("proposed"), 150, 3);
                                          });
}
