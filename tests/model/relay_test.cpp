// tests/model/relay_test.cpp — pins the relay model (model/relay/relay.h) to kernel/relay.c on
// exact sequences, and checks the interrupt-safety difference between relay_write and
// __relay_write under random schedules.
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/relay/exec.h"
#include "model/relay/relay.h"
#include "sim/buffer.h"
#include "sim/choice.h"
#include "sim/rng.h"
#include "sim/sim.h"
#include "tests/sim/lambda_workload.h"

using model::relay::Callback;
using model::relay::Channel;
using model::relay::Params;
using model::relay::WriteResult;
using U64 = std::uint64_t;

namespace {

/// "1x40 2x20@20 0x8": message id x length (@ first byte index when not 0), from ghost tags.
std::string runs(const std::uint64_t* tags, std::size_t n) {
  std::string s;
  for (const auto& r : model::relay::tag_runs(tags, n)) {
    if (!s.empty()) s += ' ';
    s += std::to_string(r.id) + "x" + std::to_string(r.length);
    if (r.first_index) s += "@" + std::to_string(r.first_index);
  }
  return s;
}
std::string runs(const Channel::ReadResult& r) { return runs(r.tags.data(), r.tags.size()); }
std::string subbuf_runs(const Channel& ch, int buffer, U64 index) {
  const U64 sbs = ch.params().subbuf_size;
  return runs(ch.memory(buffer).tags() + index * sbs, static_cast<std::size_t>(sbs));
}

/// Sequential driver: message ids 1, 2, 3... with the exec payload.
struct Driver {
  Channel& ch;
  U64 next_id = 1;
  Channel::ReaderFile file;
  WriteResult write(U64 len, int cpu = 0, bool irqsave = true) {
    U64 id = next_id++;
    auto payload = model::relay::exec_payload(id, len);
    return irqsave ? ch.relay_write(cpu, payload.data(), len, id) : ch.__relay_write(cpu, payload.data(), len, id);
  }
  std::string read(U64 count, int buffer = 0) { return runs(ch.relay_file_read(buffer, file, count)); }
};

/// Runs `body` as one task with no scheduling choices; the channel is alive in both callbacks.
void sequential(const Params& p, const std::function<void(Driver&)>& body,
                const std::function<void(const Channel&, const sim::ExecResult&)>& after = {}) {
  sim::ExecResult r = model::relay::run_sequential(
      p,
      [&](sim::Sim&, Channel& ch) {
        Driver d{ch, 1, {}};
        body(d);
      },
      [&](Channel& ch, const sim::ExecResult& res) {
        if (after) after(ch, res);
      });
  ASSERT_EQ(r.end, sim::ExecResult::End::Finished) << (r.violation ? r.violation->message : "internal error");
}

Params params(Callback cb = Callback::BufFull) {
  Params p;
  p.subbuf_size = 64;
  p.n_subbufs = 4;
  p.callback = cb;
  return p;
}

}  // namespace

TEST(RelayOpen, ValidateAnswersAsRelayOpen) {
  std::string why;
  Params p = params();
  EXPECT_EQ(Channel::validate(p, &why), 0);
  p.subbuf_size = 0;
  EXPECT_EQ(Channel::validate(p, &why), -22);
  EXPECT_NE(why.find("subbuf_size is 0"), std::string::npos);
  p = params();
  p.n_subbufs = 0;
  EXPECT_EQ(Channel::validate(p, &why), -22);
  p = params();
  p.subbuf_size = U64{1} << 20;
  p.n_subbufs = U64{1} << 12;  // 2^32 > UINT_MAX
  EXPECT_EQ(Channel::validate(p, &why), -22);
  EXPECT_NE(why.find("UINT_MAX"), std::string::npos);
  p.n_subbufs = (U64{1} << 12) - 1;  // fits UINT_MAX but exceeds the model's memory limit
  EXPECT_EQ(Channel::validate(p, &why), -12);
  p = params(Callback::HeaderReserve);
  p.header_size = 63;  // subbuf_start_reserve BUG_ON(length >= subbuf_size - 1)
  EXPECT_EQ(Channel::validate(p, &why), -22);
  p.header_size = 62;
  EXPECT_EQ(Channel::validate(p, &why), 0);
  p.header_size = 61;
  EXPECT_EQ(Channel::validate(p, &why), 0);
  p = params();
  p.cpus = 0;
  EXPECT_EQ(Channel::validate(p, &why), -22);
}

