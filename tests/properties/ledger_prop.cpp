// tests/properties/ledger_prop.cpp — RapidCheck: the ledger (properties/ledger.h) passes every clean
// history and reports each injected fault through the check that names it, with that check's own
// report (issue 18, item 4: every ledger check stated by a property, not only by unit tests).
//
// A generated history: 2–8 messages of 1–8 bytes from 1–3 writers, each accepted at its own place
// of buffer 0 (own accounting unit) and delivered by one of 1–2 readers in write order, split into
// deliver() calls at random cut points (a call may hold the end of one message and the start of the
// next; the readers' calls interleave), or rejected with a counted or returned notice, or counted
// lost (lost(id)), or in a unit a reader saw skipped (lost_unit). Every such history must pass.
// Then, on the same history, each fault in turn must be reported with its check's message:
//   a byte skipped inside a message, a reader starting mid-message, a wrong payload byte, a
//   padding byte, a byte of no known message, a message delivered twice, two consecutive writes of
//   a writer delivered swapped, a reader ending inside a message, a rejected or never-accepted
//   message delivered, a silent rejection, an accepted message never delivered nor counted lost,
//   an acceptance over a live message (no overwrite), and an overwrite no loss covers.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "properties/ledger.h"
#include "sim/choice.h"
#include "tests/sim/lambda_workload.h"

using properties::Ledger;
using properties::Notice;

