// reports/text_trace.cpp — see text_trace.h.
#include "reports/text_trace.h"

#include "reports/culprit.h"

#include <cstdio>
#include <sstream>

namespace reports {

namespace {

std::string flags_of(const sim::TraceEvent& e) {
  std::string f(4, '.');
  if (e.cpu < 0) return "....";
  f[0] = (e.flags & 1) ? 'd' : '.';
  f[2] = e.ctx == sim::Ctx::Nmi ? 'z' : e.ctx == sim::Ctx::Hardirq ? 'h' : e.ctx == sim::Ctx::Softirq ? 's' : '.';
  int depth = e.flags >> 4;
  f[3] = depth ? "0123456789abcdef"[depth] : '.';
  return f;
}

const char* mo_name(sim::Mo mo) {
  switch (mo) {
    case sim::Mo::Relaxed: return "relaxed";
    case sim::Mo::Acquire: return "acquire";
    case sim::Mo::Release: return "release";
    case sim::Mo::AcqRel: return "acq_rel";
    case sim::Mo::SeqCst: return "seq_cst";
  }
  return "?";
}

std::string line(const sim::Sim& sim, const sim::TraceEvent& e) {
  std::string who = e.cpu < 0 ? std::string("<driver>") : sim.actor_name(static_cast<int>(e.actor)) + "-" + std::to_string(e.actor);
  char head[96];
  std::snprintf(head, sizeof head, "%20s [%03d] %s %8llu: ", who.c_str(), e.cpu < 0 ? 0 : e.cpu, flags_of(e).c_str(),
                static_cast<unsigned long long>(e.step));
  return head + describe_event(sim, e);
}

}  // namespace

std::string describe_event(const sim::Sim& sim, const sim::TraceEvent& e) {
  using sim::Op;
  if (e.object != sim::kNoObject)
    if (const sim::SimObject* o = sim.object(e.object))
      if (std::string own = o->describe(e); !own.empty()) return own;
  std::ostringstream out;
  auto obj = [&] { return e.object == sim::kNoObject ? std::string("?") : sim.object_name(e.object); };
  switch (e.op) {
    case Op::Start: out << "start (" << sim::ctx_name(e.ctx) << ")"; break;
    case Op::Finish: out << "finish"; break;
    case Op::Fire: out << "irq fires: " << sim.actor_name(static_cast<int>(e.actor)) << " (" << sim::ctx_name(e.ctx) << ")"; break;
    case Op::Load: out << "load " << obj() << " -> " << e.value << " (" << mo_name(e.mo) << ")"; break;
    case Op::Store: out << "store " << obj() << " = " << e.value << " (" << mo_name(e.mo) << ")"; break;
    case Op::Xchg: out << "xchg " << obj() << " = " << e.value << ", was " << e.extra; break;
    case Op::CasOk: out << "cmpxchg " << obj() << " " << e.extra << " -> " << e.value; break;
    case Op::CasFail: out << "cmpxchg " << obj() << " failed, is " << e.value; break;
    case Op::FetchAdd: out << "fetch_add " << obj() << " " << e.extra << " -> " << e.value; break;
    case Op::FetchOr: out << "fetch_or " << obj() << " " << e.extra << " -> " << e.value; break;
    case Op::FetchAnd: out << "fetch_and " << obj() << " " << e.extra << " -> " << e.value; break;
    case Op::Lock: out << "spin_lock " << obj(); break;
    case Op::LockBlocked: out << "spin_lock " << obj() << " spins (held by " << sim.actor_name(static_cast<int>(e.value)) << ")"; break;
    case Op::TryLockFail: out << "spin_trylock " << obj() << " fails"; break;
    case Op::Unlock: out << "spin_unlock " << obj(); break;
    case Op::Yield: out << "cpu_relax (yield)"; break;
    case Op::CopyIn: {
      std::uint64_t tag = e.extra >> 24;
      out << "copy " << (e.extra & 0xffffff) << " bytes into " << obj() << "+" << e.value;
      if (tag) out << " (msg " << tag << ")";
      break;
    }
    case Op::CopyOut: out << "copy " << e.extra << " bytes out of " << obj() << "+" << e.value; break;
    case Op::Wait: out << "sleeps on " << obj(); break;
    case Op::Wake: out << "wake_up " << obj() << " (" << e.value << " woken)"; break;
    case Op::Note: out << sim.note_text(static_cast<std::uint32_t>(e.extra)) << " " << e.value; break;
    case Op::StaleRead: out << sim.note_text(static_cast<std::uint32_t>(e.extra)); break;
    case Op::Fence: out << sim::fence_name(static_cast<sim::Fence>(e.value)); break;
    case Op::kCount: break;
  }
  return out.str();
}

std::string describe_violation(const sim::Sim& sim, const sim::Violation& v) {
  std::ostringstream out;
  out << "VIOLATION " << sim::property_name(v.property) << " at step " << v.step;
  if (v.actor >= 0)
    out << " in " << sim.actor_name(v.actor) << " (" << sim::ctx_name(v.ctx) << " on CPU " << v.cpu << ")";
  else
    out << " (end-of-execution check)";
  out << ": " << v.message;
  if (!v.messages.empty()) {
    out << " [messages";
    for (auto m : v.messages) out << " " << m;
    out << "]";
  }
  return out.str();
}

std::string render_text_trace(const sim::Sim& sim, const sim::ExecResult& r) {
  std::ostringstream out;
  out << "# tracer: relaysim\n#\n"
      << "#                               _-----=> irqs-off\n"
      << "#                              / _----=> need-resched\n"
      << "#                             | / _---=> hardirq/softirq/nmi\n"
      << "#                             || / _--=> preempt-depth\n"
      << "#                             |||| \n"
      << "#           TASK-PID    CPU#  ||||     STEP  EVENT\n";
  const auto& t = sim.trace();
  for (const auto& e : t) out << line(sim, e) << "\n";
  for (int cpu = 0; cpu < sim.cpus(); ++cpu) {
    out << "#\n# ---- CPU " << cpu << " ----\n";
    for (const auto& e : t)
      if (e.cpu == cpu) out << line(sim, e) << "\n";
  }
  out << "#\n# steps " << r.steps << ", choices " << r.choices << ", preemptions " << r.preemptions << ", interrupts "
      << r.interrupts << ", trace hash " << std::hex << "0x" << r.trace_hash << std::dec << "\n";
  if (r.violation) {
    out << "# " << describe_violation(sim, *r.violation) << "\n";
    if (auto c = find_culprit(sim, *r.violation)) {
      out << "# accesses: " << c->summary << "\n";
      for (const Access& a : c->accesses) out << "#   " << a.role << ": step " << a.step << ": " << a.text << "\n";
    }
  }
  else if (r.infeasible) out << "# infeasible: a load-buffering promise was broken or never fulfilled (lkmm); not an outcome\n";
  else if (r.end == sim::ExecResult::End::Finished) out << "# every actor finished; no violation\n";
  return out.str();
}

}  // namespace reports
