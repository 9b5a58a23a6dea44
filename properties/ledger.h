// properties/ledger.h — the ghost record of every message, and the property checkers built on it.
//
// Written once for all models (DESIGN.md, "Properties"). A workload tells the ledger what each
// writer attempted, what the model accepted (where) or rejected (and whether the caller or a reader
// can learn of it), what each reader delivered (bytes with their ghost tags), and which messages
// the model counted as lost in a way a reader can see. The ledger checks as bytes arrive and at
// the end of an execution:
//   no-split        a reader receives every message whole: it starts at byte 0 and is not cut
//   no-corruption   delivered bytes equal the payload derived from the message id; an accepted
//                   message never lands on a live (undelivered, not lost) message's bytes
//   no-duplication  each message is delivered at most once
//   order           per writer, messages are delivered in write order (per reader)
//   padding         a reader never receives padding or never-written bytes
//   no-silent-loss  at the end every accepted message was delivered or counted lost, and every
//                   rejected message was counted or reported to its caller
// Violations are reported through sim::Sim::report (from an actor: the execution stops there).
// All state is per execution and allocation-free after the first executions (vectors are reused;
// the interval sets draw their nodes from a pool that keeps them across executions).
//
// Acceptance costs O(log n): each buffer keeps the set of its live messages (accepted, neither
// delivered, lost nor overwritten) ordered by (offset, end). Live messages never overlap one another
// (an overlapping acceptance is refused, or overwrites them), so their ends ascend with their
// offsets, and the messages an acceptance lands on are a contiguous run of that order.
#pragma once

#include <cstdint>
#include <memory_resource>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "sim/buffer.h"
#include "sim/property.h"
#include "sim/sim.h"

namespace properties {

/// How a rejected message became known.
enum class Notice : std::uint8_t {
  Silent,    // nobody can tell (the write returned nothing and no counter moved)
  Counted,   // a counter a reader can see moved (a client's dropped count, relay_stats, lost events)
  Returned,  // the caller got an error code or NULL
};

class Ledger {
 public:
  explicit Ledger(sim::Sim& sim) : sim_(sim) {}

  /// Per execution. `readers` is the number of reader streams (each checked for order separately).
  void reset(int readers);

  /// A writer attempts a message of `len` bytes; returns its id (1, 2, ...).
  std::uint64_t attempt(int writer, int cpu, std::uint32_t len);
  /// The payload of message `id`: what the writer copies and what a reader must get back.
  static std::uint8_t payload_byte(std::uint64_t id, std::uint64_t index) {
    return static_cast<std::uint8_t>((id * 31 + index * 7 + (index >> 8)) & 0xff);
  }
  static void fill_payload(std::uint64_t id, std::uint8_t* out, std::uint64_t len) {
    for (std::uint64_t i = 0; i < len; ++i) out[i] = payload_byte(id, i);
  }

  /// The model placed message `id` at [offset, offset+len) of `buffer` (a model-level buffer
  /// index), in accounting unit `unit` (relay: the sub-buffer sequence number). Unless `may_overwrite`
  /// (a documented overwrite mode), landing on a live message is a no-corruption violation; in
  /// overwrite mode the overwritten message becomes `overwritten` and must be covered by a loss.
  void accepted(std::uint64_t id, int buffer, std::uint64_t offset, std::uint64_t unit, bool may_overwrite);
  void rejected(std::uint64_t id, Notice notice);
  /// A reader of `buffer` saw that accounting unit `unit` was lost (relay: catch-up skipped it).
  void lost_unit(int buffer, std::uint64_t unit);
  /// Message `id` is lost in a way a reader sees (lost-events count, overrun).
  void lost(std::uint64_t id);

  /// A reader (stream `reader`) received `n` bytes with their ghost tags.
  void deliver(int reader, const std::uint8_t* data, const std::uint64_t* tags, std::size_t n);

  /// End of execution: partial messages held by readers, undelivered messages, silent drops.
  /// `require_delivery`: every accepted, non-lost message must have been delivered (readers drained).
  void check_final(bool require_delivery);

  // Counts, for the `counters` property and reports.
  std::uint64_t attempted() const { return messages_.size(); }
  std::uint64_t count_rejected(Notice notice) const;
  std::uint64_t count_delivered() const;
  std::uint64_t count_lost() const;
  std::uint64_t end_state_hash() const;

  struct Message {
    int writer = 0, cpu = 0;
    std::uint32_t len = 0;
    std::uint64_t seq = 0;  // per-writer sequence number
    enum class State : std::uint8_t { Attempted, Accepted, Rejected } state = State::Attempted;
    Notice notice = Notice::Silent;
    int buffer = -1;
    std::uint64_t offset = 0, unit = 0;
    std::uint32_t delivered = 0;
    bool lost = false, overwritten = false;
  };
  const std::vector<Message>& messages() const { return messages_; }

 private:
  struct Reader {
    std::uint64_t partial = 0;  // id of the message being received, 0 if none
    std::uint64_t got = 0;
    std::vector<std::uint64_t> last_seq;  // per writer: last delivered seq + 1 (0: none)
  };
  void complete(int reader, std::uint64_t id);
  /// A live message of `buffer` stops being live (delivered, lost, overwritten or rejected).
  void retire(std::uint64_t id);
  bool live(const Message& m) const {
    return m.state == Message::State::Accepted && !m.delivered && !m.lost && !m.overwritten;
  }
  using Interval = std::tuple<std::uint64_t, std::uint64_t, std::uint64_t>;  // offset, end, id
  Message& msg(std::uint64_t id) { return messages_[id - 1]; }
  void violate(sim::Property p, std::string what, std::vector<std::uint64_t> ids);

  sim::Sim& sim_;
  std::vector<Message> messages_;
  std::vector<std::uint64_t> writer_seq_;
  std::vector<Reader> readers_;
  std::pmr::unsynchronized_pool_resource pool_;
  std::vector<std::pmr::set<Interval>> live_;  // per buffer
  std::pmr::set<std::pair<int, std::uint64_t>> lost_units_{&pool_};
  std::vector<bool> in_live_;  // per message (index id - 1): present in live_[buffer]
};

}  // namespace properties
