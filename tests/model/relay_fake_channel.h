// tests/model/relay_fake_channel.h — a relay ChannelApi whose observable state a test sets by hand,
// for the relay workload's end-of-execution checks (model/relay/checks.h): the counters and
// padding checks must fire on states no correct channel reaches, so a test builds those states.
// Only params(), buffers() and the state accessors do anything; every operation aborts the test.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/relay/channel_api.h"
#include "properties/ledger.h"
#include "sim/choice.h"
#include "tests/sim/lambda_workload.h"

namespace testing_support {

class FakeRelayChannel : public model::relay::ChannelApi {
 public:
  using WriteResult = model::relay::WriteResult;
  FakeRelayChannel(model::relay::Params p, std::vector<BufState> states) : p_(p), states_(std::move(states)) {}

  WriteResult relay_write(int, const std::uint8_t*, std::uint64_t, std::uint64_t) override { return no<WriteResult>(); }
  WriteResult __relay_write(int, const std::uint8_t*, std::uint64_t, std::uint64_t) override { return no<WriteResult>(); }
  WriteResult relay_reserve(int, std::uint64_t) override { return no<WriteResult>(); }
  void commit_reserved(const WriteResult&, const std::uint8_t*, std::uint64_t, std::uint64_t) override { no<int>(); }
  int relay_switch_subbuf(int, std::uint64_t) override { return no<int>(); }
  void relay_flush() override { no<int>(); }
  void relay_reset() override { no<int>(); }
  void relay_subbufs_consumed(int, std::uint64_t) override { no<int>(); }
  void relay_close() override { no<int>(); }
  bool relay_buf_full(int) override { return no<bool>(); }
  void relay_file_read(int, ReaderFile&, std::uint64_t, ReadResult&) override { no<int>(); }
  int relay_file_poll(int) override { return no<int>(); }
  void wait_readable(int, const std::function<bool()>&) override { no<int>(); }
  void wake_readers(int) override { no<int>(); }
  void mmap_read_subbuf(int, std::uint64_t, ReadResult&, std::uint64_t*) override { no<int>(); }

  BufState state(int buffer) const override { return states_.at(static_cast<std::size_t>(buffer)); }
  const std::vector<BufState>& snapshot_all() const override { return states_; }
  std::uint64_t last_toobig() const override { return 0; }
  std::uint64_t dropped() const override { return 0; }
  void buffer_tags(int, std::vector<std::uint64_t>& out) const override { out.clear(); }
  const model::relay::Params& params() const override { return p_; }
  int buffers() const override { return static_cast<int>(states_.size()); }

 private:
  template <class T>
  static T no() {
    ADD_FAILURE() << "FakeRelayChannel: only the observable state is implemented";
    return T{};
  }
  model::relay::Params p_;
  std::vector<BufState> states_;
};

/// Runs `check(sim, ledger)` as the end-of-execution check of a one-task run whose task ran
/// `body(ledger)`; returns "property: message" of the violation, or "" when none.
inline std::string run_relay_check(const std::function<void(properties::Ledger&)>& body,
                                   const std::function<void(sim::Sim&, properties::Ledger&)>& check) {
  LambdaWorkload w;
  std::optional<properties::Ledger> ledger;
  w.on_build = [&](sim::Sim& s) {
    ledger.emplace(s);
    s.add_task("t", 0, [&] { body(*ledger); });
  };
  w.on_reset = [&](sim::Sim&) { ledger->reset(1); };
  w.on_final = [&](sim::Sim& s) { check(s, *ledger); };
  sim::Sim s({});
  s.load(w);
  sim::ReplaySource zeros({}, false);
  auto r = s.run(zeros);
  return r.violation ? std::string(sim::property_name(r.violation->property)) + ": " + r.violation->message : std::string();
}

}  // namespace testing_support
