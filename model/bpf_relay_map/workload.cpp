// model/bpf_relay_map/workload.cpp — see workload.h.
#include "model/bpf_relay_map/workload.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "model/bpf_relay_map/map.h"
#include "model/registry.h"
#include "model/relay/checks.h"
#include "model/scenario_fields.h"
#include "properties/ledger.h"
#include "sim/shared.h"

namespace model::bpf_relay_map {
namespace {

using properties::Notice;
using sim::Property;
using U64 = std::uint64_t;

enum class Attach { Fentry, RawTp, Kprobe, Tracepoint, PerfEvent };

struct Program {
  std::string name;
  int cpu = 0;
  sim::Ctx ctx = sim::Ctx::Task;
  Attach attach = Attach::Fentry;
  std::uint32_t fires = 1;
  Messages messages;
  U64 flags = 0;
  /// trace_call_bpf (kprobe, perf tracepoints) and bpf_overflow_handler (perf_event) skip the
  /// program when __this_cpu_inc_return(bpf_prog_active) != 1; trampolines and raw tracepoints
  /// use only the per-program recursion counter.
  bool prog_active_guard() const { return attach == Attach::Kprobe || attach == Attach::Tracepoint || attach == Attach::PerfEvent; }
};

using Reader = relay::ReaderSpec;

struct Setup {
  enum class When { Before, Concurrent, Never } when = When::Before;
  std::string dir = "relay_test";
  int updaters = 1;
  bool same_dir = true;
  int fail_file_cpu = -1;
  int cpu = 0;
  std::string dir_of(int i) const { return same_dir ? dir : dir + std::to_string(i); }
};

struct Config {
  MapAttr attr;
  Design design;
  Created created;
  int cpus = 1;
  Setup setup;
  std::vector<Program> programs;  // tasks first, then interrupts (declaration order)
  std::vector<Reader> readers;
};

class RelayMapWorkload final : public sim::Workload {
 public:
  explicit RelayMapWorkload(Config c) : c_(std::move(c)) {}

  void build(sim::Sim& s) override {
    sim_ = &s;
    s.set_cpus(c_.cpus);
    std::vector<std::string> dirs;
    for (int i = 0; i < std::max(1, c_.setup.updaters); ++i)
      if (std::find(dirs.begin(), dirs.end(), c_.setup.dir_of(i)) == dirs.end()) dirs.push_back(c_.setup.dir_of(i));
    map_.emplace(s, c_.attr, c_.created, c_.design, c_.cpus, dirs);
    ledger_.emplace(s);
    done_.emplace(s, "harness.done", 0);
    producers_left_.emplace(s, "harness.producers_left", 0);
    for (int cpu = 0; cpu < c_.cpus; ++cpu)
      prog_active_.push_back(std::make_unique<sim::Shared<int>>(s, "bpf_prog_active[" + std::to_string(cpu) + "]", 0));
    std::uint32_t max_len = 1;
    for (auto& p : c_.programs) max_len = std::max(max_len, p.messages.max);
    scratch_.assign(c_.programs.size(), std::vector<std::uint8_t>(max_len));
    if (c_.setup.when == Setup::When::Concurrent)
      for (int i = 0; i < c_.setup.updaters; ++i)
        s.add_task("updater" + std::to_string(i), c_.setup.cpu, [this, i] { update(i); });
    for (std::size_t i = 0; i < c_.programs.size(); ++i) {
      const Program& p = c_.programs[i];
      if (p.ctx == sim::Ctx::Task)
        s.add_task(p.name, p.cpu, [this, i] { produce(i); });
      else
        s.add_interrupt(p.name, p.cpu, p.ctx, p.fires, [this, i] { produce(i); });
    }
    files_.resize(c_.readers.size());
    for (std::size_t i = 0; i < c_.readers.size(); ++i)
      s.add_task("reader" + std::to_string(i) + "-" + c_.readers[i].kind + "-buf" + std::to_string(c_.readers[i].buffer),
                 c_.readers[i].cpu, [this, i] { read(i); });
  }

