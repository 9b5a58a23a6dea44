// tests/properties/ftrace_rb_move_tail_prop.cpp — RapidCheck: with one writer and no nesting, the
// tracing ring buffer never drops an event for commit overrun (rb_move_tail,
// kernel/trace/ring_buffer.c:3567: only a commit still on the reader page *behind the tail*
// makes the tail's lap a commit overrun; with no nested writer the commit is at the tail).
// Random sequences of writes (up to the largest event) and consumes on 2–4 pages of 32 or 64
// bytes, overwrite and not, through the exec mode (model/ftrace_rb/exec.h). Consumes often empty
// the ring, so the reader's swap takes the page the writer is filling: the share of cases where
// the tail was on the reader page while a write crossed its end is printed (RC_TAG).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "model/ftrace_rb/exec.h"

RC_GTEST_PROP(FtraceRbMoveTailProp, NoCommitOverrunWithoutNestedWriters, ()) {
  const int subbuf = *rc::gen::element(32, 64);
  const int pages = *rc::gen::inRange(2, 5);
  const std::string mode = *rc::gen::element<std::string>("overwrite", "no-overwrite");
  nlohmann::json ops = nlohmann::json::array();
  const int n = *rc::gen::inRange(4, 40);
  for (int i = 0; i < n; ++i) {
    if (*rc::gen::inRange(0, 5) < 3) ops.push_back({{"op", "write"}, {"len", *rc::gen::inRange(1, subbuf - 8 - 4 + 1)}});
    else ops.push_back({{"op", "consume"}});
  }
  nlohmann::json in = {{"params", {{"subbuf_size", subbuf}, {"nr_subbufs", pages}, {"mode", mode}}}, {"ops", ops}};
  const auto out = model::ftrace_rb::ftrace_rb_exec(in, "generated.json");
  RC_ASSERT(!out.contains("violation"));
  bool tail_on_reader_crossed = false;
  int last_id = 0;
  for (std::size_t i = 0; i < out["steps"].size(); ++i) {
    const auto& step = out["steps"][i];
    RC_ASSERT(step["state"]["counters"]["commit_overrun"] == 0);
    if (i > 0 && step["op"]["op"] == "write") {
      const auto& before = out["steps"][i - 1]["state"];
      if (before["tail"] == before["reader"] && step["state"]["tail"] != before["tail"]) tail_on_reader_crossed = true;
    }
    if (step["op"]["op"] == "consume" && step["return"].is_object()) {  // ids ascend: nothing read twice or out of order
      const int id = step["return"]["id"];
      RC_ASSERT(id > last_id);
      last_id = id;
    }
  }
  RC_TAG(mode, tail_on_reader_crossed ? "a write crossed out of the reader page" : "no write crossed out of the reader page");
}