TEST(RelayWrite, SwitchRecordsPaddingProducedAndFileSize) {
  sequential(params(), [](Driver& d) {
    WriteResult a = d.write(30), b = d.write(30), c = d.write(10);
    EXPECT_TRUE(a.accepted && b.accepted && c.accepted);
    EXPECT_EQ(a.offset_in_buffer, 0u);
    EXPECT_EQ(b.offset_in_buffer, 30u);
    EXPECT_EQ(c.offset_in_buffer, 64u);  // 60 + 10 > 64: switched to sub-buffer 1
    EXPECT_EQ(b.subbuf_seq, 0u);
    EXPECT_EQ(c.subbuf_seq, 1u);
    Channel::BufState s = d.ch.state(0);
    EXPECT_EQ(s.subbufs_produced, 1u);
    EXPECT_EQ(s.subbufs_consumed, 0u);
    EXPECT_EQ(s.offset, 10u);
    EXPECT_EQ(s.data_subbuf, 1u);
    EXPECT_EQ(s.padding, (std::vector<U64>{4, 0, 0, 0}));
    EXPECT_EQ(s.file_size, 60u);  // i_size += subbuf_size - padding
    EXPECT_EQ(s.early_bytes, 0u);
    EXPECT_EQ(subbuf_runs(d.ch, 0, 0), "1x30 2x30 0x4");
    EXPECT_EQ(subbuf_runs(d.ch, 0, 1), "3x10 0x54");
  });
}

TEST(RelayRead, SkipsPaddingReadsThePartialSubbufAndNeverRepeats) {
  sequential(params(), [](Driver& d) {
    d.write(30);
    d.write(30);
    d.write(10);
    EXPECT_EQ(d.read(1000), "1x30 2x30 3x10");
    Channel::BufState s = d.ch.state(0);
    EXPECT_EQ(s.subbufs_consumed, 1u);  // sub-buffer 0 released, sub-buffer 1 still written
    EXPECT_EQ(s.bytes_consumed, 10u);
    EXPECT_EQ(d.read(1000), "");
    d.write(20);
    EXPECT_EQ(d.read(1000), "4x20");
    EXPECT_EQ(d.ch.state(0).bytes_consumed, 30u);
  });
}

TEST(RelayRead, ShortCountsSplitMessagesAndContinue) {
  sequential(params(), [](Driver& d) {
    d.write(30);
    d.write(30);
    d.write(10);
    EXPECT_EQ(d.read(20), "1x20");
    EXPECT_EQ(d.ch.state(0).bytes_consumed, 20u);
    EXPECT_EQ(d.read(45), "1x10@20 2x30 3x5");  // to the end of sub-buffer 0's data, then on
    EXPECT_EQ(d.read(1000), "3x5@5");
  });
}

