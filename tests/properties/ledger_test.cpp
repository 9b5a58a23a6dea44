// tests/properties/ledger_test.cpp — each ledger check fires on exactly the case it names.
#include <gtest/gtest.h>

#include <functional>
#include <optional>

#include "properties/ledger.h"
#include "sim/choice.h"
#include "tests/sim/lambda_workload.h"

using properties::Ledger;
using properties::Notice;
using sim::Property;

namespace {

// Runs `body(ledger)` in one task, then the final check; returns the violated property, if any.
std::optional<Property> check(const std::function<void(Ledger&)>& body, bool require_delivery = true) {
  testing_support::LambdaWorkload w;
  std::optional<Ledger> ledger;
  w.on_build = [&](sim::Sim& s) {
    ledger.emplace(s);
    s.add_task("t", 0, [&] { body(*ledger); });
  };
  w.on_reset = [&](sim::Sim&) { ledger->reset(2); };
  w.on_final = [&](sim::Sim&) { ledger->check_final(require_delivery); };
  sim::Sim s({});
  s.load(w);
  sim::ReplaySource zeros({}, false);
  auto r = s.run(zeros);
  if (r.violation) return r.violation->property;
  return std::nullopt;
}

// The bytes and tags a reader would get for message `id`, bytes [from, to).
void give(Ledger& l, int reader, std::uint64_t id, std::uint64_t from, std::uint64_t to, bool corrupt = false) {
  std::vector<std::uint8_t> data;
  std::vector<std::uint64_t> tags;
  for (std::uint64_t i = from; i < to; ++i) {
    data.push_back(static_cast<std::uint8_t>(Ledger::payload_byte(id, i) ^ (corrupt && i == from ? 1 : 0)));
    tags.push_back(id | (i << 40));
  }
  l.deliver(reader, data.data(), tags.data(), data.size());
}

}  // namespace

TEST(Ledger, WholeInOrderDeliveryPasses) {
  EXPECT_EQ(check([](Ledger& l) {
              auto a = l.attempt(0, 0, 8), b = l.attempt(0, 0, 4);
              l.accepted(a, 0, 0, 0, false);
              l.accepted(b, 0, 8, 0, false);
              give(l, 0, a, 0, 5);
              give(l, 0, a, 5, 8);  // one message across two reads is fine
              give(l, 0, b, 0, 4);
            }),
            std::nullopt);
}

TEST(Ledger, EachCheckFires) {
  auto two = [](Ledger& l) {
    auto a = l.attempt(0, 0, 8), b = l.attempt(0, 0, 8);
    l.accepted(a, 0, 0, 0, false);
    l.accepted(b, 0, 8, 0, false);
    return std::pair{a, b};
  };
  EXPECT_EQ(check([&](Ledger& l) { auto [a, b] = two(l); give(l, 0, a, 0, 4); give(l, 0, b, 0, 8); }), Property::NoSplit);
  EXPECT_EQ(check([&](Ledger& l) { auto a = two(l).first; give(l, 0, a, 2, 8); }), Property::NoSplit);
  EXPECT_EQ(check([&](Ledger& l) { auto a = two(l).first; give(l, 0, a, 0, 4); }, false), Property::NoSplit);
  EXPECT_EQ(check([&](Ledger& l) { auto a = two(l).first; give(l, 0, a, 0, 8, true); }), Property::NoCorruption);
  EXPECT_EQ(check([&](Ledger& l) { auto a = two(l).first; give(l, 0, a, 0, 8); give(l, 1, a, 0, 8); }), Property::NoDuplication);
  EXPECT_EQ(check([&](Ledger& l) { auto [a, b] = two(l); give(l, 0, b, 0, 8); give(l, 0, a, 0, 8); }), Property::Order);
  EXPECT_EQ(check([&](Ledger& l) {
              two(l);
              std::uint8_t z = 0;
              std::uint64_t t = 0;
              l.deliver(0, &z, &t, 1);
            }),
            Property::Padding);
  EXPECT_EQ(check([&](Ledger& l) { auto a = two(l).first; give(l, 0, a, 0, 8); }), Property::NoSilentLoss);
  EXPECT_EQ(check([&](Ledger& l) { auto a = two(l).first; give(l, 0, a, 0, 8); }, false), std::nullopt);
}

