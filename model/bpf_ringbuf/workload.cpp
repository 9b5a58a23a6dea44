// model/bpf_ringbuf/workload.cpp — see workload.h.
#include "model/bpf_ringbuf/workload.h"

#include <algorithm>
#include <map>
#include <memory>
#include <memory_resource>
#include <optional>

#include "model/bpf_ringbuf/config.h"
#include "model/bpf_ringbuf/kernel_ringbuf.h"
#include "model/registry.h"
#include "properties/ledger.h"
#include "sim/rng.h"

namespace model::bpf_ringbuf {
namespace {

using properties::Notice;
using sim::Mo;
using sim::Property;
using U64 = std::uint64_t;
using U32 = std::uint32_t;

/// Two ranges [a, a + la) and [b, b + lb) on a circle of `size` bytes overlap.
bool overlaps_mod(U64 a, U64 la, U64 b, U64 lb, U64 size) {
  if (la >= size || lb >= size) return true;
  return (b + size - a) % size < la || (a + size - b) % size < lb;
}

class RingbufWorkload final : public sim::Workload {
 public:
  explicit RingbufWorkload(Config c, std::optional<KernelSource> kernel = std::nullopt)
      : c_(std::move(c)), kernel_(std::move(kernel)) {}

  void build(sim::Sim& s) override {
    sim_ = &s;
    s.set_cpus(c_.cpus);
    RingBuffer::SampleFn cb = [this](int ri, RingApi& ring, U64 pos, U64 off, U32 len) { return sample_cb(ri, ring, pos, off, len); };
    if (kernel_) {  // kernel/bpf/ringbuf.c and libbpf's tools/lib/bpf/ringbuf.c themselves (kernel_ringbuf.h)
      KernelMaps maps = make_kernel_rings(s, c_.params, c_.rings, *kernel_, c_.consumers.empty() ? RingBuffer::SampleFn{} : cb);
      if (maps.error) throw std::invalid_argument("BPF_MAP_CREATE failed in the kernel's ringbuf_map_alloc: " + std::to_string(maps.error));
      rings_ = std::move(maps.rings);
      rb_ = std::move(maps.consumer);
    } else {
      for (int r = 0; r < c_.rings; ++r) rings_.push_back(std::make_unique<Ring>(s, c_.params, c_.variant, "rb" + std::to_string(r)));
    }
    for (int r = 0; r < c_.rings; ++r) {
      RingApi& ring = *rings_[static_cast<std::size_t>(r)];
      ring.in_lock_hook = [this] { run_in_lock_program(); };
      ring.on_reserved = [this, r](const Record& rec) { reserved(r, rec); };
      ring.on_committed = [this, r](const Record& rec, bool discard) { committed(r, rec, discard); };
    }
    ledger_.emplace(s);
    stopped_.emplace(s, "tool.stopped", 0);
    left_.emplace(s, "harness.activations_left", 0);
    if (!c_.consumers.empty() && !kernel_) {
      auto model_rb = std::make_unique<RingBuffer>(s, "ring_buffer", c_.libbpf);
      for (int r = 0; r < c_.rings; ++r) model_rb->add(*rings_[static_cast<std::size_t>(r)], cb);
      rb_ = std::move(model_rb);
    }
    U32 max_len = 1;
    for (auto& p : c_.producers) max_len = std::max(max_len, p.messages.max);
    scratch_.assign(c_.producers.size(), std::vector<std::uint8_t>(max_len));
    for (std::size_t i = 0; i < c_.producers.size(); ++i) {
      const Producer& p = c_.producers[i];
      if (p.in_lock) continue;
      int actor = p.ctx == sim::Ctx::Task ? s.add_task(p.name, p.cpu, [this, i] { produce(i); })
                                          : s.add_interrupt(p.name, p.cpu, p.ctx, p.fires, [this, i] { produce(i); });
      producer_of_actor_.resize(static_cast<std::size_t>(actor) + 1, -1);
      producer_of_actor_[static_cast<std::size_t>(actor)] = static_cast<int>(i);
    }
    for (std::size_t u = 0; u < c_.users.size(); ++u)
      s.add_task("user-consumer_pos-writer" + std::to_string(u), c_.users[u].cpu, [this, u] { user_write(u); });
    if (!c_.consumers.empty()) s.add_task("libbpf-consumer", c_.consumers[0].cpu, [this] { consume_loop(); });
    producer_of_actor_.resize(static_cast<std::size_t>(s.actor_count()), -1);
  }

