// scenarios/json_reader.h — reads one JSON object field by field (exec-mode operation files), with
// one-line errors naming the file and the field (`ops.json: ops[3].len: 70000 is out of range
// [0, 65536]`) and rejection of fields nobody asked for. The JSON counterpart of TableReader.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "scenarios/spec.h"

namespace scenario {

[[noreturn]] inline void json_fail(const std::string& file, const std::string& field, const std::string& msg) {
  throw ScenarioError(file + ": " + field + ": " + msg);
}

inline const char* json_type_name(const nlohmann::json& j) {
  using T = nlohmann::json::value_t;
  switch (j.type()) {
    case T::null: return "null";
    case T::object: return "an object";
    case T::array: return "an array";
    case T::string: return "a string";
    case T::boolean: return "a boolean";
    case T::number_integer:
    case T::number_unsigned: return "an integer";
    case T::number_float: return "a float";
    default: return "an unsupported value";
  }
}

class JsonReader {
 public:
  JsonReader(const nlohmann::json& j, std::string path, const std::string& file) : j_(j), path_(std::move(path)), file_(file) {
    if (!j.is_object()) json_fail(file_, path_.empty() ? "(top level)" : path_, std::string("must be an object, not ") + json_type_name(j));
  }
  const nlohmann::json& json() const { return j_; }
  std::string field(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  [[noreturn]] void fail(const std::string& key, const std::string& msg) const { json_fail(file_, field(key), msg); }
  bool has(const std::string& key) const { return j_.contains(key); }
  const nlohmann::json* get(const std::string& key) {
    used_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }
  std::int64_t integer(const std::string& key, std::optional<std::int64_t> def, std::int64_t min, std::int64_t max) {
    const nlohmann::json* v = get(key);
    if (!v) {
      if (!def) fail(key, "missing required field");
      return *def;
    }
    if (!v->is_number_integer()) fail(key, std::string("must be an integer, not ") + json_type_name(*v));
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      out_of_range(key, std::to_string(v->get<std::uint64_t>()), std::to_string(min), std::to_string(max));
    std::int64_t x = v->get<std::int64_t>();
    if (x < min || x > max) out_of_range(key, std::to_string(x), std::to_string(min), std::to_string(max));
    return x;
  }
  std::uint64_t uinteger(const std::string& key, std::optional<std::uint64_t> def, std::uint64_t min, std::uint64_t max) {
    const nlohmann::json* v = get(key);
    if (!v) {
      if (!def) fail(key, "missing required field");
      return *def;
    }
    if (!v->is_number_integer()) fail(key, std::string("must be an integer, not ") + json_type_name(*v));
    if (!v->is_number_unsigned() && v->get<std::int64_t>() < 0)
      out_of_range(key, std::to_string(v->get<std::int64_t>()), std::to_string(min), std::to_string(max));
    std::uint64_t x = v->get<std::uint64_t>();
    if (x < min || x > max) out_of_range(key, std::to_string(x), std::to_string(min), std::to_string(max));
    return x;
  }
  bool boolean(const std::string& key, bool def) {
    const nlohmann::json* v = get(key);
    if (!v) return def;
    if (!v->is_boolean()) fail(key, std::string("must be a boolean, not ") + json_type_name(*v));
    return v->get<bool>();
  }
  /// A string; with `allowed`, one of those.
  std::string string(const std::string& key, std::optional<std::string> def, const std::vector<std::string>& allowed = {}) {
    const nlohmann::json* v = get(key);
    if (!v) {
      if (!def) fail(key, "missing required field");
      return *def;
    }
    if (!v->is_string()) fail(key, std::string("must be a string, not ") + json_type_name(*v));
    std::string s = v->get<std::string>();
    if (allowed.empty()) return s;
    std::string list;
    for (auto& a : allowed) {
      if (a == s) return s;
      list += (list.empty() ? "" : ", ") + a;
    }
    fail(key, "\"" + s + "\" is not one of: " + list);
  }
  /// Rejects every field that no getter asked for.
  void done() const {
    for (auto it = j_.begin(); it != j_.end(); ++it)
      if (!used_.count(it.key())) fail(it.key(), "unknown field");
  }

 private:
  [[noreturn]] void out_of_range(const std::string& key, const std::string& v, const std::string& min, const std::string& max) const {
    fail(key, v + " is out of range [" + min + ", " + max + "]");
  }
  const nlohmann::json& j_;
  std::string path_;
  const std::string& file_;
  std::set<std::string> used_;
};

}  // namespace scenario
