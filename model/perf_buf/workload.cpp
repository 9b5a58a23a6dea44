// model/perf_buf/workload.cpp — see workload.h.
#include "model/perf_buf/workload.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "model/perf_buf/config.h"
#include "model/perf_buf/kernel_perf.h"
#include "model/registry.h"
#include "properties/ledger.h"

namespace model::perf_buf {
namespace {

using properties::Notice;
using sim::Mo;
using sim::Property;
using U64 = std::uint64_t;
using U32 = std::uint32_t;

class PerfWorkload final : public sim::Workload {
 public:
  explicit PerfWorkload(Config c, std::optional<KernelSource> kernel = std::nullopt)
      : c_(std::move(c)), kernel_(std::move(kernel)) {}

  void build(sim::Sim& s) override {
    sim_ = &s;
    s.set_cpus(c_.cpus);
    if (kernel_) {
      buffers_ = make_kernel_buffers(s, c_.params, c_.cpus, *kernel_);
    } else {
      for (int cpu = 0; cpu < c_.cpus; ++cpu)
        buffers_.push_back(std::make_unique<PerfBuffer>(s, c_.params, c_.variant, "rb" + std::to_string(cpu)));
    }
    for (int b = 0; b < c_.cpus; ++b) {
      BufferApi& buf = *buffers_[static_cast<std::size_t>(b)];
      buf.on_reserved = [this, b](const Output& o) { reserved(b, o); };
      buf.on_publish = [this, b](U64 old_head, U64 new_head) { published(b, old_head, new_head); };
    }
    ledger_.emplace(s);
    stopped_.emplace(s, "tool.stopped", 0);
    left_.emplace(s, "harness.activations_left", 0);
    U32 max_len = 1;
    std::size_t total = 0;
    for (auto& p : c_.producers) {
      max_len = std::max(max_len, p.messages.max);
      total += std::size_t{p.messages.count} * (p.ctx == sim::Ctx::Task ? 1 : p.fires);
    }
    scratch_.assign(c_.producers.size(), std::vector<std::uint8_t>(max_len));
    ghost_.resize(static_cast<std::size_t>(c_.cpus));
    for (auto& g : ghost_) g.recs.reserve(total);
    const U64 size = std::max<U64>(buffers_[0]->data_size(), 64);
    scratch_r_.resize(c_.readers.size());
    for (ReaderScratch& rs : scratch_r_) {
      rs.rec.assign(size, 0);
      rs.tags.assign(size, 0);
      rs.walk.reserve(size / kHeaderSize + 1);
    }
    for (std::size_t i = 0; i < c_.producers.size(); ++i) {
      const Producer& p = c_.producers[i];
      if (p.ctx == sim::Ctx::Task) s.add_task(p.name, p.cpu, [this, i] { produce(i); });
      else s.add_interrupt(p.name, p.cpu, p.ctx, p.fires, [this, i] { produce(i); });
    }
    in_poll_.assign(c_.readers.size(), 0);
    for (std::size_t r = 0; r < c_.readers.size(); ++r) {
      const Reader& rd = c_.readers[r];
      s.add_task((rd.kind == Reader::Kind::Snapshot ? "perf-snapshot" : "perf-reader") + std::to_string(rd.buffer), rd.cpu,
                 [this, r] { c_.readers[r].kind == Reader::Kind::Snapshot ? snapshot(r) : read_loop(r); });
    }
    cur_id_.assign(static_cast<std::size_t>(s.actor_count()), 0);
  }

  void reset(sim::Sim& s) override {
    for (auto& b : buffers_) b->reset_ghost();
    ledger_->reset(static_cast<int>(c_.readers.size()));
    std::int64_t activations = 0;
    for (auto& p : c_.producers) activations += p.ctx == sim::Ctx::Task ? 1 : p.fires;
    left_->poke(activations);
    for (auto& g : ghost_) g.clear();
    fired_.assign(c_.producers.size(), 0);
    nest_level_.assign(static_cast<std::size_t>(s.cpus()), 0);
    std::fill(in_poll_.begin(), in_poll_.end(), 0);
    std::fill(cur_id_.begin(), cur_id_.end(), 0);
  }

