// model/exec_support.h — what every model's exec mode and variant table share.
//
// An exec mode runs a list of operations in one task, in order, with every choice 0 (no
// scheduling freedom), and prints the observable state after each. run_ops_once does the run and
// rethrows what escaped it: `op_error`, an exception the ops' task caught (bad input found while
// running, carried out because exceptions cannot leave a fiber), or an internal fault of the
// engine. A violation a model reports is a result, returned in the ExecResult.
#pragma once

#include <nlohmann/json.hpp>

#include <exception>
#include <string>
#include <utility>
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

/// The operations of an exec file, one at a time: a file is streamed (cli/exec_stream.h), never
/// held whole, so an exec run needs memory for one op and one step, not for the whole file.
class OpSource {
 public:
  virtual ~OpSource() = default;
  /// Back to the first op (an exec mode validates every op in a first pass, then runs them).
  virtual void rewind() = 0;
  /// The next op; false after the last one.
  virtual bool next(nlohmann::json& op) = 0;
};

/// The ops of an in-memory JSON array.
class JsonArrayOps final : public OpSource {
 public:
  explicit JsonArrayOps(const nlohmann::json& ops) : ops_(ops) {}
  void rewind() override { i_ = 0; }
  bool next(nlohmann::json& op) override {
    if (i_ >= ops_.size()) return false;
    op = ops_[i_++];
    return true;
  }

 private:
  const nlohmann::json& ops_;
  std::size_t i_ = 0;
};

/// Where an exec mode's result goes: begin() with the top-level fields known before the first
/// step, each step as it completes, end() with every top-level field but "steps".
class ExecOutput {
 public:
  virtual ~ExecOutput() = default;
  virtual void begin(const nlohmann::json& head) = 0;
  virtual void step(const nlohmann::json& step) = 0;
  virtual void end(const nlohmann::json& result) = 0;
};

/// Collects the result as one JSON document (the in-memory API and the tests).
class JsonExecOutput final : public ExecOutput {
 public:
  void begin(const nlohmann::json&) override {}
  void step(const nlohmann::json& s) override { steps_.push_back(s); }
  void end(const nlohmann::json& result) override {
    result_ = result;
    result_["steps"] = std::move(steps_);
  }
  nlohmann::json& result() { return result_; }

 private:
  nlohmann::json steps_ = nlohmann::json::array(), result_;
};

/// The steps of a run, with the interface of the vector the exec modes used to fill: only the last
/// step is held (a violation may still complete it after the run); earlier ones go to the output.
class StepList {
 public:
  explicit StepList(ExecOutput& out) : out_(out) {}
  void begin(const nlohmann::json& head) { out_.begin(head); }
  void push_back(nlohmann::json s) {
    if (pending_) out_.step(last_);
    last_ = std::move(s);
    pending_ = true;
    ++size_;
  }
  nlohmann::json& back() { return last_; }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  /// Emits the last step and ends the output with `result` (every field but "steps").
  void end(const nlohmann::json& result) {
    if (pending_) out_.step(last_);
    pending_ = false;
    out_.end(result);
  }

 private:
  ExecOutput& out_;
  nlohmann::json last_;
  bool pending_ = false;
  std::size_t size_ = 0;
};

/// An exec mode over a whole JSON document: `top` is the document with "ops" (when an array)
/// replaced by an empty array, and the ops come from a JsonArrayOps over the original.
template <class StreamFn>
nlohmann::json exec_document(const nlohmann::json& input, const std::string& file, StreamFn stream) {
  nlohmann::json top = input;
  const nlohmann::json empty = nlohmann::json::array();
  const nlohmann::json& ops = input.is_object() && input.contains("ops") && input["ops"].is_array() ? input["ops"] : empty;
  if (&ops != &empty) top["ops"] = nlohmann::json::array();
  JsonArrayOps src(ops);
  JsonExecOutput out;
  stream(top, src, file, out);
  return std::move(out.result());
}

/// The entry of a variant table (any type with a `name`) called `name`, or nullptr.
template <class V>
const V* find_named(const std::vector<V>& all, const std::string& name) {
  for (const V& v : all)
    if (v.name == name) return &v;
  return nullptr;
}

}  // namespace model
