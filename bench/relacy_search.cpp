// bench/relacy_search.cpp — runs a Relacy peer workload (../shared/peers/relacy) under Relacy's
// tree-search schedulers instead of its random one, for bench/compare-relacy's search table.
// Built by compare-relacy against a Relacy checkout, never as part of the project:
//   g++ -std=c++17 -O2 -DNDEBUG -I RELACY -DPEER_FILE='"…/mpsc_ring.cpp"' -DPEER_TEST=ring_test
// Usage: relacy_search full|bound K [MAX_ITERATIONS]
// Prints "relacy-search executions N seconds S" (N: Relacy's stop_iteration, the executions run).
// The peer file includes relacy_std.hpp first, as Relacy requires; standard headers come after.
#define main relacy_peer_main
#include PEER_FILE
#undef main

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  rl::test_params p;
  const bool bound = std::strcmp(argv[1], "bound") == 0;
  p.search_type = bound ? rl::fair_context_bound_scheduler_type : rl::fair_full_search_scheduler_type;
  if (bound) p.context_bound = argc > 2 ? static_cast<unsigned>(std::atoi(argv[2])) : 2;
  const int max_arg = bound ? 3 : 2;
  p.iteration_count = argc > max_arg ? std::strtoull(argv[max_arg], nullptr, 10) : 100000000ULL;
  auto t0 = std::chrono::steady_clock::now();
  rl::simulate<PEER_TEST>(p);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("relacy-search executions %llu seconds %.6f\n", static_cast<unsigned long long>(p.stop_iteration), s);
  return 0;
}
