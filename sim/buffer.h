// sim/buffer.h — instrumented byte buffers with bounds checks and per-byte ghost tags.
//
// A ByteBuffer is kernel memory a model writes messages into (a relay sub-buffer array, a ring's
// data area). Copies are steps at the simulation's granularity: one step per copy (Message), per
// 8-byte word (Word) or per byte (Byte), so that a reader racing a writer can see a torn message
// when the scenario asks for it. Each byte carries a ghost tag — the ledger id of the message that
// last wrote it (0: never written) — which the ledger uses to tell what a reader really received.
// A tag packs the message id (low 40 bits, see kTagIdMask) and the byte's index inside that
// message (high 24 bits), so a reader's bytes say exactly which byte of which message they are.
// An access outside the buffer is reported as a `memory-safety` violation, the way KASAN would
// report it, and nothing outside the buffer is touched.
// reset() clears only the bytes written since the last reset (a dirty range; any mutable_* access
// dirties the whole buffer), so a large buffer costs nothing per execution beyond what was used.
//
// Under tso and lkmm a buffer's copies are sequentially consistent unless its model opts in with
// weak_words() (at build time): then each aligned 8-byte word is a location of the memory model
// (sim/memory.h), its value the word's content (8 bytes and their 8 tags, interned by a hash). A
// copy-in stores every word it touches (relaxed: a kernel memcpy's plain stores), a copy-out loads
// every word it touches and returns the bytes and tags of the store the model picked, so that a
// reader can see an older record, word by word, with the tags of the message that store wrote.
// These words are never promised (Memory::never_promise: no load buffering through them). The
// buffer itself always holds the newest content (ghost reads, peek). Under sc weak_words() does
// nothing.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/memory.h"
#include "sim/sim.h"

namespace sim {

inline constexpr std::uint64_t kTagIdMask = (std::uint64_t{1} << 40) - 1;
constexpr std::uint64_t tag_id(std::uint64_t tag) { return tag & kTagIdMask; }
constexpr std::uint64_t tag_index(std::uint64_t tag) { return tag >> 40; }

class WeakWords;  // sim/buffer.cpp

class ByteBuffer final : public SimObject {
 public:
  ByteBuffer(Sim& sim, std::string_view name, std::size_t size);  // out of line: WeakWords is incomplete here
  ~ByteBuffer() override;
  /// Under tso and lkmm: this buffer's aligned 8-byte words become locations of the memory model
  /// (see the file comment). Build time only; no effect under sc.
  void weak_words();

  void reset() override {
    if (dirty_lo_ < dirty_hi_) {
      std::memset(bytes_.data() + dirty_lo_, 0, dirty_hi_ - dirty_lo_);
      std::fill(tags_.begin() + static_cast<std::ptrdiff_t>(dirty_lo_), tags_.begin() + static_cast<std::ptrdiff_t>(dirty_hi_), 0);
    }
    dirty_lo_ = bytes_.size();
    dirty_hi_ = 0;
  }
  std::size_t size() const { return bytes_.size(); }
  /// How a trace line shows this buffer's word accesses (Load/Store/Xchg a model records on it,
  /// e.g. BPF ring buffer headers); unset or empty: the generic text. Reports only: not hashed.
  void set_describe(std::function<std::string(const TraceEvent&)> f) { describe_ = std::move(f); }
  std::string describe(const TraceEvent& e) const override { return describe_ ? describe_(e) : std::string(); }
  /// Resizes (setup only, never during an execution).
  void resize(std::size_t size) {
    bytes_.assign(size, 0);
    tags_.assign(size, 0);
    dirty_lo_ = size;
    dirty_hi_ = 0;
  }

