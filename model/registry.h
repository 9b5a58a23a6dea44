// model/registry.h — the models relaysim knows, by name, with their variants.
//
// A model turns a parsed scenario (scenario::Spec) into a WorkloadFactory: it validates its own
// sections of the scenario (params, CPUs, actors) with file:line:column errors, then returns a
// factory that builds one independent Workload per exploring thread. Adding a kernel design is a
// new folder under model/ plus one entry in registry.cpp.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kernel/build.h"
#include "scenarios/spec.h"
#include "sim/explorer.h"

namespace model {

struct VariantInfo {
  std::string name;
  std::string description;
};

/// Which source a design runs from (DESIGN.md, "Two sources of one design"): our model, or the
/// kernel's own code built from a tree with patches (kernel/build.h).
struct SourceOptions {
  std::string source;        // "model" | "kernel"; empty: the scenario's `source`, else "model"
  kernel::TreeOptions tree;  // --kernel-tree, --patch
  bool marked_only = false;  // --points marked: only READ_ONCE/WRITE_ONCE and atomics are steps
};

struct Prepared {
  sim::WorkloadFactory factory;
  std::string variant;  // resolved (the model's default when the scenario names none)
  std::string source = "model";  // resolved
};

struct ModelInfo {
  std::string name;
  std::string description;
  std::vector<VariantInfo> variants;  // the first is the default
  std::vector<sim::Property> properties;  // what its workloads check
  /// Validates the scenario's model sections; `root` is a reader of the whole document on which the
  /// common keys are already marked. Must call root.done() after reading its own keys.
  std::function<sim::WorkloadFactory(const scenario::Spec&, const std::string& variant, scenario::TableReader& root)>
      prepare;
  /// The same from the kernel's own source (null: the design has no kernel source yet).
  std::function<sim::WorkloadFactory(const scenario::Spec&, const std::string& variant, scenario::TableReader& root,
                                     const SourceOptions& source)>
      prepare_kernel;
};

const std::vector<ModelInfo>& models();
const ModelInfo* find_model(const std::string& name);

/// Resolves the model and variant of a spec and prepares it (throws scenario::ScenarioError).
Prepared prepare(const scenario::Spec& spec, const std::string& variant_override = "",
                 const SourceOptions& source = {});

/// Applies the spec's [check] step bound and granularity to an engine config.
sim::Sim::Config engine_config(const scenario::Spec& spec);

}  // namespace model
