// model/toy/classic.cpp — the classic partial-order-reduction benchmarks (see toy.h), each thread a
// task on its own CPU, so that the class counts are those of the papers' thread programs.
//
// - readers(N) (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014, "readers"): one writer stores x,
//   N readers load it. Each reader is before or after the store: 2^N Mazurkiewicz classes.
// - lastzero(N) (Abdulla et al. 2014): array[0..N] of zeros; thread 0 scans down from array[N]
//   for the last zero; thread j (1..N) sets array[j] = array[j-1] + 1.
// - indexer(N) (Flanagan & Godefroid, POPL 2005): N threads insert 4 messages each into a
//   128-entry hash table with cmpxchg and linear probing; message m of thread t is w = 11m + t,
//   hashed to 7w mod 128. Below 12 threads no two messages collide: 1 class; from 12 on each
//   colliding pair doubles the count (12 threads: 8 classes, 13: 64).
#include <memory>
#include <optional>
#include <vector>

#include "model/registry.h"
#include "model/toy/toy.h"
#include "sim/shared.h"

namespace model::toy {
namespace {

using sim::Mo;

class ReadersWorkload final : public sim::Workload {
 public:
  explicit ReadersWorkload(int readers) : readers_(readers) {}
  void build(sim::Sim& s) override {
    s.set_cpus(readers_ + 1);
    x_.emplace(s, "x", 0);
    seen_.assign(static_cast<std::size_t>(readers_), 0);
    s.add_task("writer", 0, [this] { x_->store(1, Mo::Relaxed); });
    for (int r = 0; r < readers_; ++r)
      s.add_task("reader" + std::to_string(r), r + 1, [this, r] { seen_[static_cast<std::size_t>(r)] = x_->load(Mo::Relaxed); });
  }
  std::uint64_t end_state_hash(const sim::Sim&) const override {
    std::uint64_t h = sim::kHashSeed;
    for (int v : seen_) h = sim::hash_step(h, static_cast<std::uint64_t>(v));
    return h;
  }

 private:
  int readers_;
  std::optional<sim::Shared<int>> x_;
  std::vector<int> seen_;  // each reader's own result (thread-local, not shared)
};

class LastZeroWorkload final : public sim::Workload {
 public:
  explicit LastZeroWorkload(int n) : n_(n) {}
  void build(sim::Sim& s) override {
    s.set_cpus(n_ + 1);
    for (int i = 0; i <= n_; ++i) array_.push_back(std::make_unique<sim::Shared<int>>(s, "array" + std::to_string(i), 0));
    s.add_task("scanner", 0, [this] {
      int i = n_;
      while (i > 0 && array_[static_cast<std::size_t>(i)]->load(Mo::Relaxed) != 0) --i;
      found_ = i;
    });
    for (int j = 1; j <= n_; ++j)
      s.add_task("setter" + std::to_string(j), j, [this, j] {
        int v = array_[static_cast<std::size_t>(j - 1)]->load(Mo::Relaxed);
        array_[static_cast<std::size_t>(j)]->store(v + 1, Mo::Relaxed);
      });
  }
  void reset(sim::Sim&) override { found_ = -1; }
  std::uint64_t end_state_hash(const sim::Sim&) const override {
    std::uint64_t h = sim::hash_step(sim::kHashSeed, static_cast<std::uint64_t>(found_ + 1));
    for (const auto& a : array_) h = sim::hash_step(h, static_cast<std::uint64_t>(a->peek()));
    return h;
  }

 private:
  int n_;
  std::vector<std::unique_ptr<sim::Shared<int>>> array_;
  int found_ = -1;
};

class IndexerWorkload final : public sim::Workload {
  static constexpr int kSize = 128;
  static constexpr int kMessages = 4;

 public:
  explicit IndexerWorkload(int threads) : threads_(threads) {}
  void build(sim::Sim& s) override {
    s.set_cpus(threads_);
    for (int i = 0; i < kSize; ++i) table_.push_back(std::make_unique<sim::Shared<int>>(s, "table" + std::to_string(i), 0));
    for (int t = 0; t < threads_; ++t)
      s.add_task("thread" + std::to_string(t), t, [this, t] {
        for (int m = 1; m <= kMessages; ++m) {
          int w = 11 * m + t;
          int h = (w * 7) % kSize;
          for (;;) {
            int expected = 0;
            if (table_[static_cast<std::size_t>(h)]->compare_exchange(expected, w, Mo::SeqCst)) break;
            h = (h + 1) % kSize;
          }
        }
      });
  }
  std::uint64_t end_state_hash(const sim::Sim&) const override {
    std::uint64_t h = sim::kHashSeed;
    for (const auto& e : table_) h = sim::hash_step(h, static_cast<std::uint64_t>(e->peek()));
    return h;
  }

 private:
  int threads_;
  std::vector<std::unique_ptr<sim::Shared<int>>> table_;
};

int param(const scenario::Spec& spec, scenario::TableReader& root, const char* name, int def, int lo, int hi) {
  int v = def;
  if (const scenario::Value* p = root.table("params")) {
    scenario::TableReader pr(*p, "params", spec.file);
    v = static_cast<int>(pr.integer(name, def, lo, hi));
    pr.done();
  }
  root.done();
  return v;
}

}  // namespace

void register_classic_models(std::vector<ModelInfo>& out) {
  out.push_back(ModelInfo{
      "readers",
      "DPOR benchmark readers(N) (Abdulla et al. POPL 2014): one writer, N readers of one word; 2^N classes",
      {{"mainline", "as in the paper"}},
      {},
      [](const scenario::Spec& spec, const std::string&, scenario::TableReader& root) -> sim::WorkloadFactory {
        int n = param(spec, root, "readers", 3, 1, 32);
        return [n] { return std::make_unique<ReadersWorkload>(n); };
      },
      nullptr});
  out.push_back(ModelInfo{
      "lastzero",
      "DPOR benchmark lastzero(N) (Abdulla et al. POPL 2014): a scanner for the last zero against N setters",
      {{"mainline", "as in the paper"}},
      {},
      [](const scenario::Spec& spec, const std::string&, scenario::TableReader& root) -> sim::WorkloadFactory {
        int n = param(spec, root, "n", 3, 1, 32);
        return [n] { return std::make_unique<LastZeroWorkload>(n); };
      },
      nullptr});
  out.push_back(ModelInfo{
      "indexer",
      "DPOR benchmark indexer(N) (Flanagan & Godefroid POPL 2005): N threads insert into a cmpxchg hash table",
      {{"mainline", "as in the paper"}},
      {},
      [](const scenario::Spec& spec, const std::string&, scenario::TableReader& root) -> sim::WorkloadFactory {
        int n = param(spec, root, "threads", 2, 1, 16);
        return [n] { return std::make_unique<IndexerWorkload>(n); };
      },
      nullptr});
}

}  // namespace model::toy
