// bench/engine_bench.cpp — the engine's speed, all in one run (issue 8):
//   BM_FiberPingPong      raw boost::context::fiber switches (the ceiling for any fiber engine)
//   BM_EngineSteps        engine steps/s: two CPUs, one task each, every step a Shared<T> load,
//                         uniform random choices (half the steps switch fibers)
//   BM_EngineStepsCpus/<n> the same at 2/4/8 CPUs (one task each): the engine's own cost per step
//                         (uniform choices switch more often with more options: see switch-ratio)
//   BM_EngineStepsCpusHalfSwitch/<n> the same with every other step a switch: equal switch ratio
//   BM_EngineStepsPct/<n> the same under PCT: the ranked pick (sim/choice.h) at 2/4/8 CPUs
//   BM_PlainCall          a plain (not inlined) function call: the floor for a step that does not switch
//   BM_EngineStepsNoSwitch the same steps with every choice 0: the cost of a step that does not switch
//   BM_EngineStepsNoSwitchSpinOff the same with the spin rule off (its bookkeeping's cost)
//   BM_Scaling/<cpus>/<messages>  relay: one relay_write writer per CPU with <messages> messages, a
//                         read() reader per buffer (on that buffer's CPU) after the writers stop,
//                         uniform random choices; switch-ratio = steps that did not take option 0;
//                         ns/step at 2/4/8 CPUs x 8/32/128/1024 messages per writer, without and
//                         with the spin rule (spin_wait: the readers' spin-until-stop yields once;
//                         on by default since issue 14's last round)
//   BM_Executions/<name>  executions/s on bundled scenarios (Relacy's two workloads, the irq
//                         counter, each model's quickstart; the relay quickstart also without the
//                         spin rule and under PCT), with heap allocations per execution
// Run: build/release/relaysim_bench   (bench/compare-relacy runs the peer side by side)
#include <benchmark/benchmark.h>
#include <boost/context/fiber.hpp>

#include <atomic>
#include <cstdlib>
#include <new>
#include <optional>

#include "model/registry.h"
#include "sim/choice.h"
#include "sim/explorer.h"
#include "sim/shared.h"

// ---- a counting allocator: heap allocations per execution in steady state ----------------------
static std::atomic<std::uint64_t> g_allocations{0};
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace ctx = boost::context;

static void BM_FiberPingPong(benchmark::State& state) {
  ctx::fiber other{[](ctx::fiber&& main) {
    for (;;) main = std::move(main).resume();
    return std::move(main);
  }};
  std::uint64_t switches = 0;
  for (auto _ : state) {
    other = std::move(other).resume();  // two switches: there and back
    switches += 2;
  }
  state.counters["switches/s"] = benchmark::Counter(static_cast<double>(switches), benchmark::Counter::kIsRate);
  state.counters["ns/switch"] = benchmark::Counter(static_cast<double>(switches),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert) ;
}
BENCHMARK(BM_FiberPingPong);

namespace {
struct LoadLoop : sim::Workload {
  int per_task, cpus;
  std::optional<sim::Shared<int>> x;
  explicit LoadLoop(int n, int cpu_count = 2) : per_task(n), cpus(cpu_count) {}
  void build(sim::Sim& s) override {
    s.set_cpus(cpus);
    x.emplace(s, "x", 0);
    for (int c = 0; c < cpus; ++c)
      s.add_task("t" + std::to_string(c), c, [this] {
        for (int i = 0; i < per_task; ++i) x->load();
      });
  }
};
}  // namespace

