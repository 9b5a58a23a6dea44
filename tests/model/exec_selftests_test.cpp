// tests/model/exec_selftests_test.cpp — the kernel's own selftests as exec files, checked on the
// model: tools/testing/selftests/ring-buffer/map_test.c (scenarios/ftrace_rb/exec/map-test-*.json)
// and tools/testing/selftests/bpf/prog_tests/ringbuf.c and ringbuf_multi.c
// (scenarios/bpf_ringbuf/exec/selftest-*.json): every value those tests assert, where the exec
// mode can express it (each file's "about" says which test and which checks). The kernel source
// gives the same files field by field (tests/kernel/*_kernel_test.cpp, ExecFilesAgreeFieldByField),
// so these expectations hold there too. Also the exec ops these files need: ftrace_rb's reset
// (per CPU, all CPUs, online CPUs), sub-buffer order, snapshot and meta-page reads, the BPF ring
// buffer's mmap / map_poll / view, its per-commit wakeups ("irq_work": "run") and background poll,
// relay's count of subbuf_start calls, and their bad-input errors.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "model/bpf_ringbuf/exec.h"
#include "model/ftrace_rb/exec.h"
#include "model/relay/exec.h"
#include "scenarios/spec.h"

namespace {

using nlohmann::json;

json load(const std::string& rel) {
  std::ifstream in(std::string(RELAYSIM_SOURCE_DIR) + "/scenarios/" + rel);
  EXPECT_TRUE(in.good()) << rel;
  return json::parse(in);
}
json ftrace(const std::string& name) { return model::ftrace_rb::ftrace_rb_exec(load("ftrace_rb/exec/" + name), name); }
json ringbuf(const std::string& name) { return model::bpf_ringbuf::ringbuf_exec(load("bpf_ringbuf/exec/" + name), name); }

/// The steps whose op is `op`, in order.
std::vector<json> steps_of(const json& out, const std::string& op) {
  std::vector<json> v;
  for (const auto& s : out["steps"])
    if (s["op"]["op"] == op) v.push_back(s);
  return v;
}

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const scenario::ScenarioError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

// ---------------- map_test.c ----------------

// FIXTURE_VARIANT subbuf_size_8k, meta_page_check: the same expectations as the 4k variant
// (tests/model/ftrace_rb_test.cpp, MapTestMetaPageCheck) after the order change.
TEST(MapTestSelftest, MetaPageCheckWithOrderOneSubBuffers) {
  const json out = ftrace("map-test-meta-page-check-8k.json");
  EXPECT_EQ(out["steps"][0]["return"]["ret"], 0);
  const json& m0 = out["steps"][1]["state"]["meta"];
  EXPECT_EQ(m0["subbuf_size"], 4096);  // (2032 + 16) << 1
  EXPECT_EQ(m0["meta_struct_len"], 80);  // sizeof(struct trace_buffer_meta)
  EXPECT_EQ(m0["flags"], 0);
  EXPECT_EQ(m0["entries"], 0);
  EXPECT_EQ(m0["overrun"], 0);
  EXPECT_EQ(m0["read"], 0);
  EXPECT_EQ(m0["reader"]["id"], 0);
  EXPECT_EQ(m0["reader"]["read"], 0);
  EXPECT_EQ(out["steps"][2]["state"]["meta"]["reader"]["id"], 0);
  for (std::size_t i : {19u, 20u}) {
    const json& m = out["steps"][i]["state"]["meta"];
    EXPECT_EQ(m["entries"], 16);
    EXPECT_EQ(m["overrun"], 0);
    EXPECT_EQ(m["read"], 16);
    EXPECT_EQ(m["reader"]["id"], 1);
  }
}

// FIXTURE_VARIANT subbuf_size_8k, data_mmap: the meta page is padded to one sub-buffer; all
// sub-buffers map, one fewer too; running past the end is -EINVAL; so is an offset inside a
// sub-buffer (__rb_map_vma's pgoff % subbuf_pages); meta_page_size (4096) is above the page size
// (2048), so "Verify meta-page padding": every int from meta_struct_len to meta_page_size is 0.
TEST(MapTestSelftest, DataMmapWithOrderOneSubBuffers) {
  const json out = ftrace("map-test-data-mmap-8k.json");
  EXPECT_EQ(out["steps"][1]["state"]["meta"]["meta_page_size"], 4096);
  EXPECT_EQ(out["steps"][1]["state"]["meta"]["meta_struct_len"], 80);
  EXPECT_EQ(out["steps"][1]["state"]["meta"]["nr_subbufs"], 3);
  const int want[] = {0, 0, 0, 0, 0, 0, -22, -22, 0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < std::size(want); ++i) EXPECT_EQ(out["steps"][i]["return"]["ret"], want[i]) << "op " << i;
  // struct trace_buffer_meta as user space reads it: meta_page_size, meta_struct_len, subbuf_size,
  // nr_subbufs, reader.lost_events (2 ints), reader.id, reader.read, flags (2), entries (2), ...
  const json& head = out["steps"][9]["return"]["words"];
  ASSERT_EQ(head.size(), 20u);
  EXPECT_EQ(head[0], 4096);
  EXPECT_EQ(head[1], 80);
  EXPECT_EQ(head[2], 4096);
  EXPECT_EQ(head[3], 3);
  EXPECT_EQ(head[6], 0);  // reader.id
  const json& pad = out["steps"][10]["return"];
  EXPECT_EQ(pad["nonzero_words"], 0);
  EXPECT_TRUE(pad["first_nonzero"].is_null());
  EXPECT_FALSE(pad.contains("words"));  // 4016 bytes: only counted
}

// read_meta: an int that is not zero is found and named; nothing mapped is -EFAULT; a range past
// meta_page_size and unaligned ranges are bad input.
TEST(MapTestSelftest, ReadMetaFindsNonZeroWordsAndRejectsBadRanges) {
  const json out = model::ftrace_rb::ftrace_rb_exec(json::parse(R"({"params": {"subbuf_size": 64, "nr_subbufs": 2},
      "ops": [{"op": "read_meta", "len": 4}, {"op": "map"}, {"op": "write", "len": 8}, {"op": "get_reader"},
              {"op": "read_meta", "offset": 36, "len": 40}]})"),
                                                    "ops.json");
  EXPECT_EQ(out["steps"][0]["return"]["ret"], -14);
  const json& r = out["steps"][4]["return"];
  EXPECT_EQ(r["nonzero_words"], 2);  // entries = 1 at 40, read = 1 at 56 (the swap took the event)
  EXPECT_EQ(r["first_nonzero"], 40);
  EXPECT_EQ(r["words"][1], 1);
  auto run = [](const char* text) {
    return error_of([&] { model::ftrace_rb::ftrace_rb_exec(json::parse(text), "ops.json"); });
  };
  EXPECT_EQ(run(R"({"params": {"subbuf_size": 64}, "ops": [{"op": "map"}, {"op": "read_meta", "offset": 76, "len": 8}]})"),
            "ops.json: ops[1].len: bytes [76, 84) run past the meta page (meta_page_size 80); sub-buffers are read by the "
            "scenarios' mapped reader");
  EXPECT_EQ(run(R"({"ops": [{"op": "read_meta", "offset": 2, "len": 8}]})"),
            "ops.json: ops[0].offset: must be a multiple of 4 (the meta page is read as ints)");
}

