// reports/schedule.cpp — see schedule.h.
#include "reports/schedule.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reports/text_trace.h"

namespace reports {

std::string hex64(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

nlohmann::json schedule_to_json(const Schedule& s, const sim::Sim* sim) {
  nlohmann::json j;
  j["format"] = "relaysim-schedule";
  j["version"] = kScheduleVersion;
  j["scenario"] = s.scenario;
  j["scenario_name"] = s.scenario_name;
  j["model"] = s.model;
  j["variant"] = s.variant;
  if (s.kernel)
    j["kernel"] = {{"tree", s.kernel->tree}, {"patches", s.kernel->patches}, {"points", s.kernel->marked_only ? "marked" : "all"}};
  if (s.memory_model != sim::MemoryModel::Sc) j["memory_model"] = std::string(sim::memory_model_name(s.memory_model));
  if (s.spin_wait) j["spin_wait"] = true;
  j["strategy"] = s.strategy;
  j["seed"] = std::to_string(s.seed);  // 64-bit values as strings
  j["execution"] = s.execution;
  j["pct_depth"] = s.pct_depth;
  j["choices"] = s.choices;
  j["trace_hash"] = hex64(s.trace_hash);
  if (s.property) {
    j["violation"] = {{"property", *s.property}, {"step", s.violation_step}, {"message", s.violation_message}};
  } else {
    j["violation"] = nullptr;
  }
  if (sim) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& e : sim->trace()) {
      steps.push_back({{"step", e.step},
                       {"actor", e.cpu < 0 ? std::string("<driver>") : sim->actor_name(static_cast<int>(e.actor))},
                       {"cpu", e.cpu},
                       {"ctx", std::string(sim::ctx_name(e.ctx))},
                       {"event", describe_event(*sim, e)}});
    }
    j["steps"] = std::move(steps);
  }
  return j;
}

namespace {

// The rules of reports/schedule.schema.json, in code, in this one place (schedule_test.cpp checks
// that the field lists agree with the schema file).
[[noreturn]] void bad(const std::string& file, const std::string& field, const std::string& msg) {
  throw ScheduleError(file + ": field \"" + field + "\" " + msg);
}

const char* type_of(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::object: return "an object";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_float: return "a fractional number";
    default: return "a number";
  }
}

const nlohmann::json* find(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

const nlohmann::json& need(const nlohmann::json& j, const char* key, const std::string& file) {
  const nlohmann::json* v = find(j, key);
  if (!v) throw ScheduleError(file + ": missing field \"" + key + "\"");
  return *v;
}

std::string string_at(const nlohmann::json& v, const std::string& field, const std::string& file) {
  if (!v.is_string()) bad(file, field, std::string("must be a string, not ") + type_of(v));
  return v.get<std::string>();
}

// A non-negative integer (JSON integers only: 1.0, 1.5 and 1e20 are refused) at most max.
std::uint64_t uint_at(const nlohmann::json& v, const std::string& field, const std::string& file, std::uint64_t min,
                      std::uint64_t max) {
  if (!v.is_number_integer()) bad(file, field, std::string("must be an integer, not ") + type_of(v));
  const std::string range = "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
  if (!v.is_number_unsigned()) bad(file, field, "= " + v.dump() + " is out of range " + range);
  const std::uint64_t x = v.get<std::uint64_t>();
  if (x < min || x > max) bad(file, field, "= " + std::to_string(x) + " is out of range " + range);
  return x;
}

std::uint64_t parse_u64(const std::string& s, const char* key, const std::string& file, int base) {
  // The schema's patterns: seed ^[0-9]+$, trace_hash ^0x[0-9a-f]{16}$.
  bool ok = !s.empty();
  if (base == 16) {
    ok = s.size() == 18 && s[0] == '0' && s[1] == 'x';
    for (std::size_t i = 2; ok && i < s.size(); ++i) ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
  } else {
    for (char c : s) ok = ok && c >= '0' && c <= '9';
    ok = ok && (s.size() < 20 || (s.size() == 20 && s <= "18446744073709551615"));
  }
  if (!ok)
    bad(file, key, "= \"" + s + "\" is not " + (base == 16 ? "0x and 16 lower-case hex digits" : "a decimal 64-bit number"));
  return std::stoull(base == 16 ? s.substr(2) : s, nullptr, base);
}

}  // namespace