namespace {

enum class Fate { Delivered, Counted, Returned, Lost, LostUnit, Undelivered, Attempted, SilentReject };
enum class Fault {
  None, SkipByte, StartMid, WrongByte, PaddingByte, UnknownByte, Duplicate, Reorder, Truncate,
  DeliverRejected, DeliverUnaccepted, SilentReject, Undelivered, Overlap, OverwriteUncounted, kCount
};

struct Msg {
  int writer;
  std::uint32_t len;
  Fate fate;
  int reader;
};
struct History {
  int readers;
  std::vector<Msg> msgs;
  std::vector<std::size_t> cuts;  // random numbers: deliver() sizes
  std::size_t target;             // the message a fault is applied to (index)
  std::size_t pick;               // a random number for the fault's position inside the message
};

struct Byte {
  std::uint8_t data;
  std::uint64_t tag;
};
std::uint64_t tag(std::uint64_t id, std::uint64_t index) { return id | (index << 40); }

// Runs the history with `fault` applied; returns "property: message" or "" (no violation).
std::string run(History h, Fault fault) {
  const std::size_t t = h.target, u = t + 1;  // u: the message after t (faults that need two)
  bool may_overwrite = false, require_delivery = true;
  Msg& m = h.msgs[t];
  auto need_len = [&](std::uint32_t n) { m.len = std::max(m.len, n); };
  switch (fault) {
    case Fault::None: break;
    case Fault::SkipByte: m.fate = Fate::Delivered; need_len(3); break;
    case Fault::StartMid: case Fault::Truncate: m.fate = Fate::Delivered; need_len(2); break;
    case Fault::WrongByte: case Fault::PaddingByte: case Fault::UnknownByte: case Fault::Duplicate:
      m.fate = Fate::Delivered; break;
    case Fault::Reorder:
      m.fate = h.msgs[u].fate = Fate::Delivered;
      h.msgs[u].writer = m.writer;  // consecutive writes of one writer, to one reader
      h.msgs[u].reader = m.reader;
      break;
    case Fault::DeliverRejected: m.fate = Fate::Returned; break;  // and delivered below
    case Fault::DeliverUnaccepted: m.fate = Fate::Attempted; break;
    case Fault::SilentReject: m.fate = Fate::SilentReject; break;
    case Fault::Undelivered: m.fate = Fate::Undelivered; break;
    case Fault::Overlap: m.fate = h.msgs[u].fate = Fate::Delivered; break;
    case Fault::OverwriteUncounted:
      m.fate = Fate::Undelivered;
      h.msgs[u].fate = Fate::Delivered;
      may_overwrite = true;
      require_delivery = false;
      break;
    case Fault::kCount: break;
  }
  const std::size_t M = h.msgs.size();
  auto offset_of = [&](std::size_t i) -> std::uint64_t {
    if (i == u && (fault == Fault::Overlap || fault == Fault::OverwriteUncounted)) return 16 * t;  // on t's bytes
    return 16 * i;
  };
  // Each reader's stream: the bytes of its messages, in write order.
  std::vector<std::vector<std::size_t>> order(static_cast<std::size_t>(h.readers));
  for (std::size_t i = 0; i < M; ++i) {
    const bool delivered = h.msgs[i].fate == Fate::Delivered || (i == t && (fault == Fault::DeliverRejected || fault == Fault::DeliverUnaccepted));
    if (delivered) order[static_cast<std::size_t>(h.msgs[i].reader)].push_back(i);
  }
  auto& mine = order[static_cast<std::size_t>(m.reader)];
  if (fault == Fault::Reorder) std::iter_swap(std::find(mine.begin(), mine.end(), t), std::find(mine.begin(), mine.end(), u));
  if (fault == Fault::Truncate) {  // t last in its stream (it never completes: no order check for it)
    mine.erase(std::find(mine.begin(), mine.end(), t));
    mine.push_back(t);
  }
  // The copy goes to the end of the same stream: in another reader's stream it could follow a
  // later write of t's writer there before t's first delivery, which is an order violation first.
  if (fault == Fault::Duplicate) mine.push_back(t);
  std::vector<std::vector<Byte>> streams(order.size());
  std::size_t dup_seen = 0;
  for (std::size_t r = 0; r < order.size(); ++r)
    for (std::size_t i : order[r]) {
      const std::uint64_t id = i + 1;
      const std::uint32_t len = h.msgs[i].len;
      const bool here = i == t && static_cast<int>(r) == m.reader && !(fault == Fault::Duplicate && dup_seen++ > 0);
      const std::uint64_t k = 1 + h.pick % (len - 1 > 0 ? len - 1 : 1);  // in [1, len - 1]
      if (here && fault == Fault::PaddingByte) streams[r].push_back({0, 0});
      if (here && fault == Fault::UnknownByte)
        streams[r].push_back({0, h.pick % 2 ? tag(M + 1 + h.pick % 3, 0) : tag(id, len)});  // unknown id, or index past the end
      for (std::uint64_t b = 0; b < len; ++b) {
        if (here && fault == Fault::SkipByte && b == 1 + h.pick % (len - 2)) continue;
        if (here && fault == Fault::StartMid && b < k) continue;
        if (here && fault == Fault::Truncate && b >= k) continue;
        std::uint8_t d = Ledger::payload_byte(id, b);
        if (here && fault == Fault::WrongByte && b == h.pick % len) d ^= 0x5a;
        streams[r].push_back({d, tag(id, b)});
      }
    }

  testing_support::LambdaWorkload w;
  std::optional<Ledger> ledger;
  w.on_build = [&](sim::Sim& s) {
    ledger.emplace(s);
    s.add_task("t", 0, [&] {
      Ledger& l = *ledger;
      for (const Msg& x : h.msgs) l.attempt(x.writer, 0, x.len);
      for (std::size_t i = 0; i < M; ++i) {
        const std::uint64_t id = i + 1;
        switch (h.msgs[i].fate) {
          case Fate::Counted: l.rejected(id, Notice::Counted); break;
          case Fate::Returned: l.rejected(id, Notice::Returned); break;
          case Fate::SilentReject: l.rejected(id, Notice::Silent); break;
          case Fate::Attempted: break;
          default: l.accepted(id, 0, offset_of(i), i, may_overwrite);
        }
      }
      for (std::size_t i = 0; i < M; ++i) {
        if (h.msgs[i].fate == Fate::Lost) l.lost(i + 1);
        if (h.msgs[i].fate == Fate::LostUnit) l.lost_unit(0, i);
      }
      // Deliveries: the readers' streams cut into calls, round robin.
      std::vector<std::size_t> pos(streams.size(), 0);
      std::size_t c = 0;
      for (bool any = true; any;) {
        any = false;
        for (std::size_t r = 0; r < streams.size(); ++r) {
          if (pos[r] >= streams[r].size()) continue;
          any = true;
          const std::size_t n = std::min(streams[r].size() - pos[r], 1 + h.cuts[c++ % h.cuts.size()] % 12);
          std::vector<std::uint8_t> data;
          std::vector<std::uint64_t> tags;
          for (std::size_t j = pos[r]; j < pos[r] + n; ++j) {
            data.push_back(streams[r][j].data);
            tags.push_back(streams[r][j].tag);
          }
          l.deliver(static_cast<int>(r), data.data(), tags.data(), n);
          pos[r] += n;
        }
      }
    });
  };
  w.on_reset = [&](sim::Sim&) { ledger->reset(h.readers); };
  w.on_final = [&](sim::Sim&) { ledger->check_final(require_delivery); };
  sim::Sim s({});
  s.load(w);
  sim::ReplaySource zeros({}, false);
  auto res = s.run(zeros);
  return res.violation ? std::string(sim::property_name(res.violation->property)) + ": " + res.violation->message : std::string();
}

// The report each fault must produce (a prefix of it).
std::string expected(const History& h0, Fault fault) {
  History h = h0;
  const std::size_t t = h.target;
  const std::uint64_t T = t + 1, U = t + 2;
  const std::string R = std::to_string(h.msgs[t].reader), sT = std::to_string(T);
  std::uint32_t len = h.msgs[t].len;
  const auto L = [&](std::uint32_t n) { return std::to_string(std::max(len, n)); };
  const std::uint32_t l2 = std::max(len, 2u), l3 = std::max(len, 3u);
  switch (fault) {
    case Fault::None: return "";
    case Fault::SkipByte: {
      const std::uint64_t b = 1 + h.pick % (l3 - 2);
      return "no-split: reader " + R + " received " + std::to_string(b) + " of " + L(3) + " bytes of message " + sT + ", then byte " +
             std::to_string(b + 1) + " of message " + sT;
    }
    case Fault::StartMid:
      return "no-split: reader " + R + " started in the middle of message " + sT + " (at byte " + std::to_string(1 + h.pick % (l2 - 1)) +
             " of " + L(2) + ")";
    case Fault::WrongByte:
      return "no-corruption: reader " + R + " received byte " + std::to_string(h.pick % len) + " of message " + sT + " with a wrong value";
    case Fault::PaddingByte: return "padding: reader " + R + " received a padding or never-written byte";
    case Fault::UnknownByte: return "no-corruption: reader " + R + " received a byte of no known message";
    case Fault::Duplicate: return "no-duplication: message " + sT + " delivered twice (again to reader " + R + ")";
    case Fault::Reorder:
      return "order: reader " + R + " received message " + sT + " (write #";  // t, after t + 1 of the same writer
    case Fault::Truncate:
      return "no-split: reader " + R + " ended with " + std::to_string(1 + h.pick % (l2 - 1)) + " of " + L(2) + " bytes of message " + sT;
    case Fault::DeliverRejected: return "no-corruption: message " + sT + " was delivered but the model had rejected it";
    case Fault::DeliverUnaccepted: return "no-corruption: message " + sT + " was delivered but the model never accepted it";
    case Fault::SilentReject:
      return "no-silent-loss: 1 message(s) lost silently (" + sT + "); message " + sT + " was dropped at write time with nothing counted or returned";
    case Fault::Undelivered:
      return "no-silent-loss: 1 message(s) lost silently (" + sT + "); message " + sT + " was accepted but never delivered nor counted lost";
    case Fault::Overlap:
      return "no-corruption: message " + std::to_string(U) + " was placed at bytes [" + std::to_string(16 * t) + ", ";
    case Fault::OverwriteUncounted:
      return "no-silent-loss: 1 message(s) lost silently (" + sT + "); message " + sT + " was overwritten with no loss a reader can see";
    case Fault::kCount: break;
  }
  return "?";
}

const char* const kFaultNames[] = {"none", "skip-byte", "start-mid", "wrong-byte", "padding-byte", "unknown-byte", "duplicate",
                                   "reorder", "truncate", "deliver-rejected", "deliver-unaccepted", "silent-reject",
                                   "undelivered", "overlap", "overwrite-uncounted"};

}  // namespace