// ring_buffer_reset_cpu empties one CPU's buffer; ring_buffer_reset and
// ring_buffer_reset_online_cpus empty every CPU's, a mapped one with its meta page updated.
TEST(FtraceRbExecOps, ResetAllCpus) {
  const json out = ftrace("reset-all-cpus.json");
  auto entries = [&](std::size_t step) {
    std::vector<int> v;
    for (const auto& c : out["steps"][step]["state"]["cpus"]) v.push_back(c["counters"]["entries"].get<int>());
    return v;
  };
  EXPECT_EQ(entries(3), (std::vector<int>{2, 2}));
  EXPECT_EQ(entries(4), (std::vector<int>{2, 0}));  // reset, cpu 1: CPU 0's events stay
  EXPECT_EQ(entries(5), (std::vector<int>{2, 1}));
  EXPECT_EQ(entries(6), (std::vector<int>{0, 0}));  // reset_all
  EXPECT_EQ(entries(10), (std::vector<int>{1, 2}));
  EXPECT_EQ(out["steps"][11]["state"]["cpus"][1]["meta"]["entries"], 2);
  EXPECT_EQ(entries(12), (std::vector<int>{0, 0}));  // reset_online
  EXPECT_EQ(out["steps"][12]["state"]["cpus"][1]["meta"]["entries"], 0);
  EXPECT_EQ(out["steps"][12]["state"]["cpus"][1]["meta"]["read"], 0);
  EXPECT_FALSE(out["steps"][12]["state"]["cpus"][0].contains("meta"));
  EXPECT_TRUE(out["steps"][13]["return"].is_null());
  EXPECT_TRUE(out["steps"][14]["return"].is_null());
  EXPECT_EQ(out["steps"][17]["return"]["id"], 9);  // written on CPU 1 after the reset, read from CPU 1's buffer
  EXPECT_EQ(out["params"]["cpus"], 2);
}