const std::vector<std::string>& schedule_fields() {
  static const std::vector<std::string> f = {"format", "version", "scenario", "scenario_name", "model", "variant", "kernel",
                                             "memory_model", "spin_wait", "strategy", "seed", "execution", "pct_depth", "choices", "trace_hash", "violation",
                                             "steps"};
  return f;
}

const std::vector<std::string>& schedule_required_fields() {
  static const std::vector<std::string> f = {"format", "version", "scenario", "model", "variant", "strategy", "seed",
                                             "execution", "choices", "trace_hash"};
  return f;
}

const std::vector<std::string>& schedule_strategies() {
  static const std::vector<std::string> s = {"random", "pct", "replay", "shrink", "dfs"};
  return s;
}

Schedule schedule_from_json(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object() || !j.contains("format") || j["format"] != "relaysim-schedule")
    throw ScheduleError(file + ": not a relaysim schedule (field \"format\" must be \"relaysim-schedule\")");
  const nlohmann::json& version = need(j, "version", file);
  if (!version.is_number_integer()) bad(file, "version", std::string("must be an integer, not ") + type_of(version));
  if (version != kScheduleVersion)
    throw ScheduleError(file + ": schedule format version " + version.dump() + " is not supported (this relaysim reads version " +
                        std::to_string(kScheduleVersion) + ")");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto& known = schedule_fields();
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      throw ScheduleError(file + ": unknown field \"" + it.key() + "\"");
  }
  for (const auto& key : schedule_required_fields()) need(j, key.c_str(), file);
  Schedule s;
  s.scenario = string_at(j["scenario"], "scenario", file);
  if (s.scenario.empty()) bad(file, "scenario", "must name a scenario file");
  if (const auto* v = find(j, "scenario_name")) s.scenario_name = string_at(*v, "scenario_name", file);
  s.model = string_at(j["model"], "model", file);
  s.variant = string_at(j["variant"], "variant", file);
  if (const auto* k = find(j, "kernel")) {
    if (!k->is_object()) bad(file, "kernel", std::string("must be an object, not ") + type_of(*k));
    for (auto it = k->begin(); it != k->end(); ++it)
      if (it.key() != "tree" && it.key() != "patches" && it.key() != "points") bad(file, "kernel." + it.key(), "is not a field");
    KernelSourceRecord rec;
    if (const auto* t = find(*k, "tree")) rec.tree = string_at(*t, "kernel.tree", file);
    if (const auto* ps = find(*k, "patches")) {
      if (!ps->is_array()) bad(file, "kernel.patches", std::string("must be an array, not ") + type_of(*ps));
      for (std::size_t i = 0; i < ps->size(); ++i)
        rec.patches.push_back(string_at((*ps)[i], "kernel.patches[" + std::to_string(i) + "]", file));
    }
    if (const auto* pt = find(*k, "points")) {
      const std::string v = string_at(*pt, "kernel.points", file);
      if (v != "all" && v != "marked") bad(file, "kernel.points", "= \"" + v + "\" is not all or marked");
      rec.marked_only = v == "marked";
    }
    s.kernel = rec;
  }
  if (const auto* v = find(j, "memory_model")) {
    const std::string m = string_at(*v, "memory_model", file);
    const auto mm = sim::memory_model_from_name(m);
    if (!mm) bad(file, "memory_model", "= \"" + m + "\" is not sc, tso or lkmm");
    s.memory_model = *mm;
  }
  if (const auto* v = find(j, "spin_wait")) {
    if (!v->is_boolean()) bad(file, "spin_wait", std::string("must be a boolean, not ") + type_of(*v));
    s.spin_wait = v->get<bool>();
  }
  s.strategy = string_at(j["strategy"], "strategy", file);
  const auto& strategies = schedule_strategies();
  if (std::find(strategies.begin(), strategies.end(), s.strategy) == strategies.end())
    bad(file, "strategy", "= \"" + s.strategy + "\" is not random, pct, replay, shrink or dfs");
  s.seed = parse_u64(string_at(j["seed"], "seed", file), "seed", file, 10);
  s.execution = uint_at(j["execution"], "execution", file, 0, UINT64_MAX);
  if (const auto* v = find(j, "pct_depth")) s.pct_depth = static_cast<unsigned>(uint_at(*v, "pct_depth", file, 1, kMaxPctDepth));
  const nlohmann::json& choices = j["choices"];
  if (!choices.is_array()) bad(file, "choices", std::string("must be an array, not ") + type_of(choices));
  s.choices.reserve(choices.size());
  for (std::size_t i = 0; i < choices.size(); ++i)
    s.choices.push_back(static_cast<std::uint32_t>(uint_at(choices[i], "choices[" + std::to_string(i) + "]", file, 0, UINT32_MAX)));
  s.trace_hash = parse_u64(string_at(j["trace_hash"], "trace_hash", file), "trace_hash", file, 16);
  if (const auto* v = find(j, "violation"); v && !v->is_null()) {
    if (!v->is_object()) bad(file, "violation", std::string("must be null or an object, not ") + type_of(*v));
    s.property = string_at(need(*v, "property", file), "violation.property", file);
    if (const auto* st = find(*v, "step")) s.violation_step = uint_at(*st, "violation.step", file, 0, UINT64_MAX);
    if (const auto* m = find(*v, "message")) s.violation_message = string_at(*m, "violation.message", file);
  }
  if (const auto* steps = find(j, "steps")) {
    if (!steps->is_array()) bad(file, "steps", std::string("must be an array, not ") + type_of(*steps));
    for (std::size_t i = 0; i < steps->size(); ++i) {
      const nlohmann::json& e = (*steps)[i];
      const std::string at = "steps[" + std::to_string(i) + "]";
      if (!e.is_object()) bad(file, at, std::string("must be an object, not ") + type_of(e));
      for (const char* k : {"step", "cpu"})
        if (const auto* x = find(e, k); x && !x->is_number_integer()) bad(file, at + "." + k, "must be an integer");
      for (const char* k : {"actor", "event"})
        if (const auto* x = find(e, k); x && !x->is_string()) bad(file, at + "." + k, "must be a string");
      if (const auto* x = find(e, "ctx")) {
        const std::string c = string_at(*x, at + ".ctx", file);
        if (c != "task" && c != "softirq" && c != "hardirq" && c != "nmi") bad(file, at + ".ctx", "= \"" + c + "\" is not a context");
      }
    }
  }
  return s;
}

Schedule schedule_from_text(const std::string& text, const std::string& file) {
  nlohmann::json j;
  try {
    // Nesting beyond kMaxScheduleDepth is refused while parsing, before any value is built.
    j = nlohmann::json::parse(text, [&](int depth, nlohmann::json::parse_event_t ev, nlohmann::json&) {
      if ((ev == nlohmann::json::parse_event_t::object_start || ev == nlohmann::json::parse_event_t::array_start) &&
          depth >= kMaxScheduleDepth)
        throw ScheduleError(file + ": JSON nested deeper than " + std::to_string(kMaxScheduleDepth) + " levels");
      return true;
    });
  } catch (const nlohmann::json::parse_error& e) {
    throw ScheduleError(file + ": not valid JSON (byte " + std::to_string(e.byte) + ")");  // trailing bytes too
  } catch (const nlohmann::json::exception&) {  // out_of_range.406: a number beyond double (1e999)
    throw ScheduleError(file + ": not valid JSON (a number out of range)");
  }
  return schedule_from_json(j, file);
}

Schedule read_schedule_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScheduleError(path + ": cannot open schedule file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return schedule_from_text(ss.str(), path);
}

}  // namespace reports
