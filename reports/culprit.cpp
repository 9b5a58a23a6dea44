// reports/culprit.cpp — see culprit.h.
#include "reports/culprit.h"

#include <algorithm>
#include <sstream>

#include "reports/text_trace.h"
#include "sim/buffer.h"

namespace reports {

namespace {

Access access_of(const sim::Sim& sim, std::size_t i, const char* role) {
  const sim::TraceEvent& e = sim.trace()[i];
  Access a;
  a.event = i;
  a.step = e.step;
  a.actor = static_cast<int>(e.actor);
  a.cpu = e.cpu;
  a.ctx = e.ctx;
  a.message = as_copy(sim, e) ? as_copy(sim, e)->tag : 0;
  a.role = role;
  a.text = describe_event(sim, e);
  return a;
}

std::string who(const sim::Sim& sim, const Access& a) {
  std::ostringstream o;
  o << sim.actor_name(a.actor) << " (" << sim::ctx_name(a.ctx) << ", CPU " << a.cpu << ") at step " << a.step;
  return o.str();
}

}  // namespace

std::optional<Copy> as_copy(const sim::Sim& sim, const sim::TraceEvent& e) {
  if ((e.op != sim::Op::CopyIn && e.op != sim::Op::CopyOut) || e.object == sim::kNoObject) return std::nullopt;
  if (!dynamic_cast<const sim::ByteBuffer*>(sim.object(e.object))) return std::nullopt;
  Copy c;
  c.in = e.op == sim::Op::CopyIn;
  c.at = e.value;
  c.len = c.in ? (e.extra & 0xffffff) : e.extra;
  c.tag = c.in ? e.extra >> 24 : 0;
  return c;
}

std::optional<Culprit> find_culprit(const sim::Sim& sim, const sim::Violation& v) {
  if (v.messages.empty()) return std::nullopt;
  const auto& t = sim.trace();
  auto named = [&](std::uint64_t m) { return std::find(v.messages.begin(), v.messages.end(), m) != v.messages.end(); };
  Culprit c;
  if (v.property == sim::Property::NoCorruption) {
    // Replays the copies per byte: the latest write of a named message over bytes that another
    // named message held (and that no copy had cleared since) is the damage.
    struct Owner {
      std::uint64_t message = 0;
      std::size_t event = 0;
    };
    std::vector<std::vector<Owner>> bytes;  // per object
    std::optional<std::pair<std::size_t, std::size_t>> found;  // (damage, overwritten)
    for (std::size_t i = 0; i < t.size(); ++i) {
      const auto& e = t[i];
      const auto copy = as_copy(sim, e);
      if (!copy || !copy->in) continue;
      if (bytes.size() <= e.object) bytes.resize(e.object + 1);
      auto& b = bytes[e.object];
      const std::uint64_t at = copy->at, n = copy->len, m = copy->tag;
      if (b.size() < at + n) b.resize(at + n);
      for (std::uint64_t k = at; k < at + n; ++k) {
        if (m && named(m) && b[k].message && b[k].message != m && named(b[k].message)) found = {i, b[k].event};
        b[k] = {m, i};
      }
    }
    if (found) {
      Access damage = access_of(sim, found->first, "damage");
      Access other = access_of(sim, found->second, "overwritten");
      c.summary = "message " + std::to_string(damage.message) + " written by " + who(sim, damage) +
                  " over live message " + std::to_string(other.message) + " written by " + who(sim, other);
      c.accesses = {damage, other};
      return c;
    }
  }
  // Otherwise: the last write of each named message.
  std::string summary;
  for (std::uint64_t m : v.messages) {
    std::optional<std::size_t> last;
    for (std::size_t i = 0; i < t.size(); ++i)
      if (auto copy = as_copy(sim, t[i]); copy && copy->in && copy->tag == m) last = i;
    if (!last) continue;
    Access a = access_of(sim, *last, "write");
    summary += (summary.empty() ? "" : "; ") + std::string("message ") + std::to_string(m) + " written by " + who(sim, a);
    c.accesses.push_back(a);
  }
  if (c.accesses.empty()) return std::nullopt;
  c.summary = summary;
  return c;
}

}  // namespace reports
