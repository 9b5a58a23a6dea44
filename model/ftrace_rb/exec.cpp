// model/ftrace_rb/exec.cpp — see exec.h.
#include "model/exec_support.h"
#include "model/ftrace_rb/exec.h"

#include <boost/context/fiber.hpp>

#include <algorithm>
#include <memory>

#include "model/ftrace_rb/config.h"
#include "model/ftrace_rb/kernel_ring.h"
#include "scenarios/json_reader.h"
#include "sim/choice.h"

namespace model::ftrace_rb {
namespace {

using nlohmann::json;
using I64 = std::int64_t;

const std::vector<std::string> kOps = {"write",  "reserve", "commit",     "consume", "read_page",    "map",          "mmap",
                                       "unmap",  "get_reader", "resize", "reset",   "subbuf_order", "snapshot_arm", "snapshot_swap"};
constexpr int kPoolPage = 4096;  // the kernel source keeps a sub-buffer of any order in one pool page
constexpr std::size_t kMaxOrderPages = 4096;  // the model's pages made before the run for order changes

struct Op {
  std::string name;
  json source;
  U32 len = 0;
  U64 offset = 0, bytes = 0;  // mmap: file offset and length in bytes
  bool write = false;         // mmap: PROT_WRITE
  int order = 0;              // subbuf_order
};

class ExecWorkload final : public sim::Workload {
 public:
  ExecWorkload(Params p, Variant v, const kernel::Source* kernel, bool snapshot, std::size_t spare_pages, U32 spare_size,
               std::function<void(ExecWorkload&)> body)
      : p_(p), v_(v), kernel_(kernel), snapshot_(snapshot), spare_pages_(spare_pages), spare_size_(spare_size), body_(std::move(body)) {}
  void build(sim::Sim& s) override {
    if (kernel_) {
      auto bufs = make_kernel_buffers(s, p_, 1, *kernel_, snapshot_);
      buf = std::move(bufs.front());
      if (snapshot_) snap = std::move(bufs.back());
    } else {
      auto model_buf = [&](const std::string& name) {
        auto b = std::make_unique<CpuBuffer>(s, p_, v_, name);
        if (spare_pages_) b->reserve_order_pages(spare_pages_, spare_size_);
        return b;
      };
      buf = model_buf("cpu0");
      if (snapshot_) snap = model_buf("max.cpu0");
    }
    s.add_task("exec", 0, [this] { body_(*this); });
  }
  void reset(sim::Sim&) override {
    buf->reset_ghost();
    if (snap) snap->reset_ghost();
  }
  std::unique_ptr<RingApi> buf;
  std::unique_ptr<RingApi> snap;  // tr->max_buffer's per-CPU buffer (params.snapshot)
  int snapshot_armed = 0;         // trace.c's tr->snapshot

 private:
  Params p_;
  Variant v_;
  const kernel::Source* kernel_;
  bool snapshot_;
  std::size_t spare_pages_;
  U32 spare_size_;
  std::function<void(ExecWorkload&)> body_;
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
    out["meta"] = json{{"meta_page_size", m(MetaField::MetaPageSize)}, {"subbuf_size", m(MetaField::SubbufSize)}, {"nr_subbufs", m(MetaField::NrSubbufs)},
                       {"reader", {{"id", m(MetaField::ReaderId)}, {"read", m(MetaField::ReaderRead)}, {"lost_events", m(MetaField::ReaderLostEvents)}}},
                       {"entries", m(MetaField::Entries)}, {"overrun", m(MetaField::Overrun)}, {"read", m(MetaField::Read)}, {"mapped", b.mapped()}};
  }
  return out;
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
    if (op.name == "write" || op.name == "reserve") op.len = static_cast<U32>(r.integer("len", std::nullopt, 0, 1 << 20));
    if (op.name == "reserve") ++open;
    if (op.name == "mmap") {
      op.offset = static_cast<U64>(r.integer("offset", 0, 0, 1 << 30));
      op.bytes = static_cast<U64>(r.integer("len", std::nullopt, 0, 1 << 30));
      op.write = r.boolean("write", false);
    }
    if (op.name == "commit" && open-- == 0) r.fail("op", "commit with no open reservation");
    if ((op.name == "reset" || op.name == "subbuf_order") && open > 0)
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
  StepList steps(output);
  steps.begin(out);
  std::exception_ptr error;
  sim::Sim::Config cfg;
  cfg.step_bound = 10'000'000;
  sim::Sim s(cfg);
  ExecWorkload w(p, find_variant(variant)->kernel, kernel, snapshot, spare_pages, spare_size, [&](ExecWorkload& ew) {
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
        RingApi& b = *ew.buf;  // the main buffer's per-CPU buffer (a snapshot swap changes it)
        json ret;
        if (op.name == "write" || op.name == "reserve") {
          const U64 id = next_id++;
          Slot sl = b.lock_reserve(op.len, id);
          ret = slot_json(sl);
          ret["id"] = id;
          if (op.name == "reserve") open_slots.push_back({sl, {id, op.len}});
          else if (sl.ok) {
            std::vector<std::uint8_t> body(op.len, static_cast<std::uint8_t>(id));
            b.write_event(sl, body.data(), op.len, id);
            b.unlock_commit();
          }
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
            if (swap == 0) std::swap(ew.buf, ew.snap);
            ret = json{{"ret", 0}, {"swap", swap}};
          }
        } else if (op.name == "unmap") {
          ret = json{{"ret", b.unmap()}};
        } else if (op.name == "get_reader") {
          ret = json{{"ret", b.map_get_reader()}};
        } else {
          ret = json{{"ret", b.resize_check()}};
        }
        steps.back()["return"] = ret;
        steps.back()["state"] = state_json(*ew.buf);
        if (ew.snap) steps.back()["state"]["snapshot"] = state_json(*ew.snap, false);
      }
    } catch (const boost::context::detail::forced_unwind&) {
      throw;
    } catch (const std::exception&) {
      error = std::current_exception();
    }
  });
  sim::ExecResult r = run_ops_once(s, w, error);
  if (r.violation && !steps.empty() && !steps.back().contains("state")) steps.back()["state"] = state_json(*w.buf);
  if (r.violation)
    out["violation"] = json{{"property", std::string(sim::property_name(r.violation->property))}, {"message", r.violation->message}};
  steps.end(out);
}

}  // namespace model::ftrace_rb
