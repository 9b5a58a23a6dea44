// model/relay/workload.cpp — see workload.h.
#include "model/relay/workload.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>

#include "model/registry.h"
#include "model/scenario_fields.h"
#include "model/relay/checks.h"
#include "model/relay/kernel_channel.h"
#include "model/relay/relay.h"
#include "properties/ledger.h"
#include "sim/lock.h"
#include "sim/shared.h"

namespace model::relay {
namespace {

using properties::Notice;
using sim::Property;
using Fn = std::string;
constexpr std::uint64_t kSizeSalt = 0x5e1a75ULL;

struct Producer {
  std::string name;
  int cpu = 0;
  sim::Ctx ctx = sim::Ctx::Task;
  std::uint32_t fires = 1;  // interrupts: firings; tasks: 1
  Fn write = "relay_write";
  Messages messages;
  bool client_lock = false;
};

using Reader = relay::ReaderSpec;

struct Flusher {
  int cpu = 0;
  std::uint32_t times = 1;
};

struct Config {
  Params params;
  bool overwrite = false;
  int cpus = 1;
  std::vector<Producer> producers;  // tasks first, then interrupts (declaration order)
  std::vector<Reader> readers;
  std::vector<Flusher> flushers;
  std::optional<KernelSource> kernel;  // source = "kernel": kernel/relay.c itself (kernel_channel.h)
};

class RelayWorkload final : public sim::Workload {
 public:
  explicit RelayWorkload(Config c) : c_(std::move(c)) {}

  void build(sim::Sim& s) override {
    sim_ = &s;
    s.set_cpus(c_.cpus);
    if (c_.kernel) channel_ = std::make_unique<KernelChannel>(s, c_.params, *c_.kernel);
    else channel_ = std::make_unique<Channel>(s, c_.params);
    ledger_.emplace(s);
    done_.emplace(s, "harness.done", 0);
    producers_left_.emplace(s, "harness.producers_left", 0);
    client_lock_.emplace(s, "client_lock");
    std::uint32_t max_len = 1;
    for (auto& p : c_.producers) max_len = std::max(max_len, p.messages.max);
    scratch_.assign(c_.producers.size(), std::vector<std::uint8_t>(max_len));
    for (std::size_t i = 0; i < c_.producers.size(); ++i) {
      const Producer& p = c_.producers[i];
      if (p.ctx == sim::Ctx::Task)
        s.add_task(p.name, p.cpu, [this, i] { produce(i); });
      else
        s.add_interrupt(p.name, p.cpu, p.ctx, p.fires, [this, i] { produce(i); });
    }
    for (std::size_t i = 0; i < c_.flushers.size(); ++i)
      s.add_task("flusher" + std::to_string(i), c_.flushers[i].cpu, [this, i] {
        for (std::uint32_t t = 0; t < c_.flushers[i].times; ++t) channel_->relay_flush();
      });
    files_.resize(c_.readers.size());
    results_.resize(c_.readers.size());
    for (std::size_t i = 0; i < c_.readers.size(); ++i)
      s.add_task("reader" + std::to_string(i) + "-" + c_.readers[i].kind + "-buf" + std::to_string(c_.readers[i].buffer),
                 c_.readers[i].cpu, [this, i] { read(i); });
  }

  void reset(sim::Sim&) override {
    ledger_->reset(static_cast<int>(c_.readers.size()));
    std::uint64_t activations = 0;
    for (auto& p : c_.producers) activations += p.fires;
    producers_left_->poke(static_cast<std::int64_t>(activations));
    for (auto& f : files_) f = Channel::ReaderFile{};
    full_drops_.assign(static_cast<std::size_t>(channel_->buffers()), 0);
    toobig_drops_ = 0;
    fired_.assign(c_.producers.size(), 0);
    drained_.assign(c_.readers.size(), 0);
  }

  void check_final(sim::Sim& s) override {
    check_counters(s);
    if (!check_recorded_padding(s, *channel_, *ledger_)) return;
    ledger_->check_final(!c_.readers.empty());
  }
  std::uint64_t end_state_hash(const sim::Sim&) const override { return ledger_->end_state_hash(); }

