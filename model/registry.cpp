// model/registry.cpp — see registry.h.
#include "model/registry.h"

#include "model/bpf_relay_map/workload.h"
#include "model/bpf_ringbuf/workload.h"
#include "model/ftrace_rb/workload.h"
#include "model/perf_buf/workload.h"
#include "model/relay/workload.h"
#include "model/toy/toy.h"

namespace model {

const std::vector<ModelInfo>& models() {
  static const std::vector<ModelInfo> all = [] {
    std::vector<ModelInfo> v;
    relay::register_model(v);
    bpf_ringbuf::register_model(v);
    bpf_relay_map::register_model(v);
    ftrace_rb::register_model(v);
    perf_buf::register_model(v);
    toy::register_models(v);
    return v;
  }();
  return all;
}

const ModelInfo* find_model(const std::string& name) {
  for (auto& m : models())
    if (m.name == name) return &m;
  return nullptr;
}

Prepared prepare(const scenario::Spec& spec, const std::string& variant_override, const SourceOptions& source) {
  scenario::TableReader root(spec.root, "", spec.file);
  for (const char* k : {"name", "model", "variant", "description", "memory_model", "check", "explore"}) root.get(k);
  std::string src = source.source;
  if (const scenario::Value* sv = root.get("source")) {
    if (sv->kind != scenario::Value::Kind::String || (sv->string != "model" && sv->string != "kernel"))
      root.fail(sv->pos, "source must be \"model\" or \"kernel\"");
    if (src.empty()) src = sv->string;
  }
  if (src.empty()) src = "model";
  if (src != "model" && src != "kernel") throw scenario::ScenarioError("--source " + src + ": expected model or kernel");
  const ModelInfo* m = find_model(spec.model);
  if (!m) {
    std::string known;
    for (auto& x : models()) known += (known.empty() ? "" : ", ") + x.name;
    const scenario::Value* v = spec.root.find("model");
    root.fail(v ? v->pos : scenario::Pos{1, 1}, "model = \"" + spec.model + "\" is not a known model (" + known + ")");
  }
  std::string variant = variant_override.empty() ? spec.variant : variant_override;
  if (variant.empty()) variant = m->variants.front().name;
  bool ok = false;
  std::string known;
  for (auto& x : m->variants) {
    ok |= x.name == variant;
    known += (known.empty() ? "" : ", ") + x.name;
  }
  if (!ok) {
    std::string msg = "variant \"" + variant + "\" is not a variant of model " + m->name + " (" + known + ")";
    if (!variant_override.empty()) throw scenario::ScenarioError(msg);
    root.fail(spec.variant_pos, msg);
  }
  for (auto& p : spec.properties)
    if (!sim::property_from_name(p)) throw scenario::ScenarioError(spec.file + ": check.properties: unknown property \"" + p + "\"");
  for (const auto& expected : spec.expect_violations) {
    if (sim::property_from_name(expected)) continue;
    const scenario::Value* c = spec.root.find("check");
    throw scenario::ScenarioError(scenario::at(spec.file, c ? c->pos : scenario::Pos{1, 1},
                                               "check.expect.violation = \"" + expected +
                                                   "\" is not a property (see `relaysim list properties`)"));
  }
  for (const auto& accepted : spec.accept_findings) {
    if (sim::property_from_name(accepted)) continue;
    const scenario::Value* c = spec.root.find("check");
    throw scenario::ScenarioError(scenario::at(spec.file, c ? c->pos : scenario::Pos{1, 1},
                                               "check.accept = \"" + accepted +
                                                   "\" is not a property (see `relaysim list properties`)"));
  }
  Prepared p;
  p.variant = variant;
  p.source = src;
  if (src == "kernel") {
    if (!m->prepare_kernel)
      throw scenario::ScenarioError(spec.file + ": model " + m->name +
                                    " has no kernel source yet (source = \"kernel\" runs relay, bpf_ringbuf and perf_buf)");
    SourceOptions so = source;
    so.source = src;
    p.factory = m->prepare_kernel(spec, variant, root, so);
  } else {
    p.factory = m->prepare(spec, variant, root);
  }
  return p;
}

sim::Sim::Config engine_config(const scenario::Spec& spec) {
  sim::Sim::Config c;
  c.step_bound = spec.step_bound;
  if (!spec.properties.empty()) {
    c.checked = 0;
    for (auto& p : spec.properties) c.checked |= 1u << static_cast<int>(*sim::property_from_name(p));
  }
  c.granularity = spec.granularity == "byte"   ? sim::Granularity::Byte
                  : spec.granularity == "word" ? sim::Granularity::Word
                                               : sim::Granularity::Message;
  c.spin_wait = spec.spin_wait;
  c.memory_model = *sim::memory_model_from_name(spec.memory_model);  // the loader allowed only these
  return c;
}

}  // namespace model
