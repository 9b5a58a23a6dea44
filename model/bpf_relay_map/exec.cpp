// model/bpf_relay_map/exec.cpp — see exec.h.
#include "model/exec_support.h"
#include "model/bpf_relay_map/exec.h"

#include "scenarios/json_reader.h"

#include <boost/context/fiber.hpp>

#include <optional>
#include <set>

#include "model/bpf_relay_map/map.h"
#include "model/relay/exec.h"
#include "scenarios/spec.h"
#include "sim/choice.h"

namespace model::bpf_relay_map {
namespace {

using nlohmann::json;
using U64 = std::uint64_t;

[[noreturn]] void fail(const std::string& file, const std::string& field, const std::string& msg) {
  throw scenario::ScenarioError(file + ": " + field + ": " + msg);
}

/// One JSON object read field by field (unknown fields rejected by done()).
using Fields = scenario::JsonReader;

enum class OpKind { UpdateElem, LookupElem, DeleteElem, GetNextKey, Output, Read, Poll, MemUsage, Free };

struct Op {
  OpKind kind;
  json source;
  std::string value;
  bool key = false, map_null = false;
  U64 flags = 0, len = 0;
  int cpu = 0, buffer = 0, fail_file_cpu = -1;
};

json ret_json(long ret) {
  json r{{"ret", ret}};
  if (ret < 0) r["errno"] = errno_name(ret);
  return r;
}

json state_json(const RelayMap& m) {
  const relay::Channel& ch = m.channel();
  const relay::Params& p = ch.params();
  json bufs = json::array();
  for (int b = 0; b < ch.buffers(); ++b) {
    relay::Channel::BufState s = ch.state(b);
    json subbufs = json::array();
    const std::uint64_t* tags = ch.memory(b).tags();
    for (U64 i = 0; i < p.n_subbufs; ++i) {
      json runs = json::array();
      for (const auto& r : relay::tag_runs(tags + i * p.subbuf_size, static_cast<std::size_t>(p.subbuf_size)))
        runs.push_back(r.first_index ? json::array({r.id, r.length, r.first_index}) : json::array({r.id, r.length}));
      subbufs.push_back(std::move(runs));
    }
    bufs.push_back(json{{"produced", s.subbufs_produced}, {"consumed", s.subbufs_consumed},
                        {"bytes_consumed", s.bytes_consumed}, {"offset", s.offset}, {"data", s.data_subbuf},
                        {"padding", s.padding}, {"subbufs", std::move(subbufs)}});
  }
  return json{{"has_base_filename", m.has_base_filename()}, {"files_ready", m.files_ready()},
              {"parent", m.parent_dir()}, {"dirs", m.dirs()}, {"files", m.files()}, {"freed", m.freed()},
              {"buffers", std::move(bufs)}};
}

class SequentialWorkload final : public sim::Workload {
 public:
  using Body = std::function<void(sim::Sim&, RelayMap&)>;
  SequentialWorkload(MapAttr a, Created c, Design d, int cpus, std::vector<std::string> dirs, std::vector<std::string> pre, Body body)
      : a_(std::move(a)), c_(std::move(c)), d_(d), cpus_(cpus), dirs_(std::move(dirs)), pre_(std::move(pre)), body_(std::move(body)) {}
  void build(sim::Sim& s) override {
    s.set_cpus(cpus_);
    map_.emplace(s, a_, c_, d_, cpus_, dirs_, pre_);
    s.add_task("exec", 0, [this, &s] { body_(s, *map_); });
  }
  RelayMap& map() { return *map_; }

