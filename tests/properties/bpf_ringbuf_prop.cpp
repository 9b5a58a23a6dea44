// tests/properties/bpf_ringbuf_prop.cpp — RapidCheck: random BPF ring buffer scenarios on
// mainline hold every property under random and PCT schedules.
//
// Generated scenarios: 1–3 CPUs (plus one for the consumer), 1–2 rings of 4 or 8 KiB, 1–4 BPF
// programs each in a random context (task, softirq, hardirq, NMI) on a random CPU, with a random
// API (reserve, output, reserve_dynptr), commit mode (submit, discard, mixed), wakeup flags (none,
// FORCE, NO_WAKEUP — then the consumer allows lost wakeups), batching and sizes up to 600 bytes;
// a libbpf consumer (poll, consume or consume_n, callbacks failing every k-th record) or none.
// Each case explores 150 executions under random and 150 under PCT and must find nothing.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <sstream>

#include "model/registry.h"
#include "sim/explorer.h"

namespace {

struct GenProducer {
  int cpu, context, api, commit, flags, count, max_size;
  bool batch;
};

struct GenScenario {
  int cpus, rings, ring_kib;
  std::vector<GenProducer> producers;
  int consumer;  // 0 none, 1 poll, 2 consume, 3 consume_n
  int fail_every;

  std::string toml() const {
    static const char* contexts[] = {"task", "softirq", "hardirq", "nmi"};
    static const char* apis[] = {"reserve", "output", "reserve_dynptr"};
    static const char* commits[] = {"submit", "discard", "mixed"};
    static const int flag_values[] = {0, 2, 1};
    std::ostringstream t;
    t << "name = \"generated\"\nmodel = \"bpf_ringbuf\"\nvariant = \"mainline\"\n[params]\nmax_entries = "
      << ring_kib * 1024 << "\nrings = " << rings << "\n[[cpu]]\ncount = " << cpus + 1 << "\n";
    bool no_wakeup = false;
    for (std::size_t i = 0; i < producers.size(); ++i) {
      const GenProducer& p = producers[i];
      const bool output = p.api == 1;
      t << "[[producer]]\ncpu = " << p.cpu << "\ncontext = \"" << contexts[p.context] << "\"\nring = " << i % rings
        << "\napi = \"" << apis[p.api] << "\"\ncommit = \"" << (output ? "submit" : commits[p.commit])
        << "\"\nflags = " << flag_values[p.flags] << "\nbatch = " << (p.batch && !output ? "true" : "false")
        << "\nmessages = { count = " << p.count << ", size = [1, " << p.max_size << "] }\n";
      if (p.context != 0) t << "fires = 2\n";
      no_wakeup |= p.flags == 2;
    }
    if (consumer) {
      static const char* calls[] = {"", "poll", "consume", "consume_n"};
      t << "[[consumer]]\ncpu = " << cpus << "\ncall = \"" << calls[consumer] << "\"\nn = 3\n";
      if (fail_every) t << "callback = { fail_every = " << fail_every << ", ret = -7 }\n";
      if (no_wakeup) t << "lost_wakeup = \"allowed\"\n";
    }
    t << "[check]\nexpect = \"pass\"\n";
    return t.str();
  }
};

void showValue(const GenScenario& g, std::ostream& os) { os << "\n" << g.toml(); }

rc::Gen<GenProducer> gen_producer(int cpus) {
  return rc::gen::build<GenProducer>(
      rc::gen::set(&GenProducer::cpu, rc::gen::inRange(0, cpus)), rc::gen::set(&GenProducer::context, rc::gen::inRange(0, 4)),
      rc::gen::set(&GenProducer::api, rc::gen::inRange(0, 3)), rc::gen::set(&GenProducer::commit, rc::gen::inRange(0, 3)),
      rc::gen::set(&GenProducer::flags, rc::gen::inRange(0, 3)), rc::gen::set(&GenProducer::count, rc::gen::inRange(1, 7)),
      rc::gen::set(&GenProducer::max_size, rc::gen::element(8, 64, 600)),
      rc::gen::set(&GenProducer::batch, rc::gen::arbitrary<bool>()));
}

rc::Gen<GenScenario> gen_scenario() {
  return rc::gen::mapcat(rc::gen::pair(rc::gen::inRange(1, 4), rc::gen::inRange(1, 5)), [](std::pair<int, int> cp) {
    const int cpus = cp.first;
    return rc::gen::build<GenScenario>(
        rc::gen::set(&GenScenario::cpus, rc::gen::just(cpus)), rc::gen::set(&GenScenario::rings, rc::gen::inRange(1, 3)),
        rc::gen::set(&GenScenario::ring_kib, rc::gen::element(4, 8)),
        rc::gen::set(&GenScenario::producers,
                     rc::gen::container<std::vector<GenProducer>>(static_cast<std::size_t>(cp.second), gen_producer(cpus))),
        rc::gen::set(&GenScenario::consumer, rc::gen::inRange(0, 4)),
        rc::gen::set(&GenScenario::fail_every, rc::gen::element(0, 0, 2, 3)));
  });
}

}  // namespace

RC_GTEST_PROP(BpfRingbufProperties, GeneratedMainlineScenariosHoldEveryPropertyUnderRandomAndPct, ()) {
  GenScenario g = *gen_scenario();
  auto spec = scenario::load_string(g.toml(), "generated.toml");
  auto prepared = model::prepare(spec);
  for (auto strategy : {sim::Strategy::Random, sim::Strategy::Pct}) {
    sim::ExploreConfig ec;
    ec.strategy = strategy;
    ec.seed = 11;
    ec.executions = 150;
    auto r = sim::explore(prepared.factory, model::engine_config(spec), ec);
    RC_ASSERT(!r.error_execution);
    if (r.first)
      RC_FAIL(std::string(sim::strategy_name(strategy)) + ": " + std::string(sim::property_name(r.first->violation.property)) +
              ": " + r.first->violation.message);
  }
}
