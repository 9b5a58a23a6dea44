// model/ftrace_rb/workload.cpp — see workload.h.
#include "model/ftrace_rb/workload.h"

#include <memory>
#include <optional>

#include "model/ftrace_rb/config.h"
#include "model/ftrace_rb/kernel_ring.h"
#include "model/registry.h"
#include "properties/ledger.h"

namespace model::ftrace_rb {
namespace {

using properties::Notice;
using sim::Mo;
using sim::Property;

class FtraceWorkload final : public sim::Workload {
 public:
  explicit FtraceWorkload(Config c, std::optional<kernel::Source> kernel = std::nullopt)
      : c_(std::move(c)), kernel_(std::move(kernel)) {}

  void build(sim::Sim& s) override {
    sim_ = &s;
    s.set_cpus(c_.cpus);
    if (kernel_) bufs_ = make_kernel_buffers(s, c_.params, c_.cpus, *kernel_);  // kernel_ring.h
    else
      for (int b = 0; b < c_.cpus; ++b) bufs_.push_back(std::make_unique<CpuBuffer>(s, c_.params, c_.variant, "cpu" + std::to_string(b)));
    for (int b = 0; b < c_.cpus; ++b) {
      RingApi& buf = *bufs_[static_cast<std::size_t>(b)];
      buf.delivered = [this](U64 id) { return id >= 1 && id <= ledger_->messages().size() && ledger_->messages()[id - 1].delivered != 0; };
      buf.on_reserved = [this, b](U64 id, int page, U32 off, U32 len, U64 stamp) { reserved(b, id, page, off, len, stamp); };
      buf.on_overrun = [this, b](U64 id) {
        ledger_->lost(id);
        ++g_[static_cast<std::size_t>(b)].overrun;
      };
    }
    for (auto& r : c_.readers)
      if (r.poll) bufs_[static_cast<std::size_t>(r.buffer)]->enable_wakeups();
    ledger_.emplace(s);
    left_.emplace(s, "harness.writers_left", 0);
    U32 max_len = 1;
    for (auto& w : c_.writers) max_len = std::max(max_len, w.messages.max);
    scratch_.assign(c_.writers.size(), std::vector<std::uint8_t>(max_len));
    for (std::size_t i = 0; i < c_.writers.size(); ++i) {
      const Writer& w = c_.writers[i];
      if (w.ctx == sim::Ctx::Task) s.add_task(w.name, w.cpu, [this, i] { write(i); });
      else s.add_interrupt(w.name, w.cpu, w.ctx, w.fires, [this, i] { write(i); });
    }
    for (std::size_t r = 0; r < c_.readers.size(); ++r) {
      static const char* kinds[] = {"consume", "read_page", "mmap"};
      s.add_task(std::string(kinds[static_cast<int>(c_.readers[r].kind)]) + "-reader" + std::to_string(r), c_.readers[r].cpu,
                 [this, r] { read_loop(r); });
    }
  }

  void reset(sim::Sim&) override {
    for (auto& b : bufs_) b->reset_ghost();
    ledger_->reset(static_cast<int>(c_.readers.size()));
    std::int64_t activations = 0;
    for (auto& w : c_.writers) activations += w.ctx == sim::Ctx::Task ? 1 : w.fires;
    left_->poke(activations);
    g_.assign(bufs_.size(), {});
    rs_.assign(c_.readers.size(), {});
    events_.resize(c_.readers.size());  // kept across executions: consume() reuses their storage
    seq_.assign(1, 0);
    fired_.assign(c_.writers.size(), 0);
  }

