// reports/culprit.cpp — see culprit.h.
#include "reports/culprit.h"

#include <algorithm>
#include <map>
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

  // Replays the copies per byte: who holds each byte, whether it was read since, and for each
  // named message the first copy over its unread bytes and the copies that read it.
  struct Byte {
    std::uint64_t message = 0;
    std::size_t writer = 0;
    bool read = false;
    std::size_t reader = 0;  // the first copy that read it
  };
  struct Overwrite {
    std::size_t by, writer;  // the overwriting copy; the copy that wrote the overwritten bytes
    std::uint64_t message;   // the overwritten one
  };
  std::vector<std::vector<Byte>> bytes;  // per object
  std::vector<Overwrite> overwrites;     // in trace order, the first per (overwritten, overwriter)
  // Per named message, the first copy that read bytes of it a second time, and the first reader.
  std::map<std::uint64_t, std::pair<std::size_t, std::size_t>> reread;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const auto copy = as_copy(sim, t[i]);
    if (!copy) continue;
    const std::uint32_t obj = t[i].object;
    if (bytes.size() <= obj) bytes.resize(obj + 1);
    auto& b = bytes[obj];
    if (b.size() < copy->at + copy->len) b.resize(copy->at + copy->len);
    for (std::uint64_t k = copy->at; k < copy->at + copy->len; ++k) {
      Byte& by = b[k];
      if (copy->in) {
        if (by.message && by.message != copy->tag && !by.read && named(by.message) &&
            std::none_of(overwrites.begin(), overwrites.end(), [&](const Overwrite& o) {
              return o.message == by.message && as_copy(sim, t[o.by])->tag == copy->tag;
            }))
          overwrites.push_back({i, by.writer, by.message});
        by = {copy->tag, i, false, 0};
      } else if (by.message) {
        if (by.read && named(by.message) && !reread.count(by.message)) reread[by.message] = {i, by.reader};
        if (!by.read) by.reader = i;
        by.read = true;
      }
    }
  }

  Culprit c;
  auto overwrite_culprit = [&](const Overwrite& o) {
    Access damage = access_of(sim, o.by, "damage");
    Access other = access_of(sim, o.writer, "overwritten");
    other.message = o.message;
    if (damage.message)
      c.summary = "message " + std::to_string(damage.message) + " written by " + who(sim, damage) + " over live message " +
                  std::to_string(o.message) + " written by " + who(sim, other);
    else
      c.summary = "live message " + std::to_string(o.message) + " written by " + who(sim, other) + " cleared by " +
                  who(sim, damage) + " before it was read";
    c.accesses = {damage, other};
  };
  if (v.property == sim::Property::NoCorruption) {
    // The first copy of a named message over the unread bytes of another named one.
    for (const Overwrite& o : overwrites)
      if (const std::uint64_t m = as_copy(sim, t[o.by])->tag; m && named(m)) {
        overwrite_culprit(o);
        return c;
      }
  }
  if (v.property == sim::Property::NoDuplication) {
    for (std::uint64_t m : v.messages)
      if (auto it = reread.find(m); it != reread.end()) {
        Access again = access_of(sim, it->second.first, "damage");
        Access first = access_of(sim, it->second.second, "read");
        again.message = first.message = m;
        c.summary = "message " + std::to_string(m) + " read by " + who(sim, first) + " and again by " + who(sim, again);
        c.accesses = {again, first};
        return c;
      }
  }
  if (v.property == sim::Property::NoSilentLoss) {
    // A named message whose bytes another copy overwrote before anyone read them.
    for (const Overwrite& o : overwrites) {
      overwrite_culprit(o);
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
