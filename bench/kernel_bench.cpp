// bench/kernel_bench.cpp — the kernel-source mode's cost, side by side with the model in one run:
//   BM_Source/<scenario>/<model|kernel>  executions/s, steps/s and ns per step of a bundled
//                                        scenario from each source (kernel: the kernel's own file
//                                        under the TSan hooks, every access a step)
//   (ftrace_rb: nested_nmi_hardirq.toml, ring_buffer.c against the model)
// The ratio of the two ns/step figures is the cost of an instrumented access against a model step
// (issue 11's target: at most 2x). Part of build/release/relaysim_bench.
#include <benchmark/benchmark.h>

#include <string>

#include "model/registry.h"
#include "sim/explorer.h"

static void BM_Source(benchmark::State& state, const char* scenario, const char* source) {
  auto spec = scenario::load_file(std::string(RELAYSIM_SOURCE_DIR) + "/" + scenario);
  model::SourceOptions so;
  so.source = source;
  auto prepared = model::prepare(spec, "", so);
  auto w = prepared.factory();
  sim::Sim s(model::engine_config(spec));
  s.load(*w);
  sim::ExecutionSource sources(sim::Strategy::Random, 3, 1);
  std::uint64_t i = 0, steps = 0;
  for (int warm = 0; warm < 200; ++warm) s.run(sources.at(1, i++));
  const std::uint64_t i0 = i;
  for (auto _ : state) steps += s.run(sources.at(1, i++)).steps;
  const double n = static_cast<double>(i - i0);
  state.counters["exec/s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["steps/s"] = benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate);
  state.counters["ns/step"] =
      benchmark::Counter(static_cast<double>(steps), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["steps/exec"] = static_cast<double>(steps) / (n > 0 ? n : 1);
}
BENCHMARK_CAPTURE(BM_Source, relay_quickstart_model, "scenarios/relay/quickstart.toml", "model");
BENCHMARK_CAPTURE(BM_Source, relay_quickstart_kernel, "scenarios/relay/quickstart.toml", "kernel");
BENCHMARK_CAPTURE(BM_Source, bpf_ringbuf_quickstart_model, "scenarios/bpf_ringbuf/quickstart.toml", "model");
BENCHMARK_CAPTURE(BM_Source, bpf_ringbuf_quickstart_kernel, "scenarios/bpf_ringbuf/quickstart.toml", "kernel");
BENCHMARK_CAPTURE(BM_Source, perf_buf_quickstart_model, "scenarios/perf_buf/quickstart.toml", "model");
BENCHMARK_CAPTURE(BM_Source, perf_buf_quickstart_kernel, "scenarios/perf_buf/quickstart.toml", "kernel");
BENCHMARK_CAPTURE(BM_Source, perf_buf_every_context_model, "scenarios/perf_buf/bpf_output_every_context.toml", "model");
BENCHMARK_CAPTURE(BM_Source, perf_buf_every_context_kernel, "scenarios/perf_buf/bpf_output_every_context.toml", "kernel");
// The tracing ring buffer (kernel/trace/ring_buffer.c): nested task/hardirq/NMI writers and a live
// consuming reader, a scenario that ends the same in both sources (quickstart.toml reaches a
// candidate race on the model, which ends its executions early).
BENCHMARK_CAPTURE(BM_Source, ftrace_rb_nested_nmi_hardirq_model, "scenarios/ftrace_rb/nested_nmi_hardirq.toml", "model");
BENCHMARK_CAPTURE(BM_Source, ftrace_rb_nested_nmi_hardirq_kernel, "scenarios/ftrace_rb/nested_nmi_hardirq.toml", "kernel");
