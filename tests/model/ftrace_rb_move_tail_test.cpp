// tests/model/ftrace_rb_move_tail_test.cpp — rb_move_tail's commit-overrun rule
// (kernel/trace/ring_buffer.c:3567): an event is dropped for commit overrun only when the commit
// is still on the reader page *and behind the tail*. A writer whose tail is itself on the reader
// page (the reader swapped out the page the writer was filling) moves on to the head page. Issue
// 18: weakening the condition was caught only by a regression schedule's trace hash.
#include <gtest/gtest.h>

#include "model/ftrace_rb/exec.h"

namespace {

nlohmann::json run(const std::string& mode, std::vector<nlohmann::json> ops) {
  nlohmann::json in = {{"params", {{"subbuf_size", 32}, {"nr_subbufs", 2}, {"mode", mode}}}, {"ops", ops}};
  return model::ftrace_rb::ftrace_rb_exec(in, "move-tail.json");
}
nlohmann::json write(int len) { return {{"op", "write"}, {"len", len}}; }
nlohmann::json consume() { return {{"op", "consume"}}; }

}  // namespace

// One event, consumed: the reader's swap takes the page holding the tail, so tail = commit =
// reader page. The next writes fill it and cross into the head page: none is dropped, and every
// event is read back in order.
TEST(FtraceRbMoveTail, ATailOnTheReaderPageMovesToTheHeadPageWithoutACommitOverrun) {
  for (const std::string mode : {"overwrite", "no-overwrite"}) {
    SCOPED_TRACE(mode);
    auto out = run(mode, {write(12), consume(), write(12), write(12), write(12), consume(), consume(), consume(), consume()});
    ASSERT_FALSE(out.contains("violation")) << out.dump();
    const auto& s = out["steps"];
    EXPECT_EQ(s[1]["return"]["id"], 1);
    EXPECT_EQ(s[1]["state"]["tail"], s[1]["state"]["reader"]) << "the swap took the tail's page";
    EXPECT_EQ(s[3]["return"]["ok"], true);
    EXPECT_EQ(s[4]["return"]["ok"], true) << "the write that crosses the reader page's end";
    EXPECT_EQ(s[4]["return"]["fail"], "");
    EXPECT_NE(s[4]["state"]["tail"], s[4]["state"]["reader"]) << "the tail moved off the reader page";
    EXPECT_EQ(s[4]["state"]["counters"]["commit_overrun"], 0);
    EXPECT_EQ(s[5]["return"]["id"], 2);
    EXPECT_EQ(s[6]["return"]["id"], 3);
    EXPECT_EQ(s[7]["return"]["id"], 4);
    EXPECT_TRUE(s[8]["return"].is_null());
    EXPECT_EQ(s[8]["state"]["counters"]["commit_overrun"], 0);
  }
}