TEST(Ledger, DropsMustBeCountedOrReturned) {
  for (auto [notice, want] : {std::pair{Notice::Silent, std::optional<Property>(Property::NoSilentLoss)},
                              {Notice::Counted, std::nullopt},
                              {Notice::Returned, std::nullopt}}) {
    EXPECT_EQ(check([notice = notice](Ledger& l) { l.rejected(l.attempt(0, 0, 8), notice); }), want);
  }
}

TEST(Ledger, LandingOnALiveMessageIsCorruptionUnlessOverwriteCountsTheLoss) {
  auto overlap = [](bool overwrite, bool count) {
    return [=](Ledger& l) {
      auto a = l.attempt(0, 0, 8), b = l.attempt(1, 1, 8);
      l.accepted(a, 0, 0, /*unit*/ 0, overwrite);
      l.accepted(b, 0, 4, /*unit*/ 4, overwrite);
      if (count) l.lost_unit(0, 0);
      give(l, 0, b, 0, 8);
    };
  };
  EXPECT_EQ(check(overlap(false, false)), Property::NoCorruption);
  EXPECT_EQ(check(overlap(true, false)), Property::NoSilentLoss);
  EXPECT_EQ(check(overlap(true, true)), std::nullopt);
}

// The interval sets find exactly the live messages a scan by id finds (issue 14): random
// acceptances, deliveries and losses, compared with a brute-force scan of messages() before each
// acceptance. Overwrite mode: the overwritten set; no-overwrite mode: the reported pair.
TEST(Ledger, IntervalSetsAgreeWithAScanOfEveryMessage) {
  for (bool overwrite : {true, false}) {
    for (std::uint64_t seed = 1; seed <= 200; ++seed) {
      SCOPED_TRACE(testing::Message() << "seed " << seed << (overwrite ? " overwrite" : " no-overwrite"));
      std::vector<std::uint64_t> expect_pair;
      int mismatches = 0, overlaps = 0;
      testing_support::LambdaWorkload w;
      std::optional<Ledger> ledger;
      w.on_build = [&](sim::Sim& s) {
        ledger.emplace(s);
        s.add_task("t", 0, [&] {
          Ledger& l = *ledger;
          sim::Rng rng(seed);
          for (int step = 0; step < 300; ++step) {
            const auto& ms = l.messages();
            const std::uint32_t op = rng.below(10);
            if (op < 5 || ms.empty()) {
              const std::uint64_t id = l.attempt(static_cast<int>(ms.size()), 0, rng.below(25));  // own writer: no order check
              const int buffer = static_cast<int>(rng.below(2));
              const std::uint64_t offset = rng.below(128);
              std::vector<std::uint64_t> hit;
              for (std::uint64_t o = 1; o < id; ++o) {
                const auto& m = ms[o - 1];
                if (m.state == Ledger::Message::State::Accepted && m.buffer == buffer && !m.delivered && !m.lost &&
                    !m.overwritten && m.offset < offset + ms[id - 1].len && offset < m.offset + m.len)
                  hit.push_back(o);
              }
              overlaps += !hit.empty();
              if (!overwrite && !hit.empty()) expect_pair = {hit.front(), id};
              l.accepted(id, buffer, offset, offset / 32, overwrite);
              for (std::uint64_t o : hit) mismatches += !ms[o - 1].overwritten;
            } else if (op < 8) {
              const std::uint64_t id = 1 + rng.below(static_cast<std::uint32_t>(ms.size()));
              const auto& m = ms[id - 1];
              if (m.state == Ledger::Message::State::Accepted && !m.delivered) give(l, 0, id, 0, m.len);
            } else if (op < 9) {
              l.lost(1 + rng.below(static_cast<std::uint32_t>(ms.size())));
            } else {
              l.lost_unit(static_cast<int>(rng.below(2)), rng.below(4));
            }
          }
        });
      };
      w.on_reset = [&](sim::Sim&) { ledger->reset(1); };
      sim::Sim s({});
      s.load(w);
      sim::ReplaySource zeros({}, false);
      auto r = s.run(zeros);
      EXPECT_EQ(mismatches, 0);
      if (overwrite) {
        EXPECT_FALSE(r.violation) << r.violation->message;
      } else if (!expect_pair.empty()) {
        ASSERT_TRUE(r.violation);
        EXPECT_EQ(r.violation->property, Property::NoCorruption);
        EXPECT_EQ(r.violation->messages, expect_pair) << r.violation->message;
      }
      if (overwrite && seed == 1) {
        EXPECT_GT(overlaps, 10);
      }
    }
  }
}