  void reset(sim::Sim& s) override {
    for (auto& r : rings_) r->reset_ghost();
    if (rb_) rb_->reset_ghost();
    ledger_->reset(c_.consumers.empty() ? 0 : 1);
    std::int64_t activations = 0;
    for (auto& p : c_.producers)
      if (!p.in_lock) activations += p.ctx == sim::Ctx::Task ? 1 : p.fires;
    left_->poke(activations);
    // Cleared in place (nodes back to the pool, vectors keep their capacity): no allocation per
    // execution once warm.
    while (resv_.size() < static_cast<std::size_t>(c_.rings)) resv_.emplace_back(&resv_pool_);
    for (auto& m : resv_) m.clear();
    id_stack_.resize(static_cast<std::size_t>(s.actor_count()));
    for (auto& ids : id_stack_) ids.clear();
    fired_.assign(c_.producers.size(), 0);
    in_nested_ = false;
    callbacks_ = call_ok_ = 0;
    call_err_ = 0;
  }

  void check_final(sim::Sim& s) override {
    for (int r = 0; r < c_.rings; ++r) {
      RingApi& ring = *rings_[static_cast<std::size_t>(r)];
      for (auto& [pos, e] : resv_[static_cast<std::size_t>(r)])
        if (e.busy)
          return s.report(Property::Counters, "ring " + std::to_string(r) + ": the record at position " + std::to_string(pos) +
                                                  " was reserved but never committed", {e.id});
      if (!c_.users.empty() || ring.overwrite_mode()) continue;  // a liar or overwrite mode: no chain to expect
      RingApi::State st = ring.state();
      if (st.producer_pos - st.consumer_pos > ring.mask())
        return s.report(Property::Counters, "ring " + std::to_string(r) + ": producer_pos - consumer_pos = " +
                                                std::to_string(st.producer_pos - st.consumer_pos) + " exceeds the mask");
      bool exact = false;
      ring.chain(st.consumer_pos, &exact);
      if (!exact)
        return s.report(Property::Counters, "ring " + std::to_string(r) + ": the headers from consumer_pos " +
                                                std::to_string(st.consumer_pos) + " do not chain exactly to producer_pos " +
                                                std::to_string(st.producer_pos));
    }
    ledger_->check_final(!c_.consumers.empty());
  }

  std::uint64_t end_state_hash(const sim::Sim&) const override { return ledger_->end_state_hash(); }

  Property stuck_property(const sim::Sim&) const override {
    return rb_ && rb_->asleep() && committed_pending() ? Property::LostWakeup : Property::Deadlock;
  }

 private:
  struct Resv {
    U64 id = 0, hdr_off = 0;
    U32 len = 0;
    bool busy = true, discarded = false, delivered = false;
  };

  // ---- producers (BPF programs) ----

