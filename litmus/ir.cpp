// litmus/ir.cpp — the IR's pure evaluators (expressions, the final condition) and herd7's spelling
// of values, observed locations and conditions (herd7 lib/constrGen.ml, pp_prop).
#include "litmus/ir.h"

#include <stdexcept>

namespace litmus {

int Program::location_index(const std::string& n) const {
  for (std::size_t i = 0; i < locations.size(); ++i)
    if (locations[i] == n) return static_cast<int>(i);
  return -1;
}

Value eval(const Expr& e, const std::vector<Value>& regs) {
  using Op = Expr::Op;
  switch (e.op) {
    case Op::Const: return e.value;
    case Op::Reg: return regs.at(static_cast<std::size_t>(e.reg));
    case Op::Not: return Value::integer(truthy(eval(e.args[0], regs)) ? 0 : 1);
    case Op::Neg: return Value::integer(-eval(e.args[0], regs).v);
    case Op::BitNot: return Value::integer(~eval(e.args[0], regs).v);
    case Op::LogAnd: return Value::integer(truthy(eval(e.args[0], regs)) && truthy(eval(e.args[1], regs)));
    case Op::LogOr: return Value::integer(truthy(eval(e.args[0], regs)) || truthy(eval(e.args[1], regs)));
    default: break;
  }
  const Value a = eval(e.args[0], regs), b = eval(e.args[1], regs);
  switch (e.op) {
    case Op::Eq: return Value::integer(a == b);
    case Op::Ne: return Value::integer(!(a == b));
    default: break;
  }
  // A pointer plus or minus zero is the pointer (`y + (r1 ^ r1)`: an address dependency).
  if (e.op == Op::Add && a.is_loc() && !b.is_loc() && b.v == 0) return a;
  if (e.op == Op::Add && b.is_loc() && !a.is_loc() && a.v == 0) return b;
  if (e.op == Op::Sub && a.is_loc() && !b.is_loc() && b.v == 0) return a;
  // Other arithmetic and ordering on integers; an address takes part by its index (meaningless but
  // deterministic; an address computed so is an integer, and accessing through it is an error).
  const std::int64_t x = a.v, y = b.v;
  switch (e.op) {
    case Op::Add: return Value::integer(x + y);
    case Op::Sub: return Value::integer(x - y);
    case Op::Mul: return Value::integer(x * y);
    case Op::Div: return Value::integer(y == 0 ? 0 : x / y);
    case Op::Mod: return Value::integer(y == 0 ? 0 : x % y);
    case Op::And: return Value::integer(x & y);
    case Op::Or: return Value::integer(x | y);
    case Op::Xor: return Value::integer(x ^ y);
    case Op::Shl: return Value::integer(y < 0 || y > 62 ? 0 : x << y);
    case Op::Shr: return Value::integer(y < 0 || y > 62 ? 0 : x >> y);
    case Op::Lt: return Value::integer(x < y);
    case Op::Le: return Value::integer(x <= y);
    case Op::Gt: return Value::integer(x > y);
    case Op::Ge: return Value::integer(x >= y);
    default: break;
  }
  throw std::logic_error("litmus::eval: unknown operator");
}

bool eval_prop(const Prop& prop, const std::function<Value(const Observed&)>& lookup) {
  switch (prop.kind) {
    case Prop::Kind::True: return true;
    case Prop::Kind::False: return false;
    case Prop::Kind::Not: return !eval_prop(prop.args[0], lookup);
    case Prop::Kind::And:
      for (const auto& a : prop.args)
        if (!eval_prop(a, lookup)) return false;
      return true;
    case Prop::Kind::Or:
      for (const auto& a : prop.args)
        if (eval_prop(a, lookup)) return true;
      return false;
    case Prop::Kind::Implies: return !eval_prop(prop.args[0], lookup) || eval_prop(prop.args[1], lookup);
    case Prop::Kind::Atom: return lookup(Observed{prop.thread, prop.name}) == prop.value;
  }
  return false;
}

bool eval_prop(const Program& p, const Prop& prop, const FinalState& s) {
  return eval_prop(prop, [&](const Observed& o) {
    for (std::size_t i = 0; i < p.observed.size(); ++i)
      if (p.observed[i] == o) return s.at(i);
    throw std::logic_error("litmus::eval_prop: atom not observed");
  });
}

std::string value_to_string(const Program& p, const Value& v) {
  if (v.is_loc()) return p.locations.at(static_cast<std::size_t>(v.v));
  return std::to_string(v.v);
}

std::string observed_to_string(const Observed& o) {
  return o.thread >= 0 ? std::to_string(o.thread) + ":" + o.name : o.name;
}

namespace {
enum class Above { Top, And, Or, Implies };

bool needs_paren(Above above, Above here) {
  switch (above) {
    case Above::Top: return false;
    case Above::Implies: return here != Above::Implies;
    case Above::And: return here != Above::And;
    case Above::Or: return here == Above::Implies;
  }
  return false;
}

std::string pp(const Program& p, const Prop& prop, Above above) {
  auto paren = [&](Above here, const std::string& s) { return needs_paren(above, here) ? "(" + s + ")" : s; };
  auto join = [&](Above here, const char* sep) {
    std::string s;
    for (std::size_t i = 0; i < prop.args.size(); ++i) s += (i ? sep : "") + pp(p, prop.args[i], here);
    return paren(here, s);
  };
  switch (prop.kind) {
    case Prop::Kind::True: return "true";
    case Prop::Kind::False: return "false";
    case Prop::Kind::Atom: return observed_to_string({prop.thread, prop.name}) + "=" + value_to_string(p, prop.value);
    case Prop::Kind::Not: return "not (" + pp(p, prop.args[0], Above::Top) + ")";
    case Prop::Kind::And: return join(Above::And, " /\\ ");
    case Prop::Kind::Or: return join(Above::Or, " \\/ ");
    case Prop::Kind::Implies: return join(Above::Implies, " => ");
  }
  return "";
}
}  // namespace

std::string condition_to_string(const Program& p) {
  const char* q = p.condition.quantifier == Condition::Quantifier::Exists      ? "exists"
                  : p.condition.quantifier == Condition::Quantifier::NotExists ? "~exists"
                                                                               : "forall";
  return std::string(q) + " (" + pp(p, p.condition.prop, Above::Top) + ")";
}

}  // namespace litmus
