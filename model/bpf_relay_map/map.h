// model/bpf_relay_map/map.h — an executable model of the proposed BPF relay map
// (BPF_MAP_TYPE_RELAY + bpf_relay_output, Philo Lu, Dec 2023; not merged, NACKed).
//
// Follows kernel/bpf/relaymap.c of the series: "[PATCH bpf-next 0/3]" (22 Dec 2023, called v0
// here: a BPF_CALL_4 helper) and "[PATCH bpf-next v1 0/3]" (27 Dec 2023: a kfunc, "refactor
// relay_map_update_elem to avoid race", "add attr->map_extra check in map_alloc"). No later
// version was found (see docs/bpf-relay-map-review.md). Functions modelled: relay_map_alloc's
// checks, relay_map_update_elem (debugfs_create_dir + relay_late_setup_files), the
// lookup/delete/get_next_key stubs, relay_map_mem_usage, relay_map_free, and bpf_relay_output.
//
// The map is built ON the relay model: it owns one model::relay::Channel, opened as
// relay_open(NULL, NULL, max_entries, map_extra, &cb) does, with the default subbuf_start
// (no-overwrite) or, with BPF_F_OVERWRITE, one that always allows. Everything below the channel
// (switching, padding, read(), poll, mmap) is the relay model's.
//
// Concurrency contract (as the patch's): bpf_relay_output takes no lock of its own; it checks
// chan->has_base_filename (a plain load, a step) and calls relay_write (local_irq_save; NMIs are
// not masked). map_update_elem runs in task context (the bpf() syscall); relay_late_setup_files
// serialises on relay_channels_mutex (modelled as a sim::SpinLock taken in task context).
// Design variants (Design below) replace these choices one at a time.
//
// Modelling choices (documented deviations):
// - The relay model has no relay_late_setup_files / early_bytes (its buffer files always exist,
//   model/relay/relay.h). This layer therefore keeps has_base_filename, the debugfs directory and
//   the per-CPU file dentries itself, as ghost-visible sim::Shared words, and follows
//   relay_late_setup_files (torvalds@81ca2970) step by step on them. Bytes written before the
//   dentries are set count in the channel's file_size rather than early_bytes (no reader uses it).
// - The relay underneath is the one the series was written against (Dec 2023): no relay_stats
//   (Params::stats = false), so a dropped write leaves only chan->last_toobig (too big) or nothing.
// - debugfs is a fixed table of directory names known at build time (the scenario's or the exec
//   input's), each a Shared existence word; creating an existing one fails with -EEXIST, as
//   debugfs_create_dir returns ERR_PTR(-EEXIST).
// - Struct sizes for map_mem_usage are assumptions (x86_64, not measured with pahole): see Sizes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/relay/relay.h"
#include "sim/lock.h"
#include "sim/shared.h"
#include "sim/sim.h"

