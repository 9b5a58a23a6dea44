// reports/html.cpp — see html.h.
#include "reports/html.h"

#include <nlohmann/json.hpp>

#include <map>

#include "reports/culprit.h"
#include "reports/perfetto.h"
#include "reports/text_trace.h"

namespace reports {

namespace {

std::string escape_html(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

constexpr const char* kStyle = R"CSS(
body { font: 14px/1.4 system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; margin: 0 0 8px; }
.verdict { padding: 8px 12px; border-radius: 4px; font-weight: 600; }
.verdict.bad { background: #fde2e1; border: 1px solid #e0524c; }
.verdict.good { background: #e3f6e3; border: 1px solid #4caf50; }
.culprit { margin: 6px 0; padding: 6px 12px; background: #fff6d6; border-left: 4px solid #e0a800; }
pre { background: #f4f4f4; padding: 6px 10px; overflow-x: auto; }
.lane { position: relative; border-top: 1px solid #ccc; margin: 0 0 4px 70px; }
.lane-label { position: absolute; left: -70px; top: 2px; font-weight: 600; }
.slice { position: absolute; height: 16px; overflow: hidden; white-space: nowrap; font-size: 11px;
         border: 1px solid rgba(0,0,0,.35); box-sizing: border-box; padding-left: 2px; }
.ctx-task { background: #9ecae1; } .ctx-softirq { background: #a1d99b; }
.ctx-hardirq { background: #fdae6b; } .ctx-nmi { background: #fb6a4a; }
.mark { position: absolute; width: 2px; background: #d00; }
.cursor { position: absolute; top: 0; bottom: 0; width: 1px; background: #000; }
#controls { margin: 10px 0; } #step { width: 60%; vertical-align: middle; }
.buffer { margin: 6px 0; } .bytes { display: flex; flex-wrap: wrap; max-width: 1040px; }
.byte { width: 15px; height: 15px; border: 1px solid #fff; box-sizing: border-box; background: #eee; }
.byte.read { opacity: .35; } .legend span { margin-right: 10px; }
table.pos td { padding: 0 8px; font-family: monospace; }
)CSS";

constexpr const char* kScript = R"JS(
(function () {
  const d = JSON.parse(document.getElementById('data').textContent);
  const n = Math.max(1, d.events.length);
  const colour = m => 'hsl(' + ((m * 137) % 360) + ',70%,55%)';
  const timeline = document.getElementById('timeline');
  const lanes = [];
  for (let c = 0; c < d.cpus; ++c) {
    const lane = document.createElement('div');
    lane.className = 'lane'; lane.id = 'lane-cpu' + c; lane.dataset.cpu = c;
    const label = document.createElement('div');
    label.className = 'lane-label'; label.textContent = 'CPU ' + c;
    lane.appendChild(label);
    const mine = d.contexts.filter(s => s.cpu === c);
    let depth = 1;
    for (const s of mine) {
      const el = document.createElement('div');
      el.className = 'slice ctx-' + s.ctx; el.dataset.ctx = s.ctx; el.dataset.depth = s.depth;
      el.style.left = (100 * s.b / (n + 1)) + '%';
      el.style.width = Math.max(0.2, 100 * (s.e - s.b) / (n + 1)) + '%';
      el.style.top = (2 + 18 * s.depth) + 'px';
      el.textContent = s.name; el.title = s.name + ' from step ' + s.step;
      lane.appendChild(el);
      depth = Math.max(depth, s.depth + 1);
    }
    for (const m of d.marks.filter(m => m.cpu === c)) {
      const el = document.createElement('div');
      el.className = 'mark'; el.style.left = (100 * m.i / (n + 1)) + '%';
      el.style.top = '0px'; el.style.height = (4 + 18 * depth) + 'px'; el.title = m.text;
      lane.appendChild(el);
    }
    const cur = document.createElement('div');
    cur.className = 'cursor'; lane.appendChild(cur);
    lane.style.height = (4 + 18 * depth) + 'px';
    timeline.appendChild(lane);
    lanes.push(cur);
  }
  const slider = document.getElementById('step');
  slider.max = d.events.length - 1; slider.value = d.focus;
  const bufs = document.getElementById('buffers');
  function draw(k) {
    const e = d.events[k] || {step: 0, text: '', cpu: 0, actor: ''};
    document.getElementById('now').textContent = 'event ' + k + ', step ' + e.step + ' — CPU ' + e.cpu + ' ' + e.actor +
        ' (' + e.ctx + '): ' + e.text;
    for (const cur of lanes) cur.style.left = (100 * (k + 0.5) / (n + 1)) + '%';
    const state = {};
    for (const b of d.buffers) state[b.name] = {size: b.size, tag: new Array(b.size).fill(0), read: new Array(b.size).fill(false)};
    const pos = {};
    for (const c of d.copies) {
      if (c.i > k) break;
      const s = state[c.obj];
      for (let x = c.at; x < c.at + c.len; ++x) {
        if (c.in) { s.tag[x] = c.tag; s.read[x] = false; } else { s.read[x] = true; }
      }
    }
    for (const p of d.positions) { if (p.i > k) break; pos[p.name] = p.value; }
    bufs.textContent = '';
    for (const b of d.buffers) {
      const box = document.createElement('div'); box.className = 'buffer'; box.dataset.buffer = b.name;
      const h = document.createElement('div'); h.textContent = b.name + ' (' + b.size + ' bytes)'; box.appendChild(h);
      const row = document.createElement('div'); row.className = 'bytes';
      const s = state[b.name]; const seen = new Set();
      for (let x = 0; x < b.size; ++x) {
        const cell = document.createElement('div');
        cell.className = 'byte' + (s.read[x] ? ' read' : '');
        if (s.tag[x]) { cell.style.background = colour(s.tag[x]); seen.add(s.tag[x]); cell.title = 'byte ' + x + ': msg ' + s.tag[x]; }
        else cell.title = 'byte ' + x;
        row.appendChild(cell);
      }
      box.appendChild(row);
      const legend = document.createElement('div'); legend.className = 'legend';
      for (const m of [...seen].sort((a, b) => a - b)) {
        const sp = document.createElement('span'); sp.style.color = colour(m); sp.textContent = '■ msg ' + m; legend.appendChild(sp);
      }
      box.appendChild(legend);
      bufs.appendChild(box);
    }
    const t = document.createElement('table'); t.className = 'pos'; t.id = 'positions';
    for (const name of Object.keys(pos).sort()) {
      const r = t.insertRow(); r.insertCell().textContent = name; r.insertCell().textContent = pos[name];
    }
    bufs.appendChild(t);
  }
  slider.addEventListener('input', () => draw(Number(slider.value)));
  draw(d.focus);
  document.body.dataset.rendered = 'ok';
})();
)JS";

}  // namespace

std::string escape_script_json(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') {
      o += "<\\/";
      ++i;
    } else {
      o += s[i];
    }
  }
  return o;
}

std::string render_html(const sim::Sim& sim, const sim::ExecResult& r, const HtmlInfo& info) {
  using nlohmann::json;
  const auto& t = sim.trace();
  json d;
  d["cpus"] = sim.cpus();
  json events = json::array(), copies = json::array(), positions = json::array(), buffers = json::array();
  std::map<std::string, std::uint64_t> sizes;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const auto& e = t[i];
    events.push_back({{"step", e.step}, {"cpu", e.cpu}, {"ctx", sim::ctx_name(e.ctx)},
                      {"actor", e.cpu < 0 ? std::string("<driver>") : sim.actor_name(static_cast<int>(e.actor))},
                      {"text", describe_event(sim, e)}});
    if (const auto copy = as_copy(sim, e)) {
      const bool in = copy->in;
      const std::uint64_t len = copy->len;
      const std::string& name = sim.object_name(e.object);
      copies.push_back({{"i", i}, {"obj", name}, {"at", e.value}, {"len", len}, {"tag", copy->tag}, {"in", in}});
      sizes[name] = std::max(sizes[name], e.value + len);
    }
    if ((e.op == sim::Op::Store || e.op == sim::Op::Xchg || e.op == sim::Op::CasOk || e.op == sim::Op::FetchAdd) &&
        e.object != sim::kNoObject) {
      const std::string& name = sim.object_name(e.object);
      for (const char* w : {"offset", "pos", "head", "tail", "produced", "consumed"})
        if (name.find(w) != std::string::npos) {
          positions.push_back({{"i", i}, {"name", name}, {"value", e.value}});
          break;
        }
    }
  }
  for (auto& [name, size] : sizes) buffers.push_back({{"name", name}, {"size", size}});
  // Context slices from the Perfetto writer, with their nesting depth per CPU.
  json contexts = json::array();
  {
    json p = perfetto_trace(sim, r, info.title);
    std::vector<std::vector<std::pair<double, double>>> open(static_cast<std::size_t>(sim.cpus()));
    for (const auto& e : p["traceEvents"]) {
      if (e["ph"] != "X" || e["cat"] != "context") continue;
      const int cpu = e["tid"].get<int>();
      const double b = e["ts"].get<double>(), en = b + e["dur"].get<double>();
      auto& st = open[cpu];
      while (!st.empty() && st.back().second <= b) st.pop_back();
      contexts.push_back({{"cpu", cpu}, {"ctx", e["args"]["ctx"]}, {"name", e["name"]}, {"b", b}, {"e", en},
                          {"depth", st.size()}, {"step", e["args"]["from_step"]}});
      st.push_back({b, en});
    }
  }
  std::string verdict, culprit_text;
  json marks = json::array();
  std::size_t focus = t.empty() ? 0 : t.size() - 1;
  if (r.violation) {
    verdict = describe_violation(sim, *r.violation);
    if (auto c = find_culprit(sim, *r.violation)) {
      culprit_text = c->summary;
      for (const Access& a : c->accesses)
        marks.push_back({{"i", a.event}, {"cpu", a.cpu}, {"text", a.role + ": " + a.text + " (step " + std::to_string(a.step) + ")"}});
      focus = c->accesses.front().event;
    }
  } else {
    verdict = r.infeasible ? "infeasible: a load-buffering promise was broken or never fulfilled (lkmm); not an outcome"
              : r.end == sim::ExecResult::End::Finished ? "every actor finished; no violation"
                                                        : "the execution did not finish";
  }
  d["events"] = std::move(events);
  d["copies"] = std::move(copies);
  d["positions"] = std::move(positions);
  d["buffers"] = std::move(buffers);
  d["contexts"] = std::move(contexts);
  d["marks"] = std::move(marks);
  d["focus"] = focus;

  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>relaysim: " + escape_html(info.title) +
       "</title>\n<style>" + kStyle + "</style></head>\n<body>\n";
  h += "<h1>relaysim: " + escape_html(info.title) + "</h1>\n";
  h += std::string("<div id=\"verdict\" class=\"verdict ") + (r.violation ? "bad" : "good") + "\">" + escape_html(verdict) +
       "</div>\n";
  if (!culprit_text.empty()) h += "<div id=\"culprit\" class=\"culprit\">" + escape_html(culprit_text) + "</div>\n";
  h += "<p>steps " + std::to_string(r.steps) + ", " + std::to_string(t.size()) + " events, " + std::to_string(sim.cpus()) +
       " CPUs</p>\n";
  if (!info.replay.empty()) h += "<h2>Replay</h2>\n<pre id=\"replay\">" + escape_html(info.replay) + "</pre>\n";
  h += "<h2>Timeline</h2>\n<div id=\"timeline\"></div>\n";
  h += "<div id=\"controls\"><label for=\"step\">event </label><input type=\"range\" id=\"step\" min=\"0\" value=\"0\">"
       "<div id=\"now\"></div></div>\n";
  h += "<h2>Buffers at the chosen step</h2>\n<div id=\"buffers\"></div>\n";
  h += "<script type=\"application/json\" id=\"data\">" + escape_script_json(d.dump()) + "</script>\n";
  h += std::string("<script>") + kScript + "</script>\n</body></html>\n";
  return h;
}

}  // namespace reports

#include "reports/schedule.h"

namespace reports {

void write_reports(const sim::Sim& sim, const sim::ExecResult& r, const std::string& perfetto_path,
                   const std::string& html_path, const HtmlInfo& info) {
  if (!perfetto_path.empty()) write_file_atomic(perfetto_path, render_perfetto(sim, r, info.title));
  if (!html_path.empty()) write_file_atomic(html_path, render_html(sim, r, info));
}

}  // namespace reports