  void check_final(sim::Sim& s) override {
    for (int b = 0; b < c_.cpus; ++b) {
      const Ghost& g = ghost_[static_cast<std::size_t>(b)];
      const BufferApi::State st = buffers_[static_cast<std::size_t>(b)]->state();
      if (g.lost_written + st.lost != g.enospc)
        return s.report(Property::Counters, "CPU " + std::to_string(b) + "'s buffer: " + std::to_string(g.enospc) +
                                                " outputs failed with -ENOSPC, but the PERF_RECORD_LOST records carry " +
                                                std::to_string(g.lost_written) + " and rb->lost holds " + std::to_string(st.lost));
    }
    for (std::size_t r = 0; r < c_.readers.size(); ++r) {
      const Reader& rd = c_.readers[r];
      if (rd.kind != Reader::Kind::ReadSimple) continue;
      const Ghost& g = ghost_[static_cast<std::size_t>(rd.buffer)];
      const BufferApi::State st = buffers_[static_cast<std::size_t>(rd.buffer)]->state();
      if (st.data_tail != st.data_head)
        return s.report(Property::Counters, "reader of CPU " + std::to_string(rd.buffer) + " ended with data_tail " +
                                                std::to_string(st.data_tail) + " != data_head " + std::to_string(st.data_head));
      if (g.lost_read != g.lost_written)
        return s.report(Property::Counters, "reader of CPU " + std::to_string(rd.buffer) + " read PERF_RECORD_LOST counts summing to " +
                                                std::to_string(g.lost_read) + ", the buffer wrote " + std::to_string(g.lost_written));
    }
    ledger_->check_final(!c_.readers.empty());
  }

  std::uint64_t end_state_hash(const sim::Sim&) const override { return ledger_->end_state_hash(); }

 private:
  struct Rec {
    U64 id = 0, pos = 0;
    U32 size = 0;
    bool delivered = false;
  };
  struct Ghost {  // per CPU buffer, per execution
    std::vector<Rec> recs;  // accepted samples in reservation order
    U64 enospc = 0, lost_written = 0, lost_read = 0;
    void clear() {
      recs.clear();
      enospc = lost_written = lost_read = 0;
    }
  };

  // ---- programs ----

  void produce(std::size_t i) {
    const Producer& p = c_.producers[i];
    const int cpu = sim_->smp_processor_id();
    BufferApi& buf = *buffers_[static_cast<std::size_t>(cpu)];
    const U32 base = fired_[i]++ * p.messages.count;
    for (U32 k = 0; k < p.messages.count; ++k) {
      const U32 len = message_size(p.messages, i, base + k, 0x9e7fb0fULL);
      const U64 id = ledger_->attempt(static_cast<int>(i), cpu, len);
      std::uint8_t* data = scratch_[i].data();
      properties::Ledger::fill_payload(id, data, len);
      // bpf_perf_event_output: preempt_disable(); this_cpu_inc_return(bpf_trace_nest_level), one
      // perf_sample_data slot per level; deeper than bpf_trace_sds holds is -EBUSY.
      sim_->preempt_disable();
      int& level = nest_level_[static_cast<std::size_t>(cpu)];
      if (++level > c_.bpf_nest_limit) {
        --level;
        sim_->preempt_enable();
        ledger_->rejected(id, Notice::Returned);
        continue;
      }
      cur_id_[static_cast<std::size_t>(sim_->current_actor())] = id;
      const Output o = buf.perf_event_output(data, len, id);
      --nest_level_[static_cast<std::size_t>(cpu)];
      sim_->preempt_enable();
      if (o.ret) {
        ledger_->rejected(id, Notice::Returned);  // -ENOSPC to the program, and rb->lost counts it
        if (c_.params.nr_pages) ++ghost_[static_cast<std::size_t>(cpu)].enospc;
      }
    }
    if (left_->fetch_sub(1) == 1) stop();
  }

  void reserved(int b, const Output& o) {
    const U64 id = cur_id_[static_cast<std::size_t>(sim_->current_actor())];
    BufferApi& buf = *buffers_[static_cast<std::size_t>(b)];
    Ghost& g = ghost_[static_cast<std::size_t>(b)];
    g.lost_written += o.lost_count;
    ledger_->accepted(id, b, o.raw_pos % buf.data_size(), o.pos, c_.params.overwrite);
    g.recs.push_back(Rec{id, o.pos, o.size});
  }

