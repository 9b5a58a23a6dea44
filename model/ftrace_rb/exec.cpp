// model/ftrace_rb/exec.cpp — see exec.h.
#include "model/exec_support.h"
#include "model/ftrace_rb/exec.h"

#include <boost/context/fiber.hpp>

#include <algorithm>
#include <exception>
#include <memory>

#include "model/ftrace_rb/config.h"
#include "model/ftrace_rb/kernel_ring.h"
#include "scenarios/json_reader.h"
#include "sim/choice.h"
#include "sim/lock.h"

namespace model::ftrace_rb {
namespace {

using nlohmann::json;
using I64 = std::int64_t;

const std::vector<std::string> kOps = {"write",  "reserve", "commit",     "consume", "read_page",    "map",          "mmap",
                                       "unmap",  "get_reader", "resize", "reset",   "subbuf_order", "snapshot_arm", "snapshot_swap",
                                       "read_meta", "reset_all", "reset_online"};
constexpr int kPoolPage = 4096;  // the kernel source keeps a sub-buffer of any order in one pool page
constexpr std::size_t kMaxOrderPages = 4096;  // the model's pages made before the run for order changes

struct Op {
  std::string name;
  json source;
  U32 len = 0;
  U64 offset = 0, bytes = 0;  // mmap: file offset and length in bytes
  bool write = false;         // mmap: PROT_WRITE
  int order = 0;              // subbuf_order
  int cpu = 0;                // the per-CPU buffer the op works on
};

class ExecWorkload final : public sim::Workload {
 public:
  ExecWorkload(Params p, Variant v, const kernel::Source* kernel, int cpus, bool snapshot, std::size_t spare_pages, U32 spare_size,
               std::function<void(ExecWorkload&)> body)
      : p_(p), v_(v), kernel_(kernel), cpus_(cpus), snapshot_(snapshot), spare_pages_(spare_pages), spare_size_(spare_size),
        body_(std::move(body)) {}
  void build(sim::Sim& s) override {
    if (cpus_ > 1) s.set_cpus(cpus_);
    bufs.clear();
    if (kernel_) {
      auto made = make_kernel_buffers(s, p_, cpus_, *kernel_, snapshot_);
      for (int c = 0; c < cpus_; ++c) bufs.push_back(std::move(made[static_cast<std::size_t>(c)]));
      if (snapshot_) snap = std::move(made.back());
    } else {
      auto model_buf = [&](const std::string& name) {
        auto b = std::make_unique<CpuBuffer>(s, p_, v_, name);
        if (spare_pages_) b->reserve_order_pages(spare_pages_, spare_size_);
        return b;
      };
      for (int c = 0; c < cpus_; ++c) bufs.push_back(model_buf("cpu" + std::to_string(c)));
      if (snapshot_) snap = model_buf("max.cpu0");
    }
    s.add_task("exec", 0, [this] { body_(*this); });
    // The writers of the other CPUs: ring_buffer_lock_reserve writes to the running CPU's buffer,
    // so a write on CPU k is done by a task on CPU k. The exec task hands it the write and sleeps
    // until it is done; with every other task asleep, the all-zeros schedule runs that one.
    if (cpus_ > 1) {
      driver_wq = std::make_unique<sim::WaitQueue>(s, "exec.driver");
      cmds.assign(static_cast<std::size_t>(cpus_), Cmd{});
      helper_wq.clear();
      for (int c = 1; c < cpus_; ++c) {
        helper_wq.push_back(std::make_unique<sim::WaitQueue>(s, "exec.cpu" + std::to_string(c)));
        s.add_task("writer" + std::to_string(c), c, [this, c] { helper(c); });
      }
    }
  }
  void reset(sim::Sim&) override {
    for (auto& b : bufs) b->reset_ghost();
    if (snap) snap->reset_ghost();
    std::fill(cmds.begin(), cmds.end(), Cmd{});
    stop = false;
  }
  /// A write on `cpu` (reserve, fill, commit) from a task on that CPU.
  Slot write_on(int cpu, U32 len, U64 id) {
    if (cpu == 0) return write(*bufs[0], len, id);
    Cmd& c = cmds[static_cast<std::size_t>(cpu)];
    c = Cmd{true, false, len, id, Slot{}, nullptr};
    helper_wq[static_cast<std::size_t>(cpu - 1)]->wake_up();
    driver_wq->wait_event([&c] { return c.done; });
    if (c.error) std::rethrow_exception(c.error);
    return c.slot;
  }
  /// The exec task's end: the other CPUs' writers return.
  void finish() {
    stop = true;
    for (auto& q : helper_wq) q->wake_up();
  }
  static Slot write(RingApi& b, U32 len, U64 id) {
    Slot sl = b.lock_reserve(len, id);
    if (sl.ok) {
      std::vector<std::uint8_t> body(len, static_cast<std::uint8_t>(id));
      b.write_event(sl, body.data(), len, id);
      b.unlock_commit();
    }
    return sl;
  }
  std::vector<RingApi*> all() {
    std::vector<RingApi*> v;
    for (auto& b : bufs) v.push_back(b.get());
    return v;
  }
  std::vector<std::unique_ptr<RingApi>> bufs;  // the main trace_buffer's per-CPU buffers
  std::unique_ptr<RingApi> snap;  // tr->max_buffer's per-CPU buffer (params.snapshot, one CPU)
  int snapshot_armed = 0;         // trace.c's tr->snapshot