// snapshot excluded_by_map, then excludes_map.
TEST(MapTestSelftest, SnapshotAndMappingExcludeEachOther) {
  const json out = ftrace("map-test-snapshot.json");
  const int want[] = {0, -16, -16, 0, 0, -16, -16};
  for (std::size_t i = 0; i < std::size(want); ++i) EXPECT_EQ(out["steps"][i]["return"]["ret"], want[i]) << "op " << i;
  EXPECT_FALSE(out["steps"][2]["return"].contains("swap"));  // refused before ring_buffer_swap_cpu
}

// Reset, snapshot swap and order change, each as ring_buffer.c does them.
TEST(FtraceRbExecOps, ResetSnapshotAndOrder) {
  const json out = ftrace("reset-snapshot-order.json");
  const auto& s = out["steps"];
  // the swap took the three events to the snapshot buffer: the main buffer is the empty one
  EXPECT_EQ(s[4]["return"]["swap"], 0);
  EXPECT_EQ(s[4]["state"]["counters"]["entries"], 0);
  EXPECT_EQ(s[4]["state"]["snapshot"]["counters"]["entries"], 3);
  EXPECT_EQ(s[4]["state"]["snapshot"]["counters"]["read"], 1);
  EXPECT_FALSE(s[4]["state"]["snapshot"].contains("meta"));
  EXPECT_EQ(s[7]["return"]["id"], 2);  // swapped back: the reader goes on with message 2
  // rb_reset_cpu restarts the ring at cpu_buffer->pages (ring_buffer.c:6062), which
  // rb_get_reader_page set to the prev of the head it took (ring_buffer.c:5420): page 2, not the
  // head page 0 or the first page
  EXPECT_EQ(s[8]["state"]["counters"]["entries"], 0);
  EXPECT_EQ(s[8]["state"]["counters"]["read"], 0);
  EXPECT_EQ(s[8]["state"]["head"], 2);
  EXPECT_EQ(s[9]["return"]["page"], 2);
  for (const auto& p : s[8]["state"]["pages"]) EXPECT_EQ(p["entries"], 0);
  // a writer inside its commit: the swap is -EBUSY (cpu_buffer->current_context, ring_buffer.c:6366)
  EXPECT_EQ(s[11]["return"]["swap"], -16);
  // order 1: new pages (numbered after the old ones), counters kept, max_data_size kept at 56
  EXPECT_EQ(s[13]["state"]["subbuf_order"], 1);
  EXPECT_EQ(s[13]["state"]["counters"]["entries"], 2);
  EXPECT_EQ(s[13]["state"]["pages"].size(), 3u);  // max(2, ceil(64 * 3 / 144)) + the reader page
  EXPECT_EQ(s[13]["state"]["pages"][0]["index"], 4);
  EXPECT_EQ(s[14]["return"]["fail"], "too-big");
  EXPECT_EQ(s[15]["return"]["ok"], true);
  EXPECT_EQ(s[16]["return"]["offset"], 60);  // both fit one 144-byte sub-buffer
  EXPECT_EQ(s[19]["return"]["swap"], -22);   // the snapshot buffer has other pages
  EXPECT_EQ(s[21]["return"]["ret"], -16);    // mapped
  EXPECT_EQ(s[23]["return"]["ret"], -22);    // order -1
  EXPECT_EQ(s[24]["state"]["pages"].size(), 6u);  // ceil(144 * 2 / 64) + 1
  EXPECT_EQ(s[27]["state"]["counters"]["entries"], 0);
}