namespace model::bpf_relay_map {

inline constexpr long kENOENT = 2, kE2BIG = 7, kENOMEM = 12, kEBUSY = 16, kEEXIST = 17, kEINVAL = 22,
                      kENOSPC = 28, kEOPNOTSUPP = 95;
inline constexpr std::uint64_t kNameMax = 255;            // NAME_MAX
inline constexpr std::uint64_t kBpfObjNameLen = 16;       // BPF_OBJ_NAME_LEN (with the NUL)
inline constexpr std::uint64_t kBpfFOverwrite = 1u << 15;  // BPF_F_OVERWRITE (new in the series)
inline constexpr std::uint64_t kPageSize = 4096;

/// A design variant: the series as posted, and the alternatives the review asks about.
struct Design {
  /// v0 = the 22 Dec 2023 posting (helper, u64 flags, map_extra's upper bits masked, update_elem
  /// checks has_base_filename first without a lock); v1 = the 27 Dec 2023 posting (kfunc with a
  /// NULL-map check and u32 flags, map_extra's upper bits rejected, no pre-check).
  enum class Version : std::uint8_t { V0, V1 } version = Version::V1;
  /// How bpf_relay_output writes: relay_write (as posted: irqs off around the write),
  /// __relay_write (preemption off only), or relay_reserve + memcpy under local_irq_save so that a
  /// dropped message can be returned to the program (-ENOSPC full, -E2BIG too big).
  enum class Write : std::uint8_t { RelayWrite, UnderscoreRelayWrite, ReserveReportDrops } write = Write::RelayWrite;
  /// NMI safety: none (as posted); refuse (in_nmi() -> -EBUSY); nest guard (a per-CPU counter
  /// incremented with this_cpu_inc_return; a nested caller on the same CPU gets -EBUSY).
  enum class Nmi : std::uint8_t { None, Refuse, NestGuard } nmi = Nmi::None;
  /// One buffer per CPU (as posted), or one global buffer (is_global) for all CPUs: unlocked (relay
  /// leaves writers' serialisation to the client), with a spin_lock_irqsave in the kfunc, or with
  /// that lock taken by trylock in NMI (bpf ringbuf's best effort: -EBUSY when it is busy).
  enum class Layout : std::uint8_t { PerCpu, GlobalUnlocked, GlobalLocked, GlobalLockedNmiTrylock } layout = Layout::PerCpu;
  /// bpf_relay_output checks a map-level "files ready" flag published (release) only after
  /// relay_late_setup_files returned 0, instead of chan->has_base_filename.
  bool files_ready_flag = false;
  /// The map lets an mmap reader release what it read (relay_subbufs_consumed through a map
  /// operation). As posted it cannot: nothing in the series calls relay_subbufs_consumed.
  bool mmap_consume = false;
  bool global() const { return layout != Layout::PerCpu; }
};

struct VariantDef {
  std::string name, description;
  Design design;
};
/// Every named variant; the first ("v1") is the default.
const std::vector<VariantDef>& variants();
const Design* design_of(const std::string& variant);

/// union bpf_attr's fields for BPF_MAP_CREATE that the relay map reads.
struct MapAttr {
  std::uint64_t key_size = 0, value_size = 0, max_entries = 4096, map_extra = 0, map_flags = 0;
  std::string map_name = "relay_map";
};

/// What a successful create leaves: the channel's parameters and the map's adjusted attributes.
struct Created {
  relay::Params params;
  std::uint64_t value_size = 0;  // after 0 -> NAME_MAX
  std::uint64_t n_subbufs = 0;   // after the default of 8
  bool overwrite = false;
};

/// BPF_MAP_CREATE for BPF_MAP_TYPE_RELAY: map_create's generic checks that concern it, then
/// relay_map_alloc's checks in the patch's order, then relay_open, then bpf_obj_name_cpy.
/// Returns 0 (and fills *out) or a negative errno with a one-line reason in *why:
/// -EINVAL: map_flags outside BPF_F_OVERWRITE; key_size != 0; value_size > NAME_MAX; (v1)
/// map_extra above 32 bits; empty map_name; relay_open returning NULL (max_entries or the count
/// zero, max_entries * count > UINT_MAX, or an allocation the model refuses: > 16 MiB per buffer);
/// a map_name of 16+ characters or with characters other than [A-Za-z0-9_.] (bpf_obj_name_cpy).
int map_create(const MapAttr& attr, const Design& design, int cpus, Created* out, std::string* why);

/// sizeof() of the kernel structures relay_map_mem_usage adds (assumed, x86_64; see map.h).
struct Sizes {
  std::uint64_t bpf_relay_map = 256 + 8 + 32;  // struct bpf_map + relay_chan + rchan_callbacks
  std::uint64_t rchan = 344;
  std::uint64_t rchan_buf = 232;
};
/// relay_map_mem_usage as the patch computes it, and what the model actually allocates.
struct MemUsage {
  std::uint64_t reported = 0;   // sizeof(map) + sizeof(rchan) + (sizeof(rchan_buf) + alloc_size) * online cpus
  std::uint64_t allocated = 0;  // the same structures for the buffers that exist, plus each buffer's
                                // padding[] (n_subbufs * 8) and page_array (pages * 8)
  std::uint64_t buffers = 0, alloc_size = 0;
};

class RelayMap {
 public:
  /// Builds the map's shared state and its channel (Workload::build time only). `dir_names` are
  /// every debugfs directory name update_elem may be given (after truncation); `preexisting` of
  /// them already exist (created by "another system that uses debugfs", as the patch says).
  RelayMap(sim::Sim& sim, const MapAttr& attr, const Created& created, const Design& design, int cpus,
           std::vector<std::string> dir_names, std::vector<std::string> preexisting = {});
  RelayMap(const RelayMap&) = delete;
  RelayMap& operator=(const RelayMap&) = delete;

  // ---- the bpf() syscall side (task context) ----

