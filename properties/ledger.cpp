// properties/ledger.cpp — see ledger.h.
#include "properties/ledger.h"

#include <algorithm>

#include "sim/rng.h"

namespace properties {

void Ledger::reset(int readers) {
  messages_.clear();
  writer_seq_.clear();
  lost_units_.clear();
  for (auto& l : live_) l.clear();
  in_live_.clear();
  readers_.resize(static_cast<std::size_t>(readers));
  for (auto& r : readers_) {
    r.partial = r.got = 0;
    r.last_seq.clear();
  }
}

void Ledger::violate(sim::Property p, std::string what, std::vector<std::uint64_t> ids) {
  sim_.report(p, std::move(what), std::move(ids));
}

std::uint64_t Ledger::attempt(int writer, int cpu, std::uint32_t len) {
  if (writer_seq_.size() <= static_cast<std::size_t>(writer)) writer_seq_.resize(static_cast<std::size_t>(writer) + 1, 0);
  Message m;
  m.writer = writer;
  m.cpu = cpu;
  m.len = len;
  m.seq = writer_seq_[static_cast<std::size_t>(writer)]++;
  messages_.push_back(m);
  in_live_.push_back(false);
  return messages_.size();
}

void Ledger::retire(std::uint64_t id) {
  if (!in_live_[id - 1]) return;
  const Message& m = msg(id);
  live_[static_cast<std::size_t>(m.buffer)].erase(Interval{m.offset, m.offset + m.len, id});
  in_live_[id - 1] = false;
}

void Ledger::accepted(std::uint64_t id, int buffer, std::uint64_t offset, std::uint64_t unit, bool may_overwrite) {
  Message& m = msg(id);
  retire(id);  // accepted again (not done by today's models): its old place is no longer its own
  if (live_.size() <= static_cast<std::size_t>(buffer)) {
    live_.reserve(static_cast<std::size_t>(buffer) + 1);
    while (live_.size() <= static_cast<std::size_t>(buffer)) live_.emplace_back(&pool_);
  }
  auto& set = live_[static_cast<std::size_t>(buffer)];
  const std::uint64_t end = offset + m.len;
  // Live messages already at these bytes of this buffer: the run of the (offset, end) order whose
  // members start before `end` and end after `offset` (ends ascend: step back from the first one
  // starting at or after `offset` while they end after it).
  auto first = set.lower_bound(Interval{offset, 0, 0});
  while (first != set.begin() && std::get<1>(*std::prev(first)) > offset) --first;
  auto last = first;
  std::uint64_t lowest = 0;  // the overlapped message with the smallest id (as a scan by id finds it)
  for (; last != set.end() && std::get<0>(*last) < end; ++last) {
    const auto& [o_offset, o_end, other] = *last;
    if (o_offset < end && offset < o_end && (lowest == 0 || other < lowest)) lowest = other;
  }
  if (lowest != 0) {
    if (!may_overwrite) {
      const Message& o = msg(lowest);
      violate(sim::Property::NoCorruption,
              "message " + std::to_string(id) + " was placed at bytes [" + std::to_string(offset) + ", " +
                  std::to_string(end) + ") of buffer " + std::to_string(buffer) + " over live message " +
                  std::to_string(lowest) + " at [" + std::to_string(o.offset) + ", " + std::to_string(o.offset + o.len) + ")",
              {lowest, id});
      return;
    }
    for (auto it = first; it != last;) {
      const auto& [o_offset, o_end, other] = *it;
      if (o_offset < end && offset < o_end) {
        msg(other).overwritten = true;
        in_live_[other - 1] = false;
        it = set.erase(it);
      } else {
        ++it;
      }
    }
  }
  m.state = Message::State::Accepted;
  m.buffer = buffer;
  m.offset = offset;
  m.unit = unit;
  if (lost_units_.count({buffer, unit})) m.lost = true;
  if (live(m)) {
    set.insert(Interval{offset, end, id});
    in_live_[id - 1] = true;
  }
}

void Ledger::rejected(std::uint64_t id, Notice notice) {
  retire(id);
  Message& m = msg(id);
  m.state = Message::State::Rejected;
  m.notice = notice;
}

void Ledger::lost_unit(int buffer, std::uint64_t unit) {
  lost_units_.emplace(buffer, unit);
  for (std::uint64_t id = 1; id <= messages_.size(); ++id) {
    Message& m = msg(id);
    if (m.state == Message::State::Accepted && m.buffer == buffer && m.unit == unit && !m.delivered) {
      retire(id);
      m.lost = true;
    }
  }
}

void Ledger::lost(std::uint64_t id) {
  retire(id);
  msg(id).lost = true;
}

void Ledger::deliver(int reader, const std::uint8_t* data, const std::uint64_t* tags, std::size_t n) {
  Reader& r = readers_.at(static_cast<std::size_t>(reader));
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t id = sim::tag_id(tags[i]);
    const std::uint64_t index = sim::tag_index(tags[i]);
    if (id == 0) {
      violate(sim::Property::Padding, "reader " + std::to_string(reader) + " received a padding or never-written byte", {});
      return;
    }
    if (id > messages_.size() || index >= msg(id).len) {
      violate(sim::Property::NoCorruption, "reader " + std::to_string(reader) + " received a byte of no known message", {});
      return;
    }
    if (r.partial && (id != r.partial || index != r.got)) {
      violate(sim::Property::NoSplit,
              "reader " + std::to_string(reader) + " received " + std::to_string(r.got) + " of " +
                  std::to_string(msg(r.partial).len) + " bytes of message " + std::to_string(r.partial) +
                  ", then byte " + std::to_string(index) + " of message " + std::to_string(id),
              {r.partial, id});
      return;
    }
    if (!r.partial) {
      if (index != 0) {
        violate(sim::Property::NoSplit,
                "reader " + std::to_string(reader) + " started in the middle of message " + std::to_string(id) + " (at byte " +
                    std::to_string(index) + " of " + std::to_string(msg(id).len) + ")",
                {id});
        return;
      }
      r.partial = id;
      r.got = 0;
    }
    if (data[i] != payload_byte(id, index)) {
      violate(sim::Property::NoCorruption,
              "reader " + std::to_string(reader) + " received byte " + std::to_string(index) + " of message " + std::to_string(id) +
                  " with a wrong value",
              {id});
      return;
    }
    if (++r.got == msg(id).len) {
      r.partial = 0;
      r.got = 0;
      complete(reader, id);
    }
  }
}

