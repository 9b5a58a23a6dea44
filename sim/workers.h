// sim/workers.h — what the explorers (explorer.cpp, dfs.cpp) share: one worker per job, each on its
// own thread (on the caller's thread when there is one job), while a reporter thread calls
// `report` about twice a second until every worker has returned. `work` must not throw (workers
// keep their own errors, to be merged deterministically afterwards).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sim {

template <class Worker, class Work>
void run_workers(std::vector<Worker>& workers, Work&& work, const std::function<void()>& report) {
  std::mutex m;
  std::condition_variable cv;
  bool finished = false;
  std::thread reporter;
  if (report)
    reporter = std::thread([&] {
      std::unique_lock<std::mutex> lock(m);
      while (!cv.wait_for(lock, std::chrono::milliseconds(500), [&] { return finished; })) report();
    });
  if (workers.size() == 1) {
    work(workers[0]);
  } else {
    std::vector<std::thread> threads;
    for (auto& w : workers) threads.emplace_back(work, std::ref(w));
    for (auto& t : threads) t.join();
  }
  if (reporter.joinable()) {
    {
      std::lock_guard<std::mutex> lock(m);
      finished = true;
    }
    cv.notify_all();
    reporter.join();
  }
}

}  // namespace sim