  void check_final(sim::Sim& s) override {
    bool all_read = true;
    for (auto& w : c_.writers) {
      bool has = false;
      for (auto& r : c_.readers) has |= r.buffer == w.cpu;
      all_read &= has;
    }
    ledger_->check_final(all_read && !c_.readers.empty());
    for (std::size_t b = 0; b < bufs_.size(); ++b) {
      const RingApi& buf = *bufs_[b];
      const auto k = buf.counters();
      const Ghost& g = g_[b];
      const std::string n = "cpu" + std::to_string(b) + ": ";
      auto bad = [&](const std::string& what) { s.report(Property::Counters, n + what); };
      if (k.committing != 0) return bad("committing = " + std::to_string(k.committing) + " after every writer finished");
      if (buf.commit_page() != buf.tail_page())
        return bad("commit page " + std::to_string(buf.commit_page()) + " != tail page " + std::to_string(buf.tail_page()));
      if (k.entries != g.committed) return bad("entries = " + std::to_string(k.entries) + " but " + std::to_string(g.committed) + " events were committed");
      if (k.overrun != g.overrun) return bad("overrun = " + std::to_string(k.overrun) + " but " + std::to_string(g.overrun) + " events were overwritten");
      if (k.dropped_events != g.dropped) return bad("dropped_events = " + std::to_string(k.dropped_events) + " but " + std::to_string(g.dropped) + " were dropped");
      if (k.commit_overrun != g.commit_overrun)
        return bad("commit_overrun = " + std::to_string(k.commit_overrun) + " but " + std::to_string(g.commit_overrun) + " were refused");
      const Reader* rd = nullptr;
      std::size_t ri = 0;
      for (; ri < c_.readers.size(); ++ri)
        if (c_.readers[ri].buffer == static_cast<int>(b)) {
          rd = &c_.readers[ri];
          break;
        }
      if (!rd) continue;
      if (k.entries != k.read + k.overrun)
        return bad("entries = " + std::to_string(k.entries) + " != read " + std::to_string(k.read) + " + overrun " +
                   std::to_string(k.overrun) + " after the reader drained the buffer");
      const RState& r = rs_[ri];
      const U64 told = r.reported + buf.unreported_missed();
      if (r.unknown ? told > k.overrun : told != k.overrun)
        return bad("the reader was told of " + std::to_string(r.reported) + " lost events (+" + std::to_string(buf.unreported_missed()) +
                   " only in the kernel log) but overrun = " + std::to_string(k.overrun));
    }
  }

  std::uint64_t end_state_hash(const sim::Sim&) const override { return ledger_->end_state_hash(); }

 private:
  struct Ghost {
    U64 committed = 0, overrun = 0, dropped = 0, commit_overrun = 0;
    // The writers in flight on this CPU (from before ring_buffer_lock_reserve to after
    // ring_buffer_unlock_commit or the NULL), the commit page when the first of them started (no
    // writer in flight: the outermost commit has brought the commit up to the tail), and whether
    // one of their reservations has since landed on another page (the tail has left it).
    int in_flight = 0, span_commit_page = -1;
    bool span_left_commit_page = false;
  };
  struct RState {
    U64 reported = 0, last_seq = 0;
    bool unknown = false;
    int held_page = -1;  // mmap: the sub-buffer user space is reading, and how far it may read
    U64 held_limit = 0, last_id = ~U64{0}, pos = 0;
    U64 last_kread = ~U64{0};  // mmap: meta.reader.read after the previous GET_READER (stop rule only)
    U64 meta_entries = 0, meta_overrun = 0, meta_read = 0;  // mmap: the meta page's counters last seen
  };

  // ---- writers ----

  void write(std::size_t i) {
    const Writer& w = c_.writers[i];
    RingApi& buf = *bufs_[static_cast<std::size_t>(w.cpu)];
    Ghost& g = g_[static_cast<std::size_t>(w.cpu)];
    const U32 base = fired_[i]++ * w.messages.count;
    for (U32 k = 0; k < w.messages.count; ++k) {
      const U32 len = model::message_size(w.messages, i, base + k, 0xf7ace5ULL);
      const U64 id = ledger_->attempt(static_cast<int>(i), w.cpu, len);
      properties::Ledger::fill_payload(id, scratch_[i].data(), len);
      if (g.in_flight++ == 0) {
        g.span_commit_page = buf.commit_page();
        g.span_left_commit_page = false;
      }
      const Slot slot = buf.lock_reserve(len, id);
      if (!slot.ok) {
        if (slot.fail == Slot::Fail::Dropped) ++g.dropped;
        if (slot.fail == Slot::Fail::CommitOverrun) {
          ++g.commit_overrun;
          commit_overrun_rule(w.cpu, id);
        }
        --g.in_flight;
        ledger_->rejected(id, Notice::Returned);  // ring_buffer_lock_reserve returned NULL
        continue;
      }
      if (!buf.write_event(slot, scratch_[i].data(), len, id)) return;
      buf.unlock_commit();
      --g.in_flight;
      ++g.committed;
    }
    // The last producer wakes the blocking readers so they see the stop (a poll timeout).
    if (left_->fetch_sub(1, Mo::Release) == 1)
      for (auto& b : bufs_) b->wake_waiters();
  }

