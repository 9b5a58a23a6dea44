// sim/buffer.cpp — ByteBuffer's weak words (see buffer.h): the buffer's aligned 8-byte words as
// locations of the memory model, for a model that opts in.
#include "sim/buffer.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <unordered_map>

namespace sim {

// The buffer's words as a MemoryClient block of location ids. A word's value in the memory model is
// a 64-bit hash of its content (8 bytes, 8 tags); the content of every value ever stored is kept
// (interned) for the life of the buffer, so that a load that picks an older store gets its bytes
// and tags back.
class WeakWords final : public MemoryClient {
 public:
  WeakWords(ByteBuffer& b, Memory& m) : buf_(b), mem_(m), base_(m.attach(this)) {
    m.never_promise(base_, static_cast<std::uint32_t>((b.bytes_.size() + 7) / 8));
    Content zero{};
    init_ = hash(zero);
    contents_.emplace(init_, zero);
  }
  std::string location_name(std::uint32_t loc) const override {
    char at[32];
    std::snprintf(at, sizeof at, "+0x%llx", static_cast<unsigned long long>(std::uint64_t{loc - base_} * 8));
    return buf_.sim_.object_name(buf_.id()) + at + " (a word; values are content hashes)";
  }
  void settle() override {}

  void stored(std::size_t at, std::size_t n) {
    for (std::size_t w = at / 8; w * 8 < at + n; ++w) mem_.store(base_ + static_cast<std::uint32_t>(w), init_, now(w), Mo::Relaxed);
  }
  void loaded(std::size_t at, std::size_t n, std::uint8_t* dst, std::uint64_t* tag_out) {
    for (std::size_t w = at / 8; w * 8 < at + n; ++w) {
      const std::uint32_t loc = base_ + static_cast<std::uint32_t>(w);
      const std::uint64_t cur = now(w);
      // Bytes written behind the model's back (a mutable_bytes() caller): a store every CPU sees.
      if (mem_.latest(loc, init_) != cur) mem_.poke(loc, init_, cur);
      const std::uint64_t v = mem_.load(loc, init_, Mo::Relaxed);
      if (v == cur) continue;  // the bytes already copied are the store the model picked
      const auto it = contents_.find(v);
      if (it == contents_.end()) throw std::logic_error("weak words: a value with no content");
      const std::size_t lo = std::max(at, w * 8), hi = std::min(at + n, w * 8 + 8);
      for (std::size_t i = lo; i < hi; ++i) {
        dst[i - at] = it->second.bytes[i - w * 8];
        if (tag_out) tag_out[i - at] = it->second.tags[i - w * 8];
      }
    }
  }

 private:
  struct Content {
    std::uint8_t bytes[8];
    std::uint64_t tags[8];
  };
  static std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }
  static std::uint64_t hash(const Content& c) {
    std::uint64_t b = 0;
    std::memcpy(&b, c.bytes, 8);
    std::uint64_t h = mix(b);
    for (std::uint64_t t : c.tags) h = mix(h ^ t);
    return h;
  }
  /// The word's content now (bytes past the end of the buffer read as 0), interned.
  std::uint64_t now(std::size_t w) {
    Content c{};
    for (std::size_t i = 0; i < 8 && w * 8 + i < buf_.bytes_.size(); ++i) {
      c.bytes[i] = buf_.bytes_[w * 8 + i];
      c.tags[i] = buf_.tags_[w * 8 + i];
    }
    const std::uint64_t h = hash(c);
    contents_.try_emplace(h, c);
    return h;
  }

  ByteBuffer& buf_;
  Memory& mem_;
  std::uint32_t base_;
  std::uint64_t init_ = 0;
  std::unordered_map<std::uint64_t, Content> contents_;
};

ByteBuffer::ByteBuffer(Sim& sim, std::string_view name, std::size_t size)
    : SimObject(sim, name), bytes_(size, 0), tags_(size, 0) {}
ByteBuffer::~ByteBuffer() = default;

void ByteBuffer::weak_words() {
  Memory* m = sim_.memory();
  if (!m || weak_) return;
  if ((bytes_.size() + 7) / 8 >= Memory::kClientBlock) throw std::logic_error("weak words: buffer too large");
  weak_ = std::make_unique<WeakWords>(*this, *m);
}

void ByteBuffer::weak_stored(std::size_t at, std::size_t n) { weak_->stored(at, n); }
void ByteBuffer::weak_loaded(std::size_t at, std::size_t n, std::uint8_t* dst, std::uint64_t* tag_out) {
  weak_->loaded(at, n, dst, tag_out);
}

}  // namespace sim