 private:
  struct Cmd {
    bool pending = false, done = false;
    U32 len = 0;
    U64 id = 0;
    Slot slot;
    std::exception_ptr error;
  };
  void helper(int cpu) {
    Cmd& c = cmds[static_cast<std::size_t>(cpu)];
    for (;;) {
      helper_wq[static_cast<std::size_t>(cpu - 1)]->wait_event([&] { return c.pending || stop; });
      if (!c.pending) return;
      c.pending = false;
      try {
        c.slot = write(*bufs[static_cast<std::size_t>(cpu)], c.len, c.id);
      } catch (const boost::context::detail::forced_unwind&) {
        throw;
      } catch (const std::exception&) {
        c.error = std::current_exception();
      }
      c.done = true;
      driver_wq->wake_up();
    }
  }
  Params p_;
  Variant v_;
  const kernel::Source* kernel_;
  int cpus_;
  bool snapshot_;
  std::size_t spare_pages_;
  U32 spare_size_;
  std::function<void(ExecWorkload&)> body_;
  std::vector<Cmd> cmds;
  std::unique_ptr<sim::WaitQueue> driver_wq;
  std::vector<std::unique_ptr<sim::WaitQueue>> helper_wq;
  bool stop = false;
};

json state_json(RingApi& b, bool with_meta = true) {
  json pages = json::array();
  auto page = [&](int i) {
    auto s = b.page_state(i);
    pages.push_back(json{{"index", s.index}, {"id", s.id}, {"write", s.write}, {"entries", s.entries}, {"commit", s.commit},
                         {"real_end", s.real_end}, {"read", s.read}, {"next", s.next},
                         {"flag", s.next_flag == kHead ? "HEAD" : s.next_flag == kUpdate ? "UPDATE" : "NORMAL"}});
  };
  // ring order from the page after the one whose next carries HEAD, found without steps (pages
  // below first_live_page were freed by a sub-buffer order change)
  const int first = b.first_live_page();
  int head = -1;
  for (int i = first; i < b.pages_total(); ++i)
    if (i != b.reader_page() && b.page_state(i).next_flag == kHead) head = static_cast<int>(b.page_state(i).next);
  int p = head < 0 ? first : head;
  for (int n = first; n < b.pages_total() - 1; ++n, p = static_cast<int>(b.page_state(p).next)) page(p);
  page(b.reader_page());
  auto k = b.counters();
  json out{{"head", head}, {"tail", b.tail_page()}, {"commit", b.commit_page()}, {"reader", b.reader_page()}, {"pages", pages},
           {"counters", {{"entries", k.entries}, {"overrun", k.overrun}, {"commit_overrun", k.commit_overrun},
                         {"dropped_events", k.dropped_events}, {"entries_bytes", k.entries_bytes}, {"read", k.read},
                         {"read_bytes", k.read_bytes}, {"pages_touched", k.pages_touched}, {"pages_lost", k.pages_lost},
                         {"pages_read", k.pages_read}, {"lost_events", k.lost_events}, {"committing", k.committing}}},
           {"subbuf_order", b.subbuf_order()}};
  if (with_meta && b.mapped()) {
    auto m = [&](MetaField f) { return b.meta_peek(f); };
    out["meta"] = json{{"meta_page_size", m(MetaField::MetaPageSize)}, {"meta_struct_len", m(MetaField::MetaStructLen)},
                       {"subbuf_size", m(MetaField::SubbufSize)}, {"nr_subbufs", m(MetaField::NrSubbufs)}, {"flags", m(MetaField::Flags)},
                       {"reader", {{"id", m(MetaField::ReaderId)}, {"read", m(MetaField::ReaderRead)}, {"lost_events", m(MetaField::ReaderLostEvents)}}},
                       {"entries", m(MetaField::Entries)}, {"overrun", m(MetaField::Overrun)}, {"read", m(MetaField::Read)}, {"mapped", b.mapped()}};
  }
  return out;
}

// The state after an op: one CPU's at the top level (with the snapshot buffer's under
// "snapshot"), or with "cpus" > 1 {"cpus": [each CPU's]}.
json state_of(ExecWorkload& w) {
  if (w.bufs.size() == 1) {
    json st = state_json(*w.bufs[0]);
    if (w.snap) st["snapshot"] = state_json(*w.snap, false);
    return st;
  }
  json a = json::array();
  for (auto& b : w.bufs) a.push_back(state_json(*b));
  return json{{"cpus", std::move(a)}};
}

}  // namespace

json ftrace_rb_exec(const json& input, const std::string& file, const kernel::Source* kernel) {
  return exec_document(input, file, [kernel](const json& in, OpSource& ops, const std::string& f, ExecOutput& out) {
    ftrace_rb_exec_stream(in, ops, f, out, kernel);
  });
}

void ftrace_rb_exec_stream(const json& input, OpSource& ops, const std::string& file, ExecOutput& output,
                           const kernel::Source* kernel) {
  scenario::JsonReader top(input, "", file);
  Params p;
  std::string variant = "mainline";
  bool snapshot = false;
  int cpus = 1;
  if (const json* about = top.get("about"); about && !about->is_string())
    scenario::json_fail(file, "about", std::string("must be a string, not ") + scenario::json_type_name(*about));
  if (const json* pj = top.get("params")) {
    scenario::JsonReader r(*pj, "params", file);
    p.subbuf_size = static_cast<U32>(r.integer("subbuf_size", 64, 16, 1 << 20));
    if (p.subbuf_size % 4) r.fail("subbuf_size", "must be a multiple of 4");
    p.nr_pages = static_cast<U32>(r.integer("nr_subbufs", 4, 2, 64));
    p.overwrite = r.string("mode", std::string("overwrite"), {"overwrite", "no-overwrite"}) == "overwrite";
    std::vector<std::string> names;
    for (auto& v : variants()) names.push_back(v.name);
    variant = r.string("variant", std::string("mainline"), names);
    snapshot = r.boolean("snapshot", false);
    cpus = static_cast<int>(r.integer("cpus", 1, 1, 4));
    if (snapshot && cpus > 1) r.fail("snapshot", "the snapshot buffer is modelled with one CPU (\"cpus\": 1)");
    r.done();
  }
  const json* oj = top.get("ops");
  if (!oj) scenario::json_fail(file, "ops", "missing required field");
  top.done();
  if (!oj->is_array()) scenario::json_fail(file, "ops", std::string("must be an array, not ") + scenario::json_type_name(*oj));
  // One op of the file (index i); `open` counts reservations not yet committed.
  auto parse_op = [&](const json& j, std::size_t i, int& open) {
    scenario::JsonReader r(j, "ops[" + std::to_string(i) + "]", file);
    Op op;
    op.source = j;
    op.name = r.string("op", std::nullopt, kOps);
    const bool per_cpu = op.name == "write" || op.name == "consume" || op.name == "read_page" || op.name == "map" ||
                         op.name == "mmap" || op.name == "unmap" || op.name == "get_reader" || op.name == "reset" ||
                         op.name == "read_meta";
    if (per_cpu) op.cpu = static_cast<int>(r.integer("cpu", 0, 0, cpus - 1));
    if (op.name == "reserve" || op.name == "commit") {
      if (r.get("cpu") && r.integer("cpu", 0, 0, 1 << 20) != 0)
        r.fail("cpu", op.name + " runs on CPU 0 only (the exec task's CPU; another CPU's writer writes whole events: write)");
    }
    if (cpus > 1 && (op.name == "subbuf_order" || op.name == "resize"))
      r.fail("op", op.name + " works on the whole trace_buffer: expressed with one CPU only (\"cpus\": 1)");
    if (op.name == "write" || op.name == "reserve") op.len = static_cast<U32>(r.integer("len", std::nullopt, 0, 1 << 20));
    if (op.name == "reserve") ++open;
    if (op.name == "mmap") {
      op.offset = static_cast<U64>(r.integer("offset", 0, 0, 1 << 30));
      op.bytes = static_cast<U64>(r.integer("len", std::nullopt, 0, 1 << 30));
      op.write = r.boolean("write", false);
    }
    if (op.name == "read_meta") {
      op.offset = static_cast<U64>(r.integer("offset", 0, 0, 1 << 20));
      op.bytes = static_cast<U64>(r.integer("len", std::nullopt, 4, 1 << 20));
      if (op.offset % 4) r.fail("offset", "must be a multiple of 4 (the meta page is read as ints)");
      if (op.bytes % 4) r.fail("len", "must be a multiple of 4 (the meta page is read as ints)");
    }
    if (op.name == "commit" && open-- == 0) r.fail("op", "commit with no open reservation");
    if (op.name == "write" && op.cpu != 0 && open > 0)
      r.fail("cpu", "a write on another CPU while CPU 0 has an open reservation: the exec task would sleep with preemption off");
    if ((op.name == "reset" || op.name == "reset_all" || op.name == "reset_online" || op.name == "subbuf_order") && open > 0)
      r.fail("op", op.name + " with an open reservation: its synchronize_rcu would wait for this task's own commit");
    if ((op.name == "snapshot_arm" || op.name == "snapshot_swap") && !snapshot)
      r.fail("op", op.name + " needs \"snapshot\": true in params (the snapshot buffer)");
    if (op.name == "subbuf_order") {
      op.order = static_cast<int>(r.integer("order", std::nullopt, -1, 20));
      const U64 psize = op.order < 0 ? 0 : (U64{p.subbuf_size} + kBufPageHdrSize) << op.order;
      if (psize > kPoolPage && psize <= kWriteMask + 1)
        r.fail("order", "a sub-buffer of " + std::to_string(psize) + " bytes: at most 4096 (the kernel source keeps each in one 4 KiB pool page)");
    }
    r.done();
    return op;
  };
  // The model's pages for sub-buffer order changes are made before the run: at most
  // max(2, bytes / capacity) + 1 per change, where the ring's bytes grow by less than two
  // sub-buffers per change (the rounding up and the two-page minimum).
  std::size_t spare_pages = 0;
  U32 spare_size = 0;
  {  // every op is checked before any runs
    json j;
    int open = 0;
    std::size_t n = 0;
    std::vector<U64> caps;
    ops.rewind();
    for (; ops.next(j); ++n) {
      const Op op = parse_op(j, n, open);
      if (op.name == "subbuf_order" && op.order >= 0) {
        const U64 psize = (U64{p.subbuf_size} + kBufPageHdrSize) << op.order;
        if (psize <= kPoolPage) caps.push_back(psize - kBufPageHdrSize);
      }
    }
    if (open > 0)
      scenario::json_fail(file, "ops", std::to_string(open) + " reservation(s) left open at the end (every reserve needs a commit)");
    U64 bytes = U64{p.subbuf_size} * p.nr_pages;
    for (U64 c : caps) bytes += 2 * c;
    for (U64 c : caps) {
      spare_pages += static_cast<std::size_t>(std::max<U64>(2, (bytes + c - 1) / c) + 1);
      spare_size = std::max(spare_size, static_cast<U32>(c));
      if (spare_pages > kMaxOrderPages)
        scenario::json_fail(file, "ops", "the sub-buffer order changes could need more than " + std::to_string(kMaxOrderPages) +
                                             " new pages (fewer subbuf_order ops, or larger sub-buffers)");
    }
  }
  json out{{"model", "ftrace_rb"},
           {"source", kernel ? "kernel" : "model"},
           {"params", {{"subbuf_size", p.subbuf_size}, {"nr_subbufs", p.nr_pages}, {"mode", p.overwrite ? "overwrite" : "no-overwrite"}, {"variant", variant}}}};
  if (snapshot) out["params"]["snapshot"] = true;
  if (cpus > 1) out["params"]["cpus"] = cpus;
  StepList steps(output);
  steps.begin(out);
  std::exception_ptr error;
  sim::Sim::Config cfg;
  cfg.step_bound = 10'000'000;
  sim::Sim s(cfg);
  ExecWorkload w(p, find_variant(variant)->kernel, kernel, cpus, snapshot, spare_pages, spare_size, [&](ExecWorkload& ew) {
    try {
      U64 next_id = 1;
      std::vector<std::pair<Slot, std::pair<U64, U32>>> open_slots;
      auto slot_json = [](const Slot& sl) {
        static const char* fails[] = {"", "too-big", "dropped", "commit-overrun", "warn"};
        return json{{"ok", sl.ok}, {"page", sl.page}, {"offset", sl.offset}, {"length", sl.length}, {"fail", fails[static_cast<int>(sl.fail)]}};
      };
      int open = 0;
      json opj;
      ops.rewind();
      for (std::size_t i = 0; ops.next(opj); ++i) {
        const Op op = parse_op(opj, i, open);
        steps.push_back(json{{"op", op.source}});
        RingApi& b = *ew.bufs[static_cast<std::size_t>(op.cpu)];  // the main buffer's (a snapshot swap changes cpu 0's)
        json ret;
        if (op.name == "write" || op.name == "reserve") {
          const U64 id = next_id++;
          if (op.name == "reserve") {
            Slot sl = b.lock_reserve(op.len, id);
            ret = slot_json(sl);
            open_slots.push_back({sl, {id, op.len}});
          } else {
            ret = slot_json(ew.write_on(op.cpu, op.len, id));
          }
          ret["id"] = id;
        } else if (op.name == "commit") {
          auto [sl, il] = open_slots.back();
          open_slots.pop_back();
          if (sl.ok) {
            std::vector<std::uint8_t> body(il.second, static_cast<std::uint8_t>(il.first));
            b.write_event(sl, body.data(), il.second, il.first);
            b.unlock_commit();
          }
          ret = json{{"id", il.first}, {"committed", sl.ok}};
        } else if (op.name == "consume") {
          auto ev = b.consume();
          ret = ev ? json{{"id", ev->tags.empty() ? 0 : sim::tag_id(ev->tags[0])}, {"len", ev->body.size()}, {"lost", ev->lost}} : json(nullptr);
        } else if (op.name == "read_page") {
          auto pr = b.read_page();
          json ids = json::array();
          for (auto& ev : pr.events) ids.push_back(ev.tags.empty() ? 0 : sim::tag_id(ev.tags[0]));
          ret = json{{"ret", pr.ret}, {"ids", ids}, {"missed", pr.missed}};
        } else if (op.name == "map") {
          // trace.c's tracing_buffers_mmap: get_snapshot_map refuses while a snapshot is armed
          ret = json{{"ret", ew.snapshot_armed ? -kEBUSY : b.map()}};
        } else if (op.name == "mmap") {
          // mmap(2): the offset must be page aligned (a page: the subject's PAGE_SIZE, the
          // order-0 sub-buffer with its header), the length is rounded up to pages.
          const U64 page = U64{p.subbuf_size} + kBufPageHdrSize;
          ret = op.offset % page ? json{{"ret", -kEINVAL}}
                : ew.snapshot_armed ? json{{"ret", -kEBUSY}}
                                    : json{{"ret", b.map_range(op.offset / page, (op.bytes + page - 1) / page, op.write)}};
        } else if (op.name == "reset") {
          b.reset_cpu();
          ret = json::object();
        } else if (op.name == "reset_all" || op.name == "reset_online") {
          ew.bufs[0]->reset_all_cpus(op.name == "reset_online", ew.all());
          ret = json::object();
        } else if (op.name == "subbuf_order") {
          ret = json{{"ret", b.subbuf_order_set(op.order)}};
        } else if (op.name == "snapshot_arm") {
          // trace.c's tracing_arm_snapshot_locked (a "snapshot" trigger): -EBUSY while mapped
          if (b.mapped()) ret = json{{"ret", -kEBUSY}};
          else {
            ++ew.snapshot_armed;
            ret = json{{"ret", 0}};
          }
        } else if (op.name == "snapshot_swap") {
          // writing 1 to per_cpu/cpu0/snapshot: tracing_arm_snapshot_locked (-EBUSY while
          // mapped), update_max_tr_single's ring_buffer_swap_cpu(max, main, cpu), disarm
          if (b.mapped()) ret = json{{"ret", -kEBUSY}};
          else {
            const int swap = b.swap_cpu(*ew.snap);
            if (swap == 0) std::swap(ew.bufs[0], ew.snap);
            ret = json{{"ret", 0}, {"swap", swap}};
          }
        } else if (op.name == "read_meta") {
          // user space's int loads through its offset-0 mapping (map_test.c's meta-page padding check)
          if (!b.mapped()) {
            ret = json{{"ret", -14}};  // nothing mapped at offset 0: the load would fault
          } else {
            const U64 size = b.meta_peek(MetaField::MetaPageSize);
            if (op.offset + op.bytes > size)
              scenario::json_fail(file, "ops[" + std::to_string(i) + "].len",
                                  "bytes [" + std::to_string(op.offset) + ", " + std::to_string(op.offset + op.bytes) +
                                      ") run past the meta page (meta_page_size " + std::to_string(size) +
                                      "); sub-buffers are read by the scenarios' mapped reader");
            std::vector<std::uint8_t> bytes(op.bytes);
            if (!b.read_meta(op.offset, op.bytes, bytes.data())) throw std::logic_error("read_meta refused a mapped range");
            json words = json::array();
            U64 nonzero = 0;
            json first_nonzero = nullptr;
            for (U64 at = 0; at < op.bytes; at += 4) {
              const U32 word = U32{bytes[at]} | U32{bytes[at + 1]} << 8 | U32{bytes[at + 2]} << 16 | U32{bytes[at + 3]} << 24;
              if (word && !nonzero++) first_nonzero = op.offset + at;
              if (op.bytes <= 256) words.push_back(word);
            }
            ret = json{{"ret", 0}, {"nonzero_words", nonzero}, {"first_nonzero", first_nonzero}};
            if (op.bytes <= 256) ret["words"] = words;
          }
        } else if (op.name == "unmap") {
          ret = json{{"ret", b.unmap()}};
        } else if (op.name == "get_reader") {
          ret = json{{"ret", b.map_get_reader()}};
        } else {
          ret = json{{"ret", b.resize_check()}};
        }
        steps.back()["return"] = ret;
        steps.back()["state"] = state_of(ew);
      }
    } catch (const boost::context::detail::forced_unwind&) {
      throw;
    } catch (const std::exception&) {
      error = std::current_exception();
    }
    ew.finish();
  });
  sim::ExecResult r = run_ops_once(s, w, error);
  if (r.violation && !steps.empty() && !steps.back().contains("state")) steps.back()["state"] = state_of(w);
  if (r.violation)
    out["violation"] = json{{"property", std::string(sim::property_name(r.violation->property))}, {"message", r.violation->message}};
  steps.end(out);
}

}  // namespace model::ftrace_rb
