// model/relay/checks.cpp — see checks.h.
#include "model/relay/checks.h"

#include <string>

#include "model/scenario_fields.h"

namespace model::relay {

std::vector<ReaderSpec> parse_readers(scenario::TableReader& root, const std::string& file, int cpus, int buffers) {
  std::vector<ReaderSpec> readers;
  int ri = 0;
  for (const scenario::Value* rv : root.tables("reader")) {
    std::string path = "reader[" + std::to_string(ri++) + "]";
    scenario::TableReader w(*rv, path, file);
    ReaderSpec r;
    r.kind = w.string("kind", std::string("read"), {"read", "mmap"});
    r.cpu = parse_cpu(w, cpus, path);
    r.count = static_cast<std::uint64_t>(w.integer("count", 4096, 1, 1 << 24));
    r.poll = w.string("wait", std::string("spin"), {"spin", "poll"}) == "poll";
    r.after_stop = w.string("start", std::string("live"), {"live", "after-stop"}) == "after-stop";
    const bool all = !w.has("buffer");
    if (!all) r.buffer = static_cast<int>(w.integer("buffer", 0, 0, buffers - 1));
    w.done();
    for (int b = all ? 0 : r.buffer; b < (all ? buffers : r.buffer + 1); ++b) {
      r.buffer = b;
      readers.push_back(r);
    }
  }
  if (readers.size() > 64) root.fail(root.pos(), "at most 64 readers");
  return readers;
}

bool check_channel_invariants(sim::Sim& sim, const ChannelApi& channel, bool overwrite) {
  const std::uint64_t n = channel.params().n_subbufs, S = channel.params().subbuf_size;
  const std::vector<ChannelApi::BufState>& states = channel.snapshot_all();
  for (int b = 0; b < channel.buffers(); ++b) {
    const ChannelApi::BufState& st = states[static_cast<std::size_t>(b)];
    auto bad = [&](const std::string& what) {
      sim.report(sim::Property::Counters, "buffer " + std::to_string(b) + ": " + what);
      return false;
    };
    if (st.subbufs_consumed > st.subbufs_produced)
      return bad("subbufs_consumed " + std::to_string(st.subbufs_consumed) + " > subbufs_produced " + std::to_string(st.subbufs_produced));
    if (!overwrite && st.subbufs_produced - st.subbufs_consumed > n)
      return bad("produced - consumed = " + std::to_string(st.subbufs_produced - st.subbufs_consumed) + " > n_subbufs in no-overwrite mode");
    if (st.offset > S && st.offset != S + 1) return bad("offset " + std::to_string(st.offset) + " beyond the sub-buffer");
    for (auto p : st.padding)
      if (p > S) return bad("padding " + std::to_string(p) + " larger than a sub-buffer");
  }
  return true;
}

bool check_recorded_padding(sim::Sim& sim, const ChannelApi& channel, const properties::Ledger& ledger) {
  const std::uint64_t n = channel.params().n_subbufs, S = channel.params().subbuf_size;
  const std::vector<ChannelApi::BufState>& states = channel.snapshot_all();  // one per buffer, not per message
  for (std::uint64_t id = 1; id <= ledger.messages().size(); ++id) {
    const auto& m = ledger.messages()[id - 1];
    if (m.state != properties::Ledger::Message::State::Accepted || m.overwritten) continue;
    const ChannelApi::BufState& st = states[static_cast<std::size_t>(m.buffer)];
    if (m.unit >= st.subbufs_produced || m.unit + n < st.subbufs_produced) continue;  // not finished / slot reused
    const std::uint64_t pad = st.padding[m.unit % n];
    if (m.offset % S + m.len > S - pad) {
      sim.report(sim::Property::Padding, "sub-buffer " + std::to_string(m.unit % n) + " of buffer " + std::to_string(m.buffer) +
                                             " records " + std::to_string(pad) + " bytes of padding over message " +
                                             std::to_string(id) + " at offset " + std::to_string(m.offset % S),
                 {id});
      return false;
    }
  }
  return true;
}

}  // namespace model::relay