  void reset(sim::Sim&) override {
    ledger_->reset(static_cast<int>(c_.readers.size()));
    if (c_.setup.when == Setup::When::Before) map_->preset_files(c_.setup.dir);
    U64 activations = 0;
    for (auto& p : c_.programs) activations += p.fires;
    producers_left_->poke(static_cast<std::int64_t>(activations));
    for (auto& f : files_) f = relay::Channel::ReaderFile{};
    results_.resize(c_.readers.size());  // kept across executions: reads reuse their storage
    fired_.assign(c_.programs.size(), 0);
    drained_.assign(c_.readers.size(), 0);
    update_ret_.assign(static_cast<std::size_t>(std::max(0, c_.setup.updaters)), 1);
  }

  void check_final(sim::Sim& s) override {
    check_updates(s);
    if (!relay::check_channel_invariants(s, map_->channel(), c_.created.overwrite)) return;
    if (!relay::check_recorded_padding(s, map_->channel(), *ledger_)) return;
    ledger_->check_final(!c_.readers.empty());
  }
  std::uint64_t end_state_hash(const sim::Sim&) const override { return ledger_->end_state_hash(); }

 private:
  void update(int i) {
    update_ret_[static_cast<std::size_t>(i)] = map_->map_update_elem(false, c_.setup.dir_of(i), 0, c_.setup.fail_file_cpu);
  }

  void produce(std::size_t i) {
    const Program& p = c_.programs[i];
    const int cpu = sim_->smp_processor_id();
    const std::uint32_t base = p.ctx == sim::Ctx::Task ? 0 : fired_[i] * p.messages.count;
    fired_[i] += 1;
    sim::Shared<int>& active = *prog_active_[static_cast<std::size_t>(cpu)];
    bool run = true;
    if (p.prog_active_guard() && active.fetch_add(1) != 0) {  // bpf_prog_inc_misses_counter: not run
      active.fetch_sub(1);
      run = false;
    }
    if (run) {
      for (std::uint32_t k = 0; k < p.messages.count; ++k) {
        const std::uint32_t len = message_size(p.messages, i, base + k, 0xb9f3e1a7ULL);
        const U64 id = ledger_->attempt(static_cast<int>(i), cpu, len);
        std::uint8_t* data = scratch_[i].data();
        properties::Ledger::fill_payload(id, data, len);
        RelayMap::OutputResult r = map_->bpf_relay_output(cpu, false, data, len, p.flags, id);
        account(id, len, r);
      }
      if (p.prog_active_guard()) active.fetch_sub(1);
    }
    if (producers_left_->fetch_sub(1) == 1) done_->store(1);  // the tool stops its programs
  }

  void account(U64 id, std::uint32_t len, const RelayMap::OutputResult& r) {
    if (r.ret < 0) return ledger_->rejected(id, Notice::Returned);
    if (!r.write.accepted) return ledger_->rejected(id, Notice::Silent);  // returned 0, relay dropped it
    const U64 S = c_.created.params.subbuf_size;
    if (r.write.offset_in_buffer % S + len > S)
      return sim_->report(Property::NoSplit,
                          "message " + std::to_string(id) + " (" + std::to_string(len) + " bytes) was placed at offset " +
                              std::to_string(r.write.offset_in_buffer % S) + " of a " + std::to_string(S) + "-byte sub-buffer",
                          {id});
    ledger_->accepted(id, r.write.buffer, r.write.offset_in_buffer, r.write.subbuf_seq, c_.created.overwrite);
  }

