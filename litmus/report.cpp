// litmus/report.cpp — herd7's summary lines for one checked litmus test (see report.h).
#include "litmus/report.h"

#include <sstream>

namespace litmus {

std::string kind_name(const Program& p) {
  switch (p.condition.quantifier) {
    case Condition::Quantifier::Exists: return "Allowed";
    case Condition::Quantifier::NotExists: return "Forbidden";
    case Condition::Quantifier::Forall: return "Required";
  }
  return "";
}

namespace {
// herd7's Witnesses: for ~exists, positive and negative are swapped (check_wit in top_herd.ml).
std::pair<std::uint64_t, std::uint64_t> witnesses(const Program& p, const Result& r) {
  if (p.condition.quantifier == Condition::Quantifier::NotExists) return {r.negative, r.positive};
  return {r.positive, r.negative};
}

std::string state_line(const Program& p, const FinalState& s) {
  std::string line;
  for (std::size_t i = 0; i < s.size(); ++i)
    line += (i ? " " : "") + observed_to_string(p.observed[i]) + "=" + value_to_string(p, s[i]) + ";";
  return line;
}
}  // namespace

std::string herd_text(const Program& p, const Result& r) {
  std::ostringstream o;
  o << "Test " << p.name << " " << kind_name(p) << "\n";
  o << "States " << r.states.size() << "\n";
  for (const auto& sc : r.states) o << state_line(p, sc.state) << "\n";
  o << (r.ok ? "Ok" : "No") << "\n";
  o << "Witnesses\n";
  const auto [pos, neg] = witnesses(p, r);
  o << "Positive: " << pos << " Negative: " << neg << "\n";
  for (const auto& f : r.flags) o << "Flag " << f << "\n";
  o << "Condition " << condition_to_string(p) << "\n";
  o << "Observation " << p.name << " " << r.observation() << " " << r.positive << " " << r.negative << "\n";
  return o.str();
}

nlohmann::json herd_json(const Program& p, const Result& r) {
  nlohmann::json j;
  j["test"] = p.name;
  j["file"] = p.file;
  j["kind"] = kind_name(p);
  nlohmann::json states = nlohmann::json::array();
  for (const auto& sc : r.states) {
    nlohmann::json st = nlohmann::json::object();
    for (std::size_t i = 0; i < sc.state.size(); ++i) st[observed_to_string(p.observed[i])] = value_to_string(p, sc.state[i]);
    states.push_back({{"state", st}, {"count", sc.count}});
  }
  j["states"] = states;
  j["ok"] = r.ok;
  const auto [pos, neg] = witnesses(p, r);
  j["positive"] = pos;
  j["negative"] = neg;
  j["flags"] = r.flags;
  j["condition"] = condition_to_string(p);
  j["observation"] = r.observation();
  j["observation_positive"] = r.positive;
  j["observation_negative"] = r.negative;
  j["candidates"] = r.candidates;
  return j;
}

}  // namespace litmus
