// fuzz/exec_fuzz.cpp — libFuzzer target: any bytes as an exec operations file for one model
// (compiled once per model with RELAYSIM_EXEC_MODEL = relay, bpf_ringbuf, bpf_relay_map,
// ftrace_rb or perf_buf). The bytes go through what `relaysim exec --model M FILE` does: the streaming scan
// (cli/exec_stream.h), the model's checks of every op, the sequential run and the printed result.
// Bad input must end as a UsageError or ScenarioError naming the file; anything else escaping or
// any sanitizer report is a finding. Seeds: scenarios/<model>/exec/*.json and fuzz/corpus/exec/.
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <streambuf>
#include <string>

#include "cli/common.h"
#include "cli/exec_stream.h"
#include "model/bpf_relay_map/exec.h"
#include "model/bpf_ringbuf/exec.h"
#include "model/ftrace_rb/exec.h"
#include "model/perf_buf/exec.h"
#include "model/relay/exec.h"
#include "scenarios/spec.h"

namespace {

#define RELAYSIM_EXEC_FN_relay model::relay::relay_exec_stream
#define RELAYSIM_EXEC_FN_bpf_ringbuf model::bpf_ringbuf::ringbuf_exec_stream
#define RELAYSIM_EXEC_FN_bpf_relay_map model::bpf_relay_map::relay_map_exec_stream
#define RELAYSIM_EXEC_FN_ftrace_rb model::ftrace_rb::ftrace_rb_exec_stream
#define RELAYSIM_EXEC_FN_perf_buf model::perf_buf::perf_exec_stream
#define RELAYSIM_CAT(a, b) a##b
#define RELAYSIM_EXEC_FN(m) RELAYSIM_CAT(RELAYSIM_EXEC_FN_, m)

struct NullBuf : std::streambuf {
  int overflow(int c) override { return c; }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static NullBuf null_buf;
  std::ostream null_out(&null_buf);
  try {
    cli::ExecFile ops(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
    cli::ExecPrinter printer(null_out);
    RELAYSIM_EXEC_FN(RELAYSIM_EXEC_MODEL)(ops.top(), ops, "fuzz.json", printer);
  } catch (const cli::UsageError& e) {
    if (std::string(e.what()).rfind("fuzz.json", 0) != 0) __builtin_trap();
  } catch (const scenario::ScenarioError& e) {
    if (std::string(e.what()).rfind("fuzz.json", 0) != 0) __builtin_trap();
  }
  return 0;
}
