// model/relay/exec.cpp — see exec.h.
#include "model/relay/exec.h"
#include "model/exec_support.h"

#include "scenarios/json_reader.h"

#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "scenarios/spec.h"
#include "model/relay/kernel_channel.h"
#include "sim/choice.h"

namespace model::relay {
namespace {

using nlohmann::json;
using U64 = std::uint64_t;

using scenario::json_fail;
using scenario::json_type_name;
using ObjectReader = scenario::JsonReader;

enum class OpKind { Write, Reserve, Switch, Flush, Reset, SubbufsConsumed, Read, MmapConsume, Poll, Close };

struct Op {
  OpKind kind;
  json source;
  int cpu = 0;
  int buffer = 0;
  int file = 0;
  U64 len = 0;  // write/reserve len, switch length, read count, subbufs_consumed n
  bool irqsave = true;
};

constexpr U64 kMaxLen = U64{1} << 20;
constexpr int kMaxFiles = 16;

// One op of the file (index i), checked against the channel's parameters.
Op parse_op(const json& j, std::size_t i, const Params& p, const std::string& file) {
  const int buffers = p.is_global ? 1 : p.cpus;
  {
    const std::string path = "ops[" + std::to_string(i) + "]";
    ObjectReader r(j, path, file);
    Op op;
    op.source = j;
    std::string name = r.string("op", std::nullopt,
                                {"write", "reserve", "switch", "flush", "reset", "subbufs_consumed", "read",
                                 "mmap_consume", "poll", "close"});
    auto cpu = [&] { op.cpu = static_cast<int>(r.uinteger("cpu", std::nullopt, 0, static_cast<U64>(p.cpus - 1))); };
    auto buffer = [&] { op.buffer = static_cast<int>(r.uinteger("buffer", std::nullopt, 0, static_cast<U64>(buffers - 1))); };
    if (name == "write") {
      op.kind = OpKind::Write;
      cpu();
      op.len = r.uinteger("len", std::nullopt, 0, kMaxLen);
      op.irqsave = r.string("fn", "relay_write", {"relay_write", "__relay_write"}) == "relay_write";
    } else if (name == "reserve") {
      op.kind = OpKind::Reserve;
      cpu();
      op.len = r.uinteger("len", std::nullopt, 0, kMaxLen);
    } else if (name == "switch") {
      op.kind = OpKind::Switch;
      buffer();
      op.len = r.uinteger("length", 0, 0, kMaxLen);
    } else if (name == "flush") {
      op.kind = OpKind::Flush;
    } else if (name == "reset") {
      op.kind = OpKind::Reset;
    } else if (name == "close") {
      op.kind = OpKind::Close;
    } else if (name == "subbufs_consumed") {
      op.kind = OpKind::SubbufsConsumed;
      buffer();
      op.len = r.uinteger("n", std::nullopt, 0, kMaxLen);
    } else if (name == "read") {
      op.kind = OpKind::Read;
      buffer();
      op.len = r.uinteger("count", std::nullopt, 0, kMaxLen);
      op.file = static_cast<int>(r.uinteger("file", 0, 0, kMaxFiles - 1));
    } else if (name == "mmap_consume") {
      op.kind = OpKind::MmapConsume;
      buffer();
    } else {
      op.kind = OpKind::Poll;
      buffer();
    }
    r.done();
    return op;
  }
}

json runs_json(const std::uint64_t* tags, std::size_t n) {
  json a = json::array();
  for (const TagRun& r : tag_runs(tags, n))
    a.push_back(r.first_index ? json::array({r.id, r.length, r.first_index}) : json::array({r.id, r.length}));
  return a;
}

const char* drop_name(WriteResult::Drop d) {
  switch (d) {
    case WriteResult::Drop::None: return "none";
    case WriteResult::Drop::Full: return "full";
    case WriteResult::Drop::TooBig: return "too_big";
  }
  return "?";
}

json state_json(const ChannelApi& ch) {
  json bufs = json::array();
  const Params& p = ch.params();
  for (int b = 0; b < ch.buffers(); ++b) {
    Channel::BufState s = ch.state(b);
    json subbufs = json::array();
    std::vector<std::uint64_t> tag_vec;
    ch.buffer_tags(b, tag_vec);
    const std::uint64_t* tags = tag_vec.data();
    for (U64 i = 0; i < p.n_subbufs; ++i)
      subbufs.push_back(runs_json(tags + i * p.subbuf_size, static_cast<std::size_t>(p.subbuf_size)));
    bufs.push_back(json{{"produced", s.subbufs_produced},
                        {"consumed", s.subbufs_consumed},
                        {"bytes_consumed", s.bytes_consumed},
                        {"offset", s.offset},
                        {"data", s.data_subbuf},
                        {"padding", s.padding},
                        {"file_size", s.file_size},
                        {"early_bytes", s.early_bytes},
                        {"full_count", s.full_count},
                        {"big_count", s.big_count},
                        {"dropped", s.dropped},
                        {"subbuf_start_calls", s.subbuf_start_calls},
                        {"finalized", s.finalized},
                        {"subbufs", std::move(subbufs)}});
  }
  json st{{"buffers", std::move(bufs)}, {"dropped", ch.dropped()}};
  if (!p.stats) st["last_toobig"] = ch.last_toobig();
  return st;
}

const char* callback_name(Callback c) {
  switch (c) {
    case Callback::BufFull: return "buf_full";
    case Callback::Counting: return "counting";
    case Callback::Overwrite: return "overwrite";
    case Callback::HeaderReserve: return "header_reserve";
  }
  return "?";
}

// One task on CPU 0 runs `body` against the channel, from either source.
class SequentialWorkload final : public sim::Workload {
 public:
  SequentialWorkload(const Params& p, const KernelSource* kernel, std::function<void(sim::Sim&, ChannelApi&)> body)
      : p_(p), kernel_(kernel), body_(std::move(body)) {}
  void build(sim::Sim& s) override {
    s.set_cpus(p_.cpus);
    if (kernel_) channel_ = std::make_unique<KernelChannel>(s, p_, *kernel_);
    else channel_ = std::make_unique<Channel>(s, p_);
    s.add_task("exec", 0, [this, &s] { body_(s, *channel_); });
  }
  ChannelApi& channel() { return *channel_; }