  /// Copies `len` bytes into the buffer at `offset`; byte i gets the tag of message `id` at index
  /// `first_index + i` (id 0: untagged data such as a client header). Returns false (after
  /// reporting memory-safety, which ends the execution when called from an actor) if out of bounds.
  bool write(std::size_t offset, const std::uint8_t* src, std::size_t len, std::uint64_t id,
             std::uint64_t first_index = 0) {
    if (!in_bounds(offset, len, "write")) return false;
    dirty(offset, len);
    copy_steps(offset, len, false, [&](std::size_t at, std::size_t n) {
      std::memcpy(&bytes_[at], src + (at - offset), n);
      for (std::size_t i = 0; i < n; ++i)
        tags_[at + i] = id ? (id & kTagIdMask) | ((first_index + at - offset + i) << 40) : 0;
      if (weak_) [[unlikely]]
        weak_stored(at, n);
      sim_.record(Op::CopyIn, id_, at, n | (id << 24));
    });
    return true;
  }
  /// Copies `len` bytes out of the buffer at `offset` into dst (and their tags into tag_out if
  /// given). Returns false after reporting memory-safety if out of bounds.
  bool read(std::size_t offset, std::uint8_t* dst, std::size_t len, std::uint64_t* tag_out = nullptr) {
    if (!in_bounds(offset, len, "read")) return false;
    copy_steps(offset, len, true, [&](std::size_t at, std::size_t n) {
      std::memcpy(dst + (at - offset), &bytes_[at], n);
      if (tag_out) std::memcpy(tag_out + (at - offset), &tags_[at], n * sizeof(std::uint64_t));
      if (weak_) [[unlikely]]
        weak_loaded(at, n, dst + (at - offset), tag_out ? tag_out + (at - offset) : nullptr);
      sim_.record(Op::CopyOut, id_, at, n);
    });
    return true;
  }
  /// Fills `len` bytes with `value` (one step per granule), tag 0. Used for explicit padding writes.
  bool fill(std::size_t offset, std::uint8_t value, std::size_t len) {
    if (!in_bounds(offset, len, "write")) return false;
    dirty(offset, len);
    copy_steps(offset, len, false, [&](std::size_t at, std::size_t n) {
      std::memset(&bytes_[at], value, n);
      std::fill(&tags_[at], &tags_[at] + n, 0);
      if (weak_) [[unlikely]]
        weak_stored(at, n);
      sim_.record(Op::CopyIn, id_, at, n);
    });
    return true;
  }

  // Ghost access without steps (checks, reports, exec-mode dumps).
  const std::uint8_t* bytes() const { return bytes_.data(); }
  const std::uint64_t* tags() const { return tags_.data(); }
  std::uint8_t* mutable_bytes() {
    dirty(0, bytes_.size());
    return bytes_.data();
  }
  std::uint64_t* mutable_tags() {
    dirty(0, bytes_.size());
    return tags_.data();
  }

 private:
  std::function<std::string(const TraceEvent&)> describe_;
  void dirty(std::size_t offset, std::size_t len) {
    if (offset < dirty_lo_) dirty_lo_ = offset;
    if (offset + len > dirty_hi_) dirty_hi_ = offset + len;
  }
  bool in_bounds(std::size_t offset, std::size_t len, const char* what) {
    if (offset <= bytes_.size() && len <= bytes_.size() - offset) return true;
    sim_.report(Property::MemorySafety, std::string("out-of-bounds ") + what + " of " + std::to_string(len) +
                                            " bytes at offset " + std::to_string(offset) + " of '" +
                                            sim_.object_name(id_) + "' (size " + std::to_string(bytes_.size()) + ")");
    return false;
  }
  template <class F>
  void copy_steps(std::size_t offset, std::size_t len, bool load, F f) {
    std::size_t granule = len;
    switch (sim_.granularity()) {
      case Granularity::Message: granule = len ? len : 1; break;
      case Granularity::Word: granule = 8; break;
      case Granularity::Byte: granule = 1; break;
    }
    if (len == 0) return;
    for (std::size_t at = offset; at < offset + len;) {
      // Words are aligned to the buffer, as a kernel memcpy's word stores are.
      std::size_t n = granule == 8 ? std::min<std::size_t>(8 - (at % 8), offset + len - at)
                                   : std::min(granule, offset + len - at);
      if (load)
        if (Memory* m = sim_.memory()) [[unlikely]]
          m->before_load();  // lkmm: a copy-out is a load (promises are made before its step)
      sim_.yield_point();
      f(at, n);
      at += n;
    }
  }

  // weak_words(): the memory model's store of each word [at, at + n) touches / the loaded
  // content of each word, written over dst (and tag_out) where the copy overlaps it.
  void weak_stored(std::size_t at, std::size_t n);
  void weak_loaded(std::size_t at, std::size_t n, std::uint8_t* dst, std::uint64_t* tag_out);

  std::vector<std::uint8_t> bytes_;
  std::vector<std::uint64_t> tags_;
  std::size_t dirty_lo_ = 0, dirty_hi_ = 0;  // [lo, hi) may differ from zero (lo > hi: clean)
  std::unique_ptr<WeakWords> weak_;
  friend class WeakWords;
};

}  // namespace sim