  void produce(std::size_t i) {
    const Producer& p = c_.producers[i];
    RingApi& ring = *rings_[static_cast<std::size_t>(p.ring)];
    const int cpu = sim_->smp_processor_id();
    const U32 base = fired_[i]++ * p.messages.count;
    std::vector<std::pair<Record, U64>> held;
    for (U32 k = 0; k < p.messages.count; ++k) {
      const U32 len = message_size(p.messages, i, base + k, 0xb9f7eaULL);
      const U64 id = ledger_->attempt(static_cast<int>(i), cpu, len);
      std::uint8_t* data = scratch_[i].data();
      properties::Ledger::fill_payload(id, data, len);
      auto& ids = id_stack_[static_cast<std::size_t>(sim_->current_actor())];
      ids.push_back(id);
      Record rec;
      int err = 0;
      if (p.api == Producer::Api::Output) {
        err = ring.output(data, len, p.flags, id, &rec);
      } else if (p.api == Producer::Api::ReserveDynptr) {
        err = ring.reserve_dynptr(len, 0, &rec);
      } else {
        rec = ring.reserve(len, 0);
      }
      ids.pop_back();
      if (!rec.ok || err) {
        ledger_->rejected(id, Notice::Returned);  // NULL, -EAGAIN or -EINVAL: the program knows
        continue;
      }
      if (p.api == Producer::Api::Output) continue;  // copied and submitted inside
      if (!ring.write_sample(rec, 0, data, len, id)) return;
      if (p.batch) held.emplace_back(rec, base + k);
      else commit(p, ring, rec, base + k);
    }
    if (p.reverse) std::reverse(held.begin(), held.end());
    for (auto& [rec, k] : held) commit(p, ring, rec, static_cast<U32>(k));
    if (!p.in_lock && left_->fetch_sub(1) == 1) stop();
  }

  void commit(const Producer& p, RingApi& ring, Record& rec, U32 k) {
    const bool discard = p.commit == Producer::Commit::Discard || (p.commit == Producer::Commit::Mixed && k % 2 == 1);
    if (p.api == Producer::Api::ReserveDynptr) {
      if (discard) ring.discard_dynptr(rec, p.flags);
      else ring.submit_dynptr(rec, p.flags);
    } else {
      ring.commit(rec, p.flags, discard);
    }
  }

  // A tracing program attached inside the locked section: runs on the reserving context.
  void run_in_lock_program() {
    if (in_nested_) return;
    const int host = producer_of_actor_[static_cast<std::size_t>(sim_->current_actor())];
    for (std::size_t j = 0; j < c_.producers.size(); ++j) {
      const Producer& p = c_.producers[j];
      if (!p.in_lock || p.host != host || fired_[j] >= p.fires) continue;
      in_nested_ = true;
      produce(j);
      in_nested_ = false;
      return;
    }
  }

  void reserved(int r, const Record& rec) {
    RingApi& ring = *rings_[static_cast<std::size_t>(r)];
    const auto& ids = id_stack_[static_cast<std::size_t>(sim_->current_actor())];
    const U64 id = ids.empty() ? 0 : ids.back();
    const U64 size = ring.size();
    if (rec.hdr_off + rec.len > 2 * size)
      return sim_->report(Property::MemorySafety,
                          "ring " + std::to_string(r) + " handed out the record at position " + std::to_string(rec.pos) +
                              " with footprint " + std::to_string(rec.len) + ": it ends at byte " +
                              std::to_string(rec.hdr_off + rec.len) + " of the double mapping (2 x " + std::to_string(size) + ")",
                          {id});
    auto& m = resv_[static_cast<std::size_t>(r)];
    for (auto& [pos, e] : m)
      if (e.busy && overlaps_mod(rec.hdr_off, rec.len, e.hdr_off, e.len, size))
        return sim_->report(Property::NoCorruption,
                            "ring " + std::to_string(r) + ": the record reserved at position " + std::to_string(rec.pos) +
                                " (bytes [" + std::to_string(rec.hdr_off) + ", +" + std::to_string(rec.len) +
                                ") mod size) overlaps the busy record at position " + std::to_string(pos) + " (bytes [" +
                                std::to_string(e.hdr_off) + ", +" + std::to_string(e.len) + "))",
                            {e.id, id});
    if (id) ledger_->accepted(id, r, (rec.pos + kHdrSz) & ring.mask(), rec.pos, ring.overwrite_mode());
    m[rec.pos] = Resv{id, rec.hdr_off, rec.len};
    if (ring.overwrite_mode()) {  // records behind overwrite_pos are gone; BPF_RB_OVERWRITE_POS shows it
      const U64 over = ring.state().overwrite_pos;
      for (auto it = m.begin(); it != m.end() && it->first < over;) {
        if (!it->second.delivered && !it->second.discarded && it->second.id) ledger_->lost(it->second.id);
        it = m.erase(it);
      }
    }
  }