 private:
  MapAttr a_;
  Created c_;
  Design d_;
  int cpus_;
  std::vector<std::string> dirs_, pre_;
  Body body_;
  std::optional<RelayMap> map_;
};

}  // namespace

std::string errno_name(long ret) {
  switch (-ret) {
    case 0: return "";
    case kENOENT: return "ENOENT";
    case kE2BIG: return "E2BIG";
    case kENOMEM: return "ENOMEM";
    case kEBUSY: return "EBUSY";
    case kEEXIST: return "EEXIST";
    case kEINVAL: return "EINVAL";
    case kENOSPC: return "ENOSPC";
    case kEOPNOTSUPP: return "EOPNOTSUPP";
  }
  return "E" + std::to_string(-ret);
}

json relay_map_exec(const json& input, const std::string& file) { return exec_document(input, file, relay_map_exec_stream); }

void relay_map_exec_stream(const json& input, OpSource& ops, const std::string& file, ExecOutput& output) {
  if (!input.is_object()) fail(file, "(top level)", "must be an object");
  Fields top(input, "", file);
  const std::string variant = top.string("variant", std::string("v1"));
  const Design* design = design_of(variant);
  if (!design) {
    std::string known;
    for (auto& v : variants()) known += (known.empty() ? "" : ", ") + v.name;
    fail(file, "variant", "\"" + variant + "\" is not a variant of bpf_relay_map (" + known + ")");
  }
  const int cpus = static_cast<int>(top.uinteger("cpus", 1, 1, 64));
  MapAttr attr;
  if (const json* mj = top.get("map")) {
    Fields m(*mj, "map", file);
    attr.key_size = m.uinteger("key_size", 0, 0, UINT32_MAX);
    attr.value_size = m.uinteger("value_size", 0, 0, UINT32_MAX);
    attr.max_entries = m.uinteger("max_entries", 64, 0, UINT32_MAX);
    attr.map_extra = m.uinteger("map_extra", 4, 0, UINT64_MAX);
    const bool overwrite = m.boolean("overwrite", false);
    attr.map_flags = m.uinteger("map_flags", overwrite ? kBpfFOverwrite : 0, 0, UINT32_MAX);
    attr.map_name = m.string("map_name", std::string("relay_map"));
    m.done();
  } else {
    attr.max_entries = 64;
    attr.map_extra = 4;
  }
  std::vector<std::string> preexisting;
  if (const json* dj = top.get("debugfs")) {
    if (!dj->is_array()) fail(file, "debugfs", "must be an array of directory names");
    for (auto& d : *dj) {
      if (!d.is_string() || d.get<std::string>().empty()) fail(file, "debugfs", "must hold non-empty strings");
      preexisting.push_back(d.get<std::string>());
    }
  }
  const json* oj = top.get("ops");
  if (!oj) fail(file, "ops", "missing required field");
  if (!oj->is_array()) fail(file, "ops", "must be an array");
  top.done();

  Created created;
  std::string why;
  const int create_ret = map_create(attr, *design, cpus, &created, &why);
  json out{{"model", "bpf_relay_map"}, {"variant", variant}};
  json create = ret_json(create_ret);
  StepList steps(output);
  if (create_ret) {
    create["why"] = why;
    out["create"] = std::move(create);
    steps.begin(out);
    steps.end(out);
    return;
  }
  const int buffers = design->global() ? 1 : cpus;
  create["value_size"] = created.value_size;
  create["n_subbufs"] = created.n_subbufs;
  create["subbuf_size"] = created.params.subbuf_size;
  create["overwrite"] = created.overwrite;
  create["buffers"] = buffers;
  out["create"] = std::move(create);

  std::vector<std::string> dirs;  // every directory name an update_elem asks for (the workload needs them)
  // One op of the file (index i), checked against the created map.
  auto parse_op = [&](const json& j, std::size_t i) {
    const std::string path = "ops[" + std::to_string(i) + "]";
    Fields r(j, path, file);
    Op op;
    op.source = j;
    const std::string name = r.string("op", std::nullopt);
    if (name == "update_elem") {
      op.kind = OpKind::UpdateElem;
      op.value = r.string("value", std::nullopt);
      op.key = r.boolean("key", false);
      op.flags = r.uinteger("flags", 0, 0, UINT64_MAX);
      op.fail_file_cpu = static_cast<int>(r.integer("fail_file_cpu", -1, -1, buffers - 1));
      std::string truncated = op.value.substr(0, std::min<std::size_t>(op.value.size(), created.value_size - 1));
      if (truncated.empty()) fail(file, r.field("value"), "an empty directory name (debugfs's answer is not modelled)");
      if (std::find(dirs.begin(), dirs.end(), truncated) == dirs.end()) dirs.push_back(truncated);
    } else if (name == "lookup_elem") {
      op.kind = OpKind::LookupElem;
    } else if (name == "delete_elem") {
      op.kind = OpKind::DeleteElem;
    } else if (name == "get_next_key") {
      op.kind = OpKind::GetNextKey;
    } else if (name == "output") {
      op.kind = OpKind::Output;
      op.cpu = static_cast<int>(r.uinteger("cpu", 0, 0, static_cast<U64>(cpus - 1)));
      op.len = r.uinteger("len", std::nullopt, 0, U64{1} << 20);
      op.flags = r.uinteger("flags", 0, 0, UINT64_MAX);
      op.map_null = r.boolean("map_null", false);
      if (op.map_null && design->version == Design::Version::V0)
        fail(file, r.field("map_null"), "v0's helper takes ARG_CONST_MAP_PTR: the verifier rejects a NULL map");
    } else if (name == "read") {
      op.kind = OpKind::Read;
      op.buffer = static_cast<int>(r.uinteger("buffer", 0, 0, static_cast<U64>(buffers - 1)));
      op.len = r.uinteger("count", 4096, 0, U64{1} << 24);
    } else if (name == "poll") {
      op.kind = OpKind::Poll;
      op.buffer = static_cast<int>(r.uinteger("buffer", 0, 0, static_cast<U64>(buffers - 1)));
    } else if (name == "mem_usage") {
      op.kind = OpKind::MemUsage;
    } else if (name == "free") {
      op.kind = OpKind::Free;
    } else {
      fail(file, r.field("op"), "\"" + name + "\" is not one of: update_elem, lookup_elem, delete_elem, get_next_key, output, read, poll, mem_usage, free");
    }
    r.done();
    return op;
  };
  {  // every op is checked before any runs
    json j;
    ops.rewind();
    for (std::size_t i = 0; ops.next(j); ++i) parse_op(j, i);
  }
  steps.begin(out);
  std::exception_ptr error;
  SequentialWorkload w(attr, created, *design, cpus, dirs, preexisting, [&](sim::Sim&, RelayMap& m) {
    try {
      relay::Channel::ReaderFile reader_file;
      U64 next_id = 1;
      json opj;
      ops.rewind();
      for (std::size_t i = 0; ops.next(opj); ++i) {
        const Op op = parse_op(opj, i);
        steps.push_back(json{{"op", op.source}});
        json ret;
        switch (op.kind) {
          case OpKind::UpdateElem: ret = ret_json(m.map_update_elem(op.key, op.value, op.flags, op.fail_file_cpu)); break;
          case OpKind::LookupElem: ret = ret_json(RelayMap::map_lookup_elem()); break;
          case OpKind::DeleteElem: ret = ret_json(RelayMap::map_delete_elem()); break;
          case OpKind::GetNextKey: ret = ret_json(RelayMap::map_get_next_key()); break;
          case OpKind::Output: {
            const U64 id = next_id++;
            std::vector<std::uint8_t> payload = relay::exec_payload(id, op.len);
            RelayMap::OutputResult r = m.bpf_relay_output(op.cpu, op.map_null, payload.data(), op.len, op.flags, id);
            ret = ret_json(r.ret);
            ret["id"] = id;
            ret["written"] = r.wrote && r.write.accepted;
            if (r.wrote && !r.write.accepted)
              ret["dropped"] = r.write.drop == relay::WriteResult::Drop::TooBig ? "too_big" : "full";
            if (r.wrote && r.write.accepted) {
              ret["buffer"] = r.write.buffer;
              ret["subbuf"] = r.write.offset_in_buffer / created.params.subbuf_size;
              ret["offset_in_subbuf"] = r.write.offset_in_buffer % created.params.subbuf_size;
            }
            break;
          }
          case OpKind::Read: {
            if (!m.file_exists(op.buffer)) {
              ret = json{{"ret", -static_cast<long>(kENOENT)}, {"errno", "ENOENT"}, {"why", "open(): the buffer's file does not exist"}};
              break;
            }
            relay::Channel::ReadResult rr = m.channel().relay_file_read(op.buffer, reader_file, op.len);
            json runs = json::array();
            for (const auto& r : relay::tag_runs(rr.tags.data(), rr.tags.size()))
              runs.push_back(r.first_index ? json::array({r.id, r.length, r.first_index}) : json::array({r.id, r.length}));
            ret = json{{"ret", rr.bytes}, {"messages", std::move(runs)}, {"skipped", rr.skipped_subbuf_seqs}};
            break;
          }
          case OpKind::Poll: ret = json{{"mask", m.channel().relay_file_poll(op.buffer)}}; break;
          case OpKind::MemUsage: {
            MemUsage u = m.map_mem_usage();
            ret = json{{"ret", u.reported}, {"allocated", u.allocated}, {"buffers", u.buffers}, {"alloc_size", u.alloc_size},
                       {"online_cpus", cpus}};
            break;
          }
          case OpKind::Free: m.map_free(); ret = json::object(); break;
        }
        steps.back()["return"] = ret;
        steps.back()["state"] = state_json(m);
      }
    } catch (const boost::context::detail::forced_unwind&) {
      throw;  // the engine unwinding a fiber parked by a violation: must reach Boost's trampoline
    } catch (...) {
      error = std::current_exception();
    }
  });
  sim::Sim::Config cfg;
  cfg.step_bound = 100'000'000;
  cfg.stack_size = 256 * 1024;
  sim::Sim s(cfg);
  sim::ExecResult r = run_ops_once(s, w, error);
  if (r.violation) {
    if (!steps.empty() && !steps.back().contains("state")) steps.back()["state"] = state_json(w.map());
    out["violation"] = json{{"property", std::string(sim::property_name(r.violation->property))},
                            {"message", r.violation->message},
                            {"op", steps.size() - 1}};
  }
  steps.end(out);
}

}  // namespace model::bpf_relay_map
