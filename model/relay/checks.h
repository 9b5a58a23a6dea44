// model/relay/checks.h — what every workload that drives a relay channel shares (relay scenarios,
// the BPF relay map): the [[reader]] sections of a scenario, and the end-of-execution checks.
//   [[reader]] kind = "read" | "mmap", buffer (default: one reader per buffer), cpu, count (bytes
//              per read()), wait = "spin" | "poll", start = "live" | "after-stop".
//   counters: relay.md's invariants — consumed <= produced; in no-overwrite mode produced -
//             consumed <= n_subbufs; offset <= subbuf_size or exactly subbuf_size + 1 (refused);
//             padding[i] <= subbuf_size.
//   padding:  recorded padding equals the unused tail of each finished sub-buffer: no accepted
//             message of a finished sub-buffer (still in its slot) lies inside it.
// Each reports the first violation through sim::Sim::report and returns false after one.
#pragma once

#include <vector>

#include "model/relay/relay.h"
#include "properties/ledger.h"
#include "scenarios/spec.h"

namespace model::relay {

struct ReaderSpec {
  std::string kind = "read";  // read() or the mmap consumer
  int buffer = 0;
  int cpu = 0;
  std::uint64_t count = 4096;  // bytes per read()
  bool poll = false;           // block in poll() rather than spin
  bool after_stop = false;     // start reading only once tracing has stopped (flushed)
};
/// The [[reader]] tables of a scenario; a reader without `buffer` stands for one per buffer.
std::vector<ReaderSpec> parse_readers(scenario::TableReader& root, const std::string& file, int cpus, int buffers);

bool check_channel_invariants(sim::Sim& sim, const ChannelApi& channel, bool overwrite);
bool check_recorded_padding(sim::Sim& sim, const ChannelApi& channel, const properties::Ledger& ledger);

}  // namespace model::relay