static void BM_EngineSteps(benchmark::State& state) {
  LoadLoop w(10'000);
  sim::Sim s({});
  s.load(w);
  sim::RandomSource src(1);
  std::uint64_t steps = 0, switches = 0;
  for (auto _ : state) {
    auto r = s.run(src);
    steps += r.steps;
    switches += r.preemptions;
  }
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["switch-ratio"] = static_cast<double>(switches) / static_cast<double>(steps ? steps : 1);
}
BENCHMARK(BM_EngineSteps)->Unit(benchmark::kMillisecond);

// The engine alone at 2/4/8 CPUs: one task per CPU, every step a load, uniform random choices.
static void BM_EngineStepsCpus(benchmark::State& state) {
  const int cpus = static_cast<int>(state.range(0));
  LoadLoop w(20'000 / cpus, cpus);
  sim::Sim s({});
  s.load(w);
  sim::RandomSource src(1);
  std::uint64_t steps = 0, switches = 0;
  for (auto _ : state) {
    auto r = s.run(src);
    steps += r.steps;
    switches += r.preemptions;
  }
  state.counters["ns/step"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["switch-ratio"] = static_cast<double>(switches) / static_cast<double>(steps ? steps : 1);
}
BENCHMARK(BM_EngineStepsCpus)->Arg(2)->Arg(4)->Arg(8)->ArgName("cpus")->Unit(benchmark::kMillisecond);

// The same with exactly every other step a switch (to each other option in turn): the cost per
// step at equal switch ratio, whatever the number of CPUs.
namespace {
class HalfSwitch final : public sim::ChoiceSource {
 public:
  HalfSwitch() { blind = true; }
  void begin(const sim::Sim&) override { step_ = 0; }
  std::uint32_t pick(const sim::Option*, std::uint32_t n, const sim::Sim&) override {
    return (step_++ & 1) ? 1 + static_cast<std::uint32_t>((step_ >> 1) % (n - 1)) : 0;
  }

 private:
  std::uint64_t step_ = 0;
};
}  // namespace
static void BM_EngineStepsCpusHalfSwitch(benchmark::State& state) {
  const int cpus = static_cast<int>(state.range(0));
  LoadLoop w(20'000 / cpus, cpus);
  sim::Sim s({});
  s.load(w);
  HalfSwitch src;
  std::uint64_t steps = 0, switches = 0;
  for (auto _ : state) {
    auto r = s.run(src);
    steps += r.steps;
    switches += r.preemptions;
  }
  state.counters["ns/step"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["switch-ratio"] = static_cast<double>(switches) / static_cast<double>(steps ? steps : 1);
}
BENCHMARK(BM_EngineStepsCpusHalfSwitch)->Arg(2)->Arg(4)->Arg(8)->ArgName("cpus")->Unit(benchmark::kMillisecond);

// The same at 2/4/8 CPUs under PCT (depth 3): the scheduler walks the priority order and stops at
// the first enabled actor (sim/choice.h), instead of listing and reading every option.
static void BM_EngineStepsPct(benchmark::State& state) {
  const int cpus = static_cast<int>(state.range(0));
  LoadLoop w(20'000 / cpus, cpus);
  sim::Sim s({});
  s.load(w);
  sim::PctSource src(1, 3, 20'000);
  std::uint64_t steps = 0, i = 0;
  for (auto _ : state) {
    src.reseed(sim::derive_seed(1, i++));
    steps += s.run(src).steps;
  }
  state.counters["ns/step"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_EngineStepsPct)->Arg(2)->Arg(4)->Arg(8)->ArgName("cpus")->Unit(benchmark::kMillisecond);

// The same steps with every choice 0 (no switch at all): the scheduler's own cost per step.
static void BM_EngineStepsNoSwitch(benchmark::State& state) {
  LoadLoop w(10'000);
  sim::Sim s({});
  s.load(w);
  sim::ReplaySource zeros({}, false);
  std::uint64_t steps = 0;
  for (auto _ : state) steps += s.run(zeros).steps;
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["ns/step"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_EngineStepsNoSwitch)->Unit(benchmark::kMillisecond);

// The same with the spin rule off: what its bookkeeping (a read-set check per access) costs.
static void BM_EngineStepsNoSwitchSpinOff(benchmark::State& state) {
  LoadLoop w(10'000);
  sim::Sim::Config cfg;
  cfg.spin_wait = false;
  sim::Sim s(cfg);
  s.load(w);
  sim::ReplaySource zeros({}, false);
  std::uint64_t steps = 0;
  for (auto _ : state) steps += s.run(zeros).steps;
  state.counters["ns/step"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_EngineStepsNoSwitchSpinOff)->Unit(benchmark::kMillisecond);

// A plain call of a function the compiler may not inline or elide: what a step that does not
// switch is compared with.
[[gnu::noinline]] static void plain_call(std::uint64_t* x) { asm volatile("" : : "r"(x) : "memory"); ++*x; }
static void BM_PlainCall(benchmark::State& state) {
  std::uint64_t x = 0, calls = 0;
  for (auto _ : state) {
    for (int i = 0; i < 10'000; ++i) plain_call(&x);
    calls += 10'000;
  }
  benchmark::DoNotOptimize(x);
  state.counters["ns/call"] = benchmark::Counter(static_cast<double>(calls), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_PlainCall);

static void BM_Scaling(benchmark::State& state) {
  const int cpus = static_cast<int>(state.range(0));
  const int messages = static_cast<int>(state.range(1));
  const bool spin_wait = state.range(2) != 0;
  std::string toml =
      "name = \"scaling\"\nmodel = \"relay\"\nvariant = \"mainline\"\n"
      "[params]\nsubbuf_size = 4096\nn_subbufs = 16\nmode = \"no-overwrite\"\n"
      "[[cpu]]\ncount = " + std::to_string(cpus) + "\n";
  for (int c = 0; c < cpus; ++c)
    toml += "[[writer]]\ncpu = " + std::to_string(c) + "\nwrite = \"relay_write\"\nmessages = { count = " +
            std::to_string(messages) + ", size = [8, 40], must_fit = true }\n";
  for (int c = 0; c < cpus; ++c)  // each buffer's reader on its own CPU: no CPU holds every reader
    toml += "[[reader]]\nkind = \"read\"\nstart = \"after-stop\"\ncpu = " + std::to_string(c) + "\nbuffer = " +
            std::to_string(c) + "\n";
  toml += "[check]\nexpect = \"pass\"\n";
  auto spec = scenario::load_string(toml, "scaling.toml");
  spec.spin_wait = spin_wait;
  auto prepared = model::prepare(spec);
  auto w = prepared.factory();
  sim::Sim s(model::engine_config(spec));
  s.load(*w);
  sim::ExecutionSource sources(sim::Strategy::Random, 3, 1);
  std::uint64_t i = 0, steps = 0, bad = 0, switches = 0;
  for (auto _ : state) {
    auto r = s.run(sources.at(1, i++));
    steps += r.steps;
    switches += r.preemptions;
    bad += r.end != sim::ExecResult::End::Finished;
  }
  state.counters["switch-ratio"] = static_cast<double>(switches) / static_cast<double>(steps ? steps : 1);
  state.counters["ns/step"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["steps/exec"] = static_cast<double>(steps) / static_cast<double>(i ? i : 1);
  if (bad) state.SkipWithError("an execution did not finish (violation or error)");
}
BENCHMARK(BM_Scaling)->ArgsProduct({{2, 4, 8}, {8, 32, 128, 1024}, {0, 1}})->ArgNames({"cpus", "messages", "spin_wait"});

// spin: -1 the scenario's own setting (the spin rule is on by default), 0 off. pct: PCT (depth 3,
// the explorer's step estimate) instead of uniform random choices.
static void BM_Executions(benchmark::State& state, const char* scenario, int spin = -1, bool pct = false) {
  auto spec = scenario::load_file(std::string(RELAYSIM_SOURCE_DIR) + "/" + scenario);
  if (spin >= 0) spec.spin_wait = spin != 0;
  auto prepared = model::prepare(spec);
  auto w = prepared.factory();
  sim::Sim s(model::engine_config(spec));
  s.load(*w);
  sim::ExecutionSource sources(pct ? sim::Strategy::Pct : sim::Strategy::Random, 3, pct ? sim::pct_steps_estimate(s) : 1);
  std::uint64_t i = 0, steps = 0;
  for (int warm = 0; warm < 1000; ++warm) s.run(sources.at(1, i++));
  const std::uint64_t allocs0 = g_allocations.load();
  const std::uint64_t i0 = i;
  std::uint64_t passing = 0, passing_allocs = 0;  // executions that ended without a violation
  for (auto _ : state) {
    const std::uint64_t a0 = g_allocations.load(std::memory_order_relaxed);
    auto r = s.run(sources.at(1, i++));
    steps += r.steps;
    if (r.end == sim::ExecResult::End::Finished) {
      ++passing;
      passing_allocs += g_allocations.load(std::memory_order_relaxed) - a0;
    }
  }
  const std::uint64_t n = i - i0;
  state.counters["exec/s"] = benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsRate);
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["allocs/exec"] = static_cast<double>(g_allocations.load() - allocs0) / static_cast<double>(n ? n : 1);
  // A violation's report (its message, the messages it names) is built on the heap; an execution
  // without one allocates nothing once warm.
  state.counters["allocs/passing exec"] = static_cast<double>(passing_allocs) / static_cast<double>(passing ? passing : 1);
  state.counters["violating share"] = static_cast<double>(n - passing) / static_cast<double>(n ? n : 1);
}
BENCHMARK_CAPTURE(BM_Executions, toy_counter, "scenarios/toy/toy_counter.toml");
BENCHMARK_CAPTURE(BM_Executions, mpsc_ring, "scenarios/toy/mpsc_ring.toml");
BENCHMARK_CAPTURE(BM_Executions, irq_counter_locked, "scenarios/toy/irq_counter_locked.toml");
BENCHMARK_CAPTURE(BM_Executions, relay_quickstart, "scenarios/relay/quickstart.toml");
BENCHMARK_CAPTURE(BM_Executions, relay_quickstart_spin_off, "scenarios/relay/quickstart.toml", 0);
BENCHMARK_CAPTURE(BM_Executions, relay_quickstart_pct, "scenarios/relay/quickstart.toml", -1, true);
BENCHMARK_CAPTURE(BM_Executions, bpf_ringbuf_quickstart, "scenarios/bpf_ringbuf/quickstart.toml");
BENCHMARK_CAPTURE(BM_Executions, bpf_relay_map_task_every_cpu, "scenarios/bpf_relay_map/task_every_cpu.toml");
BENCHMARK_CAPTURE(BM_Executions, ftrace_rb_quickstart, "scenarios/ftrace_rb/quickstart.toml");

BENCHMARK_MAIN();