  /// relay_map_update_elem(map, key, value, flags): flags != 0 or a non-NULL key -> -EINVAL;
  /// (v0: has_base_filename set -> -EEXIST, checked without a lock); value truncated at
  /// value_size - 1; debugfs_create_dir (exists -> -EEXIST); relay_late_setup_files(chan,
  /// map->name, dir) (already set up -> -EEXIST; a file that cannot be created -> -EINVAL with
  /// has_base_filename left at 1 and no rollback); on error the directory is removed recursively.
  /// `fail_file_cpu` (>= 0) injects a failure of debugfs_create_file for that CPU's file.
  long map_update_elem(bool key_non_null, const std::string& value, std::uint64_t flags, int fail_file_cpu = -1);
  /// relay_map_lookup_elem / _delete_elem / _get_next_key: -EOPNOTSUPP.
  static long map_lookup_elem() { return -kEOPNOTSUPP; }
  static long map_delete_elem() { return -kEOPNOTSUPP; }
  static long map_get_next_key() { return -kEOPNOTSUPP; }
  /// update_elem's result without steps (ghost; Workload::reset): the directory and every file
  /// exist and has_base_filename (and the files-ready flag) are set, as after a successful
  /// map_update_elem(NULL, dir, 0) that ran before the programs were attached.
  void preset_files(const std::string& dir);
  /// relay_map_mem_usage (no steps).
  MemUsage map_mem_usage(const Sizes& sizes = {}) const;
  /// relay_map_free: relay_close, then debugfs_remove_recursive(chan->parent).
  void map_free();

  // ---- the BPF program side ----

  struct OutputResult {
    long ret = 0;                 // what the program gets back
    bool wrote = false;           // the channel was asked to write
    relay::WriteResult write;     // the channel's ghost answer (accepted, where, why dropped)
  };
  /// bpf_relay_output(map, data, size, flags) on the running CPU `cpu`. v1: map NULL or flags
  /// (as u32) != 0 -> -EINVAL; v0: flags (u64) != 0 -> -EINVAL. has_base_filename (or the
  /// files-ready flag) unset -> -ENOENT. Then the variant's NMI policy and lock, then the write.
  /// Returns 0 whether or not relay kept the message, except with Write::ReserveReportDrops.
  OutputResult bpf_relay_output(int cpu, bool map_null, const std::uint8_t* data, std::uint64_t size,
                                std::uint64_t flags, std::uint64_t tag);

  // ---- observable state (ghost: no steps) ----
  bool has_base_filename() const { return has_base_filename_.peek() != 0; }
  bool files_ready() const { return files_ready_.peek() != 0; }
  /// The directory the channel's files live in (chan->parent), or "" (none).
  std::string parent_dir() const;
  /// Existing debugfs directories, and the existing buffer files as "<dir>/<map_name><cpu>".
  std::vector<std::string> dirs() const;
  std::vector<std::string> files() const;
  /// True if the file of `buffer` exists (a reader can open it).
  bool file_exists(int buffer) const { return file_[static_cast<std::size_t>(buffer)]->peek() != 0; }
  /// buf->dentry is set but its file was removed (update_elem's error path): a dangling dentry.
  bool dentry_dangling(int buffer) const {
    return dentry_[static_cast<std::size_t>(buffer)]->peek() && !file_[static_cast<std::size_t>(buffer)]->peek();
  }
  bool freed() const { return freed_.peek() != 0; }
  const Created& created() const { return created_; }
  const MapAttr& attr() const { return attr_; }
  const Design& design() const { return design_; }
  relay::Channel& channel() { return *channel_; }
  const relay::Channel& channel() const { return *channel_; }
  int cpus() const { return cpus_; }

 private:
  int dir_slot(const std::string& name) const;
  long debugfs_create_dir(const std::string& name);
  void debugfs_remove_recursive(int slot);
  long relay_late_setup_files(int parent_slot, int fail_file_cpu);
  relay::WriteResult write(int cpu, const std::uint8_t* data, std::uint64_t size, std::uint64_t tag, long* ret);

  sim::Sim& sim_;
  MapAttr attr_;
  Created created_;
  Design design_;
  int cpus_;
  std::vector<std::string> dir_names_;
  std::vector<std::string> preexisting_;
  std::optional<relay::Channel> channel_;
  sim::Shared<int> has_base_filename_;
  sim::Shared<int> files_ready_;
  sim::Shared<int> parent_;  // chan->parent: a dir slot + 1, 0 = none
  sim::Shared<int> freed_;
  std::vector<std::unique_ptr<sim::Shared<int>>> dir_exists_;
  std::vector<std::unique_ptr<sim::Shared<int>>> file_;    // per buffer: the debugfs file exists
  std::vector<std::unique_ptr<sim::Shared<int>>> dentry_;  // per buffer: buf->dentry is set
  std::vector<std::unique_ptr<sim::Shared<int>>> nest_;  // Nmi::NestGuard: per CPU
  sim::SpinLock relay_channels_mutex_;
  sim::SpinLock client_lock_;  // Layout::Global*: the kfunc's lock around the shared buffer
};

}  // namespace model::bpf_relay_map