  void committed(int r, const Record& rec, bool discard) {
    auto& m = resv_[static_cast<std::size_t>(r)];
    auto it = m.find(rec.pos);
    if (it == m.end()) return;
    it->second.busy = false;
    if (discard) {
      it->second.discarded = true;
      if (it->second.id) ledger_->rejected(it->second.id, Notice::Returned);  // the program dropped it itself
    }
  }

  void user_write(std::size_t u) {
    const UserWrite& w = c_.users[u];
    RingApi& ring = *rings_[static_cast<std::size_t>(w.ring)];
    const U64 v = w.relative ? ring.load_consumer_pos(Mo::Relaxed) + w.value : w.value;
    ring.store_consumer_pos(v, Mo::Release);
  }

  // ---- the tool: stop, the consumer ----

  bool committed_pending() const {
    for (auto& r : rings_) {
      RingApi::State st = r->state();
      if (st.consumer_pos < st.producer_pos && !r->header_at(st.consumer_pos).busy()) return true;
    }
    return false;
  }

  void stop() {
    if (rb_) {
      const Consumer& k = c_.consumers[0];
      bool any_queued = false;
      for (auto& r : rings_) any_queued |= r->wakeup_pending();
      if (k.call == Consumer::Call::Poll && k.timeout != 0 && !k.allow_lost_wakeup && rb_->asleep() && !any_queued &&
          committed_pending())
        return sim_->report(Property::LostWakeup,
                            "every program has finished, the consumer sleeps in ring_buffer__poll, a committed record "
                            "waits at consumer_pos and no wakeup is queued");
    }
    stopped_->store(1, Mo::Release);
    if (rb_) rb_->interrupt();
  }

  int sample_cb(int r, RingApi& ring, U64 pos, U64 off, U32 len) {
    if (len & (kBusyBit | kDiscardBit)) {
      sim_->report(Property::NoCorruption, "the callback got the record at position " + std::to_string(pos) +
                                               " with its header's flag bits still set (len " + std::to_string(len) + ")");
      return 0;
    }
    if (U64{len} > 2 * ring.size()) {
      ring.read_mapped(off, len, nullptr, nullptr);  // reports memory-safety: past the double mapping
      return 0;
    }
    buf_.resize(len);
    tags_.resize(len);
    if (!ring.read_mapped(off, len, buf_.data(), tags_.data())) return 0;
    auto& m = resv_[static_cast<std::size_t>(r)];
    auto it = m.find(pos);
    if (it == m.end()) {
      sim_->report(Property::NoCorruption, "the consumer parsed a record at position " + std::to_string(pos) + " of ring " +
                                               std::to_string(r) + " that no program reserved");
      return 0;
    }
    if (it->second.busy) {
      sim_->report(Property::NoCorruption, "the consumer delivered the busy record at position " + std::to_string(pos), {it->second.id});
      return 0;
    }
    for (auto j = m.begin(); j != it; ++j)
      if (!j->second.delivered && !j->second.discarded) {
        sim_->report(Property::Order, "ring " + std::to_string(r) + ": the record at position " + std::to_string(pos) +
                                          " was delivered before the one reserved earlier at " + std::to_string(j->first),
                     {j->second.id, it->second.id});
        return 0;
      }
    ledger_->deliver(0, buf_.data(), tags_.data(), len);
    m.erase(m.begin(), std::next(it));
    ++callbacks_;
    const Consumer& k = c_.consumers[0];
    if (k.fail_every && callbacks_ % k.fail_every == 0) {
      call_err_ = k.fail_ret;
      return k.fail_ret;
    }
    ++call_ok_;
    return 0;
  }