  void published(int b, U64 old_head, U64 new_head) {
    const auto moved = static_cast<std::int64_t>(new_head - old_head);
    const bool backwards = c_.params.write_backward ? moved > 0 : moved < 0;
    if (backwards)
      sim_->report(Property::Order, "CPU " + std::to_string(b) + "'s data_head went " +
                                        (c_.params.write_backward ? "forwards" : "backwards") + " from " +
                                        std::to_string(old_head) + " to " + std::to_string(new_head) +
                                        " (a reader may see data_head behind its data_tail and re-read or skip records)");
  }

  // ---- the tool ----

  void stop() {
    for (std::size_t r = 0; r < c_.readers.size(); ++r) {
      const Reader& rd = c_.readers[r];
      BufferApi& buf = *buffers_[static_cast<std::size_t>(rd.buffer)];
      const BufferApi::State st = buf.state();
      if (rd.kind == Reader::Kind::ReadSimple && c_.params.wakeup_events == 1 && !c_.params.wakeup_watermark &&
          !c_.allow_lost_wakeup && in_poll_[r] && st.poll == 0 && !buf.wakeup_pending() && st.data_head != st.data_tail)
        return sim_->report(Property::LostWakeup, "every program has finished, the reader of CPU " + std::to_string(rd.buffer) +
                                                      " sleeps in poll with data_head " + std::to_string(st.data_head) +
                                                      " ahead of data_tail " + std::to_string(st.data_tail) +
                                                      ", rb->poll is clear and no wakeup is queued");
    }
    stopped_->store(1, Mo::Release);
    for (auto& rd : c_.readers) buffers_[static_cast<std::size_t>(rd.buffer)]->signal_reader();
  }

  /// One record at position `pos`: its header, then the rest. Returns its size, or 0 after a
  /// reported violation.
  U32 read_record(std::size_t r, BufferApi& buf, U64 pos, bool deliver_it, Rec** rec_out = nullptr) {
    const Reader& rd = c_.readers[r];
    Ghost& g = ghost_[static_cast<std::size_t>(rd.buffer)];
    std::vector<std::uint8_t>& bytes = scratch_r_[r].rec;
    std::vector<U64>& tags = scratch_r_[r].tags;
    if (!buf.read_data(pos, kHeaderSize, bytes.data(), tags.data())) return 0;
    const U32 type = static_cast<U32>(le(bytes.data(), 4));
    const U32 size = static_cast<U32>(le(bytes.data() + 6, 2));
    if (size == 0 && rd.kind == Reader::Kind::Snapshot) return 0;  // never written: the snapshot's end
    if (size < kHeaderSize || size % 8 || size > buf.data_size()) {
      sim_->report(Property::NoCorruption, "the reader of CPU " + std::to_string(rd.buffer) + " found a record of size " +
                                               std::to_string(size) + " at position " + std::to_string(pos));
      return 0;
    }
    if (!buf.read_data(pos + kHeaderSize, size - kHeaderSize, bytes.data() + kHeaderSize, tags.data() + kHeaderSize)) return 0;
    if (type == kRecordLost) {
      if (deliver_it) g.lost_read += le(bytes.data() + 16, 8);
      return size;
    }
    if (type != kRecordSample) {
      sim_->report(Property::NoCorruption, "the reader of CPU " + std::to_string(rd.buffer) + " found a record of type " +
                                               std::to_string(type) + " at position " + std::to_string(pos));
      return 0;
    }
    // perf_buffer__process_record hands the callback raw->size bytes (the padded length); the
    // callback knows its own struct's size (ghost: the length of the message its first byte is from).
    U32 n = static_cast<U32>(le(bytes.data() + kHeaderSize, 4));
    n = std::min(n, size - kHeaderSize - 4);
    const U64 id = sim::tag_id(tags[kHeaderSize + 4]);
    if (id && id <= ledger_->messages().size()) n = std::min(n, ledger_->messages()[id - 1].len);
    if (deliver_it) ledger_->deliver(static_cast<int>(r), bytes.data() + kHeaderSize + 4, tags.data() + kHeaderSize + 4, n);
    if (rec_out) {
      for (auto it = g.recs.rbegin(); it != g.recs.rend(); ++it)
        if (it->pos == pos) {
          *rec_out = &*it;
          break;
        }
    }
    return size;
  }

