// properties/ledger.cpp — see ledger.h.
#include "properties/ledger.h"

#include <algorithm>

#include "sim/rng.h"

namespace properties {

void Ledger::reset(int readers) {
  messages_.clear();
  writer_seq_.clear();
  lost_units_.clear();
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
  return messages_.size();
}

void Ledger::accepted(std::uint64_t id, int buffer, std::uint64_t offset, std::uint64_t unit, bool may_overwrite) {
  Message& m = msg(id);
  // Live messages already at these bytes of this buffer?
  for (std::uint64_t other = 1; other <= messages_.size(); ++other) {
    if (other == id) continue;
    Message& o = msg(other);
    if (o.state != Message::State::Accepted || o.buffer != buffer || o.delivered || o.lost || o.overwritten) continue;
    if (o.offset < offset + m.len && offset < o.offset + o.len) {
      if (may_overwrite) {
        o.overwritten = true;
      } else {
        violate(sim::Property::NoCorruption,
                "message " + std::to_string(id) + " was placed at bytes [" + std::to_string(offset) + ", " +
                    std::to_string(offset + m.len) + ") of buffer " + std::to_string(buffer) + " over live message " +
                    std::to_string(other) + " at [" + std::to_string(o.offset) + ", " + std::to_string(o.offset + o.len) + ")",
                {other, id});
        return;
      }
    }
  }
  m.state = Message::State::Accepted;
  m.buffer = buffer;
  m.offset = offset;
  m.unit = unit;
  for (auto& [b, u] : lost_units_)
    if (b == buffer && u == unit) m.lost = true;
}

void Ledger::rejected(std::uint64_t id, Notice notice) {
  Message& m = msg(id);
  m.state = Message::State::Rejected;
  m.notice = notice;
}

void Ledger::lost_unit(int buffer, std::uint64_t unit) {
  lost_units_.emplace_back(buffer, unit);
  for (auto& m : messages_)
    if (m.state == Message::State::Accepted && m.buffer == buffer && m.unit == unit && !m.delivered) m.lost = true;
}

void Ledger::lost(std::uint64_t id) { msg(id).lost = true; }

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