TEST(RelayFull, RefusedStateIsRetriedWithoutProducingAgainUntilConsumed) {
  sequential(params(), [](Driver& d) {
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(d.write(40).accepted);
    WriteResult refused = d.write(40);
    EXPECT_FALSE(refused.accepted);
    EXPECT_EQ(refused.drop, WriteResult::Drop::Full);
    Channel::BufState s = d.ch.state(0);
    EXPECT_EQ(s.subbufs_produced, 4u);
    EXPECT_EQ(s.offset, 65u);  // subbuf_size + 1
    EXPECT_EQ(s.data_subbuf, 3u);  // data still points at the refused-from sub-buffer
    EXPECT_EQ(s.padding, (std::vector<U64>{24, 24, 24, 24}));
    EXPECT_EQ(s.file_size, 160u);
    EXPECT_EQ(s.full_count, 1u);
    EXPECT_TRUE(d.ch.relay_buf_full(0));
    // Retry: no second produce, no second padding record; counted again.
    EXPECT_EQ(d.write(1).drop, WriteResult::Drop::Full);
    s = d.ch.state(0);
    EXPECT_EQ(s.subbufs_produced, 4u);
    EXPECT_EQ(s.offset, 65u);
    EXPECT_EQ(s.file_size, 160u);
    EXPECT_EQ(s.full_count, 2u);
    EXPECT_EQ(s.dropped, 0u);  // no client counter without the Counting callback
    // An mmap client releases one sub-buffer: the next write switches into sub-buffer 0 (seq 4).
    d.ch.relay_subbufs_consumed(0, 1);
    WriteResult w = d.write(40);
    EXPECT_TRUE(w.accepted);
    EXPECT_EQ(w.offset_in_buffer, 0u);
    EXPECT_EQ(w.subbuf_seq, 4u);
    s = d.ch.state(0);
    EXPECT_EQ(s.subbufs_produced, 4u);
    EXPECT_EQ(s.subbufs_consumed, 1u);
    EXPECT_EQ(s.offset, 40u);
    EXPECT_EQ(s.padding, (std::vector<U64>{0, 24, 24, 24}));
    EXPECT_EQ(d.read(1000), "2x40 3x40 4x40 7x40");
    EXPECT_EQ(d.ch.state(0).subbufs_consumed, 4u);
  });
}

TEST(RelayFull, ReadingEverythingWhileRefusedLetsTheNextWriteIn) {
  sequential(params(), [](Driver& d) {
    for (int i = 0; i < 5; ++i) d.write(40);
    EXPECT_EQ(d.ch.relay_file_poll(0), 1);
    EXPECT_EQ(d.read(1000), "1x40 2x40 3x40 4x40");
    Channel::BufState s = d.ch.state(0);
    EXPECT_EQ(s.subbufs_consumed, 4u);
    EXPECT_EQ(s.offset, 65u);
    EXPECT_EQ(d.ch.relay_file_poll(0), 0);
    EXPECT_EQ(d.read(1000), "");
    WriteResult w = d.write(10);
    EXPECT_TRUE(w.accepted);
    EXPECT_EQ(w.offset_in_buffer, 0u);
    EXPECT_EQ(d.read(1000), "6x10");
  });
}

TEST(RelayFull, SubbufsConsumedClampsAndIgnoresMoreThanNSubbufs) {
  sequential(params(), [](Driver& d) {
    d.write(40);
    d.write(40);
    d.write(40);  // produced 2
    d.ch.relay_subbufs_consumed(0, 5);  // > n_subbufs: ignored
    EXPECT_EQ(d.ch.state(0).subbufs_consumed, 0u);
    d.ch.relay_subbufs_consumed(0, 3);  // > produced - consumed: clamped to produced
    EXPECT_EQ(d.ch.state(0).subbufs_consumed, 2u);
  });
}

TEST(RelayCounting, DroppedCountsEachRefusedAttempt) {
  auto p = params(Callback::Counting);
  sequential(p, [](Driver& d) {
    for (int i = 0; i < 7; ++i) d.write(40);
    EXPECT_EQ(d.ch.dropped(), 3u);
    EXPECT_EQ(d.ch.state(0).dropped, 3u);
    EXPECT_EQ(d.ch.state(0).full_count, 3u);  // the relay wrapper counts too (mainline)
    d.write(65);  // too big: not a drop for the client
    EXPECT_EQ(d.ch.dropped(), 3u);
    d.ch.relay_reset();  // bt->dropped belongs to the client: not reset
    EXPECT_EQ(d.ch.dropped(), 3u);
    EXPECT_EQ(d.ch.state(0).full_count, 0u);
  });
  p.stats = false;
  sequential(p, [](Driver& d) {
    for (int i = 0; i < 7; ++i) d.write(40);
    EXPECT_EQ(d.ch.dropped(), 3u);
    EXPECT_EQ(d.ch.state(0).full_count, 0u);  // older kernels have no relay_stats
  });
}