  int call(const Consumer& k, Consumer::Call what) {
    call_ok_ = 0;
    call_err_ = 0;
    int ret = 0;
    const char* fn = "ring_buffer__poll";
    switch (what) {
      case Consumer::Call::Poll: ret = rb_->poll(k.timeout); break;
      case Consumer::Call::Consume: ret = rb_->consume(), fn = "ring_buffer__consume"; break;
      case Consumer::Call::ConsumeN: ret = rb_->consume_n(k.n), fn = "ring_buffer__consume_n"; break;
    }
    if (ret == -kEINTR && call_ok_ == 0 && call_err_ == 0) return ret;
    const std::int64_t expected = call_err_ ? call_err_ : std::min<std::int64_t>(call_ok_, rb_->int_max());
    if (ret != expected)
      sim_->report(Property::Counters, std::string(fn) + " returned " + std::to_string(ret) + " after " + std::to_string(call_ok_) +
                                           " successful callbacks" + (call_err_ ? " and a callback error " + std::to_string(call_err_) : "") +
                                           " (INT_MAX = " + std::to_string(rb_->int_max()) + ")");
    return ret;
  }

  void consume_loop() {
    const Consumer& k = c_.consumers[0];
    if (k.after_stop)
      while (!stopped_->load(Mo::Acquire)) sim_->yield();
    for (;;) {
      const int ret = call(k, k.call);
      if (ret == -kEINTR || stopped_->load(Mo::Acquire)) break;
      if (ret == 0) sim_->yield();  // nothing (or only a busy record): spin politely
    }
    while (call(k, Consumer::Call::Consume) != 0) {
    }
  }

  Config c_;
  std::optional<KernelSource> kernel_;
  sim::Sim* sim_ = nullptr;
  std::vector<std::unique_ptr<RingApi>> rings_;
  std::unique_ptr<ConsumerApi> rb_;
  std::optional<properties::Ledger> ledger_;
  std::optional<sim::Shared<int>> stopped_;
  std::optional<sim::Shared<std::int64_t>> left_;
  std::vector<std::vector<std::uint8_t>> scratch_;
  std::vector<int> producer_of_actor_;
  // ghost, per execution
  std::pmr::unsynchronized_pool_resource resv_pool_;
  std::vector<std::pmr::map<U64, Resv>> resv_;  // per ring, by position: reservation order
  std::vector<std::vector<U64>> id_stack_;     // per actor: the message being reserved
  std::vector<U32> fired_;
  bool in_nested_ = false;
  U64 callbacks_ = 0;
  std::int64_t call_ok_ = 0;
  int call_err_ = 0;
  std::vector<std::uint8_t> buf_;
  std::vector<U64> tags_;
};

}  // namespace

void register_model(std::vector<ModelInfo>& out) {
  std::vector<VariantInfo> vs;
  for (auto& v : variants()) vs.push_back({v.name, v.description});
  out.push_back(ModelInfo{
      "bpf_ringbuf",
      "BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c) with libbpf's consumer (tools/lib/bpf/ringbuf.c): reserve/commit "
      "from any context, pending_pos, the double mapping, epoll wakeups",
      vs,
      {Property::NoSplit, Property::NoSilentLoss, Property::NoCorruption, Property::NoDuplication, Property::Order,
       Property::Padding, Property::Counters, Property::LostWakeup, Property::MemorySafety, Property::Deadlock,
       Property::StepBound},
      [](const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root) -> sim::WorkloadFactory {
        Config c = parse(spec, variant, root);
        return [c] { return std::make_unique<RingbufWorkload>(c); };
      },
      [](const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root,
         const SourceOptions& source) -> sim::WorkloadFactory {
        // The tree decides, not the variant (kernel_ringbuf.h): the knobs are the model's.
        Config c = parse(spec, variant, root);
        KernelSource k{source.tree, source.marked_only};
        kernel::build_subject(ringbuf_subject(), source.tree);  // build errors surface at load (exit 2)
        if (const long err = kernel_map_create(c.params, k))
          root.fail(root.pos(), "[params]: the kernel's ringbuf_map_alloc refuses this map (" + std::to_string(err) + ")");
        return [c, k] { return std::make_unique<RingbufWorkload>(c, k); };
      }});
}

}  // namespace model::bpf_ringbuf
