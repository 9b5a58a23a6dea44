// reports/schedule.cpp — see schedule.h.
#include "reports/schedule.h"

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

template <class T>
T field(const nlohmann::json& j, const char* key, const std::string& file) {
  if (!j.contains(key)) throw ScheduleError(file + ": missing field \"" + key + "\"");
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw ScheduleError(file + ": field \"" + key + "\" has the wrong type");
  }
}

std::uint64_t parse_u64(const std::string& s, const char* key, const std::string& file, int base) {
  try {
    std::size_t used = 0;
    unsigned long long v = std::stoull(s, &used, base);
    if (used != s.size()) throw std::invalid_argument(s);
    return v;
  } catch (const std::exception&) {
    throw ScheduleError(file + ": field \"" + key + "\" = \"" + s + "\" is not a number");
  }
}

}  // namespace

Schedule schedule_from_json(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object() || !j.contains("format") || j["format"] != "relaysim-schedule")
    throw ScheduleError(file + ": not a relaysim schedule (field \"format\" must be \"relaysim-schedule\")");
  int version = field<int>(j, "version", file);
  if (version != kScheduleVersion)
    throw ScheduleError(file + ": schedule format version " + std::to_string(version) + " is not supported (this relaysim reads version " +
                        std::to_string(kScheduleVersion) + ")");
  Schedule s;
  s.scenario = field<std::string>(j, "scenario", file);
  s.scenario_name = j.value("scenario_name", std::string());
  s.model = field<std::string>(j, "model", file);
  s.variant = field<std::string>(j, "variant", file);
  s.strategy = field<std::string>(j, "strategy", file);
  s.seed = parse_u64(field<std::string>(j, "seed", file), "seed", file, 10);
  s.execution = field<std::uint64_t>(j, "execution", file);
  s.pct_depth = j.value("pct_depth", 3u);
  s.choices = field<std::vector<std::uint32_t>>(j, "choices", file);
  s.trace_hash = parse_u64(field<std::string>(j, "trace_hash", file), "trace_hash", file, 16);
  if (j.contains("violation") && !j["violation"].is_null()) {
    const auto& v = j["violation"];
    s.property = field<std::string>(v, "property", file);
    s.violation_step = v.value("step", std::uint64_t{0});
    s.violation_message = v.value("message", std::string());
  }
  return s;
}

Schedule read_schedule_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ScheduleError(path + ": cannot open schedule file");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::parse_error& e) {
    throw ScheduleError(path + ": not valid JSON (byte " + std::to_string(e.byte) + ")");
  }
  return schedule_from_json(j, path);
}

void write_file_atomic(const std::string& path, const std::string& text) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace reports
