// model/perf_buf/exec.cpp — see exec.h.
#include "model/perf_buf/exec.h"

#include <memory>
#include <stdexcept>

#include "model/perf_buf/config.h"
#include "model/perf_buf/perf_buf.h"
#include "scenarios/json_reader.h"
#include "scenarios/spec.h"
#include "sim/buffer.h"
#include "sim/choice.h"

namespace model::perf_buf {
namespace {

using nlohmann::json;
using U64 = std::uint64_t;
using I64 = std::int64_t;
using JReader = scenario::JsonReader;
using scenario::json_type_name;
[[noreturn]] void fail(const std::string& file, const std::string& field, const std::string& msg) {
  scenario::json_fail(file, field, msg);
}

struct Op {
  std::string name;
  json source;
  int cpu = 0;
  I64 size = 0, value = 0;
  bool pause = true;
};

const std::vector<std::string> kOps = {"output", "read", "snapshot", "write_tail", "poll", "pause"};

Op parse_op(const json& j, std::size_t i, int cpus, const std::string& file) {
  JReader r(j, "ops[" + std::to_string(i) + "]", file);
  Op op;
  op.source = j;
  op.name = r.string("op", std::nullopt, kOps);
  op.cpu = static_cast<int>(r.integer("cpu", 0, 0, cpus - 1));
  if (op.name == "output") op.size = r.integer("size", std::nullopt, 0, 60000);
  if (op.name == "write_tail") op.value = r.integer("value", std::nullopt, INT64_MIN, INT64_MAX);  // negative: two's complement (backward positions)
  if (op.name == "pause") op.pause = r.boolean("pause", true);
  r.done();
  return op;
}

json state_json(std::vector<std::unique_ptr<BufferApi>>& bufs) {
  json a = json::array();
  for (auto& b : bufs) {
    const BufferApi::State s = b->state();
    a.push_back(json{{"head", s.head},
                     {"nest", s.nest},
                     {"wakeup", s.wakeup},
                     {"lost", s.lost},
                     {"events", s.events},
                     {"data_head", s.data_head},
                     {"data_tail", s.data_tail},
                     {"data_offset", s.data_offset},
                     {"data_size", s.data_size},
                     {"poll", s.poll},
                     {"paused", s.paused},
                     {"overwrite", s.overwrite},
                     {"watermark", s.watermark},
                     {"lost_samples", s.lost_samples},
                     {"wakeups_queued", b->wakeups_queued()}});
  }
  return json{{"buffers", std::move(a)}};
}

class ExecWorkload final : public sim::Workload {
 public:
  ExecWorkload(const Params& p, const Variant& v, int cpus, const KernelSource* kernel, std::function<void(ExecWorkload&)> body)
      : p_(p), v_(v), cpus_(cpus), kernel_(kernel), body_(std::move(body)) {}
  void build(sim::Sim& s) override {
    s.set_cpus(cpus_);
    if (kernel_) bufs = make_kernel_buffers(s, p_, cpus_, *kernel_);
    else
      for (int c = 0; c < cpus_; ++c) bufs.push_back(std::make_unique<PerfBuffer>(s, p_, v_, "rb" + std::to_string(c)));
    s.add_task("exec", 0, [this] { body_(*this); });
  }
  void reset(sim::Sim&) override {
    for (auto& b : bufs) b->reset_ghost();
  }
  std::vector<std::unique_ptr<BufferApi>> bufs;