TEST(FtraceRbExecOps, BadInput) {
  auto run = [](const char* text) {
    return error_of([&] { model::ftrace_rb::ftrace_rb_exec(json::parse(text), "ops.json"); });
  };
  EXPECT_EQ(run(R"({"ops": [{"op": "reserve", "len": 8}, {"op": "reset"}, {"op": "commit"}]})"),
            "ops.json: ops[1].op: reset with an open reservation: its synchronize_rcu would wait for this task's own commit");
  EXPECT_EQ(run(R"({"ops": [{"op": "snapshot_swap"}]})"),
            "ops.json: ops[0].op: snapshot_swap needs \"snapshot\": true in params (the snapshot buffer)");
  EXPECT_EQ(run(R"({"params": {"subbuf_size": 4080}, "ops": [{"op": "subbuf_order", "order": 1}]})"),
            "ops.json: ops[0].order: a sub-buffer of 8192 bytes: at most 4096 (the kernel source keeps each in one 4 KiB pool page)");
  EXPECT_EQ(run(R"({"ops": [{"op": "subbuf_order"}]})"), "ops.json: ops[0].order: missing required field");
  EXPECT_EQ(run(R"({"params": {"cpus": 2}, "ops": [{"op": "reserve", "len": 8, "cpu": 1}, {"op": "commit"}]})"),
            "ops.json: ops[0].cpu: reserve runs on CPU 0 only (the exec task's CPU; another CPU's writer writes whole events: write)");
  EXPECT_EQ(run(R"({"params": {"cpus": 2}, "ops": [{"op": "reserve", "len": 8}, {"op": "write", "len": 8, "cpu": 1}, {"op": "commit"}]})"),
            "ops.json: ops[1].cpu: a write on another CPU while CPU 0 has an open reservation: the exec task would sleep with "
            "preemption off");
  EXPECT_EQ(run(R"({"params": {"cpus": 2}, "ops": [{"op": "subbuf_order", "order": 1}]})"),
            "ops.json: ops[0].op: subbuf_order works on the whole trace_buffer: expressed with one CPU only (\"cpus\": 1)");
  EXPECT_EQ(run(R"({"params": {"cpus": 2, "snapshot": true}, "ops": []})"),
            "ops.json: params.snapshot: the snapshot buffer is modelled with one CPU (\"cpus\": 1)");
  EXPECT_EQ(run(R"({"ops": [{"op": "write", "len": 8, "cpu": 1}]})"), "ops.json: ops[0].cpu: 1 is out of range [0, 0]");
  EXPECT_EQ(run(R"({"ops": [{"op": "reserve", "len": 8}, {"op": "reset_all"}, {"op": "commit"}]})"),
            "ops.json: ops[1].op: reset_all with an open reservation: its synchronize_rcu would wait for this task's own commit");
  EXPECT_EQ(run(R"({"about": 3, "ops": []})"), "ops.json: about: must be a string, not an integer");
  // the model's pages for order changes are bounded before the run (no allocation blow-up)
  json many = json::parse(R"({"params": {"subbuf_size": 16}, "ops": []})");
  for (int i = 0; i < 200; ++i) many["ops"].push_back(json{{"op", "subbuf_order"}, {"order", i % 2}});
  EXPECT_EQ(error_of([&] { model::ftrace_rb::ftrace_rb_exec(many, "ops.json"); }),
            "ops.json: ops: the sub-buffer order changes could need more than 4096 new pages (fewer subbuf_order ops, or larger "
            "sub-buffers)");
  // an order whose sub-buffer is above RB_WRITE_MASK + 1 is the kernel's -EINVAL, not bad input
  const json out = model::ftrace_rb::ftrace_rb_exec(json::parse(R"({"ops": [{"op": "subbuf_order", "order": 20}]})"), "ops.json");
  EXPECT_EQ(out["steps"][0]["return"]["ret"], -22);
}

// ---------------- prog_tests/ringbuf.c ----------------

