// model/toy/toy.h — built-in toy workloads that exercise the engine and measure it against peers.
//
// - toy_counter: Relacy's `toy_counter` peer workload (../shared/peers/relacy/toy_counter.cpp):
//   two tasks on two CPUs each increment one shared counter twice; the end check asserts 4.
//   Variants: `fetch_add` (correct) and `load_store` (load then store: the lost update).
// - mpsc_ring: Relacy's `mpsc_ring` peer workload: two producers reserve a slot under a lock word
//   taken with exchange (spinning with yield), write a record whose header carries a BUSY bit,
//   commit by clearing it; a consumer polls at most 40 times and reads committed records in order.
// - irq_counter: a non-atomic counter incremented by a task on each of two CPUs and by a hardirq on
//   CPU 0. Variants: `racy` (plain load/store: lost updates), `locked` (spin_lock_irqsave in tasks,
//   spin_lock in the handler: correct), `locked-no-irqsave` (spin_lock in tasks: the hardirq spins
//   on the lock its own CPU's task holds — a same-CPU deadlock).
#pragma once

#include <vector>

namespace model {
struct ModelInfo;
}

namespace model::toy {
void register_models(std::vector<ModelInfo>& out);
/// readers(N), lastzero(N), indexer(N): the classic DPOR benchmarks (classic.cpp).
void register_classic_models(std::vector<ModelInfo>& out);
}