 private:
  void produce(std::size_t i) {
    const Producer& p = c_.producers[i];
    const int cpu = sim_->smp_processor_id();
    // Interrupts fire several times: message k of firing f is k + f * count.
    const std::uint32_t base = p.ctx == sim::Ctx::Task ? 0 : (p.fires - remaining_firings(i)) * p.messages.count;
    for (std::uint32_t k = 0; k < p.messages.count; ++k) {
      const std::uint32_t len = message_size(p.messages, i, base + k, kSizeSalt);
      const std::uint64_t id = ledger_->attempt(static_cast<int>(i), cpu, len);
      std::uint8_t* data = scratch_[i].data();
      properties::Ledger::fill_payload(id, data, len);
      unsigned long flags = 0;
      if (p.client_lock) flags = client_lock_->lock_irqsave();
      WriteResult r;
      if (p.write == "relay_reserve") {
        r = channel_->relay_reserve(cpu, len);
        if (r.accepted) channel_->commit_reserved(r, data, len, id);
      } else if (p.write == "__relay_write") {
        r = channel_->__relay_write(cpu, data, len, id);
      } else {
        r = channel_->relay_write(cpu, data, len, id);
      }
      if (p.client_lock) client_lock_->unlock_irqrestore(flags);
      account(p, id, len, r);
    }
    fired_[i] += 1;
    // The last producer stops tracing: flush, then let the readers finish.
    if (producers_left_->fetch_sub(1) == 1) {
      channel_->relay_flush();
      done_->store(1);
      // Readers blocked in poll() see the stop (their timeout, or the tool's signal).
      if (std::any_of(c_.readers.begin(), c_.readers.end(), [](const Reader& r) { return r.poll; }))
        for (int b = 0; b < channel_->buffers(); ++b) channel_->wake_readers(b);
    }
  }

  std::uint32_t remaining_firings(std::size_t i) const { return c_.producers[i].fires - fired_[i]; }

  void account(const Producer& p, std::uint64_t id, std::uint32_t len, const WriteResult& r) {
    if (r.accepted) {
      const std::uint64_t S = c_.params.subbuf_size;
      if (r.offset_in_buffer % S + len > S) {
        sim_->report(Property::NoSplit,
                     "message " + std::to_string(id) + " (" + std::to_string(len) + " bytes) was placed at offset " +
                         std::to_string(r.offset_in_buffer % S) + " of a " + std::to_string(S) + "-byte sub-buffer",
                     {id});
        return;
      }
      ledger_->accepted(id, r.buffer, r.offset_in_buffer, r.subbuf_seq, c_.overwrite);
      return;
    }
    if (p.write == "relay_reserve") {
      ledger_->rejected(id, Notice::Returned);  // relay_reserve returned NULL
      // relay_switch_subbuf's toobig path counted it (kernel/relay.c:707 `toobig:`; big_count++ with relay_stats),
      // whichever writer asked: check_counters holds big_count to every too-big drop.
      if (r.drop == WriteResult::Drop::TooBig) ++toobig_drops_;
    } else if (r.drop == WriteResult::Drop::TooBig) {
      ++toobig_drops_;
      ledger_->rejected(id, c_.params.stats ? Notice::Counted : Notice::Silent);
    } else {
      ++full_drops_[static_cast<std::size_t>(r.buffer)];
      bool counted = c_.params.stats || c_.params.callback == Callback::Counting;
      ledger_->rejected(id, counted ? Notice::Counted : Notice::Silent);
    }
  }

  void read(std::size_t i) {
    const Reader& rd = c_.readers[i];
    std::uint64_t mmap_seq = 0;
    if (rd.after_stop)
      while (!done_->load(sim::Mo::Acquire)) sim_->yield();
    for (;;) {
      bool got = false;
      if (rd.kind == "mmap") {
        if (channel_->relay_file_poll(rd.buffer) & 1) {
          Channel::ReadResult& r = results_[i];
          channel_->mmap_read_subbuf(rd.buffer, mmap_seq, r);
          ledger_->deliver(static_cast<int>(i), r.data.data(), r.tags.data(), r.data.size());
          channel_->relay_subbufs_consumed(rd.buffer, 1);
          ++mmap_seq;
          got = true;
        }
      } else {
        Channel::ReadResult& r = results_[i];
        channel_->relay_file_read(rd.buffer, files_[i], rd.count, r);
        for (std::uint64_t seq : r.skipped_subbuf_seqs) ledger_->lost_unit(rd.buffer, seq);
        if (r.bytes) {
          ledger_->deliver(static_cast<int>(i), r.data.data(), r.tags.data(), r.data.size());
          got = true;
        }
      }
      if (got) continue;
      // Nothing to read now. Once tracing has stopped (flushed), one empty pass ends the reader.
      if (done_->load(sim::Mo::Acquire)) {
        if (drained_once(i)) return;
        continue;
      }
      if (rd.poll) channel_->wait_readable(rd.buffer, [this] { return done_->load(sim::Mo::Acquire) != 0; });
      else sim_->yield();
    }
  }

