// reports/culprit.h — KCSAN-style verdicts: the accesses that made a violation.
//
// A checker fires where it sees the damage (the ledger, at a read or at the end), which can be
// long after the damage was done. From the recorded trace this finds the accesses themselves:
//   - no-corruption: the copy that placed one of the violation's messages over bytes another of
//     its messages still held (the later write is the damage, the earlier one the other access);
//   - any other violation naming messages: the last copy that wrote each message.
// Each access says who (actor), where (CPU, context), when (step) and what (the trace text), as
// KCSAN names both sides of a race. Nothing is found for violations without message ids.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/sim.h"

namespace reports {

/// A copy into or out of a sim::ByteBuffer, decoded from its trace event (the kernel-source
/// mode's memory records copies with its own encoding and no ghost tags: not a Copy).
struct Copy {
  bool in = false;
  std::uint64_t at = 0, len = 0;
  std::uint64_t tag = 0;  // CopyIn: the ledger id written (0: untagged, e.g. a memset)
};
std::optional<Copy> as_copy(const sim::Sim& sim, const sim::TraceEvent& e);

struct Access {
  std::size_t event = 0;  // index in sim.trace()
  std::uint64_t step = 0;
  int actor = -1;
  int cpu = -1;
  sim::Ctx ctx = sim::Ctx::Task;
  std::uint64_t message = 0;  // the ledger id the access wrote
  std::string role;           // "damage", "overwritten", "write"
  std::string text;           // describe_event()
};

struct Culprit {
  std::vector<Access> accesses;  // the damaging access first
  std::string summary;           // one line: "message 1 written by writer0 (task, CPU 0) at step 17 ..."
};

/// The accesses behind `v` in the execution `sim` last recorded; nullopt when none are known.
std::optional<Culprit> find_culprit(const sim::Sim& sim, const sim::Violation& v);

}  // namespace reports
