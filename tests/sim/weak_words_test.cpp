// tests/sim/weak_words_test.cpp — ByteBuffer::weak_words (sim/buffer.h): a buffer's aligned 8-byte
// words under the memory model, on the message-passing shape a ring buffer's publish is.
//
// Writer (CPU 0): copy 8 bytes of message 1 into the buffer, then store flag = 1 (relaxed, or
// release as smp_wmb + WRITE_ONCE). Reader (CPU 1): load flag with acquire, then copy the 8 bytes
// out. The weak outcome, flag 1 and the old (never-written) bytes, is explored exhaustively:
//   - relaxed flag: reachable under lkmm (MP+poonceonce-poacquire is Sometimes), not under tso
//     (x86 keeps stores in order) nor sc; and the stale bytes come with their stale tags (0);
//   - release flag: reachable under no model;
//   - the same buffer without weak_words(): copies stay sequentially consistent, never reachable.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "sim/buffer.h"
#include "sim/dfs.h"
#include "sim/shared.h"

namespace {

using sim::MemoryModel;
using sim::Mo;

struct Publish final : sim::Workload {
  bool release = false, weak = true;
  std::unique_ptr<sim::ByteBuffer> buf;
  std::unique_ptr<sim::Shared<int>> flag;
  int seen_flag = 0, seen_byte = 0, tag_ok = 1;

  void build(sim::Sim& sim) override {
    sim.set_cpus(2);
    buf = std::make_unique<sim::ByteBuffer>(sim, "data", 64);
    if (weak) buf->weak_words();
    flag = std::make_unique<sim::Shared<int>>(sim, "flag", 0);
    sim.add_task("writer", 0, [this] {
      const std::uint8_t rec[8] = {7, 7, 7, 7, 7, 7, 7, 7};
      buf->write(8, rec, 8, 1);
      flag->store(1, release ? Mo::Release : Mo::Relaxed);
    });
    sim.add_task("reader", 1, [this] {
      seen_flag = flag->load(Mo::Acquire);
      std::uint8_t out[8];
      std::uint64_t tags[8];
      buf->read(8, out, 8, tags);
      seen_byte = out[0];
      // The tags travel with the bytes: message 1's byte i, or 0 with the old (zero) bytes.
      for (int i = 0; i < 8; ++i)
        if (tags[i] != (out[i] ? (std::uint64_t{1} | std::uint64_t(i) << 40) : 0)) tag_ok = 0;
    });
  }
  void reset(sim::Sim&) override { seen_flag = seen_byte = 0, tag_ok = 1; }
  std::uint64_t end_state_hash(const sim::Sim&) const override {
    return static_cast<std::uint64_t>(seen_flag) | static_cast<std::uint64_t>(seen_byte) << 4 |
           static_cast<std::uint64_t>(tag_ok) << 12;
  }
};

std::set<std::pair<int, int>> outcomes(MemoryModel m, bool release, bool weak) {
  sim::Sim::Config cfg;
  cfg.memory_model = m;
  cfg.step_bound = 1000;
  sim::DfsConfig d;
  d.collect_outcomes = true;
  d.executions = 200'000;
  sim::DfsResult r = sim::explore_dfs(
      [&] {
        auto w = std::make_unique<Publish>();
        w->release = release;
        w->weak = weak;
        return w;
      },
      cfg, d);
  EXPECT_FALSE(r.error) << *r.error;
  EXPECT_TRUE(r.last().complete) << "the search must be exhaustive";
  std::set<std::pair<int, int>> out;
  for (std::uint64_t h : r.last().outcomes) {
    EXPECT_EQ((h >> 12) & 1, 1u) << "a byte arrived without its own tag";
    out.insert({static_cast<int>(h & 15), static_cast<int>((h >> 4) & 255)});
  }
  return out;
}

const std::pair<int, int> kStale{1, 0};   // the flag seen, the record's old bytes read
const std::pair<int, int> kFresh{1, 7};

TEST(EngineWeakWords, RelaxedPublishShowsOldBytesUnderLkmmOnly) {
  for (MemoryModel m : {MemoryModel::Sc, MemoryModel::Tso, MemoryModel::Lkmm}) {
    SCOPED_TRACE(std::string(sim::memory_model_name(m)));
    const auto o = outcomes(m, false, true);
    EXPECT_TRUE(o.count(kFresh));
    EXPECT_EQ(o.count(kStale) == 1, m == MemoryModel::Lkmm);
  }
}

TEST(EngineWeakWords, ReleasePublishNeverShowsOldBytes) {
  for (MemoryModel m : {MemoryModel::Sc, MemoryModel::Tso, MemoryModel::Lkmm}) {
    SCOPED_TRACE(std::string(sim::memory_model_name(m)));
    const auto o = outcomes(m, true, true);
    EXPECT_TRUE(o.count(kFresh));
    EXPECT_FALSE(o.count(kStale));
  }
}

TEST(EngineWeakWords, WithoutWeakWordsCopiesStaySequentiallyConsistent) {
  const auto o = outcomes(MemoryModel::Lkmm, false, false);
  EXPECT_TRUE(o.count(kFresh));
  EXPECT_FALSE(o.count(kStale));
}

}  // namespace