  /// libbpf's perf_event_read_simple over one CPU's buffer.
  void read_simple(std::size_t r) {
    const Reader& rd = c_.readers[r];
    BufferApi& buf = *buffers_[static_cast<std::size_t>(rd.buffer)];
    if (!c_.variant.reader_head_acquire) return read_simple_pre_556e0a0def95(r);
    const U64 head = buf.load_data_head(Mo::Acquire);  // ring_buffer_read_head: smp_load_acquire (C)
    U64 tail = buf.load_data_tail(Mo::Relaxed);        // header->data_tail, written only by us
    if (!walk_records(r, buf, head, tail, "perf_event_read_simple")) return;
    buf.store_data_tail(tail, Mo::Release);  // ring_buffer_write_tail
  }

  /// What both readers do between loading data_head and writing data_tail back: the size check,
  /// then every record from `tail` to `head`. False when it stopped early (the check failed and
  /// was reported, or a record could not be read); `tail` is then where the walk got to.
  bool walk_records(std::size_t r, BufferApi& buf, U64 head, U64& tail, const char* fn) {
    if (head - tail > buf.data_size()) {
      sim_->report(Property::NoCorruption, "the reader of CPU " + std::to_string(c_.readers[r].buffer) +
                                               " loaded data_head " + std::to_string(head) + " with data_tail " +
                                               std::to_string(tail) + ": more than data_size apart, " + fn +
                                               " walks into garbage");
      return false;
    }
    while (tail != head) {
      const U32 size = read_record(r, buf, tail, true);
      if (!size) return false;
      tail += size;
    }
    return true;
  }

  /// libbpf's bpf_perf_event_read_simple before libbpf/libbpf 556e0a0def95 (Variant::
  /// reader_head_acquire): `volatile struct perf_event_mmap_page *header`, data_tail then data_head
  /// loaded through it (READ_ONCE), only a compiler barrier after them ("in real code it should be
  /// smp_rmb()"), the records walked with plain loads, then __sync_synchronize() (D) and the
  /// volatile store of data_tail. Nothing is written back when the buffer was empty.
  void read_simple_pre_556e0a0def95(std::size_t r) {
    const Reader& rd = c_.readers[r];
    BufferApi& buf = *buffers_[static_cast<std::size_t>(rd.buffer)];
    U64 tail = buf.load_data_tail(Mo::Relaxed);        // header->data_tail
    const U64 head = buf.load_data_head(Mo::Relaxed);  // header->data_head, no smp_rmb() after it
    if (head == tail) return;                          // LIBBPF_PERF_EVENT_CONT
    if (!walk_records(r, buf, head, tail, "bpf_perf_event_read_simple")) return;
    sim_->fence(sim::Fence::Mb);              // __sync_synchronize(); /* smp_mb() */
    buf.store_data_tail(tail, Mo::Relaxed);  // header->data_tail = data_tail (volatile)
  }

  static bool stop_requested(void* self) { return static_cast<PerfWorkload*>(self)->stopped_->load(Mo::Acquire) != 0; }

  void read_loop(std::size_t r) {
    BufferApi& buf = *buffers_[static_cast<std::size_t>(c_.readers[r].buffer)];
    for (;;) {
      in_poll_[r] = 1;
      buf.poll_wait(&PerfWorkload::stop_requested, this);  // perf_buffer__poll: epoll_wait on the event
      in_poll_[r] = 0;
      read_simple(r);
      if (stopped_->load(Mo::Acquire)) break;
    }
    read_simple(r);  // drain
  }

