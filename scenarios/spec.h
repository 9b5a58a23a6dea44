// scenarios/spec.h — a parsed scenario: a small value tree where every node keeps its file
// position, and a reader that validates a table key by key.
//
// The loader (loader.cpp) turns TOML into this tree; models read their own sections from it with
// TableReader, so every semantic error a model finds names file:line:column and the field
// ("scenarios/relay/x.toml:6:7: writer[1].cpu = 5 but the scenario has 2 CPUs"). Models never see
// toml++ itself. Errors are thrown as ScenarioError (the command exits 2).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace scenario {

struct Pos {
  int line = 0, column = 0;
};

class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Value {
  enum class Kind { Integer, Float, Boolean, String, Array, Table } kind = Kind::Table;
  Pos pos;
  std::string key;  // table entries: the key naming this value
  Pos key_pos;      // table entries: where that key is
  std::int64_t integer = 0;
  double floating = 0;
  bool boolean = false;
  std::string string;
  std::vector<Value> array;
  std::vector<Value> table;  // entries in file order, each with its key

  const Value* find(const std::string& name) const {
    for (auto& v : table)
      if (v.key == name) return &v;
    return nullptr;
  }
  static const char* kind_name(Kind k) {
    switch (k) {
      case Kind::Integer: return "an integer";
      case Kind::Float: return "a float";
      case Kind::Boolean: return "a boolean";
      case Kind::String: return "a string";
      case Kind::Array: return "an array";
      case Kind::Table: return "a table";
    }
    return "?";
  }
};

/// Formats "file:line:col: message".
inline std::string at(const std::string& file, Pos p, const std::string& message) {
  return file + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": " + message;
}

/// Reads one table: typed getters with ranges, and `done()` to reject keys nobody asked for.
class TableReader {
 public:
  TableReader(const Value& table, std::string path, std::string file)
      : t_(table), path_(std::move(path)), file_(std::move(file)) {}

  const std::string& file() const { return file_; }
  Pos pos() const { return t_.pos; }
  std::string field(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  [[noreturn]] void fail(Pos p, const std::string& msg) const { throw ScenarioError(at(file_, p, msg)); }
  [[noreturn]] void fail_key(const std::string& key, const std::string& msg) const {
    const Value* v = t_.find(key);
    fail(v ? v->pos : t_.pos, field(key) + " " + msg);
  }

  bool has(const std::string& key) const { return t_.find(key) != nullptr; }
  const Value* get(const std::string& key) {
    used_.push_back(key);
    return t_.find(key);
  }
  const Value& require(const std::string& key) {
    const Value* v = get(key);
    if (!v) fail(t_.pos, "missing required field " + field(key));
    return *v;
  }
  const Value& expect_kind(const std::string& key, const Value& v, Value::Kind k) const {
    if (v.kind != k) fail(v.pos, field(key) + " must be " + Value::kind_name(k) + ", not " + Value::kind_name(v.kind));
    return v;
  }
  std::int64_t integer(const std::string& key, std::optional<std::int64_t> def, std::int64_t min, std::int64_t max) {
    const Value* v = get(key);
    if (!v) {
      if (!def) fail(t_.pos, "missing required field " + field(key));
      return *def;
    }
    expect_kind(key, *v, Value::Kind::Integer);
    if (v->integer < min || v->integer > max)
      fail(v->pos, field(key) + " = " + std::to_string(v->integer) + " is out of range [" + std::to_string(min) + ", " +
                       std::to_string(max) + "]");
    return v->integer;
  }
  bool boolean(const std::string& key, bool def) {
    const Value* v = get(key);
    if (!v) return def;
    return expect_kind(key, *v, Value::Kind::Boolean).boolean;
  }
  std::string string(const std::string& key, std::optional<std::string> def, const std::vector<std::string>& allowed = {}) {
    const Value* v = get(key);
    if (!v) {
      if (!def) fail(t_.pos, "missing required field " + field(key));
      return *def;
    }
    expect_kind(key, *v, Value::Kind::String);
    if (!allowed.empty()) {
      bool ok = false;
      std::string list;
      for (auto& a : allowed) {
        ok |= a == v->string;
        list += (list.empty() ? "" : ", ") + a;
      }
      if (!ok) fail(v->pos, field(key) + " = \"" + v->string + "\" is not one of: " + list);
    }
    return v->string;
  }
  /// An array of tables (`[[writer]]`), or none.
  std::vector<const Value*> tables(const std::string& key) {
    std::vector<const Value*> out;
    const Value* v = get(key);
    if (!v) return out;
    expect_kind(key, *v, Value::Kind::Array);
    for (auto& e : v->array) {
      if (e.kind != Value::Kind::Table) fail(e.pos, field(key) + " must be an array of tables");
      out.push_back(&e);
    }
    return out;
  }
  const Value* table(const std::string& key) {
    const Value* v = get(key);
    if (v) expect_kind(key, *v, Value::Kind::Table);
    return v;
  }
  /// Rejects every key that no getter asked for.
  void done() const {
    for (auto& v : t_.table) {
      bool known = false;
      for (auto& u : used_) known |= u == v.key;
      if (!known) fail(v.key_pos, "unknown field " + field(v.key));
    }
  }

 private:
  const Value& t_;
  std::string path_;
  std::string file_;
  std::vector<std::string> used_;
};

/// What every scenario has, whatever its model.
struct Spec {
  std::string file;
  std::string name;
  std::string model;
  std::string variant;
  Pos variant_pos;
  std::string description;
  Value root;  // the whole document, for the model's own sections
  // [check]
  std::vector<std::string> properties;  // empty: all the model checks
  /// Expected violation: one property name, or several ("any of these", for scenarios whose race
  /// shows up as different properties on different schedules). Empty: expect pass.
  std::vector<std::string> expect_violations;
  /// check.accept, on a scenario that expects a pass: known findings (a race the kernel's own code
  /// has, listed in the README) that some strategies and seeds reach within the budget. A run that
  /// ends in one of them is as expected and says it is a known finding; any other violation is not.
  std::vector<std::string> accept_findings;
  std::uint64_t step_bound = 100'000;
  std::string granularity = "message";
  // [explore] defaults the command line may override
  std::uint64_t executions = 10'000;
  std::string strategy = "random";
  unsigned pct_depth = 3;
  /// The engine's spin rule (sim/sim.h, Config::spin_wait): a pure spin iteration waits for a
  /// write to what it read. On by default (`[explore] spin_wait = false` opts out). Changes
  /// schedules, so a schedule records it (reports/schedule.h) and replays against it.
  bool spin_wait = true;
  /// The memory model (sim/memory.h): top-level `memory_model = "sc" | "tso" | "lkmm"`, default sc.
  /// The command line's --memory-model overrides it.
  std::string memory_model = "sc";
};

/// Parses a scenario file (TOML). Throws ScenarioError with file:line:column.
Spec load_file(const std::string& path);
/// Parses scenario text (tests, fuzzing). `name` stands in for the file name in errors.
Spec load_string(const std::string& text, const std::string& name);

}  // namespace scenario
