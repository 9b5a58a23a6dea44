// scenarios/loader.cpp — TOML → scenario::Spec, with file:line:column on every error.
#include <toml++/toml.h>

#include <fstream>
#include <sstream>

#include "scenarios/spec.h"

namespace scenario {
namespace {

Pos pos_of(const toml::node& n) {
  const auto& s = n.source();
  return Pos{static_cast<int>(s.begin.line), static_cast<int>(s.begin.column)};
}

Value convert(const toml::node& n) {
  Value v;
  v.pos = pos_of(n);
  if (auto t = n.as_table()) {
    v.kind = Value::Kind::Table;
    for (auto&& [k, child] : *t) {
      Value c = convert(child);
      c.key_pos = Pos{static_cast<int>(k.source().begin.line), static_cast<int>(k.source().begin.column)};
      if (c.key_pos.line == 0) c.key_pos = c.pos;
      c.key = std::string(k.str());
      v.table.push_back(std::move(c));
    }
  } else if (auto a = n.as_array()) {
    v.kind = Value::Kind::Array;
    for (auto&& child : *a) v.array.push_back(convert(child));
  } else if (auto i = n.as_integer()) {
    v.kind = Value::Kind::Integer;
    v.integer = i->get();
  } else if (auto f = n.as_floating_point()) {
    v.kind = Value::Kind::Float;
    v.floating = f->get();
  } else if (auto b = n.as_boolean()) {
    v.kind = Value::Kind::Boolean;
    v.boolean = b->get();
  } else if (auto s = n.as_string()) {
    v.kind = Value::Kind::String;
    v.string = s->get();
  } else {
    throw ScenarioError(at("", v.pos, "dates and times are not used in scenarios"));
  }
  return v;
}

Spec build(const toml::table& doc, const std::string& file) {
  Spec s;
  s.file = file;
  s.root = convert(doc);
  s.root.pos = Pos{1, 1};
  TableReader r(s.root, "", file);
  s.name = r.string("name", std::nullopt);
  s.model = r.string("model", std::nullopt);
  s.description = r.string("description", std::string());
  s.memory_model = r.string("memory_model", std::string("sc"), {"sc", "tso", "lkmm"});
  if (const Value* v = r.get("variant")) {
    r.expect_kind("variant", *v, Value::Kind::String);
    s.variant = v->string;
    s.variant_pos = v->pos;
  }
  if (const Value* check = r.table("check")) {
    TableReader c(*check, "check", file);
    if (const Value* props = c.get("properties")) {
      c.expect_kind("properties", *props, Value::Kind::Array);
      for (auto& p : props->array) {
        if (p.kind != Value::Kind::String) c.fail(p.pos, "check.properties must be an array of strings");
        s.properties.push_back(p.string);
      }
    }
    if (const Value* e = c.get("expect")) {
      if (e->kind == Value::Kind::String) {
        if (e->string != "pass") c.fail(e->pos, "check.expect must be \"pass\" or { violation = \"<property>\" }");
      } else if (e->kind == Value::Kind::Table) {
        TableReader er(*e, "check.expect", file);
        const Value& ev = er.require("violation");
        if (ev.kind == Value::Kind::String) {
          s.expect_violations.push_back(ev.string);
        } else if (ev.kind == Value::Kind::Array && !ev.array.empty()) {
          for (auto& x : ev.array) {
            if (x.kind != Value::Kind::String) er.fail(x.pos, "check.expect.violation must be a property name or a list of them");
            s.expect_violations.push_back(x.string);
          }
        } else {
          er.fail(ev.pos, "check.expect.violation must be a property name or a list of them");
        }
        er.done();
      } else {
        c.fail(e->pos, "check.expect must be \"pass\" or { violation = \"<property>\" }");
      }
    }
    if (const Value* a = c.get("accept")) {
      if (a->kind != Value::Kind::Array || a->array.empty())
        c.fail(a->pos, "check.accept must be a non-empty list of property names");
      if (!s.expect_violations.empty())
        c.fail(a->pos, "check.accept is for a scenario that expects a pass; list the properties in check.expect.violation instead");
      for (auto& x : a->array) {
        if (x.kind != Value::Kind::String) c.fail(x.pos, "check.accept must be a non-empty list of property names");
        s.accept_findings.push_back(x.string);
      }
    }
    s.step_bound = static_cast<std::uint64_t>(c.integer("step_bound", 100'000, 1, 1'000'000'000));
    s.granularity = c.string("granularity", std::string("message"), {"message", "word", "byte"});
    c.done();
  }
  if (const Value* ex = r.table("explore")) {
    TableReader e(*ex, "explore", file);
    s.executions = static_cast<std::uint64_t>(e.integer("executions", 10'000, 1, 1'000'000'000'000));
    s.strategy = e.string("strategy", std::string("random"), {"random", "pct"});
    s.pct_depth = static_cast<unsigned>(e.integer("pct_depth", 3, 1, 64));
    s.spin_wait = e.boolean("spin_wait", true);
    e.done();
  }
  // The remaining top-level keys belong to the model (params, cpu, writer, ...): the model's
  // reader marks what it uses and rejects the rest (see model/registry.cpp).
  return s;
}

}  // namespace

Spec load_string(const std::string& text, const std::string& name) {
  toml::table doc;
  try {
    doc = toml::parse(std::string_view(text), std::string_view(name));
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw ScenarioError(at(name, Pos{static_cast<int>(b.line), static_cast<int>(b.column)}, std::string(e.description())));
  }
  try {
    return build(doc, name);
  } catch (const ScenarioError& e) {
    std::string m = e.what();
    if (m.rfind(":", 0) == 0) m = name + m;  // positions raised without a file name
    throw ScenarioError(m);
  }
}

Spec load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(path + ": cannot open scenario file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_string(ss.str(), path);
}

}  // namespace scenario