  // After `done`, a reader makes one more full pass; the second empty pass ends it.
  bool drained_once(std::size_t i) { return ++drained_[i] >= 2; }

  void check_counters(sim::Sim& s) {
    if (!check_channel_invariants(s, *channel_, c_.overwrite)) return;
    std::uint64_t full_count = 0, big_count = 0, full_drops = 0;
    const std::vector<Channel::BufState>& states = channel_->snapshot_all();
    for (int b = 0; b < channel_->buffers(); ++b) {
      const Channel::BufState& st = states[static_cast<std::size_t>(b)];
      full_count += st.full_count;
      big_count += st.big_count;
      full_drops += full_drops_[static_cast<std::size_t>(b)];
    }
    if (c_.params.stats && full_count < full_drops)
      return s.report(Property::Counters, "relay_stats full_count " + std::to_string(full_count) + " < " +
                                              std::to_string(full_drops) + " messages dropped on a full buffer");
    if (c_.params.stats && big_count != toobig_drops_)
      return s.report(Property::Counters, "relay_stats big_count " + std::to_string(big_count) + " != " +
                                              std::to_string(toobig_drops_) + " too-big messages dropped");
    if (c_.params.callback == Callback::Counting && channel_->dropped() < full_drops)
      return s.report(Property::Counters, "the client's dropped " + std::to_string(channel_->dropped()) + " < " +
                                              std::to_string(full_drops) + " messages dropped on a full buffer");
  }