TEST(RingbufSelftest, RingbufSubtest) {
  const json out = ringbuf("selftest-ringbuf.json");
  const int mmap_want[] = {0, -1, -1, -1, -1, 0, 0};  // -EPERM is -1
  const auto mm = steps_of(out, "mmap");
  ASSERT_EQ(mm.size(), std::size(mmap_want));
  for (std::size_t i = 0; i < mm.size(); ++i) EXPECT_EQ(mm[i]["return"]["ret"], mmap_want[i]) << "mmap " << i;
  // the second program run's queries: avail_data, ring_size, cons_pos, prod_pos
  const auto q = steps_of(out, "query");
  EXPECT_EQ(q[4]["return"]["value"], 120);
  EXPECT_EQ(q[5]["return"]["value"], 4096);
  EXPECT_EQ(q[6]["return"]["value"], 0);
  EXPECT_EQ(q[7]["return"]["value"], 120);
  const auto views = steps_of(out, "view");
  EXPECT_EQ(views[0]["return"]["avail_data"], 120);
  EXPECT_EQ(views[0]["return"]["consumer_pos"], 0);
  EXPECT_EQ(views[0]["return"]["producer_pos"], 120);
  EXPECT_EQ(views[0]["return"]["double_mapped"], true);
  EXPECT_EQ(views[0]["return"]["records"].size(), 3u);
  EXPECT_EQ(views[0]["return"]["records"][1]["discard"], true);
  const auto polls = steps_of(out, "poll");
  EXPECT_EQ(polls[0]["return"]["ret"], -7777);  // -EDONE from the callback
  EXPECT_EQ(polls[0]["return"]["delivered"].size(), 2u);
  EXPECT_EQ(polls[1]["return"]["ret"], 0);
  EXPECT_EQ(q[14]["return"]["value"], 120);  // cons_pos after the first poll, seen by the program
  EXPECT_EQ(polls[2]["return"]["ret"], 2);
  // Which commits woke the map's wait queue ("irq_work": "run"; bpf_ringbuf_commit: FORCE_WAKEUP,
  // or the consumer exactly at the record and no NO_WAKEUP), in op order: round 1's submit (the
  // consumer at 0), round 2's submit (at 120); rounds 3 (NO_WAKEUP) and 4 (the consumer behind at
  // 240) none; round 5's flags-0 submit none, its FORCE_WAKEUP output and discard both.
  std::vector<bool> woke;
  for (const auto& st : out["steps"]) {
    const std::string n = st["op"]["op"];
    if (n == "submit" || n == "discard" || n == "output") woke.push_back(st["return"]["woke"].get<bool>());
  }
  const std::vector<bool> want_woke = {true,  false, false, true,  false, false, false, false,
                                       false, false, false, false, false, true,  true};
  EXPECT_EQ(woke, want_woke);
  // the background ring_buffer__poll: asleep after round 2 was consumed; still blocked after the
  // NO_WAKEUP round and after the round with the consumer behind (pthread_tryjoin_np: EBUSY)
  EXPECT_EQ(steps_of(out, "poll_wait")[0]["return"]["blocked"], true);
  const auto joins = steps_of(out, "poll_join");
  ASSERT_EQ(joins.size(), 3u);
  EXPECT_EQ(joins[0]["return"]["ret"], -16);
  EXPECT_EQ(joins[1]["return"]["ret"], -16);
  EXPECT_EQ(steps_of(out, "map_poll")[0]["return"]["mask"], 0x41);  // data there after the NO_WAKEUP round
  // the forced output woke it: it returned > 0, the samples before the still-busy reserved record
  EXPECT_EQ(joins[2]["return"]["ret"], 0);
  EXPECT_EQ(joins[2]["return"]["poll_ret"], 5);
  const auto outputs = steps_of(out, "output");
  EXPECT_EQ(outputs[4]["return"]["waiter"]["poll_ret"], 5);
  for (const auto& o : outputs) EXPECT_EQ(o["return"]["ret"], 0);  // NO_WAKEUP and FORCE are valid flags
  // the rest: ring_buffer__consume 1, ring__consume 0: 6 samples of 3 rounds in all
  EXPECT_EQ(steps_of(out, "consume")[0]["return"]["ret"], 1);
  EXPECT_EQ(steps_of(out, "ring_consume_n")[0]["return"]["ret"], 0);
  EXPECT_EQ(views[1]["return"]["avail_data"], 0);
}

