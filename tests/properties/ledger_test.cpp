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
