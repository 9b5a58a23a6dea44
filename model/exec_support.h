// model/exec_support.h — what every model's exec mode and variant table share.
//
// An exec mode runs a list of operations in one task, in order, with every choice 0 (no
// scheduling freedom), and prints the observable state after each. run_ops_once does the run and
// rethrows what escaped it: `op_error`, an exception the ops' task caught (bad input found while
// running, carried out because exceptions cannot leave a fiber), or an internal fault of the
// engine. A violation a model reports is a result, returned in the ExecResult.
#pragma once

#include <exception>
#include <string>
#include <vector>

#include "sim/choice.h"
#include "sim/sim.h"

namespace model {

inline sim::ExecResult run_ops_once(sim::Sim& sim, sim::Workload& workload, const std::exception_ptr& op_error) {
  sim.load(workload);
  sim::ReplaySource zeros({}, false);
  sim::ExecResult r = sim.run(zeros);
  if (op_error) std::rethrow_exception(op_error);
  if (r.end == sim::ExecResult::End::Error) std::rethrow_exception(r.error);
  return r;
}

/// The entry of a variant table (any type with a `name`) called `name`, or nullptr.
template <class V>
const V* find_named(const std::vector<V>& all, const std::string& name) {
  for (const V& v : all)
    if (v.name == name) return &v;
  return nullptr;
}

}  // namespace model