// Without "irq_work": "run" the exec task never lets the irq_work run: after the first queued
// wakeup the later ones coalesce, and a background poll is never woken.
TEST(RingbufSelftest, PendingIrqWorkCoalesces) {
  json in = load("bpf_ringbuf/exec/selftest-ringbuf.json");
  in["params"].erase("irq_work");
  const json out = model::bpf_ringbuf::ringbuf_exec(in, "pending.json");
  EXPECT_EQ(out["params"]["irq_work"], "pending");
  for (const auto& st : out["steps"]) EXPECT_FALSE(st["return"].contains("woke"));
  EXPECT_EQ(out["steps"].back()["state"]["rings"][0]["wakeups_queued"], 1);
  for (const auto& j : steps_of(out, "poll_join")) EXPECT_EQ(j["return"]["ret"], -16);
  EXPECT_EQ(steps_of(out, "consume")[0]["return"]["ret"], 6);
}

TEST(RingbufExecOps, BackgroundPollBadInput) {
  auto run = [](const char* text) {
    return error_of([&] { model::bpf_ringbuf::ringbuf_exec(json::parse(text), "ops.json"); });
  };
  EXPECT_EQ(run(R"({"ops": [{"op": "poll_join"}]})"), "ops.json: ops[0].op: poll_join with no poll_wait before it");
  EXPECT_EQ(run(R"({"ops": [{"op": "poll_wait"}, {"op": "poll_wait"}]})"),
            "ops.json: ops[1].op: poll_wait while the background poll of ops[0] has not been joined");
  // joined while still asleep (EBUSY): found while running
  EXPECT_EQ(run(R"({"ops": [{"op": "poll_wait"}, {"op": "poll_join"}, {"op": "poll_wait"}]})"),
            "ops.json: ops[2].op: poll_wait while the background poll of ops[0] has not been joined");
  EXPECT_EQ(run(R"({"params": {"irq_work": "now"}, "ops": []})"), "ops.json: params.irq_work: \"now\" is not one of: pending, run");
  // a ring that is ready when the poll starts: epoll_wait returns at once, no sleep
  const json out = model::bpf_ringbuf::ringbuf_exec(
      json::parse(R"({"ops": [{"op": "output", "size": 8}, {"op": "poll_wait"}, {"op": "poll_join"}]})"), "ops.json");
  EXPECT_EQ(out["steps"][1]["return"]["blocked"], false);
  EXPECT_EQ(out["steps"][1]["return"]["poll_ret"], 1);
  EXPECT_EQ(out["steps"][2]["return"]["ret"], 0);
  EXPECT_EQ(out["steps"][2]["return"]["poll_ret"], 1);
  // asleep: both joins are EBUSY; once joined, another join is bad input
  const json asleep = model::bpf_ringbuf::ringbuf_exec(
      json::parse(R"({"ops": [{"op": "poll_wait"}, {"op": "poll_join"}, {"op": "poll_join"}]})"), "ops.json");
  EXPECT_EQ(asleep["steps"][2]["return"]["ret"], -16);
  EXPECT_EQ(run(R"({"ops": [{"op": "output", "size": 8}, {"op": "poll_wait"}, {"op": "poll_join"}, {"op": "poll_join"}]})"),
            "ops.json: ops[3].op: poll_join: the background poll was already joined");
}

TEST(RingbufSelftest, RingbufNSubtest) {
  const json out = ringbuf("selftest-ringbuf-n.json");
  const auto c = steps_of(out, "consume_n");
  ASSERT_EQ(c.size(), 9u);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(c[i]["return"]["ret"], 4) << i;
  EXPECT_EQ(c[8]["return"]["ret"], 0);
}

TEST(RingbufSelftest, RingbufMapKeySubtest) {
  const json out = ringbuf("selftest-ringbuf-map-key.json");
  const auto p = steps_of(out, "poll");
  EXPECT_EQ(p[0]["return"]["ret"], -7777);
  EXPECT_EQ(p[0]["state"]["rings"][0]["consumer_pos"], 40);  // stored past the record before returning
  EXPECT_EQ(p[1]["return"]["ret"], 0);
}

