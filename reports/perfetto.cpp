// reports/perfetto.cpp — see perfetto.h.
#include "reports/perfetto.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "reports/culprit.h"
#include "reports/text_trace.h"

namespace reports {

namespace {

using nlohmann::json;

constexpr int kPid = 1;
// Event i occupies [i * kUnit, (i + 1) * kUnit) ns; JSON ts and dur are in µs.
constexpr std::int64_t kUnit = 1000;
double us(std::int64_t ns) { return static_cast<double>(ns) / 1000.0; }

struct Frame {
  int actor;
  sim::Ctx ctx;
  std::int64_t begin;  // ns
  std::uint64_t step;
  // The function slice open in this frame: consecutive operations in one kernel function.
  std::string fn = {};
  std::int64_t fn_begin = 0, fn_end = 0;
};

// The kernel function an event's text names ("...  relay_switch_subbuf() kernel/relay.c:612",
// as the kernel-source mode describes its steps); empty when it names none.
std::string function_of(const std::string& text) {
  const auto p = text.rfind("  ");
  if (p == std::string::npos) return {};
  const std::string rest = text.substr(p + 2);
  const auto q = rest.find("()");
  if (q == std::string::npos || q == 0 || rest.substr(0, q).find(' ') != std::string::npos) return {};
  return rest.substr(0, q);
}

bool is_position(const std::string& name) {
  for (const char* w : {"offset", "pos", "head", "tail", "produced", "consumed"})
    if (name.find(w) != std::string::npos) return true;
  return false;
}

std::string op_slice_name(const sim::Sim& sim, const sim::TraceEvent& e) {
  if (e.op == sim::Op::Note) return sim.note_text(static_cast<std::uint32_t>(e.extra));
  std::string n(sim::op_name(e.op));
  if (e.object != sim::kNoObject) n += " " + sim.object_name(e.object);
  return n;
}

}  // namespace

json perfetto_trace(const sim::Sim& sim, const sim::ExecResult& r, const std::string& title) {
  const auto& t = sim.trace();
  std::vector<json> ev;
  ev.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", kPid}, {"args", {{"name", title}}}});
  for (int c = 0; c < sim.cpus(); ++c) {
    ev.push_back({{"ph", "M"}, {"name", "thread_name"}, {"pid", kPid}, {"tid", c}, {"args", {{"name", "CPU " + std::to_string(c)}}}});
    ev.push_back({{"ph", "M"}, {"name", "thread_sort_index"}, {"pid", kPid}, {"tid", c}, {"args", {{"sort_index", c}}}});
  }

  // ---- context slices: the per-CPU context stacks replayed from lifecycle events ----
  std::vector<std::vector<Frame>> stacks(static_cast<std::size_t>(sim.cpus()));
  auto close_fn = [&](int cpu, Frame& f) {
    if (f.fn.empty()) return;
    ev.push_back({{"ph", "X"}, {"cat", "function"}, {"name", f.fn}, {"pid", kPid}, {"tid", cpu}, {"ts", us(f.fn_begin)},
                  {"dur", us(f.fn_end - f.fn_begin)}, {"args", {{"actor", sim.actor_name(f.actor)}, {"ctx", sim::ctx_name(f.ctx)}}}});
    f.fn.clear();
  };
  auto close = [&](int cpu, std::int64_t end) {
    Frame f = stacks[cpu].back();
    stacks[cpu].pop_back();
    close_fn(cpu, f);
    ev.push_back({{"ph", "X"}, {"cat", "context"}, {"name", sim.actor_name(f.actor) + " (" + std::string(sim::ctx_name(f.ctx)) + ")"},
                  {"pid", kPid}, {"tid", cpu}, {"ts", us(f.begin)}, {"dur", us(end - f.begin)},
                  {"args", {{"actor", sim.actor_name(f.actor)}, {"ctx", sim::ctx_name(f.ctx)}, {"cpu", cpu}, {"from_step", f.step}}}});
  };
  // Flow ends per event index: (flow id, out?, message).
  struct FlowEnd {
    std::uint64_t id;
    bool out;
    std::uint64_t message;
  };
  std::map<std::size_t, std::vector<FlowEnd>> flows;
  std::uint64_t next_flow = 1;
  struct Byte {
    std::uint64_t message = 0;
    std::size_t writer = 0;
    bool unread = false;
  };
  std::map<std::uint32_t, std::vector<Byte>> bytes;  // per buffer object
  std::map<std::uint32_t, std::uint64_t> fill;
  std::vector<std::size_t> op_event(t.size(), SIZE_MAX);  // index in ev of each event's op slice

  for (std::size_t i = 0; i < t.size(); ++i) {
    const sim::TraceEvent& e = t[i];
    if (e.cpu < 0 || e.cpu >= sim.cpus()) continue;
    const int cpu = e.cpu, actor = static_cast<int>(e.actor);
    const std::int64_t at = static_cast<std::int64_t>(i) * kUnit;
    auto& st = stacks[cpu];
    if (e.op == sim::Op::Fire) {
      st.push_back({actor, e.ctx, at, e.step});
      continue;
    }
    auto pos = std::find_if(st.begin(), st.end(), [&](const Frame& f) { return f.actor == actor; });
    if (pos != st.end()) {
      while (st.back().actor != actor) close(cpu, at);  // frames above it ended unrecorded
    } else {
      // A task switched in (the CPU may switch tasks only with no interrupt frame), or a context
      // whose start was not recorded.
      if (e.ctx == sim::Ctx::Task)
        while (!st.empty()) close(cpu, at);
      st.push_back({actor, e.ctx, at, e.step});
    }
    if (e.op == sim::Op::Start) continue;
    if (e.op == sim::Op::Finish) {
      close(cpu, at + kUnit);
      continue;
    }
    const std::string text = describe_event(sim, e);
    {
      Frame& f = st.back();
      const std::string fn = function_of(text);
      if (fn != f.fn) {
        close_fn(cpu, f);
        f.fn = fn;
        f.fn_begin = at;
      }
      f.fn_end = at + kUnit;
    }
    op_event[i] = ev.size();
    ev.push_back({{"ph", "X"}, {"cat", "op"}, {"name", op_slice_name(sim, e)}, {"pid", kPid}, {"tid", cpu}, {"ts", us(at)},
                  {"dur", us(kUnit)},
                  {"args", {{"step", e.step}, {"actor", sim.actor_name(actor)}, {"ctx", sim::ctx_name(e.ctx)}, {"cpu", cpu},
                            {"event", text}}}});

    // ---- message bytes: flows and fill ----
    if (const auto copy = as_copy(sim, e)) {
      const bool in = copy->in;
      const std::uint64_t len = copy->len, tag = copy->tag;
      auto& b = bytes[e.object];
      if (b.size() < e.value + len) b.resize(e.value + len);
      std::uint64_t& f = fill[e.object];
      std::vector<std::pair<std::uint64_t, std::size_t>> read;  // (message, writer event), distinct
      for (std::uint64_t k = e.value; k < e.value + len; ++k) {
        Byte& by = b[k];
        if (by.unread) --f;
        if (in) {
          by = {tag, i, tag != 0};
        } else {
          if (by.message && std::find(read.begin(), read.end(), std::pair{by.message, by.writer}) == read.end())
            read.push_back({by.message, by.writer});
          by.unread = false;
        }
        if (by.unread) ++f;
      }
      for (auto& [m, w] : read) {
        flows[w].push_back({next_flow, true, m});
        flows[i].push_back({next_flow, false, m});
        ++next_flow;
      }
      ev.push_back({{"ph", "C"}, {"name", "fill " + sim.object_name(e.object)}, {"pid", kPid}, {"ts", us(at)},
                    {"args", {{"bytes", f}}}});
    }
    if ((e.op == sim::Op::Store || e.op == sim::Op::Xchg || e.op == sim::Op::CasOk || e.op == sim::Op::FetchAdd ||
         e.op == sim::Op::FetchOr || e.op == sim::Op::FetchAnd) &&
        e.object != sim::kNoObject && is_position(sim.object_name(e.object)))
      ev.push_back({{"ph", "C"}, {"name", sim.object_name(e.object)}, {"pid", kPid}, {"ts", us(at)},
                    {"args", {{"value", e.value}}}});
  }
  const std::int64_t end = static_cast<std::int64_t>(t.size()) * kUnit;
  for (int c = 0; c < sim.cpus(); ++c)
    while (!stacks[c].empty()) close(c, end + kUnit);

  // Flow ends: child slices of the copies, one per flow.
  for (auto& [i, ends] : flows) {
    const int tid = ev[op_event[i]]["tid"].get<int>();  // (ev grows below: no reference into it)
    const std::int64_t at = static_cast<std::int64_t>(i) * kUnit, w = kUnit / static_cast<std::int64_t>(ends.size());
    for (std::size_t j = 0; j < ends.size(); ++j) {
      json x = {{"ph", "X"}, {"cat", "flow"}, {"name", "msg " + std::to_string(ends[j].message)}, {"pid", kPid},
                {"tid", tid}, {"ts", us(at + static_cast<std::int64_t>(j) * w)}, {"dur", us(w)},
                {"bind_id", ends[j].id}, {"args", {{"message", ends[j].message}, {"step", t[i].step}}}};
      x[ends[j].out ? "flow_out" : "flow_in"] = true;
      ev.push_back(std::move(x));
    }
  }

  // Instants: the violation and the accesses behind it.
  if (r.violation) {
    const sim::Violation& v = *r.violation;
    std::string text = describe_violation(sim, v);
    json i = {{"ph", "i"}, {"cat", "violation"}, {"name", "VIOLATION " + std::string(sim::property_name(v.property))},
              {"pid", kPid}, {"ts", us(end)}, {"args", {{"step", v.step}, {"verdict", text}}}};
    if (v.cpu >= 0 && v.cpu < sim.cpus()) {
      i["tid"] = v.cpu;
      i["s"] = "t";
    } else {
      i["s"] = "g";
    }
    ev.push_back(std::move(i));
    if (auto c = find_culprit(sim, v))
      for (const Access& a : c->accesses)
        ev.push_back({{"ph", "i"}, {"cat", "violation"}, {"name", a.role + ": msg " + std::to_string(a.message)},
                      {"pid", kPid}, {"tid", a.cpu}, {"s", "t"}, {"ts", us(static_cast<std::int64_t>(a.event) * kUnit)},
                      {"args", {{"step", a.step}, {"actor", sim.actor_name(a.actor)}, {"event", a.text}, {"verdict", c->summary}}}});
  }

  // Metadata first, then by time, enclosing slices before the slices they contain.
  // Equal spans (a one-event context and its operation): the outer kind first.
  auto rank = [](const json& e) {
    if (!e.contains("cat")) return 4;
    return e["cat"] == "context" ? 0 : e["cat"] == "function" ? 1 : e["cat"] == "op" ? 2 : 3;
  };
  std::stable_sort(ev.begin(), ev.end(), [&](const json& a, const json& b) {
    const bool ma = a["ph"] == "M", mb = b["ph"] == "M";
    if (ma != mb) return ma;
    if (ma) return false;
    const double ta = a["ts"].get<double>(), tb = b["ts"].get<double>();
    if (ta != tb) return ta < tb;
    const double da = a.contains("dur") ? a["dur"].get<double>() : -1, db = b.contains("dur") ? b["dur"].get<double>() : -1;
    if (da != db) return da > db;
    return rank(a) < rank(b);
  });
  json out;
  out["traceEvents"] = std::move(ev);
  out["displayTimeUnit"] = "ns";
  out["otherData"] = {{"title", title}, {"steps", r.steps}, {"trace_hash", [&] {
                        std::ostringstream h;
                        h << "0x" << std::hex << r.trace_hash;
                        return h.str();
                      }()}};
  return out;
}

std::string render_perfetto(const sim::Sim& sim, const sim::ExecResult& r, const std::string& title) {
  json j = perfetto_trace(sim, r, title);
  std::string s = "{\"traceEvents\": [\n";
  const auto& ev = j["traceEvents"];
  for (std::size_t i = 0; i < ev.size(); ++i) s += ev[i].dump() + (i + 1 < ev.size() ? ",\n" : "\n");
  s += "],\n\"displayTimeUnit\": \"ns\",\n\"otherData\": " + j["otherData"].dump() + "}\n";
  return s;
}

}  // namespace reports
