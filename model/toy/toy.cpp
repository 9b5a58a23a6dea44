// model/toy/toy.cpp — see toy.h.
#include "model/toy/toy.h"

#include <memory>
#include <optional>

#include "model/registry.h"
#include "sim/lock.h"
#include "sim/shared.h"

namespace model::toy {
namespace {

using sim::Mo;
using sim::Property;

class CounterWorkload final : public sim::Workload {
 public:
  explicit CounterWorkload(bool buggy) : buggy_(buggy) {}
  void build(sim::Sim& s) override {
    sim_ = &s;
    s.set_cpus(2);
    n_.emplace(s, "n", 0);
    for (int t = 0; t < 2; ++t)
      s.add_task("thread" + std::to_string(t), t, [this] {
        for (int i = 0; i < 2; ++i) {
          if (buggy_) {
            int v = n_->load(Mo::Relaxed);
            n_->store(v + 1, Mo::Relaxed);
          } else {
            n_->fetch_add(1, Mo::Relaxed);
          }
        }
      });
  }
  void check_final(sim::Sim& s) override {
    if (n_->peek() != 4) s.report(Property::Assertion, "n == " + std::to_string(n_->peek()) + ", expected 4");
  }
  std::uint64_t end_state_hash(const sim::Sim&) const override { return static_cast<std::uint64_t>(n_->peek()) + 1; }

 private:
  bool buggy_;
  sim::Sim* sim_ = nullptr;
  std::optional<sim::Shared<int>> n_;
};

class MpscRingWorkload final : public sim::Workload {
  static constexpr unsigned kSlots = 4;
  static constexpr unsigned kBusy = 1u << 31;

 public:
  void build(sim::Sim& s) override {
    sim_ = &s;
    s.set_cpus(3);
    lock_.emplace(s, "lock", 0);
    prod_pos_.emplace(s, "prod_pos", 0);
    cons_pos_.emplace(s, "cons_pos", 0);
    for (unsigned i = 0; i < kSlots; ++i) {
      hdr_[i].emplace(s, "hdr" + std::to_string(i), 0u);
      data_[i].emplace(s, "data" + std::to_string(i), 0u);
    }
    for (unsigned p = 0; p < 2; ++p)
      s.add_task("producer" + std::to_string(p), static_cast<int>(p), [this, p] { produce(p); });
    s.add_task("consumer", 2, [this] { consume(); });
  }

 private:
  bool reserve(unsigned& slot) {
    while (lock_->exchange(1, Mo::Acquire)) sim_->yield();
    unsigned p = prod_pos_->load(Mo::Relaxed);
    unsigned c = cons_pos_->load(Mo::Acquire);
    bool ok = p - c < kSlots;
    if (ok) {
      slot = p % kSlots;
      hdr_[slot]->store(kBusy, Mo::Relaxed);
      prod_pos_->store(p + 1, Mo::Release);
    }
    lock_->store(0, Mo::Release);
    return ok;
  }
  void produce(unsigned index) {
    for (unsigned k = 0; k < 2; ++k) {
      unsigned slot = 0;
      if (!reserve(slot)) continue;
      data_[slot]->store(index * 10 + k, Mo::Relaxed);
      hdr_[slot]->store(1, Mo::Release);
    }
  }
  void consume() {
    unsigned seen = 0;
    for (int spins = 0; spins < 40 && seen < 4; ++spins) {
      unsigned c = cons_pos_->load(Mo::Relaxed);
      unsigned p = prod_pos_->load(Mo::Acquire);
      if (c == p) {
        sim_->yield();
        continue;
      }
      unsigned h = hdr_[c % kSlots]->load(Mo::Acquire);
      if (h & kBusy) {
        sim_->yield();
        continue;
      }
      unsigned v = data_[c % kSlots]->load(Mo::Relaxed);
      if (v % 10 >= 2) sim_->report(Property::Assertion, "consumer read a record that was never written: " + std::to_string(v));
      cons_pos_->store(c + 1, Mo::Release);
      ++seen;
    }
  }