TEST(RelayOverwrite, ReaderCatchesUpSkippingTheOldestSubbufs) {
  sequential(params(Callback::Overwrite), [](Driver& d) {
    for (int i = 0; i < 6; ++i) EXPECT_TRUE(d.write(40).accepted);
    Channel::BufState s = d.ch.state(0);
    EXPECT_EQ(s.subbufs_produced, 5u);
    EXPECT_EQ(s.full_count, 2u);  // counted even though the callback allows
    EXPECT_EQ(s.padding, (std::vector<U64>{24, 0, 24, 24}));
    EXPECT_EQ(subbuf_runs(d.ch, 0, 0), "5x40 0x24");
    Channel::ReadResult r = d.ch.relay_file_read(0, d.file, 1000);
    EXPECT_EQ(runs(r), "3x40 4x40 5x40 6x40");
    EXPECT_EQ(r.skipped_subbuf_seqs, (std::vector<U64>{0, 1}));
    s = d.ch.state(0);
    EXPECT_EQ(s.subbufs_consumed, 5u);
    EXPECT_EQ(s.bytes_consumed, 40u);
    // Lapping twice: only the n - 1 newest finished sub-buffers survive.
    for (int i = 0; i < 9; ++i) d.write(40);  // ids 7..15, produced 14
    r = d.ch.relay_file_read(0, d.file, 1000);
    EXPECT_EQ(d.ch.state(0).subbufs_produced, 14u);
    // Sequence 5 (message 6, already read) is released first; 6..10 are jumped over.
    EXPECT_EQ(r.skipped_subbuf_seqs, (std::vector<U64>{6, 7, 8, 9, 10}));
    EXPECT_EQ(runs(r), "12x40 13x40 14x40 15x40");
  });
}

TEST(RelayTooBig, CountedInBigCountWithoutASwitch) {
  sequential(params(), [](Driver& d) {
    d.write(30);
    WriteResult w = d.write(65);
    EXPECT_FALSE(w.accepted);
    EXPECT_EQ(w.drop, WriteResult::Drop::TooBig);
    Channel::BufState s = d.ch.state(0);
    EXPECT_EQ(s.big_count, 1u);
    EXPECT_EQ(s.subbufs_produced, 0u);
    EXPECT_EQ(s.offset, 30u);
    EXPECT_EQ(d.ch.last_toobig(), 0u);
    EXPECT_FALSE(d.ch.relay_reserve(0, 100).accepted);
    EXPECT_EQ(d.ch.state(0).big_count, 2u);
    EXPECT_TRUE(d.write(64).accepted);  // exactly a sub-buffer fits
    EXPECT_EQ(d.read(1000), "1x30 3x64");
  });
}

TEST(RelayTooBig, OlderKernelsRecordLastToobigAndNeverResetIt) {
  Params p = params();
  p.stats = false;
  sequential(p, [](Driver& d) {
    d.write(65);
    d.write(100);
    d.write(70);
    EXPECT_EQ(d.ch.last_toobig(), 70u);
    EXPECT_EQ(d.ch.state(0).big_count, 0u);
    d.ch.relay_reset();
    EXPECT_EQ(d.ch.last_toobig(), 70u);
  });
}

TEST(RelayTooBig, AMessageThatFitsNoLongerAfterTheHeaderBurnsASubbuf) {
  sequential(params(Callback::HeaderReserve), [](Driver& d) {
    EXPECT_EQ(d.ch.state(0).offset, 8u);  // the open's reset reserved the header
    WriteResult w = d.write(60);          // 8 + 60 > 64: switch, then 60 + 8 > 64 again
    EXPECT_EQ(w.drop, WriteResult::Drop::TooBig);
    Channel::BufState s = d.ch.state(0);
    EXPECT_EQ(s.subbufs_produced, 1u);
    EXPECT_EQ(s.padding, (std::vector<U64>{56, 0, 0, 0}));
    EXPECT_EQ(s.data_subbuf, 1u);
    EXPECT_EQ(s.offset, 8u);
    EXPECT_EQ(s.big_count, 1u);
    EXPECT_EQ(s.file_size, 8u);
  });
}