RC_GTEST_PROP(LedgerProperties, CleanHistoriesPassAndEachInjectedFaultIsReportedByItsOwnCheck, ()) {
  History h;
  h.readers = *rc::gen::element(1, 2);  // (element: uniform at every RapidCheck size)
  const int writers = *rc::gen::element(1, 2, 3);
  const auto n = *rc::gen::inRange<std::size_t>(2, 9);
  for (std::size_t i = 0; i < n; ++i) {
    Msg m;
    m.writer = *rc::gen::inRange(0, writers);
    m.len = *rc::gen::inRange<std::uint32_t>(1, 9);
    m.fate = *rc::gen::weightedElement<Fate>(
        {{8, Fate::Delivered}, {1, Fate::Counted}, {1, Fate::Returned}, {1, Fate::Lost}, {2, Fate::LostUnit}});
    m.reader = *rc::gen::inRange(0, h.readers);
    h.msgs.push_back(m);
  }
  h.cuts = *rc::gen::container<std::vector<std::size_t>>(8, rc::gen::inRange<std::size_t>(0, 1000));
  h.target = *rc::gen::inRange<std::size_t>(0, n - 1);  // t + 1 exists (faults that need two messages)
  h.pick = *rc::gen::inRange<std::size_t>(0, 1000);
  int lost_units = 0;
  for (const Msg& m : h.msgs) lost_units += m.fate == Fate::LostUnit;
  RC_TAG(h.readers == 1 ? "1 reader" : "2 readers", lost_units ? "with a lost unit" : "no lost unit");
  for (int f = 0; f < static_cast<int>(Fault::kCount); ++f) {
    const auto fault = static_cast<Fault>(f);
    const std::string got = run(h, fault), want = expected(h, fault);
    if (fault == Fault::None) {
      RC_ASSERT(got == "");
      continue;
    }
    if (got.rfind(want, 0) != 0) RC_FAIL(std::string(kFaultNames[f]) + ": expected a report starting \"" + want + "\", got \"" + got + "\"");
  }
}
