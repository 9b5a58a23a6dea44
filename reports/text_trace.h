// reports/text_trace.h — the kernel-style text trace of one recorded execution.
//
// Layout follows ftrace's latency format so that kernel developers read it without a legend:
// TASK-PID (actor name and id), [CPU#], a flags column (irqs-off 'd'; need-resched '.';
// 'z' NMI / 'h' hardirq / 's' softirq / '.' task; preempt depth), the step as timestamp, the
// event. The global interleaving comes first, then one lane per CPU (Relacy's habit: the whole
// history, then a projection per thread), then the verdict.
#pragma once

#include <string>

#include "sim/sim.h"

namespace reports {

std::string describe_event(const sim::Sim& sim, const sim::TraceEvent& e);
std::string render_text_trace(const sim::Sim& sim, const sim::ExecResult& result);
std::string describe_violation(const sim::Sim& sim, const sim::Violation& v);

}  // namespace reports