  Config c_;
  sim::Sim* sim_ = nullptr;
  std::unique_ptr<ChannelApi> channel_;
  std::optional<properties::Ledger> ledger_;
  std::optional<sim::Shared<int>> done_;
  std::optional<sim::Shared<std::int64_t>> producers_left_;
  std::optional<sim::SpinLock> client_lock_;
  std::vector<std::vector<std::uint8_t>> scratch_;
  std::vector<Channel::ReaderFile> files_;
  std::vector<Channel::ReadResult> results_;  // per reader, reused across reads
  std::vector<std::uint32_t> fired_;
  std::vector<int> drained_;
  std::vector<std::uint64_t> full_drops_;
  std::uint64_t toobig_drops_ = 0;
};

// ---- parsing -------------------------------------------------------------------------------------

Config parse(const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root) {
  Config c;
  const std::string& f = spec.file;
  c.params.stats = variant == "mainline";
  c.params.old_read_pos = variant == "old-read-pos";
  std::string client = "none";
  if (const scenario::Value* pv = root.table("params")) {
    scenario::TableReader p(*pv, "params", f);
    c.params.subbuf_size = static_cast<std::uint64_t>(p.integer("subbuf_size", 64, 1, 1 << 20));
    c.params.n_subbufs = static_cast<std::uint64_t>(p.integer("n_subbufs", 4, 1, 1024));
    c.overwrite = p.string("mode", std::string("no-overwrite"), {"no-overwrite", "overwrite"}) == "overwrite";
    client = p.string("client", std::string("none"), {"none", "counting", "header"});
    c.params.header_size = static_cast<std::uint64_t>(p.integer("header_size", 8, 1, 1 << 20));
    c.params.is_global = p.boolean("is_global", false);
    if (c.overwrite && client != "none") p.fail_key("client", "= \"" + client + "\" cannot be combined with mode = \"overwrite\" (the overwrite client always allows)");
    p.done();
  }
  c.params.callback = c.overwrite ? Callback::Overwrite
                      : client == "counting" ? Callback::Counting
                      : client == "header"   ? Callback::HeaderReserve
                                             : Callback::BufFull;
  c.cpus = parse_cpu_count(root, f);
  c.params.cpus = c.cpus;
  std::string why;
  if (Channel::validate(c.params, &why) != 0) {
    const scenario::Value* pv = spec.root.find("params");
    root.fail(pv ? pv->pos : root.pos(), "relay_open would fail: " + why);
  }
  const std::vector<std::string> fns = {"relay_write", "__relay_write", "relay_reserve"};
  // [[writer]] tasks and [[interrupt]] handlers share the write fields.
  auto producer = [&](const scenario::Value& v, const std::string& path, bool interrupt) {
    scenario::TableReader w(v, path, f);
    Producer p;
    p.cpu = parse_cpu(w, c.cpus, path);
    std::string kind = "writer";
    if (interrupt) {
      kind = w.string("kind", std::string("hardirq"), {"hardirq", "nmi", "softirq"});
      p.ctx = kind == "nmi" ? sim::Ctx::Nmi : kind == "softirq" ? sim::Ctx::Softirq : sim::Ctx::Hardirq;
      p.fires = static_cast<std::uint32_t>(w.integer("fires", 1, 1, 10000));
    }
    p.name = kind + std::to_string(c.producers.size());
    p.write = w.string("write", std::string(interrupt ? "__relay_write" : "relay_write"), fns);
    p.client_lock = w.string("lock", std::string("none"), {"none", "spin_lock_irqsave"}) != "none";
    p.messages = parse_messages(w, f, Messages{}, 1u << 20,
                                c.params.subbuf_size - (c.params.callback == Callback::HeaderReserve ? c.params.header_size : 0));
    w.done();
    c.producers.push_back(p);
  };
  int wi = 0;
  for (const scenario::Value* wv : root.tables("writer")) producer(*wv, "writer[" + std::to_string(wi++) + "]", false);
  int ii = 0;
  for (const scenario::Value* iv : root.tables("interrupt")) producer(*iv, "interrupt[" + std::to_string(ii++) + "]", true);
  int fi = 0;
  for (const scenario::Value* fv : root.tables("flusher")) {
    std::string path = "flusher[" + std::to_string(fi++) + "]";
    scenario::TableReader w(*fv, path, f);
    Flusher fl;
    fl.cpu = parse_cpu(w, c.cpus, path);
    fl.times = static_cast<std::uint32_t>(w.integer("times", 1, 1, 1000));
    w.done();
    c.flushers.push_back(fl);
  }
  const int buffers = c.params.is_global ? 1 : c.cpus;
  c.readers = relay::parse_readers(root, f, c.cpus, buffers);
  if (c.producers.empty()) root.fail(root.pos(), "a relay scenario needs at least one [[writer]] or [[interrupt]]");
  root.done();
  return c;
}

}  // namespace

void register_model(std::vector<ModelInfo>& out) {
  out.push_back(ModelInfo{
      "relay",
      "Linux relay channels (kernel/relay.c): per-CPU buffers of sub-buffers, padding, overwrite, read() and mmap readers",
      {{"mainline", "current kernel/relay.c, with the 2025 relay_stats counters (full_count, big_count)"},
       {"pre-relay-stats", "before the 2025 relay_stats series: a full buffer drops silently unless the client counts"},
       {"old-read-pos", "before 341a7213e5c1 (v5.6): relay_file_read starts from each open file's *ppos"}},
      {Property::NoSplit, Property::NoSilentLoss, Property::NoCorruption, Property::NoDuplication, Property::Order,
       Property::Padding, Property::Counters, Property::MemorySafety, Property::Deadlock, Property::StepBound},
      [](const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root) -> sim::WorkloadFactory {
        Config c = parse(spec, variant, root);
        return [c] { return std::make_unique<RelayWorkload>(c); };
      },
      [](const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root,
         const SourceOptions& source) -> sim::WorkloadFactory {
        Config c = parse(spec, variant, root);
        // The tree decides, not the variant: Debian's 6.12 relay.c predates relay_stats.
        c.params.stats = false;
        c.params.old_read_pos = false;
        c.kernel = KernelSource{source.tree, source.marked_only};
        kernel::build_subject(relay_subject(), source.tree);  // build errors surface at load (exit 2)
        return [c] { return std::make_unique<RelayWorkload>(c); };
      }});
}

}  // namespace model::relay