  // rb_move_tail's commit overrun (kernel/trace/ring_buffer.c:3513 `next_page == commit_page`,
  // :3566 `commit_page != tail_page && commit_page == reader_page`) drops an event only when the
  // writers in flight on this CPU have wrapped the ring onto the page where the commit waits: in
  // both cases the tail is on another page than the commit. With no writer in flight the commit is
  // the tail, so the tail left the commit page only through a reservation of this span that landed
  // on another page. A tail that is on the commit page, the reader page included ("if the tail
  // page is also on the reader_page, we let it move out"), moves on: dropping that event is a loss
  // the kernel does not make (counters: commit_overrun counts an event no wrap refused).
  void commit_overrun_rule(int b, U64 id) {
    const Ghost& g = g_[static_cast<std::size_t>(b)];
    if (g.span_left_commit_page) return;
    sim_->report(Property::Counters, "cpu" + std::to_string(b) + ": an event was dropped for commit overrun although no writer in "
                                         "flight has left the commit page (sub-buffer " + std::to_string(g.span_commit_page) +
                                         "): the ring was not wrapped (rb_move_tail lets a tail on the commit page move on)", {id});
  }

  void reserved(int b, U64 id, int page, U32 off, U32 len, U64 stamp) {
    RingApi& buf = *bufs_[static_cast<std::size_t>(b)];
    {
      Ghost& g = g_[static_cast<std::size_t>(b)];
      if (page != g.span_commit_page) g.span_left_commit_page = true;
    }
    if (off + len > c_.params.subbuf_size)
      return sim_->report(Property::NoSplit, "cpu" + std::to_string(b) + ": event of " + std::to_string(len) + " bytes at offset " +
                                                 std::to_string(off) + " crosses the end of sub-buffer " + std::to_string(page), {id});
    if (id >= seq_.size()) seq_.resize(id + 1, 0);
    seq_[id] = stamp;
    for (std::size_t r = 0; r < c_.readers.size(); ++r) {
      if (c_.readers[r].buffer != b) continue;
      const RState& st = rs_[r];
      // A consuming reader holds its reader page only while the page is out of the ring: from
      // rb_head_page_replace's cmpxchg on, the old reader page is a ring page (the writer may
      // reach it) although cpu_buffer->reader_page is only moved a few steps later.
      const U64 limit = c_.readers[r].kind == Reader::Kind::Mmap
                            ? (st.held_page == page ? st.held_limit : 0)
                            : (buf.reader_page() == page && buf.out_of_ring(page) ? held_read(buf, page) : 0);
      if (off < limit)
        return sim_->report(Property::NoCorruption, "cpu" + std::to_string(b) + ": a writer reserved offset " + std::to_string(off) +
                                                        " of sub-buffer " + std::to_string(page) + " which the reader holds up to " +
                                                        std::to_string(limit), {id});
    }
    ledger_->accepted(id, b, U64{static_cast<U64>(page)} * c_.params.subbuf_size + off + kHdr, static_cast<U64>(page),
                      c_.params.overwrite);
  }

  // The consuming reader's offset on its reader page, when it is one: rb_get_reader_page stores
  // cpu_buffer->reader_page a step before it zeroes the new page's `read`, which until then still
  // holds its offset from the page's previous turn as reader page (greater than its commit).
  static U64 held_read(const RingApi& buf, int page) {
    const PageState ps = buf.page_state(page);
    return ps.read <= (ps.commit & kSizeMask) ? ps.read : 0;
  }

  // ---- readers ----

  void deliver(std::size_t r, const ReadEvent& ev) {
    RState& st = rs_[r];
    if (ev.body.empty())
      return sim_->report(Property::Padding, "reader " + std::to_string(r) + " parsed a data record with an empty body: its header "
                                             "was never written (the commit covered a reserved, unwritten event)");
    {
      const U64 id = sim::tag_id(ev.tags[0]);
      const U64 seq = id < seq_.size() ? seq_[id] : 0;
      if (seq && seq < st.last_seq)
        return sim_->report(Property::Order, "reader " + std::to_string(r) + " got an event reserved before the previous one", {id});
      if (seq) st.last_seq = seq;
    }
    ledger_->deliver(static_cast<int>(r), ev.body.data(), ev.tags.data(), ev.body.size());
  }

  void told_lost(std::size_t r, RingApi& buf, U64 n) {
    RState& st = rs_[r];
    st.reported += n;
    const U64 overrun = buf.counters().overrun;
    if (st.reported > overrun)
      sim_->report(Property::Counters, "reader " + std::to_string(r) + " was told of " + std::to_string(st.reported) +
                                           " lost events in all, but only " + std::to_string(overrun) + " were overwritten");
  }

