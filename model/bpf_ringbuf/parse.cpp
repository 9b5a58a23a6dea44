// model/bpf_ringbuf/parse.cpp — scenario sections → Config (format in workload.h), and the
// variant table.
#include "model/exec_support.h"
#include "model/bpf_ringbuf/config.h"

namespace model::bpf_ringbuf {

const std::vector<NamedVariant>& variants() {
  static const std::vector<NamedVariant> all = [] {
    std::vector<NamedVariant> v;
    Variant k;  // every fix in
    v.push_back({"mainline",
                 "current kernel/bpf/ringbuf.c (6.19): pending_pos, rqspinlock with the NMI trylock fallback, "
                 "BPF_F_RB_OVERWRITE; libbpf with int64 counts and INT_MAX caps",
                 k, false});
    Variant rq = k;
    rq.overwrite_supported = false;
    rq.rq_nmi_trylock = false;
    v.push_back({"rqspinlock-era",
                 "6.15-6.18 (a650d38915c1): rqspinlock, same-CPU re-entry fails the reserve (AA detection); NMI "
                 "waiters queue behind other CPUs (before 0d80e7f951be); no overwrite mode",
                 rq, false});
    Variant sp = rq;
    sp.rqspinlock = false;
    v.push_back({"spinlock-era",
                 "6.10-6.14: raw spinlock; NMI uses trylock (NULL on contention), any other same-CPU re-entry "
                 "spins forever (syzbot 'possible deadlock in __bpf_ringbuf_reserve')",
                 sp, false});
    Variant pre24 = sp;
    pre24.pending_pos = false;
    v.push_back({"pre-cve-2024-41009",
                 "before cfa1a2329a69 (June 2024): no pending_pos, only new_prod - consumer_pos <= mask, so a lying "
                 "consumer_pos lets two busy reservations overlap",
                 pre24, false});
    Variant pre21 = pre24;
    pre21.size_check = false;
    v.push_back({"pre-cve-2021-3489",
                 "before 4b81ccebaeee (May 2021): no footprint <= ring size check; with consumer_pos lied ahead a "
                 "record larger than the ring runs past the double mapping",
                 pre21, false});
    v.push_back({"libbpf-int-overflow",
                 "mainline kernel with libbpf before 2a30f9440640 (Apr 2021): int record counts with no cap, so more "
                 "than INT_MAX records in one call wrap to a negative 'error'",
                 k, true});
    NamedVariant plain{"libbpf-plain-consumer-pos",
                       "mainline kernel with a libbpf consumer that publishes consumer_pos with a plain store (WRITE_ONCE) "
                       "instead of smp_store_release: the record's reads are not ordered before the store that frees its "
                       "space (load buffering; Arm, not x86)",
                       k, false};
    plain.libbpf_plain_consumer_pos = true;
    v.push_back(plain);
    return v;
  }();
  return all;
}

const NamedVariant* find_variant(const std::string& name) { return find_named(variants(), name); }

namespace {

using scenario::Value;

}  // namespace

Config parse(const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root) {
  Config c;
  const std::string& f = spec.file;
  const NamedVariant* nv = find_variant(variant);
  c.variant = nv->kernel;
  c.libbpf.int_overflow = nv->libbpf_int_overflow;
  c.libbpf.plain_consumer_pos = nv->libbpf_plain_consumer_pos;
  if (const Value* pv = root.table("params")) {
    scenario::TableReader p(*pv, "params", f);
    c.params.max_entries = static_cast<std::uint32_t>(p.integer("max_entries", 4096, 0, 0xffffffffLL));
    c.params.map_flags = static_cast<std::uint64_t>(p.integer("map_flags", 0, 0, 0xffffffffLL));
    c.rings = static_cast<int>(p.integer("rings", 1, 1, 8));
    c.libbpf.int_bits = static_cast<unsigned>(p.integer("int_bits", 32, 4, 32));
    p.done();
  }
  std::string why;
  if (int err = Ring::validate(c.params, c.variant, &why)) {
    const Value* pv = spec.root.find("params");
    root.fail(pv ? pv->pos : root.pos(),
              "ringbuf_map_alloc fails with " + std::string(err == -kE2BIG ? "-E2BIG" : err == -kENOMEM ? "-ENOMEM" : "-EINVAL") +
                  ": " + why);
  }
  c.cpus = parse_cpu_count(root, f);
  int pi = 0;
  for (const Value* pv : root.tables("producer")) {
    const std::string path = "producer[" + std::to_string(pi) + "]";
    scenario::TableReader w(*pv, path, f);
    Producer p;
    p.cpu = parse_index(w, "cpu", c.cpus, "CPU", path);
    const std::string ctx = w.string("context", std::string("task"), {"task", "softirq", "hardirq", "nmi", "in-lock"});
    p.ctx = ctx == "nmi" ? sim::Ctx::Nmi : ctx == "hardirq" ? sim::Ctx::Hardirq : ctx == "softirq" ? sim::Ctx::Softirq : sim::Ctx::Task;
    p.in_lock = ctx == "in-lock";
    p.name = (p.in_lock ? std::string("inlock") : ctx) + "-prog" + std::to_string(pi);
    p.fires = static_cast<std::uint32_t>(w.integer("fires", 1, 1, 10000));
    if (p.in_lock) {
      const Value* h = w.get("host");
      if (!h) w.fail(w.pos(), "missing required field " + path + ".host (the producer whose locked section it fires in)");
      w.expect_kind("host", *h, Value::Kind::Integer);
      if (h->integer < 0 || h->integer >= pi)
        w.fail(h->pos, path + ".host = " + std::to_string(h->integer) + " must name an earlier producer");
      p.host = static_cast<int>(h->integer);
      if (c.producers[static_cast<std::size_t>(p.host)].in_lock) w.fail(h->pos, path + ".host must not be an in-lock program");
    }
    p.ring = parse_index(w, "ring", c.rings, "ring", path);
    const std::string api = w.string("api", std::string("reserve"), {"reserve", "output", "reserve_dynptr"});
    p.api = api == "output" ? Producer::Api::Output : api == "reserve_dynptr" ? Producer::Api::ReserveDynptr : Producer::Api::Reserve;
    const std::string commit = w.string("commit", std::string("submit"), {"submit", "discard", "mixed"});
    p.commit = commit == "discard" ? Producer::Commit::Discard : commit == "mixed" ? Producer::Commit::Mixed : Producer::Commit::Submit;
    p.flags = static_cast<std::uint64_t>(w.integer("flags", 0, 0, 3));
    p.batch = w.boolean("batch", false);
    p.reverse = w.string("commit_order", std::string("in-order"), {"in-order", "reverse"}) == "reverse";
    p.messages = parse_messages(w, f, Messages{1, 16, 16}, 1u << 26);
    if (p.api == Producer::Api::Output && (p.batch || p.commit != Producer::Commit::Submit))
      w.fail(w.pos(), path + ": api = \"output\" copies and submits at once (no batch, no discard)");
    w.done();
    c.producers.push_back(p);
    ++pi;
  }
  if (c.producers.empty()) root.fail(root.pos(), "a bpf_ringbuf scenario needs at least one [[producer]]");
  int ci = 0;
  for (const Value* cv : root.tables("consumer")) {
    const std::string path = "consumer[" + std::to_string(ci++) + "]";
    scenario::TableReader w(*cv, path, f);
    if (ci > 1) w.fail(w.pos(), "at most one [[consumer]] (one libbpf ring_buffer manages every ring)");
    if (c.params.map_flags & kFRbOverwrite)
      w.fail(w.pos(), "libbpf has no consumer for BPF_F_RB_OVERWRITE rings (none was merged)");
    Consumer k;
    k.cpu = parse_index(w, "cpu", c.cpus, "CPU", path);
    const std::string call = w.string("call", std::string("poll"), {"poll", "consume", "consume_n"});
    k.call = call == "consume" ? Consumer::Call::Consume : call == "consume_n" ? Consumer::Call::ConsumeN : Consumer::Call::Poll;
    k.n = static_cast<std::uint64_t>(w.integer("n", 1, 1, 1 << 30));
    k.timeout = static_cast<int>(w.integer("timeout", -1, -1, 0));
    if (const Value* cb = w.get("callback")) {
      w.expect_kind("callback", *cb, Value::Kind::Table);
      scenario::TableReader cr(*cb, path + ".callback", f);
      k.fail_every = static_cast<std::uint32_t>(cr.integer("fail_every", 0, 0, 100000));
      k.fail_ret = static_cast<int>(cr.integer("ret", -1, -4095, -1));
      cr.done();
    }
    k.after_stop = w.string("start", std::string("live"), {"live", "after-stop"}) == "after-stop";
    k.allow_lost_wakeup = w.string("lost_wakeup", std::string("violation"), {"violation", "allowed"}) == "allowed";
    w.done();
    c.consumers.push_back(k);
  }
  int ui = 0;
  for (const Value* uv : root.tables("user")) {
    const std::string path = "user[" + std::to_string(ui++) + "]";
    scenario::TableReader w(*uv, path, f);
    UserWrite u;
    u.cpu = parse_index(w, "cpu", c.cpus, "CPU", path);
    u.ring = parse_index(w, "ring", c.rings, "ring", path);
    const Value& v = w.require("consumer_pos");
    w.expect_kind("consumer_pos", v, Value::Kind::Integer);
    if (v.integer < 0) w.fail(v.pos, path + ".consumer_pos must be >= 0");
    u.value = static_cast<std::uint64_t>(v.integer);
    u.relative = w.boolean("relative", false);
    w.done();
    c.users.push_back(u);
  }
  root.done();
  return c;
}

}  // namespace model::bpf_ringbuf