void Ledger::complete(int reader, std::uint64_t id) {
  Message& m = msg(id);
  Reader& r = readers_[static_cast<std::size_t>(reader)];
  if (m.delivered) {
    violate(sim::Property::NoDuplication, "message " + std::to_string(id) + " delivered twice (again to reader " + std::to_string(reader) + ")", {id});
    return;
  }
  if (m.state == Message::State::Rejected) {
    violate(sim::Property::NoCorruption, "message " + std::to_string(id) + " was delivered but the model had rejected it", {id});
    return;
  }
  // State Attempted: the writer has copied it but not yet returned to tell the ledger where (it
  // may be preempted in between); check_final requires that it was accepted in the end.
  retire(id);
  ++m.delivered;
  if (r.last_seq.size() <= static_cast<std::size_t>(m.writer)) r.last_seq.resize(static_cast<std::size_t>(m.writer) + 1, 0);
  std::uint64_t& last = r.last_seq[static_cast<std::size_t>(m.writer)];
  if (last > m.seq + 1) {
    violate(sim::Property::Order,
            "reader " + std::to_string(reader) + " received message " + std::to_string(id) + " (write #" + std::to_string(m.seq) +
                " of writer " + std::to_string(m.writer) + ") after a later one of the same writer",
            {id});
    return;
  }
  last = m.seq + 1;
}

void Ledger::check_final(bool require_delivery) {
  for (std::size_t r = 0; r < readers_.size(); ++r)
    if (readers_[r].partial) {
      violate(sim::Property::NoSplit,
              "reader " + std::to_string(r) + " ended with " + std::to_string(readers_[r].got) + " of " +
                  std::to_string(msg(readers_[r].partial).len) + " bytes of message " + std::to_string(readers_[r].partial),
              {readers_[r].partial});
      return;
    }
  for (std::uint64_t id = 1; id <= messages_.size(); ++id)
    if (msg(id).delivered && msg(id).state != Message::State::Accepted) {
      violate(sim::Property::NoCorruption,
              "message " + std::to_string(id) + " was delivered but the model never accepted it", {id});
      return;
    }
  std::vector<std::uint64_t> silent;
  for (std::uint64_t id = 1; id <= messages_.size(); ++id) {
    const Message& m = msg(id);
    if (m.state == Message::State::Rejected && m.notice == Notice::Silent) silent.push_back(id);
    if (m.state == Message::State::Accepted && !m.delivered && !m.lost && (require_delivery || m.overwritten))
      silent.push_back(id);
  }
  if (!silent.empty()) {
    std::string ids;
    for (std::size_t i = 0; i < silent.size() && i < 8; ++i) ids += (i ? ", " : "") + std::to_string(silent[i]);
    if (silent.size() > 8) ids += ", ...";
    const Message& first = msg(silent.front());
    std::string why = first.state == Message::State::Rejected ? "dropped at write time with nothing counted or returned"
                      : first.overwritten                     ? "overwritten with no loss a reader can see"
                                                              : "accepted but never delivered nor counted lost";
    violate(sim::Property::NoSilentLoss,
            std::to_string(silent.size()) + " message(s) lost silently (" + ids + "); message " + std::to_string(silent.front()) +
                " was " + why,
            silent);
  }
}

std::uint64_t Ledger::count_rejected(Notice notice) const {
  std::uint64_t n = 0;
  for (auto& m : messages_) n += m.state == Message::State::Rejected && m.notice == notice;
  return n;
}
std::uint64_t Ledger::count_delivered() const {
  std::uint64_t n = 0;
  for (auto& m : messages_) n += m.delivered != 0;
  return n;
}
std::uint64_t Ledger::count_lost() const {
  std::uint64_t n = 0;
  for (auto& m : messages_) n += m.lost;
  return n;
}

std::uint64_t Ledger::end_state_hash() const {
  std::uint64_t h = sim::kHashSeed;
  for (auto& m : messages_)
    h = sim::hash_step(h, (static_cast<std::uint64_t>(m.state) << 40) | (std::uint64_t(m.delivered) << 32) |
                              (std::uint64_t(m.lost) << 31) | (m.offset & 0x7fffffff));
  return sim::splitmix64_mix(h);
}

}  // namespace properties
