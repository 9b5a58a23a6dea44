// tests/model/relay_checks_test.cpp — the relay workload's own end-of-execution checks
// (model/relay/checks.h: counters and recorded padding) fire on exactly the states they name. No
// correct channel reaches those states, and the ledger reports the damage a wrong padding does
// before the padding check would, so only a hand-built state shows that each check bites (issue
// 18: relay-counters-check-off-by-one and relay-padding-check-off survived the mutation gate).
#include <gtest/gtest.h>

#include "model/relay/checks.h"
#include "tests/model/relay_fake_channel.h"

using model::relay::ChannelApi;
using testing_support::FakeRelayChannel;
using testing_support::run_relay_check;

namespace {

model::relay::Params params() {
  model::relay::Params p;
  p.subbuf_size = 64;
  p.n_subbufs = 4;
  return p;
}

ChannelApi::BufState buf(std::uint64_t produced, std::uint64_t consumed, std::uint64_t offset = 0,
                         std::vector<std::uint64_t> padding = {0, 0, 0, 0}) {
  ChannelApi::BufState st;
  st.subbufs_produced = produced;
  st.subbufs_consumed = consumed;
  st.offset = offset;
  st.padding = std::move(padding);
  return st;
}

std::string counters(ChannelApi::BufState st, bool overwrite) {
  FakeRelayChannel ch(params(), {std::move(st)});
  return run_relay_check([](properties::Ledger&) {},
                         [&](sim::Sim& s, properties::Ledger&) { model::relay::check_channel_invariants(s, ch, overwrite); });
}

// One message of 16 bytes at `offset` of sub-buffer `unit` (seq), with `pad` bytes of padding
// recorded for that sub-buffer's slot, after `produced` sub-buffers were produced.
std::string padding(std::uint64_t unit, std::uint64_t offset, std::uint64_t pad, std::uint64_t produced) {
  std::vector<std::uint64_t> pads(4, 0);
  pads[unit % 4] = pad;
  FakeRelayChannel ch(params(), {buf(produced, produced > 4 ? produced - 4 : 0, 0, pads)});
  return run_relay_check(
      [&](properties::Ledger& l) {
        auto id = l.attempt(0, 0, 16);
        l.accepted(id, 0, (unit % 4) * 64 + offset, unit, false);
      },
      [&](sim::Sim& s, properties::Ledger& l) { model::relay::check_recorded_padding(s, ch, l); });
}

}  // namespace

// relay.md's counters: produced - consumed <= n_subbufs without overwrite (relay_buf_full refuses
// the switch that would make it n_subbufs + 1); consumed <= produced; offset <= subbuf_size, or
// exactly subbuf_size + 1 after a refused switch; padding <= subbuf_size.
TEST(RelayChecks, CountersFireOnTheFirstStateBeyondEachBound) {
  EXPECT_EQ(counters(buf(4, 0), false), "");
  EXPECT_EQ(counters(buf(5, 1), false), "");
  EXPECT_EQ(counters(buf(5, 0), false), "counters: buffer 0: produced - consumed = 5 > n_subbufs in no-overwrite mode");
  EXPECT_EQ(counters(buf(9, 3), false), "counters: buffer 0: produced - consumed = 6 > n_subbufs in no-overwrite mode");
  EXPECT_EQ(counters(buf(5, 0), true), "") << "overwrite mode laps unread sub-buffers";
  EXPECT_EQ(counters(buf(2, 3), true), "counters: buffer 0: subbufs_consumed 3 > subbufs_produced 2");
  EXPECT_EQ(counters(buf(1, 0, 64), false), "");
  EXPECT_EQ(counters(buf(1, 0, 65), false), "") << "a refused switch leaves subbuf_size + 1";
  EXPECT_EQ(counters(buf(1, 0, 66), false), "counters: buffer 0: offset 66 beyond the sub-buffer");
  EXPECT_EQ(counters(buf(1, 0, 0, {0, 64, 0, 0}), false), "");
  EXPECT_EQ(counters(buf(1, 0, 0, {0, 65, 0, 0}), false), "counters: buffer 0: padding 65 larger than a sub-buffer");
}

// Recorded padding is the unused tail of a finished sub-buffer: a message that ends inside it
// means relay_switch_subbuf recorded more padding than the sub-buffer had left.
TEST(RelayChecks, RecordedPaddingMayNotCoverAMessageOfAFinishedSubbuf) {
  EXPECT_EQ(padding(0, 40, 8, 1), "");   // message [40, 56), padding [56, 64)
  EXPECT_EQ(padding(0, 40, 9, 1), "padding: sub-buffer 0 of buffer 0 records 9 bytes of padding over message 1 at offset 40");
  EXPECT_EQ(padding(0, 0, 48, 1), "");
  EXPECT_EQ(padding(0, 0, 49, 1), "padding: sub-buffer 0 of buffer 0 records 49 bytes of padding over message 1 at offset 0");
  EXPECT_EQ(padding(1, 40, 9, 1), "") << "sub-buffer 1 is not finished: its padding slot is not yet written";
  // Sequence 2 lives in slot 2 until sequence 6 finishes there (6 produced: 6 is being written).
  EXPECT_EQ(padding(2, 40, 9, 6), "padding: sub-buffer 2 of buffer 0 records 9 bytes of padding over message 1 at offset 40");
  EXPECT_EQ(padding(2, 40, 9, 7), "") << "slot 2 now holds sequence 6: its padding is not sequence 2's";
}