TEST(RelayHeaderReserve, PreviousSubbufHeaderHoldsItsPadding) {
  for (bool stats : {true, false}) {
    Params p = params(Callback::HeaderReserve);
    p.stats = stats;
    sequential(p, [](Driver& d) {
      EXPECT_EQ(d.write(40).offset_in_buffer, 8u);
      EXPECT_EQ(d.write(20).offset_in_buffer, 72u);
      EXPECT_EQ(d.write(30).offset_in_buffer, 92u);
      EXPECT_EQ(d.write(10).offset_in_buffer, 136u);
      Channel::BufState s = d.ch.state(0);
      EXPECT_EQ(s.padding, (std::vector<U64>{16, 6, 0, 0}));
      const std::uint8_t* mem = d.ch.memory(0).bytes();
      EXPECT_EQ(mem[0], 16);  // little-endian 8-byte header of sub-buffer 0
      for (int i = 1; i < 8; ++i) EXPECT_EQ(mem[i], 0);
      EXPECT_EQ(mem[64], 6);
      EXPECT_EQ(mem[128], 0);  // sub-buffer 2 is still being written: no header yet
      EXPECT_EQ(subbuf_runs(d.ch, 0, 0), "0x8 1x40 0x16");
      EXPECT_EQ(subbuf_runs(d.ch, 0, 1), "0x8 2x20 3x30 0x6");
      U64 pad = 0;
      Channel::ReadResult r = d.ch.mmap_read_subbuf(0, 0, &pad);
      EXPECT_EQ(pad, 16u);
      EXPECT_EQ(runs(r), "1x40");
      r = d.ch.mmap_read_subbuf(0, 1, &pad);
      EXPECT_EQ(pad, 6u);
      EXPECT_EQ(runs(r), "2x20 3x30");
      // read() knows nothing of headers: they are returned as data.
      EXPECT_EQ(d.read(1000), "0x8 1x40 0x8 2x20 3x30 0x8 4x10");
    });
  }
}

TEST(RelayHeaderReserve, RefusedSwitchStillWritesThePreviousHeader) {
  sequential(params(Callback::HeaderReserve), [](Driver& d) {
    for (int i = 0; i < 4; ++i) d.write(50);  // each fills 8 + 50 = 58 bytes of a sub-buffer
    WriteResult w = d.write(50);
    EXPECT_EQ(w.drop, WriteResult::Drop::Full);
    EXPECT_EQ(d.ch.memory(0).bytes()[192], 6);  // sub-buffer 3's header: 64 - 58
    EXPECT_EQ(d.ch.state(0).offset, 65u);
    d.ch.relay_subbufs_consumed(0, 1);
    w = d.write(50);
    EXPECT_TRUE(w.accepted);
    EXPECT_EQ(w.offset_in_buffer, 8u);  // header reserved again in sub-buffer 0
  });
}

TEST(RelayReset, ReturnsToTheOpenedStateButKeepsMemoryAndFileSize) {
  sequential(params(Callback::HeaderReserve), [](Driver& d) {
    for (int i = 0; i < 5; ++i) d.write(50);
    d.write(70);
    d.ch.relay_subbufs_consumed(0, 1);
    d.read(10);
    Channel::BufState before = d.ch.state(0);
    EXPECT_EQ(before.full_count, 1u);
    EXPECT_EQ(before.big_count, 1u);
    d.ch.relay_reset();
    Channel::BufState s = d.ch.state(0);
    EXPECT_EQ(s.subbufs_produced, 0u);
    EXPECT_EQ(s.subbufs_consumed, 0u);
    EXPECT_EQ(s.bytes_consumed, 0u);
    EXPECT_EQ(s.data_subbuf, 0u);
    EXPECT_EQ(s.offset, 8u);  // the callback reserved its header again
    EXPECT_EQ(s.padding, (std::vector<U64>{0, 0, 0, 0}));
    EXPECT_EQ(s.full_count, 0u);
    EXPECT_EQ(s.big_count, 0u);
    EXPECT_EQ(s.file_size, before.file_size);
    EXPECT_EQ(s.file_size, 232u);
    EXPECT_EQ(subbuf_runs(d.ch, 0, 1), "0x8 2x50 0x6");  // memory is not cleared
    EXPECT_EQ(d.write(10).offset_in_buffer, 8u);
    EXPECT_EQ(d.read(1000), "0x8 7x10");  // the old header bytes of sub-buffer 0, then the new message
  });
}