  bool read_once(std::size_t r) {
    const Reader& rd = c_.readers[r];
    RingApi& buf = *bufs_[static_cast<std::size_t>(rd.buffer)];
    switch (rd.kind) {
      case Reader::Kind::Consume: {
        ReadEvent& ev = events_[r];
        if (!buf.consume(ev)) return false;
        if (ev.lost) told_lost(r, buf, ev.lost);
        deliver(r, ev);
        return true;
      }
      case Reader::Kind::ReadPage: {
        auto pr = buf.read_page();
        if (pr.ret < 0) return false;
        if (pr.missed < 0) rs_[r].unknown = true;
        else if (pr.missed) told_lost(r, buf, static_cast<U64>(pr.missed));
        for (auto& ev : pr.events) deliver(r, ev);
        return true;
      }
      case Reader::Kind::Mmap: return mmap_read(r, buf);
    }
    return false;
  }

  // User space on the mapping: GET_READER, then the meta page, then the reader sub-buffer from
  // where it stopped (0 on a new sub-buffer) up to the commit it loads from the page header.
  bool mmap_read(std::size_t r, RingApi& buf) {
    RState& st = rs_[r];
    st.held_page = -1;  // calling GET_READER hands the previous sub-buffer back to the kernel
    // rb_update_meta_page copies entries, overrun and read one after another while writers on other
    // CPUs go on (they take neither lock the reader holds), so the three are not one snapshot: a
    // writer that overwrites between the first two copies makes read + overrun exceed entries. Only
    // a GET_READER that starts after every writer finished (a harness fact, read without a step)
    // must give a consistent sum; each counter never goes back in any case (no reset here).
    const bool quiescent = left_->peek() == 0;
    buf.map_get_reader();
    const U64 id = buf.meta_load(MetaField::ReaderId, Mo::Acquire);
    const int page = buf.page_of_id(id);
    if (page < 0 || page != buf.reader_page()) {
      sim_->report(Property::Counters, "the meta page names sub-buffer " + std::to_string(id) + " but the kernel's reader page is sub-buffer " +
                                           std::to_string(buf.id_of_page(buf.reader_page())));
      return false;
    }
    const U64 entries = buf.meta_load(MetaField::Entries), overrun = buf.meta_load(MetaField::Overrun),
              read = buf.meta_load(MetaField::Read);
    if (entries < st.meta_entries || overrun < st.meta_overrun || read < st.meta_read)
      sim_->report(Property::Counters, "meta page went back: entries " + std::to_string(st.meta_entries) + " -> " +
                                           std::to_string(entries) + ", overrun " + std::to_string(st.meta_overrun) + " -> " +
                                           std::to_string(overrun) + ", read " + std::to_string(st.meta_read) + " -> " +
                                           std::to_string(read));
    st.meta_entries = entries;
    st.meta_overrun = overrun;
    st.meta_read = read;
    if (quiescent && read + overrun > entries)
      sim_->report(Property::Counters, "meta page after the writers finished: read " + std::to_string(read) +
                                           " + overrun " + std::to_string(overrun) + " > entries " + std::to_string(entries));
    const U64 commit = buf.load_commit(page, Mo::Acquire);
    // User space reads the header's commit as libtracefs's kbuffer does: an unsigned int, then the
    // flags off (the kernel's local_add of RB_MISSED_EVENTS, an int, sign-extends into the long).
    const U64 size = commit & ~kMissedFlags & 0xffffffffULL;
    const bool fresh = id != st.last_id;
    if (fresh) {
      st.last_id = id;
      st.pos = 0;
      U64 lost = buf.meta_load(MetaField::ReaderLostEvents);
      if (commit & kMissedEvents) {
        if (commit & kMissedStored) {
          std::uint8_t b[8] = {};
          buf.read_subbuf(page, size, b, 8);
          U64 stored = 0;
          for (int i = 7; i >= 0; --i) stored = (stored << 8) | b[i];
          lost += stored;
        } else {
          st.unknown = true;
        }
      }
      if (lost) told_lost(r, buf, lost);
    }
    st.held_page = page;
    st.held_limit = size;
    // GET_READER that found unread records on the reader page only advances the kernel reader over
    // them and returns the same sub-buffer (ring_buffer_map_get_reader: `if (reader->read <
    // rb_page_size(reader))` -> consume, out): user space that already read them (up to the commit)
    // must ask again before it may conclude that nothing is left. The stop rule peeks (no step).
    const U64 kread = buf.meta_peek(MetaField::ReaderRead);
    const bool kernel_caught_up = kread != st.last_kread;
    st.last_kread = kread;
    const bool progress = fresh || st.pos < size || kernel_caught_up;
    while (st.pos < size) {
      RingApi::Record rec;
      if (!buf.user_record(page, st.pos, size, rec)) return false;
      const U32 length = rec.length;
      if (length == 0 || st.pos + length > size) {
        sim_->report(Property::NoSplit, "user space found a record of " + std::to_string(length) + " bytes at offset " +
                                            std::to_string(st.pos) + " past the commit " + std::to_string(size) + " of sub-buffer " +
                                            std::to_string(id));
        return false;
      }
      if (rec.data) {
        ReadEvent ev;
        ev.body.resize(rec.body);
        ev.tags.resize(rec.body);
        buf.read_subbuf(page, st.pos + rec.body_off, ev.body.data(), rec.body, ev.tags.data());
        buf.trim(ev);
        deliver(r, ev);
      }
      st.pos += length;
    }
    return progress;
  }

