// reports/perfetto.h — one recorded execution as Chrome / Perfetto trace JSON.
//
// Format (../shared/TOOLCHAIN.md): {"traceEvents": [...], "displayTimeUnit": "ns"}. Layout:
//   - pid 1 is the simulation; tid = CPU, named "CPU n" by a thread_name metadata event.
//   - Time is the trace's event order: the i-th recorded event occupies [i, i+1) µs, so that
//     several events in one engine step keep their order; every slice carries its step in args.
//   - Context slices (ph "X", cat "context"): a task's run on its CPU from its first event (or the
//     event that switched it in) to its finish (or the switch away); an interrupt handler from its
//     "fires" event to its finish, inside the slice it interrupted. They nest strictly:
//     task → softirq → hardirq → NMI, as the CPU's context stack does.
//   - Function slices (cat "function"), between a context and its operations: consecutive
//     operations of one context in one kernel function, where the event text names it (the
//     kernel-source mode's steps); an interrupt taken inside the function nests inside it.
//   - Operation slices (cat "op"): one per access, inside its context slice, named by the
//     operation and object ("store buf0->offset", "copy_in buf0.start"), args with the full text.
//   - Flows (bind_id, flow_out / flow_in on "X" events, cat "flow"): from the last copy that wrote
//     a message's bytes to each copy that read them out (ByteBuffer tags, tracked per byte here).
//     Each flow end is a child slice "msg N" of the copy, so one copy can carry several flows.
//   - Counters (ph "C"): per buffer, the bytes holding a message not yet copied out ("fill"); and
//     each shared word whose name says it is a position (offset, pos, head, tail, produced,
//     consumed) at every write.
//   - Instants (ph "i"): the violation, on its CPU (global when found by an end-of-execution
//     check), and the culprit accesses reports/culprit.h finds.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sim/sim.h"

namespace reports {

/// The trace JSON of the execution `sim` last recorded (RunOptions::record), which ended in `r`.
/// `title` names the process (e.g. the scenario and variant).
nlohmann::json perfetto_trace(const sim::Sim& sim, const sim::ExecResult& r, const std::string& title);
/// The same, serialised (one event per line, so that diffs of golden files stay readable).
std::string render_perfetto(const sim::Sim& sim, const sim::ExecResult& r, const std::string& title);

}  // namespace reports