  sim::Sim* sim_ = nullptr;
  std::optional<sim::Shared<int>> lock_;
  std::optional<sim::Shared<unsigned>> prod_pos_, cons_pos_;
  std::optional<sim::Shared<unsigned>> hdr_[kSlots], data_[kSlots];
};

class IrqCounterWorkload final : public sim::Workload {
 public:
  enum class Kind { Racy, Locked, LockedNoIrqsave };
  IrqCounterWorkload(Kind kind, int iterations, int fires) : kind_(kind), iterations_(iterations), fires_(fires) {}
  void build(sim::Sim& s) override {
    sim_ = &s;
    s.set_cpus(2);
    counter_.emplace(s, "counter", 0);
    lock_.emplace(s, "counter_lock");
    for (int cpu = 0; cpu < 2; ++cpu)
      s.add_task("task" + std::to_string(cpu), cpu, [this] {
        for (int i = 0; i < iterations_; ++i) {
          if (kind_ == Kind::Locked) {
            unsigned long flags = lock_->lock_irqsave();
            increment();
            lock_->unlock_irqrestore(flags);
          } else if (kind_ == Kind::LockedNoIrqsave) {
            lock_->lock();
            increment();
            lock_->unlock();
          } else {
            increment();
          }
        }
      });
    s.add_interrupt("timer-irq", 0, sim::Ctx::Hardirq, static_cast<std::uint32_t>(fires_), [this] {
      if (kind_ == Kind::Racy) {
        increment();
      } else {
        lock_->lock();
        increment();
        lock_->unlock();
      }
    });
  }
  void check_final(sim::Sim& s) override {
    long want = 2L * iterations_ + fires_;
    if (counter_->peek() != want)
      s.report(Property::Assertion, "counter == " + std::to_string(counter_->peek()) + ", expected " + std::to_string(want));
  }
  std::uint64_t end_state_hash(const sim::Sim&) const override { return static_cast<std::uint64_t>(counter_->peek()) + 1; }

 private:
  void increment() {
    long v = counter_->load();
    counter_->store(v + 1);
  }
  Kind kind_;
  int iterations_, fires_;
  sim::Sim* sim_ = nullptr;
  std::optional<sim::Shared<long>> counter_;
  std::optional<sim::SpinLock> lock_;
};

}  // namespace

void register_models(std::vector<ModelInfo>& out) {
  out.push_back(ModelInfo{
      "toy_counter",
      "Relacy's toy_counter peer workload: two tasks, two increments each, end check n == 4",
      {{"fetch_add", "atomic fetch_add (correct)"}, {"load_store", "load then store (lost update)"}},
      {Property::Assertion},
      [](const scenario::Spec&, const std::string& variant, scenario::TableReader& root) -> sim::WorkloadFactory {
        root.done();
        bool buggy = variant == "load_store";
        return [buggy] { return std::make_unique<CounterWorkload>(buggy); };
      },
      nullptr});
  out.push_back(ModelInfo{
      "mpsc_ring",
      "Relacy's mpsc_ring peer workload: two producers, a BUSY-bit ring of 4 slots, one polling consumer",
      {{"mainline", "as the peer program"}},
      {Property::Assertion},
      [](const scenario::Spec&, const std::string&, scenario::TableReader& root) -> sim::WorkloadFactory {
        root.done();
        return [] { return std::make_unique<MpscRingWorkload>(); };
      },
      nullptr});
  out.push_back(ModelInfo{
      "irq_counter",
      "a non-atomic counter incremented by tasks on two CPUs and by a hardirq on CPU 0",
      {{"racy", "plain load/store (lost update)"},
       {"locked", "spin_lock_irqsave in tasks, spin_lock in the handler (correct)"},
       {"locked-no-irqsave", "spin_lock in tasks: the handler deadlocks on its own CPU"}},
      {Property::Assertion, Property::Deadlock},
      [](const scenario::Spec& spec, const std::string& variant, scenario::TableReader& root) -> sim::WorkloadFactory {
        int iterations = 2, fires = 1;
        if (const scenario::Value* p = root.table("params")) {
          scenario::TableReader pr(*p, "params", spec.file);
          iterations = static_cast<int>(pr.integer("iterations", 2, 1, 1000));
          fires = static_cast<int>(pr.integer("fires", 1, 0, 1000));
          pr.done();
        }
        root.done();
        auto kind = variant == "racy"     ? IrqCounterWorkload::Kind::Racy
                    : variant == "locked" ? IrqCounterWorkload::Kind::Locked
                                          : IrqCounterWorkload::Kind::LockedNoIrqsave;
        return [kind, iterations, fires] { return std::make_unique<IrqCounterWorkload>(kind, iterations, fires); };
      },
      nullptr});
  register_classic_models(out);
}

}  // namespace model::toy