TEST(RingbufSelftest, RingbufWriteSubtest) {
  const json out = ringbuf("selftest-ringbuf-write.json");
  EXPECT_EQ(out["steps"][0]["return"]["ret"], 0);  // the consumer page, read-write
  const auto r = steps_of(out, "reserve");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0]["return"]["ok"], true);
  EXPECT_EQ(r[1]["return"]["ok"], false);  // passed stays 0
  EXPECT_EQ(r[2]["return"]["ok"], true);
  EXPECT_EQ(r[3]["return"]["ok"], false);
  EXPECT_EQ(steps_of(out, "discard").size(), 2u);  // discarded 2
}

// ---------------- prog_tests/ringbuf_multi.c ----------------

TEST(RingbufSelftest, RingbufMulti) {
  const json out = ringbuf("selftest-ringbuf-multi.json");
  const auto p = steps_of(out, "poll");
  EXPECT_EQ(p[0]["return"]["ret"], 2);
  ASSERT_EQ(p[0]["return"]["delivered"].size(), 2u);
  EXPECT_EQ(p[0]["return"]["delivered"][0]["ring"], 0);
  EXPECT_EQ(p[0]["return"]["delivered"][1]["ring"], 1);
  EXPECT_EQ(p[1]["return"]["ret"], 0);
}

TEST(RingbufExecOps, MapPollMasksAndBadInput) {
  const json out = model::bpf_ringbuf::ringbuf_exec(json::parse(R"({"ops": [
      {"op": "map_poll"}, {"op": "map_poll", "kind": "user"}, {"op": "reserve", "size": 4080}, {"op": "submit", "rec": 0},
      {"op": "map_poll"}, {"op": "map_poll", "kind": "user"}, {"op": "mmap", "offset": 100, "len": 4096}]})"),
                                                    "ops.json");
  EXPECT_EQ(out["steps"][0]["return"]["mask"], 0);
  EXPECT_EQ(out["steps"][1]["return"]["mask"], 0x104);  // EPOLLOUT | EPOLLWRNORM: room
  EXPECT_EQ(out["steps"][4]["return"]["mask"], 0x41);   // EPOLLIN | EPOLLRDNORM
  // 4088 of 4096 bytes: still room (a kernel producer can never fill the ring to the byte: a
  // reservation reaching consumer_pos + size is refused, kernel/bpf/ringbuf.c:449)
  EXPECT_EQ(out["steps"][5]["return"]["mask"], 0x104);
  EXPECT_EQ(out["steps"][6]["return"]["ret"], -22);
  EXPECT_EQ(error_of([] { model::bpf_ringbuf::ringbuf_exec(json::parse(R"({"ops": [{"op": "map_poll", "kind": "both"}]})"), "ops.json"); }),
            "ops.json: ops[0].kind: \"both\" is not one of: kern, user");
}

// ---------------- relay ----------------

// relay_open's __relay_reset calls the callback once per buffer (kernel/relay.c:305), every
// relay_switch_subbuf once more (kernel/relay.c:695); without a callback relay_subbuf_start
// answers itself (kernel/relay.c:255) and nothing is counted.
TEST(RelayExecOps, SubbufStartCalls) {
  auto calls = [](const char* callback) {
    const json in = json::parse(std::string(R"({"params": {"subbuf_size": 64, "n_subbufs": 2, "callback": ")") + callback +
                                R"("}, "ops": [{"op": "write", "cpu": 0, "len": 40}, {"op": "write", "cpu": 0, "len": 40},
                                   {"op": "write", "cpu": 0, "len": 40}, {"op": "write", "cpu": 0, "len": 40}, {"op": "reset"}]})");
    const json out = model::relay::relay_exec(in, "ops.json");
    std::vector<int> v;
    for (const auto& s : out["steps"]) v.push_back(s["state"]["buffers"][0]["subbuf_start_calls"].get<int>());
    return v;
  };
  EXPECT_EQ(calls("overwrite"), (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(calls("counting"), (std::vector<int>{1, 2, 3, 4, 5}));  // the refused switch is a call too
  EXPECT_EQ(calls("buf_full"), (std::vector<int>{0, 0, 0, 0, 0}));
}