TEST(RelayFlush, MakesAPartialSubbufProducedAndPollable) {
  sequential(params(), [](Driver& d) {
    d.write(10);
    EXPECT_EQ(d.ch.relay_file_poll(0), 0);  // partial sub-buffers do not make poll readable
    d.ch.relay_flush();
    Channel::BufState s = d.ch.state(0);
    EXPECT_EQ(s.subbufs_produced, 1u);
    EXPECT_EQ(s.padding[0], 54u);
    EXPECT_EQ(s.file_size, 10u);
    EXPECT_EQ(s.offset, 0u);
    EXPECT_EQ(d.ch.relay_file_poll(0), 1);
    Channel::ReadResult r = d.ch.relay_file_read(0, d.file, 1000);
    EXPECT_EQ(runs(r), "1x10");
    EXPECT_EQ(d.ch.state(0).subbufs_consumed, 1u);
    EXPECT_EQ(d.ch.relay_file_poll(0), 0);
    // Flushing an empty sub-buffer still produces one, all padding; four of them fill the buffer.
    for (int i = 0; i < 4; ++i) d.ch.relay_flush();
    s = d.ch.state(0);
    EXPECT_EQ(s.subbufs_produced, 5u);
    EXPECT_EQ(s.padding, (std::vector<U64>{64, 64, 64, 64}));
    EXPECT_EQ(s.offset, 65u);  // the fourth flush's switch was refused
    EXPECT_EQ(s.full_count, 1u);
    EXPECT_EQ(s.file_size, 10u);
    // All-padding sub-buffers are released one per read() call, each returning 0 bytes.
    EXPECT_EQ(d.read(1000), "");
    EXPECT_EQ(d.ch.state(0).subbufs_consumed, 2u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(d.read(1000), "");
    EXPECT_EQ(d.ch.state(0).subbufs_consumed, 5u);
  });
}

TEST(RelayFlush, FlushesEveryPerCpuBuffer) {
  Params p = params();
  p.cpus = 2;
  sequential(p, [](Driver& d) {
    EXPECT_EQ(d.ch.buffers(), 2);
    WriteResult w = d.write(10, 1);
    EXPECT_EQ(w.buffer, 1);
    d.ch.relay_flush();
    EXPECT_EQ(d.ch.state(0).subbufs_produced, 1u);
    EXPECT_EQ(d.ch.state(0).padding[0], 64u);
    EXPECT_EQ(d.ch.state(1).subbufs_produced, 1u);
    EXPECT_EQ(d.ch.state(1).padding[0], 54u);
    EXPECT_EQ(d.read(1000, 1), "1x10");
    EXPECT_EQ(d.read(1000, 0), "");
  });
}

TEST(RelayGlobal, AllCpusWriteOneBuffer) {
  Params p = params();
  p.cpus = 3;
  p.is_global = true;
  sequential(p, [](Driver& d) {
    EXPECT_EQ(d.ch.buffers(), 1);
    EXPECT_EQ(d.write(10, 0).offset_in_buffer, 0u);
    EXPECT_EQ(d.write(10, 2).offset_in_buffer, 10u);
    EXPECT_EQ(d.write(10, 1).offset_in_buffer, 20u);
    EXPECT_EQ(d.read(1000), "1x10 2x10 3x10");
  });
}

TEST(RelayReserve, ZeroLengthAfterASuccessfulSwitchStillReturnsNull) {
  sequential(params(), [](Driver& d) {
    for (int i = 0; i < 5; ++i) d.write(40);
    d.ch.relay_subbufs_consumed(0, 1);
    WriteResult w = d.ch.relay_reserve(0, 0);
    EXPECT_FALSE(w.accepted);
    EXPECT_EQ(w.drop, WriteResult::Drop::None);
    EXPECT_EQ(d.ch.state(0).offset, 0u);  // the switch did happen
    EXPECT_EQ(d.ch.state(0).data_subbuf, 0u);
    WriteResult r = d.ch.relay_reserve(0, 16);
    EXPECT_TRUE(r.accepted);
    EXPECT_EQ(r.offset_in_buffer, 0u);
    EXPECT_EQ(d.ch.state(0).offset, 16u);
    auto payload = model::relay::exec_payload(99, 16);
    d.ch.commit_reserved(r, payload.data(), 16, 99);
    EXPECT_EQ(subbuf_runs(d.ch, 0, 0), "99x16 1x24@16 0x24");
  });
}

TEST(RelayRead, OldReadPosDeliversTwiceWithTwoReaders) {
  for (bool old : {false, true}) {
    Params p = params();
    p.old_read_pos = old;
    sequential(p, [old](Driver& d) {
      d.write(20);
      d.write(20);
      d.write(20);
      Channel::ReaderFile a, b;
      EXPECT_EQ(runs(d.ch.relay_file_read(0, a, 20)), "1x20");
      EXPECT_EQ(a.ppos, 20u);
      EXPECT_EQ(runs(d.ch.relay_file_read(0, b, 20)), "2x20");  // b's ppos 0 means "shared state"
      if (!old) {
        EXPECT_EQ(runs(d.ch.relay_file_read(0, a, 20)), "3x20");
        EXPECT_EQ(d.ch.state(0).bytes_consumed, 60u);
      } else {
        EXPECT_EQ(runs(d.ch.relay_file_read(0, a, 20)), "2x20");  // a's stale *ppos: delivered twice
        EXPECT_EQ(d.ch.state(0).bytes_consumed, 60u);  // counted twice
        EXPECT_EQ(runs(d.ch.relay_file_read(0, b, 100)), "");  // message 3 looks consumed
        EXPECT_EQ(b.ppos, 40u);
        d.write(10);  // switches: sub-buffer 0 (padding 4) produced
        EXPECT_EQ(runs(d.ch.relay_file_read(0, b, 100)), "3x20 4x10");  // from a released sub-buffer
        Channel::BufState s = d.ch.state(0);
        EXPECT_EQ(s.subbufs_consumed, 1u);
        EXPECT_EQ(s.bytes_consumed, 30u);  // past the writer's offset
        EXPECT_EQ(s.offset, 10u);
      }
    });
  }
}

TEST(RelayPoll, ReadableOnlyForWholeSubbufsErrorOnceClosed) {
  sequential(params(), [](Driver& d) {
    EXPECT_EQ(d.ch.relay_file_poll(0), 0);
    d.write(60);
    EXPECT_EQ(d.ch.relay_file_poll(0), 0);
    d.write(10);
    EXPECT_EQ(d.ch.relay_file_poll(0), 1);
    d.ch.relay_close();
    EXPECT_EQ(d.ch.relay_file_poll(0), 2);
    EXPECT_TRUE(d.ch.state(0).finalized);
    EXPECT_EQ(d.read(1000), "1x60 2x10");  // no flush at close; read still works
  });
}

TEST(RelayWakeup, NoIrqWorkWithoutAWaitingReader) {
  sim::ExecResult r = model::relay::run_sequential(params(), [](sim::Sim&, Channel& ch) {
    Driver d{ch, 1, {}};
    for (int i = 0; i < 3; ++i) d.write(40);
  });
  EXPECT_EQ(r.end, sim::ExecResult::End::Finished);
  EXPECT_EQ(r.interrupts, 0u);
}

namespace {
struct WaitOutcome {
  int finished = 0, stuck = 0, woken_by_irq_work = 0;
};
// A reader on CPU 1 blocks in poll until a sub-buffer is produced; a writer on CPU 0 writes
// `lens`. Random schedules.
WaitOutcome run_waiter(std::vector<U64> lens, int executions) {
  WaitOutcome out;
  testing_support::LambdaWorkload w;
  std::optional<Channel> ch;
  w.on_build = [&](sim::Sim& s) {
    s.set_cpus(2);
    ch.emplace(s, params());
    s.add_task("writer", 0, [&] {
      U64 id = 1;
      for (U64 len : lens) {
        auto payload = model::relay::exec_payload(id, len);
        ch->relay_write(0, payload.data(), len, id++);
      }
    });
    s.add_task("reader", 1, [&] { ch->wait_readable(0); });
  };
  sim::Sim s({});
  s.load(w);
  for (int i = 0; i < executions; ++i) {
    sim::RandomSource src(sim::derive_seed(7, static_cast<U64>(i)));
    sim::ExecResult r = s.run(src);
    if (r.end == sim::ExecResult::End::Finished) ++out.finished;
    if (r.end == sim::ExecResult::End::Violation && r.violation->property == sim::Property::Deadlock) ++out.stuck;
    if (r.interrupts > 0) ++out.woken_by_irq_work;
  }
  return out;
}
}  // namespace

TEST(RelayWakeup, DeferredWakeupReachesAWaitingReader) {
  WaitOutcome o = run_waiter({40, 40}, 500);
  EXPECT_EQ(o.finished, 500);
  EXPECT_GT(o.woken_by_irq_work, 0);     // the reader slept and the irq_work woke it
  EXPECT_LT(o.woken_by_irq_work, 500);   // or the switch came first and it never slept
  // Control: a partial sub-buffer never wakes the reader.
  WaitOutcome none = run_waiter({40}, 200);
  EXPECT_EQ(none.stuck, 200);
}

namespace {
// A task on CPU 0 writes four messages, a hardirq on CPU 0 writes one, both with the same writer
// function; counts executions in which an accepted message's bytes were overwritten by another
// (or the model reported a violation, e.g. a write out of bounds).
int corrupted_executions(bool irqsave, int executions) {
  testing_support::LambdaWorkload w;
  std::optional<Channel> ch;
  struct Accepted {
    WriteResult where;
    U64 id, len;
  };
  std::vector<Accepted> accepted;
  Params p;
  p.subbuf_size = 64;
  p.n_subbufs = 8;
  auto write = [&](sim::Sim& s, U64 id, U64 len) {
    auto payload = model::relay::exec_payload(id, len);
    int cpu = s.smp_processor_id();
    WriteResult r = irqsave ? ch->relay_write(cpu, payload.data(), len, id) : ch->__relay_write(cpu, payload.data(), len, id);
    if (r.accepted) accepted.push_back({r, id, len});
  };
  w.on_build = [&](sim::Sim& s) {
    ch.emplace(s, p);
    s.add_task("writer", 0, [&] {
      for (U64 id = 1; id <= 4; ++id) write(s, id, 12 + 4 * id);
    });
    s.add_interrupt("irq", 0, sim::Ctx::Hardirq, 1, [&] { write(s, 100, 24); });
  };
  w.on_reset = [&](sim::Sim&) {
    accepted.clear();
    ch->reset_ghost();
  };
  int corrupted = 0;
  w.on_final = [&](sim::Sim&) {
    const std::uint64_t* tags = ch->memory(0).tags();
    for (const Accepted& a : accepted)
      for (U64 i = 0; i < a.len; ++i) {
        U64 t = tags[a.where.offset_in_buffer + i];
        if (sim::tag_id(t) != a.id || sim::tag_index(t) != i) {
          ++corrupted;
          return;
        }
      }
  };
  sim::Sim s({});
  s.load(w);
  for (int i = 0; i < executions; ++i) {
    sim::RandomSource src(sim::derive_seed(11, static_cast<U64>(i)));
    sim::ExecResult r = s.run(src);
    if (r.end == sim::ExecResult::End::Violation) ++corrupted;
    EXPECT_NE(r.end, sim::ExecResult::End::Error);
  }
  return corrupted;
}
}  // namespace

TEST(RelayConcurrency, RelayWriteWithIrqsOffNeverOverlapsANestedWriter) {
  EXPECT_EQ(corrupted_executions(true, 3000), 0);
}

TEST(RelayConcurrency, UnderscoreRelayWriteRacesAHardirqWriterOnItsCpu) {
  EXPECT_GT(corrupted_executions(false, 3000), 0);
}