  /// perf record --overwrite: pause the backward buffer, read the newest records from data_head.
  void snapshot(std::size_t r) {
    const Reader& rd = c_.readers[r];
    BufferApi& buf = *buffers_[static_cast<std::size_t>(rd.buffer)];
    Ghost& g = ghost_[static_cast<std::size_t>(rd.buffer)];
    std::vector<U64>& walk = scratch_r_[r].walk;
    std::vector<std::size_t>& order = scratch_r_[r].order;
    std::vector<std::uint8_t>& bytes = scratch_r_[r].rec;
    std::vector<U64>& tags = scratch_r_[r].tags;
    if (rd.pause_live) buf.pause_output(true);
    while (!stopped_->load(Mo::Acquire)) sim_->yield();
    if (!rd.pause_live) buf.pause_output(true);
    const U64 head = buf.load_data_head(Mo::Acquire);
    U64 pos = head, got = 0;
    walk.clear();
    while (got < buf.data_size()) {  // newest first: the record sizes from data_head on
      if (!buf.read_data(pos, kHeaderSize, bytes.data(), tags.data())) return;
      const U32 size = static_cast<U32>(le(bytes.data() + 6, 2));
      if (size == 0 || got + size > buf.data_size()) break;  // never written, or overwritten in part
      walk.push_back(pos);
      pos += size;
      got += size;
    }
    // perf sorts a snapshot by time before it uses it: deliver oldest first.
    for (auto it = walk.rbegin(); it != walk.rend(); ++it) {
      Rec* rec = nullptr;
      if (!read_record(r, buf, *it, true, &rec)) return;
      if (rec) rec->delivered = true;
    }
    // No hole: newest first, every sample is delivered until the first that is not; older ones were
    // overwritten (the reader knows that only the newest data_size bytes survive).
    // Newest means nearest to data_head in position, not first in the ghost's list: an interrupt
    // that nests between a writer's head cmpxchg and its return is recorded first but lies older.
    order.clear();
    for (std::size_t i = 0; i < g.recs.size(); ++i) order.push_back(i);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return g.recs[a].pos - head < g.recs[b].pos - head; });
    bool gap = false;
    for (std::size_t i : order) {
      Rec* it = &g.recs[i];
      if (it->delivered && gap)
        return sim_->report(Property::NoSilentLoss, "the snapshot of CPU " + std::to_string(rd.buffer) +
                                                        " delivered the sample at position " + std::to_string(it->pos) +
                                                        " but not a newer one", {it->id});
      if (!it->delivered) {
        gap = true;
        ledger_->lost(it->id);
      }
    }
  }

  Config c_;
  std::optional<KernelSource> kernel_;
  sim::Sim* sim_ = nullptr;
  std::vector<std::unique_ptr<BufferApi>> buffers_;
  std::optional<properties::Ledger> ledger_;
  std::optional<sim::Shared<int>> stopped_;
  std::optional<sim::Shared<std::int64_t>> left_;
  std::vector<std::vector<std::uint8_t>> scratch_;
  std::vector<Ghost> ghost_;
  std::vector<U32> fired_;
  std::vector<int> nest_level_;  // bpf_trace_nest_level, per CPU
  std::vector<int> in_poll_;     // ghost, per reader
  std::vector<U64> cur_id_;      // per actor: the message being output
  // Per reader: readers run concurrently, and a read is several steps, so none of this is shared
  // (a shared walk list mixed two snapshots' record positions: the perf_buf property found it).
  struct ReaderScratch {
    std::vector<std::uint8_t> rec;  // the record being read
    std::vector<U64> tags;
    std::vector<U64> walk;           // a snapshot's record positions, newest first
    std::vector<std::size_t> order;  // snapshot: the ghost's samples, newest position first
  };
  std::vector<ReaderScratch> scratch_r_;
};

}  // namespace

void register_model(std::vector<ModelInfo>& out) {
  std::vector<VariantInfo> vs;
  for (auto& v : variants()) vs.push_back({v.name, v.description});
  out.push_back(ModelInfo{
      "perf_buf",
      "the perf ring buffer (kernel/events/ring_buffer.c) behind bpf_perf_event_output: one buffer per CPU, nested "
      "writers publishing data_head from the outermost, PERF_RECORD_LOST, overwrite/backward mode, libbpf's reader",
      vs,
      {Property::NoSplit, Property::NoSilentLoss, Property::NoCorruption, Property::NoDuplication, Property::Order,
       Property::Padding, Property::Counters, Property::LostWakeup, Property::MemorySafety, Property::Deadlock,
       Property::StepBound},
      [](const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root) -> sim::WorkloadFactory {
        Config c = parse(spec, variant, root);
        return [c] { return std::make_unique<PerfWorkload>(c); };
      },
      [](const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root,
         const SourceOptions& source) -> sim::WorkloadFactory {
        // The tree decides, not the variant (kernel_perf.h).
        Config c = parse(spec, variant, root);
        KernelSource k{source.tree, source.marked_only};
        kernel::build_subject(perf_subject(), source.tree);
        return [c, k] { return std::make_unique<PerfWorkload>(c, k); };
      }});
}

}  // namespace model::perf_buf
