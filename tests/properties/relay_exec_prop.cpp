// tests/properties/relay_exec_prop.cpp — RapidCheck: a sequential read() reader of relay gets every
// accepted message once, whole and in order (issue 18, item 4: relay_switch_subbuf's
// `buf->padding[new_subbuf] = 0`, kernel/relay.c:700, stated by a property).
//
// Random histories through the exec mode (model/relay/exec.h: one op after the other, no
// concurrency): writes of 1 byte up to the sub-buffer, and read(2) calls of 7, 16 or 4096 bytes, on
// 2–4 sub-buffers of 32 or 64 bytes without overwrite, then relay_flush and reads until one returns
// nothing. With no writer running during a read, none of relay's read/switch races can happen, so
// the bytes read must be exactly the accepted messages, in write order, each once and whole (a full
// buffer refuses a write, which the caller is told of). The reader keeps up, so the writer laps the
// ring and reuses sub-buffers whose previous turn left padding; relay_file_read_subbuf_avail and
// relay_file_read_start_pos read the current sub-buffer's padding, which the switch to it must have
// reset. The share of cases where a reused sub-buffer was read while current is printed (RC_TAG).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <string>

#include "model/relay/exec.h"

RC_GTEST_PROP(RelayExecProp, SequentialReadsGetEveryAcceptedMessageOnceWholeInOrder, ()) {
  // gen::inRange scales with RapidCheck's size (the first cases would be short and small): fixed.
  auto in_range = [](int lo, int hi) { return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange(lo, hi)); };
  const int subbuf = *rc::gen::element(32, 64);
  const int n_subbufs = *rc::gen::weightedElement<int>({{2, 2}, {1, 3}, {1, 4}});
  const int n = in_range(10, 61);
  nlohmann::json ops = nlohmann::json::array();
  for (int i = 0; i < n; ++i) {
    // Lengths that divide the sub-buffer fill it exactly (no padding) as often as others leave
    // some, so that a sub-buffer padded on one turn is filled to its end on a later one.
    const int len = *rc::gen::weightedElement<int>({{2, 0}, {2, subbuf / 2}, {1, subbuf / 4}, {1, 3 * subbuf / 4}});
    if (in_range(0, 5) < 3) ops.push_back({{"op", "write"}, {"cpu", 0}, {"len", len ? len : in_range(1, subbuf + 1)}});
    else ops.push_back({{"op", "read"}, {"buffer", 0}, {"count", *rc::gen::element(7, 16, 4096)}});
  }
  ops.push_back({{"op", "flush"}});
  // Drain: each read returns at most one sub-buffer's bytes (or `count`); 7-byte reads of the
  // whole ring need n_subbufs * subbuf / 7 + n_subbufs calls at most.
  for (int i = 0; i < n_subbufs * (subbuf / 7 + 2); ++i) ops.push_back({{"op", "read"}, {"buffer", 0}, {"count", 7}});
  const nlohmann::json in = {{"params", {{"subbuf_size", subbuf}, {"n_subbufs", n_subbufs}}}, {"ops", ops}};
  const auto out = model::relay::relay_exec(in, "generated.json");
  RC_ASSERT(!out.contains("violation"));

  std::map<int, int> accepted;  // id -> length, in write order
  int cur = 0, got = 0;         // the message being delivered and how many of its bytes arrived
  bool reused_read_current = false;
  std::uint64_t max_produced = 0;
  for (const auto& step : out["steps"]) {
    const auto& op = step["op"];
    const auto& b = step["state"]["buffers"][0];
    if (op["op"] == "write") {
      if (step["return"]["accepted"] == true) accepted[step["return"]["id"].get<int>()] = op["len"].get<int>();
      max_produced = std::max<std::uint64_t>(max_produced, b["produced"].get<std::uint64_t>());
      continue;
    }
    if (op["op"] != "read") continue;
    if (max_produced >= static_cast<std::uint64_t>(n_subbufs) && step["return"]["bytes"].get<int>() > 0 &&
        b["consumed"] == b["produced"])
      reused_read_current = true;
    for (const auto& run : step["return"]["messages"]) {
      const int id = run[0], len = run[1], first = run.size() > 2 ? run[2].get<int>() : 0;
      RC_ASSERT(id != 0);  // a padding or never-written byte delivered as data
      if (id == cur && first == got) {
        got += len;
      } else {
        // A new message starts only after the previous one arrived whole, and it is the next
        // accepted one: anything else is a byte skipped, repeated or out of order.
        const auto next = accepted.upper_bound(cur);
        RC_ASSERT(first == 0);
        const bool previous_whole = cur == 0 || got == accepted.at(cur);  // (RC_ASSERT evaluates both sides of ||)
        RC_ASSERT(previous_whole);
        RC_ASSERT(next != accepted.end());
        RC_ASSERT(id == next->first);
        cur = id;
        got = len;
      }
      RC_ASSERT(got <= accepted.at(cur));
    }
  }
  // Drained: the last accepted message arrived whole, so every one did.
  if (accepted.empty()) {
    RC_ASSERT(cur == 0);
  } else {
    RC_ASSERT(cur == accepted.rbegin()->first);
    RC_ASSERT(got == accepted.rbegin()->second);
  }
  RC_TAG(reused_read_current ? "read a reused sub-buffer while current" : "no read of a reused current sub-buffer");
}
