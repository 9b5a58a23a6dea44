// model/bpf_relay_map/map.cpp — see map.h. Written from the series' patches as posted on
// bpf@vger.kernel.org (paraphrased; no kernel code is copied).
#include "model/bpf_relay_map/map.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <stdexcept>

namespace model::bpf_relay_map {

using U64 = std::uint64_t;
using sim::Mo;

const std::vector<VariantDef>& variants() {
  static const std::vector<VariantDef> all = [] {
    using D = Design;
    std::vector<VariantDef> v;
    auto add = [&](std::string name, std::string desc, auto edit) {
      D d;
      edit(d);
      v.push_back({std::move(name), std::move(desc), d});
    };
    add("v1", "[PATCH bpf-next v1] 27 Dec 2023 as posted: kfunc, relay_write, one buffer per CPU", [](D&) {});
    add("v0", "[PATCH bpf-next] 22 Dec 2023: BPF_CALL_4 helper (u64 flags), map_extra's upper bits masked, "
              "update_elem checks has_base_filename first without a lock",
        [](D& d) { d.version = D::Version::V0; });
    add("__relay_write", "v1 with __relay_write (preemption off only, irqs left on)",
        [](D& d) { d.write = D::Write::UnderscoreRelayWrite; });
    add("nmi-refuse", "v1 + `if (in_nmi()) return -EBUSY`: perf-event programs in NMI cannot log",
        [](D& d) { d.nmi = D::Nmi::Refuse; });
    add("nest-guard", "v1 + a per-CPU nesting counter (this_cpu_inc_return): a nested call on the same CPU gets -EBUSY",
        [](D& d) { d.nmi = D::Nmi::NestGuard; });
    add("report-drops", "v1 writing with relay_reserve + memcpy under local_irq_save: -ENOSPC when full, -E2BIG when too big",
        [](D& d) { d.write = D::Write::ReserveReportDrops; });
    add("files-ready", "v1 + a map-level flag published after relay_late_setup_files succeeded, checked instead of has_base_filename",
        [](D& d) { d.files_ready_flag = true; });
    add("mmap-consume", "v1 + a way for an mmap reader to release sub-buffers (relay_subbufs_consumed via a map operation)",
        [](D& d) { d.mmap_consume = true; });
    add("global", "reviewers' alternative: one global buffer (is_global) for all CPUs, no lock (relay leaves it to the client)",
        [](D& d) { d.layout = D::Layout::GlobalUnlocked; });
    add("global-locked", "one global buffer with a spin_lock_irqsave around each write in the kfunc",
        [](D& d) { d.layout = D::Layout::GlobalLocked; });
    add("global-locked-nmi-trylock", "global-locked, but in NMI the lock is only tried (bpf ringbuf's way): -EBUSY when busy",
        [](D& d) { d.layout = D::Layout::GlobalLockedNmiTrylock; });
    add("proposed", "the review's proposal: nest-guard + report-drops + files-ready, one buffer per CPU", [](D& d) {
      d.nmi = D::Nmi::NestGuard;
      d.write = D::Write::ReserveReportDrops;
      d.files_ready_flag = true;
    });
    return v;
  }();
  return all;
}

const Design* design_of(const std::string& variant) {
  for (auto& v : variants())
    if (v.name == variant) return &v.design;
  return nullptr;
}

// ---- BPF_MAP_CREATE ----

int map_create(const MapAttr& a, const Design& d, int cpus, Created* out, std::string* why) {
  auto fail = [&](std::string w) {
    if (why) *why = std::move(w);
    return -static_cast<int>(kEINVAL);
  };
  // map_create(): the series exempts BPF_MAP_TYPE_RELAY from "map_extra must be 0".
  // relay_map_alloc():
  if (a.map_flags & ~kBpfFOverwrite) return fail("map_flags has bits outside BPF_F_OVERWRITE (0x8000)");
  if (a.key_size) return fail("key_size must be 0");
  Created c;
  if (a.value_size > kNameMax) return fail("value_size " + std::to_string(a.value_size) + " > NAME_MAX (255)");
  c.value_size = a.value_size ? a.value_size : kNameMax;
  if (d.version == Design::Version::V1 && (a.map_extra >> 32))
    return fail("map_extra has bits above the low 32 (v1 rejects them)");
  c.n_subbufs = a.map_extra & UINT_MAX;  // v0 masks the upper bits silently
  if (!c.n_subbufs) c.n_subbufs = 8;
  if (a.map_name.empty()) return fail("map_name is empty (it is the files' base name)");
  c.overwrite = (a.map_flags & kBpfFOverwrite) != 0;
  // relay_open(NULL, NULL, max_entries, n_subbufs, &cb, NULL): NULL -> -EINVAL.
  c.params.subbuf_size = a.max_entries;
  c.params.n_subbufs = c.n_subbufs;
  c.params.cpus = cpus;
  c.params.is_global = d.global();
  c.params.callback = c.overwrite ? relay::Callback::Overwrite : relay::Callback::BufFull;
  c.params.stats = false;  // the relay of Dec 2023: no relay_stats
  std::string relay_why;
  if (relay::Channel::validate(c.params, &relay_why) != 0) return fail("relay_open returns NULL: " + relay_why);
  // bpf_obj_name_cpy() (after map_alloc in map_create): at most 15 characters of [A-Za-z0-9_.].
  if (a.map_name.size() >= kBpfObjNameLen) return fail("map_name longer than 15 characters (bpf_obj_name_cpy)");
  for (char ch : a.map_name)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.'))
      return fail("map_name may only hold [A-Za-z0-9_.] (bpf_obj_name_cpy)");
  if (out) *out = c;
  return 0;
}

// ---- the map ----

RelayMap::RelayMap(sim::Sim& sim, const MapAttr& attr, const Created& created, const Design& design, int cpus,
                   std::vector<std::string> dir_names, std::vector<std::string> preexisting)
    : sim_(sim),
      attr_(attr),
      created_(created),
      design_(design),
      cpus_(cpus),
      dir_names_(std::move(dir_names)),
      preexisting_(std::move(preexisting)),
      has_base_filename_(sim, "chan->has_base_filename", 0),
      files_ready_(sim, "rmap->files_ready", 0),
      parent_(sim, "chan->parent", 0),
      freed_(sim, "map.freed", 0),
      relay_channels_mutex_(sim, "relay_channels_mutex"),
      client_lock_(sim, "rmap->lock") {
  channel_.emplace(sim, created_.params);
  for (auto& p : preexisting_)
    if (std::find(dir_names_.begin(), dir_names_.end(), p) == dir_names_.end()) dir_names_.push_back(p);
  for (auto& n : dir_names_) {
    bool pre = std::find(preexisting_.begin(), preexisting_.end(), n) != preexisting_.end();
    dir_exists_.push_back(std::make_unique<sim::Shared<int>>(sim, "debugfs:" + n, pre ? 1 : 0));
  }
  for (int b = 0; b < channel_->buffers(); ++b) {
    file_.push_back(std::make_unique<sim::Shared<int>>(sim, "file" + std::to_string(b), 0));
    dentry_.push_back(std::make_unique<sim::Shared<int>>(sim, "buf" + std::to_string(b) + "->dentry", 0));
  }
  for (int c = 0; c < cpus; ++c) nest_.push_back(std::make_unique<sim::Shared<int>>(sim, "relay_output_nest[" + std::to_string(c) + "]", 0));
}

int RelayMap::dir_slot(const std::string& name) const {
  for (std::size_t i = 0; i < dir_names_.size(); ++i)
    if (dir_names_[i] == name) return static_cast<int>(i);
  return -1;
}

long RelayMap::debugfs_create_dir(const std::string& name) {
  int slot = dir_slot(name);
  if (slot < 0) throw std::logic_error("bpf_relay_map: directory \"" + name + "\" was not declared at build time");
  int expected = 0;
  if (!dir_exists_[static_cast<std::size_t>(slot)]->compare_exchange(expected, 1)) return -kEEXIST;
  return slot;
}

void RelayMap::debugfs_remove_recursive(int slot) {
  dir_exists_[static_cast<std::size_t>(slot)]->store(0);
  if (parent_.peek() == slot + 1)
    for (auto& f : file_) f->store(0);  // the files go; buf->dentry still points at them
}

long RelayMap::relay_late_setup_files(int parent_slot, int fail_file_cpu) {
  // strscpy(chan->base_filename, base_filename) happens before the mutex: same map name, no effect.
  relay_channels_mutex_.lock();
  if (has_base_filename_.load()) {
    relay_channels_mutex_.unlock();
    return -kEEXIST;
  }
  has_base_filename_.store(1);
  parent_.store(parent_slot + 1);
  long err = 0;
  // Global: one file "<base>0"; per CPU: one per online CPU, each dentry set on its own CPU
  // (smp_call_function_single / irq-save locally: no relay_write is in progress there).
  for (int b = 0; b < channel_->buffers(); ++b) {
    if (b == fail_file_cpu) {  // relay_create_buf_file returned NULL
      err = -kEINVAL;
      break;
    }
    file_[static_cast<std::size_t>(b)]->store(1);
    dentry_[static_cast<std::size_t>(b)]->store(1);
  }
  relay_channels_mutex_.unlock();
  return err;  // no rollback: has_base_filename and the dentries already set stay
}

long RelayMap::map_update_elem(bool key_non_null, const std::string& value, U64 flags, int fail_file_cpu) {
  if (flags) return -kEINVAL;
  if (key_non_null) return -kEINVAL;
  if (design_.version == Design::Version::V0 && has_base_filename_.load()) return -kEEXIST;  // unlocked pre-check
  // ((char *)value)[value_size - 1] = '\0'
  std::string name = value.substr(0, std::min<std::size_t>(value.size(), static_cast<std::size_t>(created_.value_size - 1)));
  name = name.substr(0, name.find('\0'));
  long slot = debugfs_create_dir(name);
  if (slot < 0) return slot;
  long err = relay_late_setup_files(static_cast<int>(slot), fail_file_cpu);
  if (err) {
    debugfs_remove_recursive(static_cast<int>(slot));
    return err;
  }
  if (design_.files_ready_flag) files_ready_.store(1, Mo::Release);
  return 0;
}

void RelayMap::preset_files(const std::string& dir) {
  int slot = dir_slot(dir);
  if (slot < 0) throw std::logic_error("bpf_relay_map: directory \"" + dir + "\" was not declared at build time");
  dir_exists_[static_cast<std::size_t>(slot)]->poke(1);
  has_base_filename_.poke(1);
  files_ready_.poke(1);
  parent_.poke(slot + 1);
  for (auto& f : file_) f->poke(1);
  for (auto& d : dentry_) d->poke(1);
}

MemUsage RelayMap::map_mem_usage(const Sizes& s) const {
  MemUsage m;
  const U64 bytes = created_.params.subbuf_size * created_.params.n_subbufs;
  m.alloc_size = (bytes + kPageSize - 1) / kPageSize * kPageSize;  // PAGE_ALIGN
  m.buffers = static_cast<U64>(channel_->buffers());
  m.reported = s.bpf_relay_map + s.rchan + (s.rchan_buf + m.alloc_size) * static_cast<U64>(cpus_);  // num_online_cpus()
  const U64 per_buffer = s.rchan_buf + m.alloc_size + created_.params.n_subbufs * 8 + m.alloc_size / kPageSize * 8;
  m.allocated = s.bpf_relay_map + s.rchan + per_buffer * m.buffers;
  return m;
}

void RelayMap::map_free() {
  channel_->relay_close();
  // relay_close_buf -> remove_buf_file_handler(buf->dentry) -> debugfs_remove(dentry)
  for (std::size_t b = 0; b < dentry_.size(); ++b)
    if (dentry_[b]->peek() && !file_[b]->peek())
      sim_.report(sim::Property::MemorySafety,
                  "relay_map_free: relay_close_buf(buffer " + std::to_string(b) +
                      ") passes buf->dentry to debugfs_remove, but debugfs_remove_recursive already freed it "
                      "(update_elem's error path): use-after-free");
  int parent = parent_.peek();
  if (parent) debugfs_remove_recursive(parent - 1);
  for (auto& f : file_) f->store(0);
  freed_.store(1);
}

relay::WriteResult RelayMap::write(int cpu, const std::uint8_t* data, U64 size, U64 tag, long* ret) {
  relay::Channel& ch = *channel_;
  relay::WriteResult r;
  switch (design_.write) {
    case Design::Write::RelayWrite: r = ch.relay_write(cpu, data, size, tag); break;
    case Design::Write::UnderscoreRelayWrite: r = ch.__relay_write(cpu, data, size, tag); break;
    case Design::Write::ReserveReportDrops: {
      if (!size) {
        r.accepted = true;
        r.buffer = ch.buffer_of_cpu(cpu);
        break;
      }
      unsigned long flags = sim_.local_irq_save();
      r = ch.relay_reserve(cpu, size);
      if (r.accepted) ch.commit_reserved(r, data, size, tag);
      sim_.local_irq_restore(flags);
      if (!r.accepted) *ret = r.drop == relay::WriteResult::Drop::TooBig ? -kE2BIG : -kENOSPC;
      break;
    }
  }
  return r;
}

RelayMap::OutputResult RelayMap::bpf_relay_output(int cpu, bool map_null, const std::uint8_t* data, U64 size, U64 flags,
                                                  U64 tag) {
  OutputResult out;
  if (design_.version == Design::Version::V1) {
    if (map_null || static_cast<std::uint32_t>(flags)) {  // u32 flags: the upper half never arrives
      out.ret = -kEINVAL;
      return out;
    }
  } else if (flags) {
    out.ret = -kEINVAL;
    return out;
  }
  const bool ready = design_.files_ready_flag ? files_ready_.load(Mo::Acquire) != 0 : has_base_filename_.load() != 0;
  if (!ready) {
    out.ret = -kENOENT;
    return out;
  }
  if (design_.nmi == Design::Nmi::Refuse && sim_.in_nmi()) {
    out.ret = -kEBUSY;
    return out;
  }
  sim::Shared<int>* nest = nullptr;
  if (design_.nmi == Design::Nmi::NestGuard) {
    nest = nest_[static_cast<std::size_t>(cpu)].get();
    if (nest->fetch_add(1) != 0) {  // this_cpu_inc_return(relay_output_nest) != 1
      nest->fetch_sub(1);
      out.ret = -kEBUSY;
      return out;
    }
  }
  unsigned long lock_flags = 0;
  bool locked = false;
  if (design_.layout == Design::Layout::GlobalLocked ||
      (design_.layout == Design::Layout::GlobalLockedNmiTrylock && !sim_.in_nmi())) {
    lock_flags = client_lock_.lock_irqsave();
    locked = true;
  } else if (design_.layout == Design::Layout::GlobalLockedNmiTrylock) {
    if (!client_lock_.trylock_irqsave(lock_flags)) {
      out.ret = -kEBUSY;
      if (nest) nest->fetch_sub(1);
      return out;
    }
    locked = true;
  }
  const int buffer = channel_->buffer_of_cpu(cpu);
  const bool dangling = dentry_[static_cast<std::size_t>(buffer)]->peek() && !file_[static_cast<std::size_t>(buffer)]->peek();
  const U64 produced_before = dangling ? channel_->state(buffer).subbufs_produced : 0;
  out.wrote = true;
  out.write = write(cpu, data, size, tag, &out.ret);
  if (locked) client_lock_.unlock_irqrestore(lock_flags);
  if (nest) nest->fetch_sub(1);
  // relay_switch_subbuf adds the finished bytes to d_inode(buf->dentry)->i_size: after update_elem's
  // error path removed the files, that dentry is freed (the relay model has no dentry: checked here).
  if (dangling && channel_->state(buffer).subbufs_produced != produced_before)
    sim_.report(sim::Property::MemorySafety,
                "relay_switch_subbuf(buffer " + std::to_string(buffer) +
                    "): d_inode(buf->dentry)->i_size += ... on a dentry that debugfs_remove_recursive freed when "
                    "map_update_elem failed (has_base_filename stayed 1): use-after-free");
  return out;
}

std::string RelayMap::parent_dir() const {
  int p = parent_.peek();
  return p ? dir_names_[static_cast<std::size_t>(p - 1)] : std::string();
}

std::vector<std::string> RelayMap::dirs() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < dir_names_.size(); ++i)
    if (dir_exists_[i]->peek()) out.push_back(dir_names_[i]);
  return out;
}

std::vector<std::string> RelayMap::files() const {
  std::vector<std::string> out;
  const std::string dir = parent_dir();
  for (std::size_t b = 0; b < file_.size(); ++b)
    if (file_[b]->peek()) out.push_back(dir + "/" + attr_.map_name + std::to_string(b));
  return out;
}

}  // namespace model::bpf_relay_map
