// model/perf_buf/parse.cpp — scenario sections → Config (format in workload.h), and the variant
// table.
#include "model/exec_support.h"
#include "model/perf_buf/config.h"

namespace model::perf_buf {

const std::vector<NamedVariant>& variants() {
  static const std::vector<NamedVariant> all = [] {
    std::vector<NamedVariant> v;
    Variant k;
    v.push_back({"mainline",
                 "kernel/events/ring_buffer.c as in 6.12: the outermost writer publishes data_head, decrements "
                 "rb->nest only after publishing (1b038c6e05ff) and reloads rb->head only after setting rb->nest "
                 "again (3f9fbe9bd86c)",
                 k});
    Variant nest = k;
    nest.head_load_after_nest = false;
    v.push_back({"pre-3f9fbe9bd86c",
                 "after 1b038c6e05ff, before 3f9fbe9bd86c 'perf/ring_buffer: Add ordering to rb->nest increment' "
                 "(May 2019): on the `goto again` path the load of rb->head may happen before local_inc(&rb->nest), "
                 "so an IRQ/NMI in between publishes a newer head that the retry then takes back",
                 nest});
    Variant dec = nest;
    dec.nest_dec_after_publish = false;
    v.push_back({"pre-1b038c6e05ff",
                 "before 1b038c6e05ff 'perf/ring_buffer: Fix exposing a temporarily decreased data_head' (May "
                 "2019; the code since ef60777c9abd, 2010): local_dec_and_test(&rb->nest) before the store of "
                 "data_head, so an IRQ/NMI between them publishes head A and the interrupted writer then stores "
                 "its older head B < A",
                 dec});
    Variant wmb = dec;
    wmb.publish_after_wmb = false;
    v.push_back({"pre-bf378d341e48",
                 "before bf378d341e48 'perf: Fix perf ring buffer memory ordering' (Oct 2013): "
                 "perf_output_put_handle stores data_head with no smp_wmb() (B) before it (it relied on the "
                 "barrier of local_dec_and_test(&rb->nest), which a local_t does not imply), and after the load "
                 "of data_tail an smp_rmb() (A); a reader on another CPU can see the new data_head and then "
                 "older bytes of the record (--memory-model lkmm; x86's tso keeps store order)",
                 wmb});
    Variant fix = k;
    fix.wakeup_load_before_nest = true;
    v.push_back({"candidate-wakeup-before-nest",
                 "not in any kernel: mainline with perf_output_get_handle reading rb->wakeup before it increments "
                 "rb->nest (the candidate fix for refused_sample_swallows_nested_wakeups.toml; "
                 "scripts/kernel-demo-patches.sh's perf-wakeup-before-nest.patch for --source kernel)",
                 fix});
    Variant rmb = k;
    rmb.reader_head_acquire = false;
    v.push_back({"pre-556e0a0def95",
                 "the kernel as mainline, libbpf's perf buffer reader before libbpf/libbpf 556e0a0def95 'bpf: sync "
                 "with latest bpf-next tree (#5)' (Nov 2018, which brought ring_buffer_read_head/ring_buffer_write_tail "
                 "into bpf_perf_event_read_simple): data_head read through a volatile pointer with only a compiler "
                 "barrier after it ('in real code it should be smp_rmb()'), no (C); the records' loads may see bytes "
                 "older than that head (--memory-model lkmm; x86's tso keeps loads in order)",
                 rmb});
    return v;
  }();
  return all;
}

const NamedVariant* find_variant(const std::string& name) { return find_named(variants(), name); }

Config parse(const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root) {
  using scenario::Value;
  Config c;
  const std::string& f = spec.file;
  c.variant = find_variant(variant)->v;
  if (const Value* pv = root.table("params")) {
    scenario::TableReader p(*pv, "params", f);
    c.params.nr_pages = static_cast<std::uint32_t>(p.integer("nr_pages", 1, 0, 1 << 20));
    c.params.wakeup_events = static_cast<std::uint32_t>(p.integer("wakeup_events", 1, 0, 1 << 20));
    c.params.wakeup_watermark = static_cast<std::uint32_t>(p.integer("wakeup_watermark", 0, 0, 1 << 30));
    c.params.write_backward = p.boolean("write_backward", false);
    c.params.overwrite = p.boolean("overwrite", false);
    c.bpf_nest_limit = static_cast<int>(p.integer("bpf_nest_limit", 3, 1, 4));
    p.done();
  }
  std::string why;
  if (PerfBuffer::validate(c.params, &why)) {
    const Value* pv = spec.root.find("params");
    root.fail(pv ? pv->pos : root.pos(), "params: " + why);
  }
  c.cpus = parse_cpu_count(root, f);
  int pi = 0;
  for (const Value* pv : root.tables("producer")) {
    const std::string path = "producer[" + std::to_string(pi) + "]";
    scenario::TableReader w(*pv, path, f);
    Producer p;
    p.cpu = parse_cpu(w, c.cpus, path);
    const std::string ctx = w.string("context", std::string("task"), {"task", "softirq", "hardirq", "nmi"});
    p.ctx = ctx == "nmi" ? sim::Ctx::Nmi : ctx == "hardirq" ? sim::Ctx::Hardirq : ctx == "softirq" ? sim::Ctx::Softirq : sim::Ctx::Task;
    p.name = ctx + "-prog" + std::to_string(pi);
    p.fires = static_cast<std::uint32_t>(w.integer("fires", 1, 1, 10000));
    if (p.ctx == sim::Ctx::Task && w.get("fires")) w.fail(w.get("fires")->pos, path + ".fires applies to interrupt contexts only");
    p.messages = parse_messages(w, f, Messages{1, 16, 16}, 60000);
    w.done();
    c.producers.push_back(p);
    ++pi;
  }
  if (c.producers.empty()) root.fail(root.pos(), "a perf_buf scenario needs at least one [[producer]]");
  int ri = 0;
  std::vector<int> read(static_cast<std::size_t>(c.cpus), 0);
  for (const Value* rv : root.tables("reader")) {
    const std::string path = "reader[" + std::to_string(ri++) + "]";
    scenario::TableReader w(*rv, path, f);
    Reader r;
    r.cpu = parse_cpu(w, c.cpus, path);
    r.buffer = parse_index(w, "buffer", c.cpus, "CPU buffer", path);
    const std::string kind = w.string("kind", std::string("read_simple"), {"read_simple", "snapshot"});
    r.kind = kind == "snapshot" ? Reader::Kind::Snapshot : Reader::Kind::ReadSimple;
    r.pause_live = w.string("pause", std::string("after-stop"), {"after-stop", "live"}) == "live";
    if (r.kind == Reader::Kind::ReadSimple && (c.params.overwrite || c.params.write_backward))
      w.fail(w.pos(), path + ": kind = \"read_simple\" needs a forward buffer on a writable mapping (overwrite = false, "
                             "write_backward = false); use kind = \"snapshot\"");
    if (r.kind == Reader::Kind::Snapshot && !(c.params.overwrite && c.params.write_backward))
      w.fail(w.pos(), path + ": kind = \"snapshot\" reads a backward overwrite buffer (overwrite = true, write_backward = true)");
    if (read[static_cast<std::size_t>(r.buffer)]++)
      w.fail(w.pos(), path + ".buffer = " + std::to_string(r.buffer) + ": that CPU's buffer already has a reader");
    w.done();
    c.readers.push_back(r);
  }
  if (!c.readers.empty())
    for (auto& p : c.producers)
      if (!read[static_cast<std::size_t>(p.cpu)])
        root.fail(root.pos(), "CPU " + std::to_string(p.cpu) + "'s buffer has a program but no [[reader]] (give every written buffer a reader, or none)");
  c.allow_lost_wakeup = root.string("lost_wakeup", std::string("violation"), {"violation", "allowed"}) == "allowed";
  root.done();
  return c;
}

}  // namespace model::perf_buf