 private:
  Params p_;
  Variant v_;
  int cpus_;
  const KernelSource* kernel_;
  std::function<void(ExecWorkload&)> body_;
};

/// One record at `pos` as a reader sees it: {"pos", "type", "size", ...}; size 0 when none.
json read_record(BufferApi& b, U64 pos, std::uint32_t* size_out) {
  std::vector<std::uint8_t> hdr(kHeaderSize);
  b.read_data(pos, kHeaderSize, hdr.data(), nullptr);
  const auto type = static_cast<std::uint32_t>(le(hdr.data(), 4));
  const auto size = static_cast<std::uint32_t>(le(hdr.data() + 6, 2));
  *size_out = size;
  json j{{"pos", pos}, {"type", type}, {"size", size}};
  if (size < kHeaderSize || size > b.data_size()) return j;
  std::vector<std::uint8_t> rec(size);
  std::vector<U64> tags(size);
  b.read_data(pos, size, rec.data(), tags.data());
  if (type == kRecordLost && size >= kLostRecordSize) j["lost"] = le(rec.data() + 16, 8);
  if (type == kRecordSample && size >= kHeaderSize + 4) {
    j["len"] = le(rec.data() + kHeaderSize, 4);
    j["id"] = size > kHeaderSize + 4 ? sim::tag_id(tags[kHeaderSize + 4]) : 0;
  }
  return j;
}

json run_op(ExecWorkload& w, const Op& op, U64& next_id) {
  BufferApi& b = *w.bufs[static_cast<std::size_t>(op.cpu)];
  const std::string& n = op.name;
  if (n == "output") {
    const U64 id = next_id++;
    std::vector<std::uint8_t> data(static_cast<std::size_t>(op.size));
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>((id * 31 + i) & 0xff);
    const Output o = b.perf_event_output(data.data(), static_cast<std::uint32_t>(op.size), id);
    json j{{"ret", o.ret}, {"id", id}};
    if (!o.ret) j.update(json{{"pos", o.pos}, {"size", o.size}, {"lost_record", o.lost_record}, {"lost_count", o.lost_count}});
    return j;
  }
  if (n == "read" || n == "snapshot") {
    json recs = json::array();
    const U64 head = b.load_data_head(sim::Mo::Acquire);
    if (n == "read") {  // perf_event_read_simple
      U64 tail = b.load_data_tail(sim::Mo::Relaxed);
      if (head - tail > b.data_size()) return json{{"error", "data_head is more than data_size ahead of data_tail"}};
      while (tail != head) {
        std::uint32_t size = 0;
        recs.push_back(read_record(b, tail, &size));
        if (size < kHeaderSize || size % 8 || size > b.data_size()) return json{{"records", recs}, {"error", "bad record size"}};
        tail += size;
      }
      b.store_data_tail(tail, sim::Mo::Release);
      return json{{"records", recs}, {"data_tail", tail}};
    }
    U64 pos = head, got = 0;  // backward: from data_head, newest first
    while (b.data_size() && got < b.data_size()) {
      std::uint32_t size = 0;
      json r = read_record(b, pos, &size);
      if (size == 0 || size % 8 || got + size > b.data_size()) break;
      recs.push_back(std::move(r));
      pos += size;
      got += size;
    }
    return json{{"records", recs}, {"data_tail", b.state().data_tail}};
  }
  if (n == "write_tail") {
    b.store_data_tail(static_cast<U64>(op.value), sim::Mo::Release);
    return json::object();
  }
  if (n == "poll") return json{{"events", b.perf_poll()}};
  b.pause_output(op.pause);
  return json::object();
}

}  // namespace

json perf_exec(const json& input, const std::string& file, const KernelSource* kernel) {
  return exec_document(input, file, [kernel](const json& top, OpSource& ops, const std::string& f, ExecOutput& out) {
    perf_exec_stream(top, ops, f, out, kernel);
  });
}

void perf_exec_stream(const json& input, OpSource& ops, const std::string& file, ExecOutput& output, const KernelSource* kernel) {
  if (!input.is_object()) fail(file, "(top level)", std::string("must be an object, not ") + json_type_name(input));
  for (auto it = input.begin(); it != input.end(); ++it)
    if (it.key() != "params" && it.key() != "ops") fail(file, it.key(), "unknown field");
  Params p;
  std::string variant = "mainline";
  int cpus = 1;
  if (auto pit = input.find("params"); pit != input.end()) {
    JReader r(*pit, "params", file);
    p.nr_pages = static_cast<std::uint32_t>(r.integer("nr_pages", 1, 0, 1 << 20));
    p.wakeup_events = static_cast<std::uint32_t>(r.integer("wakeup_events", 1, 0, 1 << 20));
    p.wakeup_watermark = static_cast<std::uint32_t>(r.integer("wakeup_watermark", 0, 0, 1 << 30));
    p.write_backward = r.boolean("write_backward", false);
    p.overwrite = r.boolean("overwrite", false);
    cpus = static_cast<int>(r.integer("cpus", 1, 1, 8));
    std::vector<std::string> names;
    for (auto& v : variants()) names.push_back(v.name);
    variant = r.string("variant", std::string("mainline"), names);
    r.done();
  }
  auto oit = input.find("ops");
  if (oit == input.end()) fail(file, "ops", "missing required field");
  if (!oit->is_array()) fail(file, "ops", std::string("must be an array, not ") + json_type_name(*oit));
  {
    json j;
    ops.rewind();
    for (std::size_t i = 0; ops.next(j); ++i) parse_op(j, i, cpus, file);
  }
  json params{{"nr_pages", p.nr_pages}, {"wakeup_events", p.wakeup_events}, {"wakeup_watermark", p.wakeup_watermark},
              {"write_backward", p.write_backward}, {"overwrite", p.overwrite}, {"cpus", cpus}, {"variant", variant}};
  json out{{"model", "perf_buf"}, {"source", kernel ? "kernel" : "model"}, {"params", params}};
  StepList steps(output);
  std::string why;
  long err = PerfBuffer::validate(p, &why);
  if (kernel) {  // the kernel's answer, from a throwaway simulation
    sim::Sim probe(sim::Sim::Config{});
    err = 0;
    make_kernel_buffers(probe, p, 1, *kernel, &err);
    why = err ? "perf_mmap returned " + std::to_string(err) : "";
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
  ExecWorkload w(p, find_variant(variant)->v, cpus, kernel, [&](ExecWorkload& ew) {
    try {
      U64 next_id = 1;
      json opj;
      ops.rewind();
      for (std::size_t i = 0; ops.next(opj); ++i) {
        const Op op = parse_op(opj, i, cpus, file);
        steps.push_back(json{{"op", op.source}});
        steps.back()["return"] = run_op(ew, op, next_id);
        steps.back()["state"] = state_json(ew.bufs);
      }
    } catch (const std::exception&) {  // not catch (...): the engine unwinds a parked fiber with forced_unwind
      error = std::current_exception();
    }
  });
  sim::ExecResult r = run_ops_once(s, w, error);
  if (r.violation && !steps.empty() && !steps.back().contains("state")) steps.back()["state"] = state_json(w.bufs);
  if (r.violation)
    out["violation"] = json{{"property", std::string(sim::property_name(r.violation->property))},
                            {"message", r.violation->message},
                            {"op", steps.size() - 1}};
  steps.end(out);
}

}  // namespace model::perf_buf
