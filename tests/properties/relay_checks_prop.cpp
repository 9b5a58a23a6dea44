// tests/properties/relay_checks_prop.cpp — RapidCheck: the relay workload's end-of-execution checks
// (model/relay/checks.h) report exactly the states that break relay.md's rules, over random
// channel states built by hand (tests/model/relay_fake_channel.h; no correct channel reaches a
// state that breaks them, which is why no scenario can show that the checks bite).
//   counters: consumed <= produced; without overwrite produced - consumed <= n_subbufs; offset <=
//             subbuf_size or exactly subbuf_size + 1; every padding <= subbuf_size.
//   padding:  no accepted message of a finished sub-buffer still in its slot ends inside the
//             padding recorded for that slot.
// Values are drawn around each bound (one below, at, one past) in a fixed share of the cases.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "model/relay/checks.h"
#include "tests/model/relay_fake_channel.h"

using model::relay::ChannelApi;
using testing_support::FakeRelayChannel;
using testing_support::run_relay_check;

namespace {

// A value near `bound` (bound - 1, bound, bound + 1, bound + 2) in half of the cases, else any in [lo, hi].
rc::Gen<std::int64_t> near(std::int64_t bound, std::int64_t lo, std::int64_t hi) {
  return rc::gen::weightedOneOf<std::int64_t>(
      {{1, rc::gen::map(rc::gen::inRange<std::int64_t>(-1, 3), [=](std::int64_t d) { return bound + d; })},
       {1, rc::gen::inRange<std::int64_t>(lo, hi + 1)}});
}

}  // namespace

RC_GTEST_PROP(RelayChecksProperties, CountersReportExactlyTheStatesBeyondTheirBounds, ()) {
  model::relay::Params p;
  p.n_subbufs = *rc::gen::inRange<std::uint64_t>(1, 9);
  p.subbuf_size = *rc::gen::element<std::uint64_t>(32, 64, 128);
  const auto n = static_cast<std::int64_t>(p.n_subbufs), S = static_cast<std::int64_t>(p.subbuf_size);
  const bool overwrite = *rc::gen::arbitrary<bool>();
  ChannelApi::BufState st;
  st.subbufs_consumed = static_cast<std::uint64_t>(*rc::gen::inRange<std::int64_t>(0, 20));
  const std::int64_t ready = *near(n, -2, n + 3);  // produced - consumed
  st.subbufs_produced = static_cast<std::uint64_t>(std::max<std::int64_t>(0, static_cast<std::int64_t>(st.subbufs_consumed) + ready));
  st.offset = static_cast<std::uint64_t>(std::max<std::int64_t>(0, *near(S, 0, S + 3)));
  for (std::uint64_t i = 0; i < p.n_subbufs; ++i)
    st.padding.push_back(static_cast<std::uint64_t>(std::max<std::int64_t>(0, *rc::gen::weightedOneOf<std::int64_t>(
                                                                                  {{6, rc::gen::inRange<std::int64_t>(0, S + 1)},
                                                                                   {1, near(S, 0, S)}}))));
  bool want = st.subbufs_consumed > st.subbufs_produced ||
              (!overwrite && st.subbufs_produced - st.subbufs_consumed > p.n_subbufs) ||
              (st.offset > p.subbuf_size && st.offset != p.subbuf_size + 1);
  for (auto pad : st.padding) want = want || pad > p.subbuf_size;
  const std::int64_t r = static_cast<std::int64_t>(st.subbufs_produced) - static_cast<std::int64_t>(st.subbufs_consumed);
  RC_TAG(overwrite ? "overwrite" : "no-overwrite", r < n ? "ready < n" : r == n ? "ready = n" : r == n + 1 ? "ready = n + 1" : "ready > n + 1",
         want ? "breaks a rule" : "within the rules");
  FakeRelayChannel ch(p, {st});
  const std::string got = run_relay_check([](properties::Ledger&) {}, [&](sim::Sim& s, properties::Ledger&) {
    model::relay::check_channel_invariants(s, ch, overwrite);
  });
  RC_ASSERT(got.empty() == !want);
  if (want) RC_ASSERT(got.rfind("counters: buffer 0: ", 0) == 0);
}

RC_GTEST_PROP(RelayChecksProperties, RecordedPaddingReportsExactlyAMessageInsideIt, ()) {
  model::relay::Params p;
  p.n_subbufs = *rc::gen::inRange<std::uint64_t>(2, 7);
  p.subbuf_size = *rc::gen::element<std::uint64_t>(32, 64);
  const std::uint64_t n = p.n_subbufs, S = p.subbuf_size;
  const std::uint64_t produced = *rc::gen::inRange<std::uint64_t>(0, 2 * n + 3);
  // The message's sub-buffer sequence: finished and still in its slot in most cases.
  const std::uint64_t unit = static_cast<std::uint64_t>(std::max<std::int64_t>(
      0, *rc::gen::weightedOneOf<std::int64_t>({{3, rc::gen::inRange<std::int64_t>(static_cast<std::int64_t>(produced > n ? produced - n : 0),
                                                                                    static_cast<std::int64_t>(produced) + 1)},
                                                {1, rc::gen::inRange<std::int64_t>(0, static_cast<std::int64_t>(produced) + 2)}})));
  const auto len = *rc::gen::inRange<std::uint32_t>(1, static_cast<std::uint32_t>(S) + 1);
  const std::uint64_t offset = *rc::gen::inRange<std::uint64_t>(0, S - len + 1);
  const std::uint64_t tail = S - offset - len;  // the bytes after the message: the most padding allowed
  const std::uint64_t pad = std::min<std::uint64_t>(S, static_cast<std::uint64_t>(std::max<std::int64_t>(
                                                           0, *near(static_cast<std::int64_t>(tail), 0, static_cast<std::int64_t>(S)))));
  ChannelApi::BufState st;
  st.subbufs_produced = produced;
  st.subbufs_consumed = produced > n ? produced - n : 0;
  st.padding.assign(n, 0);
  st.padding[unit % n] = pad;
  const bool finished_in_slot = unit < produced && unit + n >= produced;
  const bool want = finished_in_slot && pad > tail;
  RC_TAG(finished_in_slot ? "finished, in its slot" : "not finished or slot reused", pad > tail ? "padding over it" : "padding clear of it");
  FakeRelayChannel ch(p, {st});
  const std::string got = run_relay_check(
      [&](properties::Ledger& l) { l.accepted(l.attempt(0, 0, len), 0, (unit % n) * S + offset, unit, false); },
      [&](sim::Sim& s, properties::Ledger& l) { model::relay::check_recorded_padding(s, ch, l); });
  RC_ASSERT(got.empty() == !want);
  if (want) RC_ASSERT(got.rfind("padding: sub-buffer " + std::to_string(unit % n) + " of buffer 0 records " + std::to_string(pad), 0) == 0);
}
