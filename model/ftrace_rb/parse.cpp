// model/ftrace_rb/parse.cpp — scenario sections → Config (format in workload.h), and the variant
// table.
#include "model/exec_support.h"
#include "model/ftrace_rb/config.h"

namespace model::ftrace_rb {

const std::vector<NamedVariant>& variants() {
  static const std::vector<NamedVariant> all = [] {
    std::vector<NamedVariant> v;
    Variant k;
    v.push_back({"mainline",
                 "kernel/trace/ring_buffer.c as of 6.16: lockless writers with HEAD/UPDATE flags, committing/commits, "
                 "rb_get_reader_page swap, mmap with missed events stored in the reader sub-buffer (fe832be05a8e) and "
                 "no WARN on a commit overrun in GET_READER",
                 k});
    Variant warn = k;
    warn.commit_overrun_no_warn = false;
    v.push_back({"pre-commit-overrun-warn-fix",
                 "6.10-6.15, before \"ring-buffer: Do not trigger WARN_ON() due to a commit_overrun\" (2025): "
                 "ring_buffer_map_get_reader WARNs whenever the new reader page is the commit page with missed "
                 "events, which an interrupt storm over a stalled writer makes legal",
                 warn});
    Variant pre = k;
    pre.map_missed_events = false;
    v.push_back({"pre-mmap-missed-events",
                 "117c39200d9d as merged, before fe832be05a8e \"Have mmapped ring buffer keep track of missed events\": "
                 "GET_READER leaves lost_events uncleared and nothing on the page, so meta.reader.lost_events repeats a "
                 "stale count on later swaps",
                 pre});
    Variant any = k;
    any.outermost_commit = false;
    v.push_back({"every-commit-publishes",
                 "not a historical variant (renamed from pre-commit-counters, issue 15): every commit, nested or not, "
                 "publishes up to the write index, so an interrupt's commit exposes the interrupted writer's reserved but "
                 "unwritten event. The 2009 race fa7439531dee fixed was in the commit-pointer accounting of the code before "
                 "it (an outer writer assuming it owned the commit after a nested writer moved tail and commit), which this "
                 "knob does not rebuild",
                 any});
    return v;
  }();
  return all;
}

const NamedVariant* find_variant(const std::string& name) { return find_named(variants(), name); }

Config parse(const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root) {
  using scenario::Value;
  Config c;
  const std::string& f = spec.file;
  c.variant = find_variant(variant)->kernel;
  if (const Value* pv = root.table("params")) {
    scenario::TableReader p(*pv, "params", f);
    c.params.subbuf_size = static_cast<U32>(p.integer("subbuf_size", 64, 16, 1 << 20));
    if (c.params.subbuf_size % 4) p.fail_key("subbuf_size", "must be a multiple of 4");
    c.params.nr_pages = static_cast<U32>(p.integer("nr_subbufs", 4, 2, 64));
    c.params.overwrite = p.string("mode", std::string("overwrite"), {"overwrite", "no-overwrite"}) == "overwrite";
    p.done();
  }
  c.cpus = parse_cpu_count(root, f);
  int wi = 0;
  for (const Value* wv : root.tables("writer")) {
    const std::string path = "writer[" + std::to_string(wi) + "]";
    scenario::TableReader w(*wv, path, f);
    Writer x;
    x.cpu = parse_cpu(w, c.cpus, path);
    const std::string ctx = w.string("context", std::string("task"), {"task", "softirq", "hardirq", "nmi"});
    x.ctx = ctx == "nmi" ? sim::Ctx::Nmi : ctx == "hardirq" ? sim::Ctx::Hardirq : ctx == "softirq" ? sim::Ctx::Softirq : sim::Ctx::Task;
    x.name = ctx + "-writer" + std::to_string(wi);
    x.fires = static_cast<std::uint32_t>(w.integer("fires", 1, 1, 1000));
    if (x.ctx == sim::Ctx::Task && w.has("fires")) w.fail_key("fires", "is for interrupt writers only");
    x.messages = parse_messages(w, f, Messages{1, 8, 8}, 1u << 20);
    w.done();
    c.writers.push_back(x);
    ++wi;
  }
  if (c.writers.empty()) root.fail(root.pos(), "an ftrace_rb scenario needs at least one [[writer]]");
  int ri = 0;
  std::vector<int> per_buffer(static_cast<std::size_t>(c.cpus), 0);
  for (const Value* rv : root.tables("reader")) {
    const std::string path = "reader[" + std::to_string(ri++) + "]";
    scenario::TableReader r(*rv, path, f);
    Reader x;
    const std::string kind = r.string("kind", std::string("consume"), {"consume", "read_page", "mmap"});
    x.kind = kind == "mmap" ? Reader::Kind::Mmap : kind == "read_page" ? Reader::Kind::ReadPage : Reader::Kind::Consume;
    x.buffer = parse_index(r, "buffer", c.cpus, "CPU buffer", path);
    x.cpu = parse_cpu(r, c.cpus, path);
    x.after_writers = r.string("start", std::string("live"), {"live", "after-writers"}) == "after-writers";
    x.pause = static_cast<std::uint32_t>(r.integer("pause", 0, 0, 1000));
    x.maps = static_cast<int>(r.integer("maps", 1, 1, 8));
    x.poll = r.string("wait", std::string("yield"), {"yield", "poll"}) == "poll";
    if (x.kind != Reader::Kind::Mmap && r.has("maps")) r.fail_key("maps", "is for kind = \"mmap\" only");
    r.done();
    if (per_buffer[static_cast<std::size_t>(x.buffer)]++)
      r.fail(r.pos(), path + ": buffer " + std::to_string(x.buffer) +
                          " already has a reader (two consumers of one buffer are \"unpredictable\" by design)");
    c.readers.push_back(x);
  }
  root.done();
  return c;
}

}  // namespace model::ftrace_rb