  void read(std::size_t i) {
    const Reader& rd = c_.readers[i];
    if (rd.after_stop)
      while (!done_->load(sim::Mo::Acquire)) sim_->yield();
    // open(): the file must exist (update_elem made it).
    for (;;) {
      const bool finished = done_->load(sim::Mo::Acquire) && !updaters_running();
      if (map_->file_exists(rd.buffer)) break;
      if (finished) return;  // no file will ever appear
      // file_exists() and updaters_running() are ghosts (no step): the spin rule must not wait for
      // a write to `done` alone, or an updater that creates the file would never wake the reader.
      sim_->spin_unobserved();
      sim_->yield();
    }
    U64 mmap_seq = 0;
    for (;;) {
      bool got = rd.kind == "mmap" ? mmap_pass(i, mmap_seq) : read_pass(i);
      if (got) continue;
      if (done_->load(sim::Mo::Acquire)) {
        if (++drained_[i] >= 2) {
          if (rd.kind == "mmap") mmap_tail(i);
          return;
        }
        continue;
      }
      sim_->yield();
    }
  }

  // A reader can copy a message between the writer's offset update and the writer's return (the
  // irq-restore / preempt-enable after it is a scheduling point): the ledger learns of the
  // acceptance only when bpf_relay_output returns. Hold the delivery until every message it
  // contains has been accounted (the writer is running or runnable, so this terminates).
  void wait_accounted(const std::vector<std::uint64_t>& tags) {
    for (std::size_t k = 0; k < tags.size(); ++k) {
      const U64 id = sim::tag_id(tags[k]);
      if (!id || (k && sim::tag_id(tags[k - 1]) == id)) continue;
      while (ledger_->messages()[id - 1].state == properties::Ledger::Message::State::Attempted) sim_->yield();
    }
  }

  bool read_pass(std::size_t i) {
    const Reader& rd = c_.readers[i];
    relay::Channel::ReadResult& r = results_[i];
    map_->channel().relay_file_read(rd.buffer, files_[i], rd.count, r);
    for (U64 seq : r.skipped_subbuf_seqs) ledger_->lost_unit(rd.buffer, seq);
    if (!r.bytes) return false;
    wait_accounted(r.tags);
    ledger_->deliver(static_cast<int>(i), r.data.data(), r.tags.data(), r.data.size());
    return true;
  }

  // The mapping shows the whole buffer; user space learns how many sub-buffers are finished from
  // the file's i_size and finds record ends from its own framing (ghost here: produced, padding).
  bool mmap_pass(std::size_t i, U64& seq) {
    const Reader& rd = c_.readers[i];
    relay::Channel& ch = map_->channel();
    const U64 n = c_.created.params.n_subbufs;
    const U64 produced = ch.state(rd.buffer).subbufs_produced;
    if (seq >= produced) return false;
    if (produced - seq >= n) {  // lapped (overwrite): the oldest valid one is produced - n + 1
      for (U64 s = seq; s < produced - n + 1; ++s) ledger_->lost_unit(rd.buffer, s);
      seq = produced - n + 1;
      if (seq >= produced) return false;
    }
    relay::Channel::ReadResult r = ch.mmap_read_subbuf(rd.buffer, seq);
    wait_accounted(r.tags);
    ledger_->deliver(static_cast<int>(i), r.data.data(), r.tags.data(), r.data.size());
    if (map_->design().mmap_consume) ch.relay_subbufs_consumed(rd.buffer, 1);
    ++seq;
    return true;
  }

  // After tracing stopped: the sub-buffer still being written, up to the write offset.
  void mmap_tail(std::size_t i) {
    const Reader& rd = c_.readers[i];
    relay::Channel& ch = map_->channel();
    relay::Channel::BufState st = ch.state(rd.buffer);
    const U64 S = c_.created.params.subbuf_size;
    if (st.offset > S) return;  // refused switch: the current sub-buffer was already produced
    relay::Channel::ReadResult r = ch.mmap_read(rd.buffer, st.data_subbuf * S, st.offset);
    wait_accounted(r.tags);
    ledger_->deliver(static_cast<int>(i), r.data.data(), r.tags.data(), r.data.size());
  }