  void read_loop(std::size_t r) {
    const Reader& rd = c_.readers[r];
    RingApi& buf = *bufs_[static_cast<std::size_t>(rd.buffer)];
    if (rd.kind == Reader::Kind::Mmap)
      for (int i = 0; i < rd.maps; ++i) buf.map();
    if (rd.after_writers)
      while (left_->load(Mo::Acquire) != 0) sim_->yield();
    for (;;) {
      const bool done = left_->load(Mo::Acquire) == 0;
      if (!read_once(r)) {
        if (done) break;
        if (rd.poll) buf.wait([this] { return left_->load(Mo::Acquire) == 0; });
        else sim_->yield();
      }
      for (U32 i = 0; i < rd.pause; ++i) sim_->yield();
    }
    if (rd.kind == Reader::Kind::Mmap) {
      rs_[r].held_page = -1;
      for (int i = 0; i < rd.maps; ++i) buf.unmap();
      if (buf.mapped() != 0 || buf.unmap() != -kENODEV)
        sim_->report(Property::Counters, "the buffer is still mapped after every mapping was unmapped");
    }
  }

  Config c_;
  std::optional<kernel::Source> kernel_;
  sim::Sim* sim_ = nullptr;
  std::vector<std::unique_ptr<RingApi>> bufs_;
  std::optional<properties::Ledger> ledger_;
  std::optional<sim::Shared<std::int64_t>> left_;
  std::vector<std::vector<std::uint8_t>> scratch_;
  // ghost, per execution
  std::vector<Ghost> g_;
  std::vector<ReadEvent> events_;  // per reader: the consumed event's storage
  std::vector<RState> rs_;
  std::vector<U64> seq_;
  std::vector<U32> fired_;
};

}  // namespace

void register_model(std::vector<ModelInfo>& out) {
  std::vector<VariantInfo> vs;
  for (auto& v : variants()) vs.push_back({v.name, v.description});
  out.push_back(ModelInfo{
      "ftrace_rb",
      "the tracing ring buffer (kernel/trace/ring_buffer.c): lockless per-CPU page ring with HEAD/UPDATE flags, nested "
      "writers, overwrite/no-overwrite, rb_get_reader_page, and the user-space mapping (trace_mmap.h, GET_READER)",
      vs,
      {Property::NoSplit, Property::NoSilentLoss, Property::NoCorruption, Property::NoDuplication, Property::Order,
       Property::Padding, Property::Counters, Property::MemorySafety, Property::Deadlock, Property::StepBound,
       Property::Assertion},
      [](const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root) -> sim::WorkloadFactory {
        Config c = parse(spec, variant, root);
        return [c] { return std::make_unique<FtraceWorkload>(c); };
      },
      [](const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root,
         const SourceOptions& source) -> sim::WorkloadFactory {
        // The tree decides, not the variant (kernel_ring.h): the knobs are the model's.
        Config c = parse(spec, variant, root);
        if (c.params.subbuf_size + 16 > 4096) root.fail(root.pos(), "[params] subbuf_size: at most 4080 under the kernel source");
        kernel::Source k{source.tree, source.marked_only};
        kernel::build_subject(ftrace_subject(), source.tree);  // build errors surface at load (exit 2)
        return [c, k] { return std::make_unique<FtraceWorkload>(c, k); };
      }});
}

}  // namespace model::ftrace_rb
