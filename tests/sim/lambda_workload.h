// tests/sim/lambda_workload.h — a Workload assembled from lambdas, for engine tests.
#pragma once

#include <functional>

#include "sim/sim.h"

namespace testing_support {

struct LambdaWorkload : sim::Workload {
  std::function<void(sim::Sim&)> on_build;
  std::function<void(sim::Sim&)> on_reset;
  std::function<void(sim::Sim&)> on_final;
  void build(sim::Sim& s) override { on_build(s); }
  void reset(sim::Sim& s) override {
    if (on_reset) on_reset(s);
  }
  void check_final(sim::Sim& s) override {
    if (on_final) on_final(s);
  }
};

}  // namespace testing_support