// Each check by its own report (issue 18's mutation gate): EachCheckFires asks only for the
// property, and a neighbouring check reports the same property when one is disabled.
TEST(Ledger, EachCheckFiresWithItsOwnReport) {
  auto report = [](const std::function<void(Ledger&)>& body) {
    testing_support::LambdaWorkload w;
    std::optional<Ledger> ledger;
    std::string message;
    w.on_build = [&](sim::Sim& s) {
      ledger.emplace(s);
      s.add_task("t", 0, [&] { body(*ledger); });
    };
    w.on_reset = [&](sim::Sim&) { ledger->reset(2); };
    w.on_final = [&](sim::Sim&) { ledger->check_final(true); };
    sim::Sim s({});
    s.load(w);
    sim::ReplaySource zeros({}, false);
    auto r = s.run(zeros);
    return r.violation ? std::string(sim::property_name(r.violation->property)) + ": " + r.violation->message : std::string();
  };
  auto one = [](Ledger& l) {
    auto a = l.attempt(0, 0, 8);
    l.accepted(a, 0, 0, 0, false);
    return a;
  };
  // A reader that starts at byte 2 (one byte only: the contiguity check has nothing to compare).
  EXPECT_NE(report([&](Ledger& l) { give(l, 0, one(l), 2, 3); }).find("no-split: reader 0 started in the middle of message 1 (at byte 2"),
            std::string::npos);
  // A byte skipped inside a message: reported where it happens, not at the end.
  EXPECT_NE(report([&](Ledger& l) {
              auto a = one(l);
              give(l, 0, a, 0, 3);
              give(l, 0, a, 4, 8);
            }).find("no-split: reader 0 received 3 of 8 bytes of message 1, then byte 4 of message 1"),
            std::string::npos);
  // A byte tagged with no known message.
  EXPECT_NE(report([&](Ledger& l) {
              one(l);
              std::uint8_t b = 0;
              std::uint64_t t = 99;
              l.deliver(0, &b, &t, 1);
            }).find("no-corruption: reader 0 received a byte of no known message"),
            std::string::npos);
  // A rejected message delivered: reported at delivery (the end check would call it never accepted).
  EXPECT_NE(report([&](Ledger& l) {
              auto a = l.attempt(0, 0, 8);
              l.rejected(a, Notice::Returned);
              give(l, 0, a, 0, 8);
            }).find("no-corruption: message 1 was delivered but the model had rejected it"),
            std::string::npos);
  // Delivered while still attempted (the writer never told the ledger where): caught at the end.
  EXPECT_NE(report([&](Ledger& l) { give(l, 0, l.attempt(0, 0, 8), 0, 8); }).find("no-corruption: message 1 was delivered but the model never accepted it"),
            std::string::npos);
  // A wrong payload byte.
  EXPECT_NE(report([&](Ledger& l) { give(l, 0, one(l), 0, 8, true); }).find("no-corruption: reader 0 received byte 0 of message 1 with a wrong value"),
            std::string::npos);
}