  bool updaters_running() const {
    for (int r : update_ret_)
      if (r == 1) return true;
    return false;
  }

  void check_updates(sim::Sim& s) {
    if (c_.setup.when != Setup::When::Concurrent) return;
    int ok = 0;
    for (long r : update_ret_) {
      if (r == 0) ++ok;
      else if (r != -kEEXIST && !(c_.setup.fail_file_cpu >= 0 && r == -kEINVAL))
        return s.report(Property::Assertion, "map_update_elem returned " + std::to_string(r) + " (expected 0 or -EEXIST)");
    }
    const int expected = c_.setup.fail_file_cpu >= 0 ? 0 : 1;
    if (ok != expected)
      return s.report(Property::Assertion, std::to_string(ok) + " concurrent map_update_elem calls succeeded (expected " +
                                               std::to_string(expected) + ")");
    if (ok && map_->files().size() != static_cast<std::size_t>(map_->channel().buffers()))
      return s.report(Property::Assertion, "map_update_elem succeeded but only " + std::to_string(map_->files().size()) +
                                               " buffer files exist");
  }

  Config c_;
  sim::Sim* sim_ = nullptr;
  std::optional<RelayMap> map_;
  std::optional<properties::Ledger> ledger_;
  std::optional<sim::Shared<int>> done_;
  std::optional<sim::Shared<std::int64_t>> producers_left_;
  std::vector<std::unique_ptr<sim::Shared<int>>> prog_active_;
  std::vector<std::vector<std::uint8_t>> scratch_;
  std::vector<relay::Channel::ReaderFile> files_;
  std::vector<relay::Channel::ReadResult> results_;  // per reader
  std::vector<std::uint32_t> fired_;
  std::vector<int> drained_;
  std::vector<long> update_ret_;
};

// ---- parsing -------------------------------------------------------------------------------------

Config parse(const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root) {
  Config c;
  const std::string& f = spec.file;
  c.design = *design_of(variant);
  c.cpus = parse_cpu_count(root, f);
  const scenario::Value* mv = root.table("map");
  if (mv) {
    scenario::TableReader m(*mv, "map", f);
    c.attr.max_entries = static_cast<U64>(m.integer("max_entries", 64, 0, UINT32_MAX));
    c.attr.map_extra = static_cast<U64>(m.integer("map_extra", 4, 0, INT64_MAX));
    c.attr.key_size = static_cast<U64>(m.integer("key_size", 0, 0, UINT32_MAX));
    c.attr.value_size = static_cast<U64>(m.integer("value_size", 0, 0, UINT32_MAX));
    c.attr.map_name = m.string("map_name", std::string("relay_map"));
    bool overwrite = m.boolean("overwrite", false);
    c.attr.map_flags = static_cast<U64>(m.integer("map_flags", overwrite ? static_cast<std::int64_t>(kBpfFOverwrite) : 0, 0, UINT32_MAX));
    m.done();
  } else {
    c.attr.max_entries = 64;
    c.attr.map_extra = 4;
  }
  std::string why;
  if (map_create(c.attr, c.design, c.cpus, &c.created, &why) != 0)
    root.fail(mv ? mv->pos : root.pos(), "BPF_MAP_CREATE would fail with -EINVAL: " + why);
  if (const scenario::Value* sv = root.table("setup")) {
    scenario::TableReader s(*sv, "setup", f);
    std::string when = s.string("when", std::string("before"), {"before", "concurrent", "never"});
    c.setup.when = when == "before" ? Setup::When::Before : when == "concurrent" ? Setup::When::Concurrent : Setup::When::Never;
    c.setup.dir = s.string("dir", std::string("relay_test"));
    if (c.setup.dir.empty() || c.setup.dir.size() > c.created.value_size - 1)
      s.fail_key("dir", "must be 1 to value_size - 1 = " + std::to_string(c.created.value_size - 1) + " characters");
    c.setup.updaters = static_cast<int>(s.integer("updaters", 1, 1, 8));
    c.setup.same_dir = s.boolean("same_dir", true);
    c.setup.fail_file_cpu = static_cast<int>(s.integer("fail_file_cpu", -1, -1, c.cpus - 1));
    c.setup.cpu = parse_cpu(s, c.cpus, "setup");
    s.done();
    if (c.setup.when != Setup::When::Concurrent && (c.setup.updaters != 1 || c.setup.fail_file_cpu >= 0))
      s.fail(sv->pos, "setup.updaters and setup.fail_file_cpu need setup.when = \"concurrent\"");
  }
  int pi = 0;
  for (const scenario::Value* pv : root.tables("program")) {
    std::string path = "program[" + std::to_string(pi) + "]";
    scenario::TableReader w(*pv, path, f);
    Program p;
    p.cpu = parse_cpu(w, c.cpus, path);
    std::string ctx = w.string("context", std::string("task"), {"task", "softirq", "hardirq", "nmi"});
    p.ctx = ctx == "nmi" ? sim::Ctx::Nmi : ctx == "hardirq" ? sim::Ctx::Hardirq : ctx == "softirq" ? sim::Ctx::Softirq : sim::Ctx::Task;
    std::string def = p.ctx == sim::Ctx::Task ? "fentry" : p.ctx == sim::Ctx::Nmi ? "perf_event" : "kprobe";
    std::string attach = w.string("attach", def, {"fentry", "raw_tp", "kprobe", "tracepoint", "perf_event"});
    p.attach = attach == "fentry"       ? Attach::Fentry
               : attach == "raw_tp"     ? Attach::RawTp
               : attach == "kprobe"     ? Attach::Kprobe
               : attach == "tracepoint" ? Attach::Tracepoint
                                        : Attach::PerfEvent;
    if (p.ctx == sim::Ctx::Task) {
      if (w.has("fires")) w.fail_key("fires", "is for interrupt contexts (a task program runs once)");
    } else {
      p.fires = static_cast<std::uint32_t>(w.integer("fires", 1, 1, 10000));
    }
    p.name = attach + "-" + ctx + std::to_string(pi);
    p.messages = parse_messages(w, f, Messages{}, 1u << 20);
    p.flags = static_cast<U64>(w.integer("flags", 0, 0, INT64_MAX));
    w.done();
    c.programs.push_back(p);
    ++pi;
  }
  std::stable_partition(c.programs.begin(), c.programs.end(), [](const Program& p) { return p.ctx == sim::Ctx::Task; });
  const int buffers = c.design.global() ? 1 : c.cpus;
  c.readers = relay::parse_readers(root, f, c.cpus, buffers);
  for (const Reader& r : c.readers)
    if (r.poll) root.fail(root.pos(), "reader wait = \"poll\" is not modelled for bpf_relay_map readers (they spin)");
  if (c.programs.empty()) root.fail(root.pos(), "a bpf_relay_map scenario needs at least one [[program]]");
  root.done();
  return c;
}

}  // namespace

void register_model(std::vector<ModelInfo>& out) {
  std::vector<VariantInfo> vs;
  for (auto& v : variants()) vs.push_back({v.name, v.description});
  out.push_back(ModelInfo{
      "bpf_relay_map",
      "the proposed BPF relay map (BPF_MAP_TYPE_RELAY + bpf_relay_output, Dec 2023) on the relay model",
      std::move(vs),
      {Property::NoSplit, Property::NoSilentLoss, Property::NoCorruption, Property::NoDuplication, Property::Order,
       Property::Padding, Property::Counters, Property::MemorySafety, Property::Deadlock, Property::StepBound,
       Property::Assertion},
      [](const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root) -> sim::WorkloadFactory {
        Config c = parse(spec, variant, root);
        return [c] { return std::make_unique<RelayMapWorkload>(c); };
      },
      nullptr});
}

}  // namespace model::bpf_relay_map
