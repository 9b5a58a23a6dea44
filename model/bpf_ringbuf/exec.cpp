// model/bpf_ringbuf/exec.cpp — see exec.h.
#include "model/exec_support.h"
#include "model/bpf_ringbuf/exec.h"

#include "scenarios/json_reader.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>

#include "model/bpf_ringbuf/config.h"
#include "model/bpf_ringbuf/consumer.h"
#include "model/bpf_ringbuf/ringbuf.h"
#include "scenarios/spec.h"
#include "sim/choice.h"

namespace model::bpf_ringbuf {
namespace {

using nlohmann::json;
using U64 = std::uint64_t;
using I64 = std::int64_t;

using scenario::json_type_name;
using Reader = scenario::JsonReader;
[[noreturn]] void fail(const std::string& file, const std::string& field, const std::string& msg) {
  scenario::json_fail(file, field, msg);
}

struct Op {
  std::string name;
  json source;
  int ring = 0;
  I64 size = 0, flags = 0, rec = -1, value = 0;
  bool fill = true;
  I64 fail_at = 0, fail_ret = -1;
  U64 offset = 0, bytes = 0;  // mmap: file offset and length in bytes
  bool write = false;         // mmap: PROT_WRITE
  bool user = false;          // map_poll: ringbuf_map_poll_user
};

const std::vector<std::string> kOps = {"reserve", "reserve_dynptr", "submit", "discard", "submit_dynptr", "discard_dynptr",
                                       "output", "query", "consume", "consume_n", "poll", "ring_consume_n", "write_consumer_pos",
                                       "mmap", "map_poll", "view", "poll_wait", "poll_join"};

// One op of the file (index i); `records` counts the records reserved by earlier ops.
// `wait_op`: the index of the last poll_wait, or -1; `joined`: a poll_join came after it.
Op parse_op(const json& j, std::size_t i, int rings, I64& records, I64& wait_op, bool& joined, const std::string& file) {
  {
    const std::string path = "ops[" + std::to_string(i) + "]";
    Reader r(j, path, file);
    Op op;
    op.source = j;
    op.name = r.string("op", std::nullopt, kOps);
    const std::string& n = op.name;
    const bool reserve_like = n == "reserve" || n == "reserve_dynptr" || n == "output";
    const bool commit_like = n == "submit" || n == "discard" || n == "submit_dynptr" || n == "discard_dynptr";
    const bool consumer = n == "consume" || n == "consume_n" || n == "poll" || n == "ring_consume_n" || n == "poll_wait";
    if (reserve_like || n == "query" || n == "write_consumer_pos" || n == "ring_consume_n" || n == "mmap" || n == "map_poll" ||
        n == "view")
      op.ring = static_cast<int>(r.integer("ring", 0, 0, rings - 1));
    if (reserve_like) {
      op.size = r.integer("size", std::nullopt, 0, I64{1} << 40);
      if (op.size > (I64{1} << 26) && n != "reserve_dynptr" && n != "reserve")
        fail(file, r.field("size"), "at most 67108864 bytes are copied in exec mode");
      op.flags = r.integer("flags", 0, 0, I64{1} << 62);
      if (n != "output") op.fill = r.boolean("fill", true);
      ++records;
    }
    if (commit_like) {
      op.rec = r.integer("rec", std::nullopt, 0, I64{1} << 30);
      if (op.rec >= records) fail(file, r.field("rec"), "record " + std::to_string(op.rec) + " was not reserved by an earlier op");
      op.flags = r.integer("flags", 0, 0, I64{1} << 62);
    }
    if (n == "query") op.flags = r.integer("flag", std::nullopt, 0, I64{1} << 62);
    if (n == "consume_n" || n == "ring_consume_n") op.value = r.integer("n", std::nullopt, 0, I64{1} << 62);
    if (n == "write_consumer_pos") op.value = r.integer("value", std::nullopt, 0, INT64_MAX);
    if (n == "mmap") {
      op.offset = static_cast<U64>(r.integer("offset", 0, 0, I64{1} << 40));
      op.bytes = static_cast<U64>(r.integer("len", std::nullopt, 0, I64{1} << 40));
      op.write = r.boolean("write", false);
    }
    if (n == "map_poll") op.user = r.string("kind", std::string("kern"), {"kern", "user"}) == "user";
    if (n == "poll_wait") {
      if (wait_op >= 0 && !joined)  // (after a join that found it asleep, the run decides: ringbuf_exec_stream)
        fail(file, r.field("op"), "poll_wait while the background poll of ops[" + std::to_string(wait_op) + "] has not been joined");
      wait_op = static_cast<I64>(i);
      joined = false;
    }
    if (n == "poll_join") {
      if (wait_op < 0) fail(file, r.field("op"), "poll_join with no poll_wait before it");
      joined = true;
    }
    if (consumer)
      if (const json* cb = r.get("callback")) {
        Reader c(*cb, r.field("callback"), file);
        op.fail_at = c.integer("fail_at", std::nullopt, 1, I64{1} << 30);
        op.fail_ret = c.integer("ret", -1, INT32_MIN, INT32_MAX);  // libbpf: a negative one stops and is returned
        c.done();
      }
    r.done();
    return op;
  }
}

json state_json(std::vector<std::unique_ptr<RingApi>>& rings) {
  json a = json::array();
  for (auto& r : rings) {
    RingApi::State s = r->state();
    bool exact = false;
    json hs = json::array();
    for (auto& h : r->chain(s.consumer_pos, &exact, 64))
      hs.push_back(json{{"pos", h.pos}, {"len", h.len & ~(kBusyBit | kDiscardBit)}, {"busy", h.busy()},
                        {"discard", h.discarded()}, {"pg_off", h.pg_off}});
    a.push_back(json{{"consumer_pos", s.consumer_pos}, {"producer_pos", s.producer_pos}, {"pending_pos", s.pending_pos},
                     {"overwrite_pos", s.overwrite_pos}, {"avail_data", s.avail_data}, {"wakeups_queued", r->wakeups_queued()},
                     {"chain_exact", exact}, {"headers", std::move(hs)}});
  }
  return json{{"rings", std::move(a)}};
}

// What user space sees through libbpf's mappings (steps: loads and copies through them):
// consumer_pos and producer_pos (smp_load_acquire, as ring__consumer_pos / ring__producer_pos),
// the records from consumer_pos on as libbpf's ringbuf_process_ring walks them (header len loaded
// with acquire; stop at a busy one; a discarded one is skipped but listed), each sample read
// contiguously at its offset in the double mapping, and whether the data pages' second mapping
// shows the same bytes as the first (the double mapping of ringbuf_map_alloc's vmap).
json view_json(RingApi& ring) {
  const U64 cons = ring.load_consumer_pos(), prod = ring.load_producer_pos();
  json recs = json::array();
  std::vector<std::uint8_t> bytes;
  std::vector<U64> tags;
  for (U64 pos = cons; pos < prod && recs.size() < 4096;) {
    const std::uint32_t len = ring.load_hdr_len(pos);
    if (len & kBusyBit) {
      recs.push_back(json{{"pos", pos}, {"busy", true}});
      break;
    }
    const std::uint32_t body = len & ~(kBusyBit | kDiscardBit);
    json rec{{"pos", pos}, {"len", body}, {"discard", (len & kDiscardBit) != 0}};
    if (!(len & kDiscardBit)) {
      bytes.resize(body);
      tags.resize(body);
      ring.read_mapped((pos & ring.mask()) + kHdrSz, body, bytes.data(), tags.data());
      rec["id"] = body ? sim::tag_id(tags[0]) : 0;
    }
    recs.push_back(std::move(rec));
    pos += (U64{body} + kHdrSz + 7) / 8 * 8;
  }
  const U64 size = ring.size();
  bool same = true;
  constexpr U64 kChunk = 4096;  // compared a page at a time: no allocation of the ring's size
  std::vector<std::uint8_t> a(kChunk), b(kChunk);
  std::vector<U64> ta(kChunk), tb(kChunk);
  for (U64 at = 0; at < size && same; at += kChunk) {
    const U64 n = std::min(kChunk, size - at);
    ring.read_mapped(at, n, a.data(), ta.data());
    ring.read_mapped(size + at, n, b.data(), tb.data());
    same = std::equal(a.begin(), a.begin() + static_cast<long>(n), b.begin()) &&
           std::equal(ta.begin(), ta.begin() + static_cast<long>(n), tb.begin());
  }
  return json{{"consumer_pos", cons}, {"producer_pos", prod}, {"avail_data", prod - cons}, {"records", std::move(recs)},
              {"double_mapped", same}};
}

std::vector<std::uint8_t> payload(U64 id, U64 len) {
  std::vector<std::uint8_t> v(static_cast<std::size_t>(len));
  for (U64 i = 0; i < len; ++i) v[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>((id * 31 + i) & 0xff);
  return v;
}

class ExecWorkload final : public sim::Workload {
 public:
  ExecWorkload(const Params& p, const NamedVariant& v, int n_rings, unsigned int_bits, const KernelSource* kernel,
               std::function<void(ExecWorkload&)> body)
      : p_(p), v_(v), n_rings_(n_rings), int_bits_(int_bits), kernel_(kernel), body_(std::move(body)) {}
  void build(sim::Sim& s) override {
    RingBuffer::SampleFn cb = [this](int ri, RingApi& ring, U64 pos, U64 off, std::uint32_t len) {
      return callback(ri, ring, pos, off, len);
    };
    if (kernel_) {  // libbpf's own consumer over the kernel's maps (kernel_ringbuf.h)
      KernelMaps maps = make_kernel_rings(s, p_, n_rings_, *kernel_, cb);
      if (maps.error) throw std::logic_error("BPF_MAP_CREATE failed after the probe accepted it: " + std::to_string(maps.error));
      rings = std::move(maps.rings);
      rb = std::move(maps.consumer);
    } else {
      for (int r = 0; r < n_rings_; ++r) rings.push_back(std::make_unique<Ring>(s, p_, v_.kernel, "rb" + std::to_string(r)));
      auto model_rb = std::make_unique<RingBuffer>(s, "ring_buffer", RingBuffer::Config{v_.libbpf_int_overflow, int_bits_});
      for (auto& r : rings) model_rb->add(*r, cb);
      rb = std::move(model_rb);
    }
    wakes.assign(rings.size(), 0);
    for (std::size_t i = 0; i < rings.size(); ++i) rings[i]->add_watcher([this, i] { ++wakes[i]; });
    s.add_task("exec", 0, [this] { body_(*this); });
  }
  void reset(sim::Sim&) override {
    for (auto& r : rings) r->reset_ghost();
    rb->reset_ghost();
    std::fill(wakes.begin(), wakes.end(), 0);
    waiter = Waiter{};
  }
  int callback(int ri, RingApi& ring, U64 pos, U64 off, std::uint32_t len) {
    std::vector<std::uint8_t> bytes(len);
    std::vector<U64> tags(len);
    ring.read_mapped(off, len, bytes.data(), tags.data());
    ++calls;
    delivered.push_back(json{{"ring", ri}, {"pos", pos}, {"id", len ? sim::tag_id(tags[0]) : 0}, {"len", len}});
    return calls == fail_at ? static_cast<int>(fail_ret) : 0;
  }

  std::vector<std::unique_ptr<RingApi>> rings;
  std::unique_ptr<ConsumerApi> rb;
  json delivered;
  I64 calls = 0, fail_at = 0, fail_ret = -1;
  /// Runs of bpf_ringbuf_notify per ring (its wake_up_all(&rb->waitq)), seen by a watcher.
  std::vector<U64> wakes;
  /// The background thread of a poll_wait: ring_buffer__poll(rb, -1) asleep in epoll_wait until a
  /// wakeup finds a ring ready, then done with the poll's result.
  struct Waiter {
    bool running = false, done = false;
    std::size_t op = 0;
    I64 fail_at = 0, fail_ret = -1;
    int ret = 0;
    json delivered;
  } waiter;

 private:
  Params p_;
  NamedVariant v_;
  int n_rings_;
  unsigned int_bits_;
  const KernelSource* kernel_;
  std::function<void(ExecWorkload&)> body_;
};

json run_op(ExecWorkload& w, const Op& op, std::vector<std::pair<Record, int>>& recs, U64& next_id) {
  RingApi& ring = *w.rings[static_cast<std::size_t>(op.ring)];
  const std::string& n = op.name;
  auto rec_json = [&](const Record& r, I64 index) {
    json j{{"rec", index}, {"ok", r.ok}};
    if (r.ok) j.update(json{{"pos", r.pos}, {"len", r.len}, {"pg_off", ring.record_pg_off(r)}});
    else j["fail"] = fail_name(r.fail);
    return j;
  };
  if (n == "reserve" || n == "reserve_dynptr") {
    const U64 id = next_id++;
    Record r;
    json ret;
    if (n == "reserve") {
      r = ring.reserve(static_cast<U64>(op.size), static_cast<U64>(op.flags));
      ret = rec_json(r, static_cast<I64>(recs.size()));
    } else {
      int err = ring.reserve_dynptr(static_cast<U64>(op.size), static_cast<U64>(op.flags), &r);
      ret = rec_json(r, static_cast<I64>(recs.size()));
      ret["ret"] = err;
    }
    ret["id"] = id;
    if (r.ok && op.fill) {
      auto data = payload(id, r.size);
      ring.write_sample(r, 0, data.data(), r.size, id);
    }
    recs.emplace_back(r, op.ring);
    return ret;
  }
  if (n == "output") {
    const U64 id = next_id++;
    auto data = payload(id, static_cast<U64>(op.size));
    Record r;
    int ret = ring.output(data.data(), static_cast<U64>(op.size), static_cast<U64>(op.flags), id, &r);
    json j = rec_json(r, static_cast<I64>(recs.size()));
    j["ret"] = ret;
    j["id"] = id;
    recs.emplace_back(r, op.ring);
    return j;
  }
  if (n == "submit" || n == "discard" || n == "submit_dynptr" || n == "discard_dynptr") {
    auto& [r, ri] = recs[static_cast<std::size_t>(op.rec)];
    RingApi& owner = *w.rings[static_cast<std::size_t>(ri)];  // the ring that reserved it
    if (n == "submit_dynptr") owner.submit_dynptr(r, static_cast<U64>(op.flags));
    else if (n == "discard_dynptr") owner.discard_dynptr(r, static_cast<U64>(op.flags));
    else if (!r.ok) return json{{"error", "NULL record: the verifier would reject this program"}};
    else owner.commit(r, static_cast<U64>(op.flags), n == "discard");
    return json{{"wakeups_queued", owner.wakeups_queued()}};
  }
  if (n == "query") return json{{"value", ring.query(static_cast<U64>(op.flags))}};
  if (n == "mmap") {
    // mmap(2): a page-aligned offset and a non-empty length, rounded up to pages, then the map's
    // map_mmap (the checks of bpf_map_mmap in kernel/bpf/syscall.c, mprotect and mremap are not
    // ringbuf.c's and are not modelled)
    if (op.offset % 4096 || op.bytes == 0) return json{{"ret", -22}};
    return json{{"ret", ring.map_mmap(op.offset / 4096, (op.bytes + 4095) / 4096, op.write)}};
  }
  if (n == "map_poll") return json{{"mask", op.user ? ring.map_poll_user() : ring.map_poll()}};
  if (n == "view") return view_json(ring);
  if (n == "write_consumer_pos") {
    ring.store_consumer_pos(static_cast<U64>(op.value));
    return json::object();
  }
  w.delivered = json::array();
  w.calls = 0;
  w.fail_at = op.fail_at;
  w.fail_ret = op.fail_ret;
  int ret = 0;
  if (n == "consume") ret = w.rb->consume();
  else if (n == "consume_n") ret = w.rb->consume_n(static_cast<U64>(op.value));
  else if (n == "ring_consume_n") ret = w.rb->ring_consume_n(op.ring, static_cast<U64>(op.value));
  else ret = w.rb->poll(0);
  return json{{"ret", ret}, {"delivered", w.delivered}};
}

// epoll's readiness over the instance's rings: ringbuf_map_poll_kern of each (steps).
bool any_ready(ExecWorkload& w) {
  bool ready = false;
  for (auto& r : w.rings) ready = r->map_poll() != 0 || ready;
  return ready;
}

// The background poll returns: epoll_wait found a ring ready, and ring_buffer__poll processes the
// ready rings (the same calls as ring_buffer__poll(rb, 0) now), with the poll_wait's callback.
void finish_waiter(ExecWorkload& w) {
  w.delivered = json::array();
  w.calls = 0;
  w.fail_at = w.waiter.fail_at;
  w.fail_ret = w.waiter.fail_ret;
  w.waiter.ret = w.rb->poll(0);
  w.waiter.delivered = w.delivered;
  w.waiter.done = true;
}

// "irq_work": "run": the irq_works an op queued run before the next op, as the self-IPI of
// irq_work_queue runs them once the program returns with irqs on. The exec task yields with
// nothing else runnable, so the all-zeros schedule fires each pending one (hardirq, CPU 0).
void run_irq_works(sim::Sim& s, ExecWorkload& w) {
  for (auto& r : w.rings)
    for (int n = 0; r->wakeup_pending(); ++n) {
      if (n == 8) throw std::logic_error("bpf_ringbuf exec: an irq_work stays pending after 8 yields");
      s.spin_unobserved();  // the exec task waits for the interrupt, not for a write
      s.yield();
    }
}

}  // namespace

json ringbuf_exec(const json& input, const std::string& file, const KernelSource* kernel) {
  return exec_document(input, file, [kernel](const json& top, OpSource& ops, const std::string& f, ExecOutput& out) {
    ringbuf_exec_stream(top, ops, f, out, kernel);
  });
}

void ringbuf_exec_stream(const json& input, OpSource& ops, const std::string& file, ExecOutput& output,
                         const KernelSource* kernel) {
  if (!input.is_object()) fail(file, "(top level)", std::string("must be an object, not ") + json_type_name(input));
  for (auto it = input.begin(); it != input.end(); ++it)
    if (it.key() != "params" && it.key() != "ops" && it.key() != "about") fail(file, it.key(), "unknown field");
  if (auto a = input.find("about"); a != input.end() && !a->is_string())
    fail(file, "about", std::string("must be a string, not ") + json_type_name(*a));
  Params p;
  std::string variant = "mainline";
  int rings = 1;
  unsigned int_bits = 32;
  bool irq_run = false;
  if (auto pit = input.find("params"); pit != input.end()) {
    Reader r(*pit, "params", file);
    p.max_entries = static_cast<std::uint32_t>(r.integer("max_entries", 4096, 0, 0xffffffffLL));
    p.key_size = static_cast<std::uint32_t>(r.integer("key_size", 0, 0, 0xffffffffLL));
    p.value_size = static_cast<std::uint32_t>(r.integer("value_size", 0, 0, 0xffffffffLL));
    p.map_flags = static_cast<U64>(r.integer("map_flags", 0, 0, 0xffffffffLL));
    rings = static_cast<int>(r.integer("rings", 1, 1, 8));
    std::vector<std::string> names;
    for (auto& v : variants()) names.push_back(v.name);
    variant = r.string("variant", std::string("mainline"), names);
    int_bits = static_cast<unsigned>(r.integer("int_bits", 32, 4, 32));
    irq_run = r.string("irq_work", std::string("pending"), {"pending", "run"}) == "run";
    r.done();
  }
  const NamedVariant& nv = *find_variant(variant);
  auto oit = input.find("ops");
  if (oit == input.end()) fail(file, "ops", "missing required field");
  if (!oit->is_array()) fail(file, "ops", std::string("must be an array, not ") + json_type_name(*oit));
  {  // every op is checked before any runs
    json j;
    I64 records = 0, wait_op = -1;
    bool joined = false;
    ops.rewind();
    for (std::size_t i = 0; ops.next(j); ++i) parse_op(j, i, rings, records, wait_op, joined, file);
  }
  json params{{"max_entries", p.max_entries}, {"key_size", p.key_size}, {"value_size", p.value_size},
              {"map_flags", p.map_flags},     {"rings", rings},       {"variant", variant}, {"int_bits", int_bits},
              {"irq_work", irq_run ? "run" : "pending"}};
  json out{{"model", "bpf_ringbuf"}, {"source", kernel ? "kernel" : "model"}, {"params", params}};
  std::string why;
  StepList steps(output);
  long err = 0;
  if (kernel) {
    err = kernel_map_create(p, *kernel);
    if (err) why = "ringbuf_map_alloc returned " + std::to_string(err);
  } else {
    err = Ring::validate(p, nv.kernel, &why);
  }
  if (err) {
    out["create"] = json{{"ret", err}, {"error", why}};
    steps.begin(out);
    steps.end(out);
    return;
  }
  out["create"] = json{{"ret", 0}};
  steps.begin(out);
  std::exception_ptr error;
  sim::Sim::Config cfg;
  cfg.step_bound = 100'000'000;
  cfg.stack_size = 256 * 1024;
  sim::Sim s(cfg);
  ExecWorkload w(p, nv, rings, int_bits, kernel, [&](ExecWorkload& ew) {
    try {
      std::vector<std::pair<Record, int>> recs;
      U64 next_id = 1;
      I64 records = 0, wait_op = -1;
      bool joined = false;
      json opj;
      ops.rewind();
      for (std::size_t i = 0; ops.next(opj); ++i) {
        const Op op = parse_op(opj, i, rings, records, wait_op, joined, file);
        steps.push_back(json{{"op", op.source}});
        const std::vector<U64> wakes_before = ew.wakes;
        json ret;
        const std::string at = "ops[" + std::to_string(i) + "].op";
        if (op.name == "poll_wait") {
          if (ew.waiter.running)
            fail(file, at, "poll_wait while the background poll of ops[" + std::to_string(ew.waiter.op) + "] has not been joined");
          ew.waiter = ExecWorkload::Waiter{true, false, i, op.fail_at, op.fail_ret, 0, json::array()};
          if (any_ready(ew)) finish_waiter(ew);  // epoll_wait finds a ring ready: no sleep
          ret = json{{"blocked", !ew.waiter.done}};
          if (ew.waiter.done) ret.update(json{{"poll_ret", ew.waiter.ret}, {"delivered", ew.waiter.delivered}});
        } else if (op.name == "poll_join") {
          if (!ew.waiter.running) fail(file, at, "poll_join: the background poll was already joined");
          if (!ew.waiter.done) {
            ret = json{{"ret", -16}};  // pthread_tryjoin_np: EBUSY, still in epoll_wait
          } else {
            ret = json{{"ret", 0}, {"poll_ret", ew.waiter.ret}, {"delivered", ew.waiter.delivered}};
            ew.waiter = ExecWorkload::Waiter{};
          }
        } else {
          ret = run_op(ew, op, recs, next_id);
        }
        if (irq_run) {
          run_irq_works(s, ew);
          const bool commit_like = op.name == "submit" || op.name == "discard" || op.name == "submit_dynptr" ||
                                   op.name == "discard_dynptr" || op.name == "output";
          if (commit_like) {
            const int ri = op.name == "output" ? op.ring : recs[static_cast<std::size_t>(op.rec)].second;
            ret["woke"] = ew.wakes[static_cast<std::size_t>(ri)] != wakes_before[static_cast<std::size_t>(ri)];
          }
          // a woken background poll re-checks readiness (ep_poll after the wakeup) and returns
          if (ew.waiter.running && !ew.waiter.done && ew.wakes != wakes_before && any_ready(ew)) {
            finish_waiter(ew);
            ret["waiter"] = json{{"poll_ret", ew.waiter.ret}, {"delivered", ew.waiter.delivered}};
          }
        }
        steps.back()["return"] = ret;
        steps.back()["state"] = state_json(ew.rings);
      }
    } catch (const std::exception&) {  // not catch (...): the engine unwinds a parked fiber with forced_unwind
      error = std::current_exception();
    }
  });
  sim::ExecResult r = run_ops_once(s, w, error);
  if (r.violation && !steps.empty() && !steps.back().contains("state")) steps.back()["state"] = state_json(w.rings);
  if (r.violation)
    out["violation"] = json{{"property", std::string(sim::property_name(r.violation->property))},
                            {"message", r.violation->message},
                            {"op", steps.size() - 1}};
  steps.end(out);
}

}  // namespace model::bpf_ringbuf
