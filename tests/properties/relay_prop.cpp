// tests/properties/relay_prop.cpp — RapidCheck: random relay scenarios hold every property.
//
// Generated scenarios: 1–3 CPUs, one relay_write writer per CPU (1–8 messages, sizes that fit),
// optionally a hardirq on CPU 0 that logs with relay_write, sub-buffers of 32–128 bytes, 2–6 of
// them, no-overwrite with no client or a counting client, and a read() reader per buffer that
// reads once tracing stops (a reader that runs during sub-buffer switches races them on mainline:
// see scenarios/relay/read_races_switch.toml). Each case explores 300 executions under random and
// 300 under PCT and must find nothing; the mainline variant counts drops (relay_stats), the
// pre-relay-stats variant needs the counting client.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <sstream>

#include "model/registry.h"
#include "sim/explorer.h"

namespace {

struct GenScenario {
  int cpus;
  int subbuf_size, n_subbufs;
  bool counting;
  bool old_kernel;  // pre-relay-stats (then the client counts)
  std::vector<std::pair<int, int>> writers;  // (count, max size)
  int irq_fires;
  int read_count;

  std::string toml() const {
    std::ostringstream t;
    t << "name = \"generated\"\nmodel = \"relay\"\nvariant = \"" << (old_kernel ? "pre-relay-stats" : "mainline") << "\"\n"
      << "[params]\nsubbuf_size = " << subbuf_size << "\nn_subbufs = " << n_subbufs << "\nclient = \""
      << (counting ? "counting" : "none") << "\"\n[[cpu]]\ncount = " << cpus << "\n";
    for (int c = 0; c < cpus; ++c)
      t << "[[writer]]\ncpu = " << c << "\nwrite = \"relay_write\"\nmessages = { count = " << writers[c].first
        << ", size = [1, " << writers[c].second << "], must_fit = true }\n";
    if (irq_fires)
      t << "[[interrupt]]\ncpu = 0\nkind = \"hardirq\"\nfires = " << irq_fires
        << "\nwrite = \"relay_write\"\nmessages = { count = 1, size = 8 }\n";
    t << "[[reader]]\nkind = \"read\"\nstart = \"after-stop\"\ncount = " << read_count << "\n[check]\nexpect = \"pass\"\n";
    return t.str();
  }
};

void showValue(const GenScenario& g, std::ostream& os) { os << "\n" << g.toml(); }

rc::Gen<GenScenario> gen_scenario() {
  return rc::gen::mapcat(rc::gen::inRange(1, 4), [](int cpus) {
    return rc::gen::build<GenScenario>(
        rc::gen::set(&GenScenario::cpus, rc::gen::just(cpus)),
        rc::gen::set(&GenScenario::subbuf_size, rc::gen::element(32, 64, 128)),
        rc::gen::set(&GenScenario::n_subbufs, rc::gen::inRange(2, 7)),
        rc::gen::set(&GenScenario::counting, rc::gen::arbitrary<bool>()),
        rc::gen::set(&GenScenario::old_kernel, rc::gen::arbitrary<bool>()),
        rc::gen::set(&GenScenario::writers,
                     rc::gen::container<std::vector<std::pair<int, int>>>(
                         static_cast<std::size_t>(cpus),
                         rc::gen::pair(rc::gen::inRange(1, 9), rc::gen::inRange(1, 33)))),
        rc::gen::set(&GenScenario::irq_fires, rc::gen::inRange(0, 3)),
        rc::gen::set(&GenScenario::read_count, rc::gen::element(7, 16, 64, 4096)));
  });
}

}  // namespace

RC_GTEST_PROP(RelayProperties, GeneratedScenariosHoldEveryPropertyUnderRandomAndPct, ()) {
  GenScenario g = *gen_scenario();
  if (g.old_kernel) g.counting = true;  // older kernels need the client's counter to be honest
  auto spec = scenario::load_string(g.toml(), "generated.toml");
  auto prepared = model::prepare(spec);
  for (auto strategy : {sim::Strategy::Random, sim::Strategy::Pct}) {
    sim::ExploreConfig ec;
    ec.strategy = strategy;
    ec.seed = 7;
    ec.executions = 300;
    auto r = sim::explore(prepared.factory, model::engine_config(spec), ec);
    RC_ASSERT(!r.error_execution);
    if (r.first) RC_FAIL(std::string(sim::strategy_name(strategy)) + ": " + std::string(sim::property_name(r.first->violation.property)) + ": " + r.first->violation.message);
  }
}

RC_GTEST_PROP(RelayProperties, SilentDropsAreFoundOnOldKernelsWithoutACountingClient, ()) {
  // The same generator, pushed into a full buffer with nothing counting: always no-silent-loss.
  GenScenario g = *gen_scenario();
  g.old_kernel = true;
  g.counting = false;
  g.n_subbufs = 2;
  g.writers[0] = {2 * g.subbuf_size + 1, 8};  // messages of >= 1 byte: more than two sub-buffers hold
  g.irq_fires = 0;
  std::string text = g.toml();
  // no reader: nothing frees a sub-buffer while the writer runs
  text = text.substr(0, text.find("[[reader]]")) + "[check]\nexpect = { violation = \"no-silent-loss\" }\n";
  auto spec = scenario::load_string(text, "generated.toml");
  auto prepared = model::prepare(spec);
  sim::ExploreConfig ec;
  ec.executions = 50;
  auto r = sim::explore(prepared.factory, model::engine_config(spec), ec);
  RC_ASSERT(r.first.has_value());
  RC_ASSERT(r.first->violation.property == sim::Property::NoSilentLoss);
}