 private:
  Params p_;
  const KernelSource* kernel_;
  std::function<void(sim::Sim&, ChannelApi&)> body_;
  std::unique_ptr<ChannelApi> channel_;
};

sim::ExecResult run_ops(const Params& params, const KernelSource* kernel,
                        const std::function<void(sim::Sim&, ChannelApi&)>& body,
                        const std::function<void(ChannelApi&, const sim::ExecResult&)>& after) {
  sim::Sim::Config cfg;
  cfg.step_bound = 100'000'000;
  cfg.stack_size = 256 * 1024;
  sim::Sim s(cfg);
  SequentialWorkload w(params, kernel, body);
  s.load(w);
  sim::ReplaySource zeros({}, false);
  sim::ExecResult r = s.run(zeros);
  if (after) after(w.channel(), r);
  return r;
}

}  // namespace

std::vector<TagRun> tag_runs(const std::uint64_t* tags, std::size_t n) {
  std::vector<TagRun> out;
  for (std::size_t i = 0; i < n; ++i) {
    const U64 id = sim::tag_id(tags[i]), index = sim::tag_index(tags[i]);
    if (!out.empty() && out.back().id == id && (id == 0 || out.back().first_index + out.back().length == index))
      ++out.back().length;
    else
      out.push_back(TagRun{id, 1, id ? index : 0});
  }
  return out;
}

std::vector<std::uint8_t> exec_payload(U64 id, U64 len) {
  std::vector<std::uint8_t> v(static_cast<std::size_t>(len));
  for (U64 i = 0; i < len; ++i) v[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>((id * 31 + i) & 0xff);
  return v;
}

Params params_from_json(const json* params, const std::string& file) {
  Params p;
  if (params) {
    ObjectReader r(*params, "params", file);
    p.subbuf_size = r.uinteger("subbuf_size", p.subbuf_size, 0, UINT64_MAX);
    p.n_subbufs = r.uinteger("n_subbufs", p.n_subbufs, 0, UINT64_MAX);
    p.cpus = static_cast<int>(r.uinteger("cpus", 1, 1, 64));
    p.is_global = r.boolean("is_global", false);
    std::string cb = r.string("callback", "buf_full", {"buf_full", "counting", "overwrite", "header_reserve"});
    p.callback = cb == "buf_full"    ? Callback::BufFull
                 : cb == "counting"  ? Callback::Counting
                 : cb == "overwrite" ? Callback::Overwrite
                                     : Callback::HeaderReserve;
    p.header_size = r.uinteger("header_size", p.header_size, 0, UINT64_MAX);
    p.stats = r.boolean("stats", true);
    p.old_read_pos = r.boolean("old_read_pos", false);
    r.done();
  }
  std::string why;
  int err = Channel::validate(p, &why);
  if (err) json_fail(file, "params", "relay_open fails (" + std::string(err == -kEINVAL ? "-EINVAL" : "-ENOMEM") + "): " + why);
  return p;
}

namespace {
// The model only (tests drive Channel's own members).
class ModelSequential final : public sim::Workload {
 public:
  ModelSequential(const Params& p, std::function<void(sim::Sim&, Channel&)> body) : p_(p), body_(std::move(body)) {}
  void build(sim::Sim& s) override {
    s.set_cpus(p_.cpus);
    channel_.emplace(s, p_);
    s.add_task("exec", 0, [this, &s] { body_(s, *channel_); });
  }
  Channel& channel() { return *channel_; }

 private:
  Params p_;
  std::function<void(sim::Sim&, Channel&)> body_;
  std::optional<Channel> channel_;
};
}  // namespace

sim::ExecResult run_sequential(const Params& params, const std::function<void(sim::Sim&, Channel&)>& body,
                               const std::function<void(Channel&, const sim::ExecResult&)>& after,
                               sim::Granularity granularity) {
  sim::Sim::Config cfg;
  cfg.granularity = granularity;
  cfg.step_bound = 100'000'000;
  cfg.stack_size = 256 * 1024;
  sim::Sim s(cfg);
  ModelSequential w(params, body);
  s.load(w);
  sim::ReplaySource zeros({}, false);
  sim::ExecResult r = s.run(zeros);
  if (after) after(w.channel(), r);
  return r;
}

json relay_exec(const json& input, const std::string& file, const KernelSource* kernel) {
  return exec_document(input, file, [kernel](const json& top, OpSource& ops, const std::string& f, ExecOutput& out) {
    relay_exec_stream(top, ops, f, out, kernel);
  });
}

void relay_exec_stream(const json& input, OpSource& ops, const std::string& file, ExecOutput& output,
                       const KernelSource* kernel) {
  if (!input.is_object()) json_fail(file, "(top level)", std::string("must be an object, not ") + json_type_name(input));
  for (auto it = input.begin(); it != input.end(); ++it)
    if (it.key() != "params" && it.key() != "ops") json_fail(file, it.key(), "unknown field");
  auto pit = input.find("params");
  Params p = params_from_json(pit == input.end() ? nullptr : &*pit, file);
  if (kernel) p.stats = p.old_read_pos = false;  // the tree decides (kernel_channel.h)
  auto oit = input.find("ops");
  if (oit == input.end()) json_fail(file, "ops", "missing required field");
  if (!oit->is_array()) json_fail(file, "ops", std::string("must be an array, not ") + json_type_name(*oit));
  {  // every op is checked before any runs
    json j;
    ops.rewind();
    for (std::size_t i = 0; ops.next(j); ++i) parse_op(j, i, p, file);
  }

  json params{{"subbuf_size", p.subbuf_size}, {"n_subbufs", p.n_subbufs}, {"cpus", p.cpus},
              {"is_global", p.is_global},     {"callback", callback_name(p.callback)},
              {"header_size", p.header_size}, {"stats", p.stats}, {"old_read_pos", p.old_read_pos}};
  json out{{"model", "relay"}, {"source", kernel ? "kernel" : "model"}, {"params", std::move(params)}};
  StepList steps(output);
  steps.begin(out);
  std::exception_ptr error;
  sim::ExecResult r = run_ops(p, kernel, [&](sim::Sim&, ChannelApi& ch) {
    try {
      std::map<int, Channel::ReaderFile> files;
      auto* kch = dynamic_cast<KernelChannel*>(&ch);
      U64 next_id = 1;
      json opj;
      ops.rewind();
      for (std::size_t i = 0; ops.next(opj); ++i) {
        const Op op = parse_op(opj, i, p, file);
        json ret;
        steps.push_back(json{{"op", op.source}});  // pushed first: a violation keeps the op that caused it
        if (kch) kch->set_exec_cpu(op.kind == OpKind::Write || op.kind == OpKind::Reserve ? op.cpu : 0);
        switch (op.kind) {
          case OpKind::Write:
          case OpKind::Reserve: {
            U64 id = next_id++;
            std::vector<std::uint8_t> payload = exec_payload(id, op.len);
            WriteResult w;
            if (op.kind == OpKind::Write) {
              w = op.irqsave ? ch.relay_write(op.cpu, payload.data(), op.len, id)
                             : ch.__relay_write(op.cpu, payload.data(), op.len, id);
            } else {
              w = ch.relay_reserve(op.cpu, op.len);
              ch.commit_reserved(w, payload.data(), op.len, id);
            }
            ret = json{{"id", id}, {"accepted", w.accepted}, {"drop", drop_name(w.drop)}, {"buffer", w.buffer}};
            if (w.accepted) {
              ret["offset"] = w.offset_in_buffer;
              ret["subbuf"] = w.offset_in_buffer / p.subbuf_size;
              ret["offset_in_subbuf"] = w.offset_in_buffer % p.subbuf_size;
              ret["subbuf_seq"] = w.subbuf_seq;
            }
            break;
          }
          case OpKind::Switch: ret = json{{"length", ch.relay_switch_subbuf(op.buffer, op.len)}}; break;
          case OpKind::Flush: ch.relay_flush(); break;
          case OpKind::Reset: ch.relay_reset(); break;
          case OpKind::Close: ch.relay_close(); break;
          case OpKind::SubbufsConsumed: ch.relay_subbufs_consumed(op.buffer, op.len); break;
          case OpKind::Read: {
            Channel::ReadResult rr = ch.relay_file_read(op.buffer, files[op.file], op.len);
            ret = json{{"bytes", rr.bytes},
                       {"messages", runs_json(rr.tags.data(), rr.tags.size())},
                       {"skipped", rr.skipped_subbuf_seqs},
                       {"ppos", files[op.file].ppos}};
            break;
          }
          case OpKind::MmapConsume: {
            Channel::BufState s = ch.state(op.buffer);  // user space's own count of consumed sub-buffers
            if (s.subbufs_produced == s.subbufs_consumed) {
              ret = json{{"bytes", 0}, {"messages", json::array()}};
              break;
            }
            U64 padding = 0;
            Channel::ReadResult rr = ch.mmap_read_subbuf(op.buffer, s.subbufs_consumed, &padding);
            ch.relay_subbufs_consumed(op.buffer, 1);
            ret = json{{"seq", s.subbufs_consumed},
                       {"subbuf", s.subbufs_consumed % p.n_subbufs},
                       {"padding", padding},
                       {"bytes", rr.bytes},
                       {"messages", runs_json(rr.tags.data(), rr.tags.size())}};
            break;
          }
          case OpKind::Poll: {
            int mask = ch.relay_file_poll(op.buffer);
            ret = json{{"mask", mask}, {"readable", (mask & 1) != 0}, {"error", (mask & 2) != 0}};
            break;
          }
        }
        steps.back()["return"] = ret;
        steps.back()["state"] = state_json(ch);
      }
    } catch (const boost::context::detail::forced_unwind&) {
      throw;  // the engine unwinding a fiber parked by a violation: must reach Boost's trampoline
    } catch (...) {
      error = std::current_exception();
    }
  }, [&](ChannelApi& ch, const sim::ExecResult& res) {
    // A violation ends the task inside the op that caused it: record the state it left.
    if (res.violation && !steps.empty() && !steps.back().contains("state")) steps.back()["state"] = state_json(ch);
  });
  if (error) std::rethrow_exception(error);
  if (r.end == sim::ExecResult::End::Error) std::rethrow_exception(r.error);

  if (r.violation)
    out["violation"] = json{{"property", std::string(sim::property_name(r.violation->property))},
                            {"message", r.violation->message},
                            {"op", steps.size() - 1}};
  steps.end(out);
}

}  // namespace model::relay
