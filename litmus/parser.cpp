// litmus/parser.cpp — herd7 C litmus tests to the IR (litmus/ir.h): a lexer with line numbers, a
// recursive-descent parser for the header, init block, threads and final condition, and the
// lowering of C expressions with memory accesses into one-access instructions. The macros follow
// tools/memory-model/linux-kernel.def and herd7's lkmmv1 translation (herd/CSem.ml): a fully
// ordered RMW is smp_mb(); Once read; Once write; smp_mb().
#include "litmus/parser.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <sstream>

namespace litmus {
namespace {

struct Token {
  enum class Kind { Ident, Number, Punct, String, End } kind = Kind::End;
  std::string text;
  int line = 0;
};

class Lexer {
 public:
  Lexer(const std::string& text, const std::string& file) : s_(text), file_(file) {}

  // OCaml comments `(* *)` are comments outside thread code only: inside, `(*x)` is C.
  bool ocaml_comments = true;

  [[noreturn]] void fail(int line, const std::string& m) const { throw LitmusError(file_, line, m); }

  const Token& peek() {
    if (!have_) {
      tok_ = lex();
      have_ = true;
    }
    return tok_;
  }
  Token next() {
    peek();
    have_ = false;
    return tok_;
  }
  bool is(const char* p) { return peek().kind == Token::Kind::Punct && peek().text == p; }
  bool is_ident(const char* w) { return peek().kind == Token::Kind::Ident && peek().text == w; }
  bool accept(const char* p) {
    if (!is(p)) return false;
    next();
    return true;
  }
  Token expect(const char* p) {
    if (!is(p)) fail(peek().line, std::string("syntax error: expected '") + p + "', got " + describe(peek()));
    return next();
  }
  Token expect_ident(const char* what) {
    if (peek().kind != Token::Kind::Ident) fail(peek().line, std::string("syntax error: expected ") + what + ", got " + describe(peek()));
    return next();
  }
  static std::string describe(const Token& t) {
    if (t.kind == Token::Kind::End) return "end of file";
    return "'" + t.text + "'";
  }

  // The rest of the current line, raw (the test name after `C`).
  // The next word on the current line, raw (the test name after `C`: `MP+po.once-2`).
  std::string word_on_line() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
    std::string r;
    while (pos_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[pos_]))) r += s_[pos_++];
    return r;
  }
  int line() const { return line_; }

 private:
  Token lex() {
    skip();
    Token t;
    t.line = line_;
    if (pos_ >= s_.size()) return t;
    const char c = s_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      t.kind = Token::Kind::Ident;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) t.text += s_[pos_++];
      return t;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      t.kind = Token::Kind::Number;
      while (pos_ < s_.size() && std::isalnum(static_cast<unsigned char>(s_[pos_]))) t.text += s_[pos_++];
      return t;
    }
    if (c == '"') {
      t.kind = Token::Kind::String;
      ++pos_;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        if (s_[pos_] == '\n') ++line_;
        t.text += s_[pos_++];
      }
      if (pos_ >= s_.size()) fail(t.line, "syntax error: unterminated string");
      ++pos_;
      return t;
    }
    static const char* const multi[] = {"/\\", "\\/", "==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "->", "=>", "++", "--",
                                        "+=", "-=", "*=", "/=", "|=", "&=", "^="};
    for (const char* m : multi) {
      const std::size_t n = std::char_traits<char>::length(m);
      if (s_.compare(pos_, n, m) == 0) {
        t.kind = Token::Kind::Punct;
        t.text = m;
        pos_ += n;
        return t;
      }
    }
    t.kind = Token::Kind::Punct;
    t.text = std::string(1, c);
    ++pos_;
    return t;
  }

  void skip() {
    for (;;) {
      while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) {
        if (s_[pos_] == '\n') ++line_;
        ++pos_;
      }
      if (s_.compare(pos_, 2, "//") == 0) {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else if (s_.compare(pos_, 2, "/*") == 0) {
        const int start = line_;
        pos_ += 2;
        while (pos_ < s_.size() && s_.compare(pos_, 2, "*/") != 0) {
          if (s_[pos_] == '\n') ++line_;
          ++pos_;
        }
        if (pos_ >= s_.size()) fail(start, "syntax error: unterminated /* comment");
        pos_ += 2;
      } else if (ocaml_comments && s_.compare(pos_, 2, "(*") == 0) {
        const int start = line_;
        int depth = 0;
        do {
          if (pos_ >= s_.size()) fail(start, "syntax error: unterminated (* comment");
          if (s_.compare(pos_, 2, "(*") == 0) {
            ++depth;
            pos_ += 2;
          } else if (s_.compare(pos_, 2, "*)") == 0) {
            --depth;
            pos_ += 2;
          } else {
            if (s_[pos_] == '\n') ++line_;
            ++pos_;
          }
        } while (depth > 0);
      } else {
        return;
      }
    }
  }

  const std::string& s_;
  std::string file_;
  std::size_t pos_ = 0;
  int line_ = 1;
  Token tok_;
  bool have_ = false;
};

// The C expression tree, before lowering.
struct Ast {
  enum class Kind { Num, Ident, Unary, Binary, Call, Deref, AddrOf } kind = Kind::Num;
  std::string text;  // identifier, operator or callee
  std::int64_t num = 0;
  std::vector<Ast> args;
  int line = 0;
};

const char* const kTypeWords[] = {"int", "long", "unsigned", "signed", "char", "short", "spinlock_t", "atomic_t",
                                  "intptr_t", "uintptr_t", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "const",
                                  "volatile", "atomic_long_t"};

bool is_type_word(const std::string& w) {
  for (const char* t : kTypeWords)
    if (w == t) return true;
  return false;
}

std::int64_t parse_number(Lexer& lx, const Token& t) {
  try {
    std::size_t used = 0;
    const std::int64_t v = std::stoll(t.text, &used, 0);
    if (used != t.text.size()) lx.fail(t.line, "syntax error: bad number '" + t.text + "'");
    return v;
  } catch (const std::logic_error&) {
    lx.fail(t.line, "syntax error: bad number '" + t.text + "'");
  }
}

class Parser {
 public:
  Parser(const std::string& text, const std::string& file) : lx_(text, file) { prog_.file = file; }

  Program run() {
    header();
    init_block();
    while (lx_.peek().kind == Token::Kind::Ident && is_thread_name(lx_.peek().text)) thread();
    tail();
    return std::move(prog_);
  }

 private:
  // ---- header, init, tail -------------------------------------------------------------------
  void header() {
    const Token arch = lx_.next();
    if (arch.kind != Token::Kind::Ident) lx_.fail(arch.line, "syntax error: expected 'C NAME' on the first line");
    if (arch.text != "C") lx_.fail(arch.line, "unsupported architecture '" + arch.text + "' (only C litmus tests)");
    prog_.name = lx_.word_on_line();
    if (prog_.name.empty() || prog_.name.rfind("(*", 0) == 0) lx_.fail(arch.line, "syntax error: expected a test name after 'C'");
    while (lx_.peek().kind == Token::Kind::String) lx_.next();  // doc string
  }

  int add_location(const std::string& n, bool lock, int line) {
    int i = prog_.location_index(n);
    if (i < 0) {
      prog_.locations.push_back(n);
      prog_.is_lock.push_back(lock);
      prog_.init.push_back(Value::integer(0));
      i = static_cast<int>(prog_.locations.size()) - 1;
    } else if (lock) {
      prog_.is_lock[static_cast<std::size_t>(i)] = true;
    }
    (void)line;
    return i;
  }

  struct PendingInit {
    int thread = -1;
    std::string name;
    std::string value_ident;  // a location name, resolved when all locations are known
    std::int64_t value = 0;
    bool is_ident = false;
    int line = 0;
  };

  void init_block() {
    lx_.expect("{");
    while (!lx_.accept("}")) {
      if (lx_.accept(";")) continue;
      const int line = lx_.peek().line;
      bool lock = false;
      while (lx_.peek().kind == Token::Kind::Ident && is_type_word(lx_.peek().text)) {
        lock = lock || lx_.peek().text == "spinlock_t";
        lx_.next();
      }
      while (lx_.accept("*")) {
      }
      PendingInit pi;
      pi.line = line;
      if (lx_.peek().kind == Token::Kind::Number) {
        pi.thread = static_cast<int>(parse_number(lx_, lx_.next()));
        lx_.expect(":");
        pi.name = lx_.expect_ident("a register").text;
      } else {
        const Token t = lx_.expect_ident("a location or N:register");
        if (lx_.is("[")) lx_.fail(t.line, "unsupported: arrays in the init block");
        pi.name = t.text;
        add_location(pi.name, lock, line);
      }
      if (lx_.accept("=")) {
        lx_.accept("&");
        bool neg = lx_.accept("-");
        const Token v = lx_.next();
        if (v.kind == Token::Kind::Number) {
          pi.value = parse_number(lx_, v) * (neg ? -1 : 1);
        } else if (v.kind == Token::Kind::Ident && !neg) {
          pi.is_ident = true;
          pi.value_ident = v.text;
        } else {
          lx_.fail(v.line, "syntax error: expected an initial value, got " + Lexer::describe(v));
        }
      }
      pending_init_.push_back(pi);
      if (!lx_.is("}")) lx_.expect(";");
    }
  }

  Value resolve_value_ident(const std::string& n, int line) {
    const int i = prog_.location_index(n);
    if (i < 0) lx_.fail(line, "unknown location '" + n + "' used as a value");
    return Value::location(i);
  }

  static bool is_thread_name(const std::string& w) {
    if (w.size() < 2 || w[0] != 'P') return false;
    for (std::size_t i = 1; i < w.size(); ++i)
      if (!std::isdigit(static_cast<unsigned char>(w[i]))) return false;
    return true;
  }

  void tail() {
    // Init values naming locations are resolved now that every thread's parameters are known.
    for (const auto& pi : pending_init_) {
      // herd7: a location named only as an initial value (`p=y;`) is a location too.
      if (pi.is_ident) add_location(pi.value_ident, false, pi.line);
      const Value v = pi.is_ident ? resolve_value_ident(pi.value_ident, pi.line) : Value::integer(pi.value);
      if (pi.thread >= 0) {
        Thread* th = find_thread(pi.thread);
        if (!th) lx_.fail(pi.line, "init block: no thread P" + std::to_string(pi.thread));
        th->reg_init.emplace_back(register_of(*th, pi.name), v);
      } else {
        prog_.init[static_cast<std::size_t>(prog_.location_index(pi.name))] = v;
      }
    }
    if (prog_.threads.empty()) lx_.fail(lx_.peek().line, "syntax error: expected a thread P0(...) { ... }");
    if (lx_.is_ident("locations")) {
      lx_.next();
      lx_.expect("[");
      while (!lx_.accept("]")) {
        if (lx_.accept(";")) continue;
        observe(observed_ref(), lx_.peek().line);
      }
    }
    if (lx_.is_ident("filter")) {
      lx_.next();
      filtering_ = true;
      prog_.filter = prop_implies();
      filtering_ = false;
    }
    const Token q = lx_.peek();
    if (lx_.accept("~")) {
      if (!lx_.is_ident("exists")) lx_.fail(q.line, "syntax error: expected 'exists' after '~'");
      lx_.next();
      prog_.condition.quantifier = Condition::Quantifier::NotExists;
    } else if (lx_.is_ident("exists")) {
      lx_.next();
      prog_.condition.quantifier = Condition::Quantifier::Exists;
    } else if (lx_.is_ident("forall")) {
      lx_.next();
      prog_.condition.quantifier = Condition::Quantifier::Forall;
    } else {
      lx_.fail(q.line, "syntax error: expected exists, ~exists or forall, got " + Lexer::describe(q));
    }
    prog_.condition.prop = prop_implies();
    if (lx_.peek().kind != Token::Kind::End)
      lx_.fail(lx_.peek().line, "syntax error: unexpected " + Lexer::describe(lx_.peek()) + " after the condition");
    // herd7 prints a state's registers first (by thread, then name), then locations by name.
    std::stable_sort(prog_.observed.begin(), prog_.observed.end(), [](const Observed& a, const Observed& b) {
      const bool ra = a.thread >= 0, rb = b.thread >= 0;
      if (ra != rb) return ra;
      if (a.thread != b.thread) return a.thread < b.thread;
      return a.name < b.name;
    });
  }

  Thread* find_thread(int id) {
    for (auto& t : prog_.threads)
      if (t.id == id) return &t;
    return nullptr;
  }

  static int register_of(Thread& th, const std::string& name) {
    for (std::size_t i = 0; i < th.registers.size(); ++i)
      if (th.registers[i] == name) return static_cast<int>(i);
    th.registers.push_back(name);
    return static_cast<int>(th.registers.size()) - 1;
  }

  Observed observed_ref() {
    Observed o;
    if (lx_.peek().kind == Token::Kind::Number) {
      const Token n = lx_.next();
      o.thread = static_cast<int>(parse_number(lx_, n));
      lx_.expect(":");
      const Token r = lx_.expect_ident("a register");
      o.name = r.text;
      Thread* th = find_thread(o.thread);
      if (!th) lx_.fail(n.line, "no thread P" + n.text + " for '" + n.text + ":" + r.text + "'");
      bool found = false;
      for (const auto& reg : th->registers) found = found || reg == r.text;
      if (!found) lx_.fail(r.line, "P" + n.text + " has no register '" + r.text + "'");
      return o;
    }
    const bool bracket = lx_.accept("[");
    const Token l = lx_.expect_ident("a location or N:register");
    if (bracket) lx_.expect("]");
    const int i = prog_.location_index(l.text);
    if (i < 0) lx_.fail(l.line, "unknown location '" + l.text + "'");
    if (prog_.is_lock[static_cast<std::size_t>(i)])
      lx_.fail(l.line, "unsupported: the final value of spinlock '" + l.text + "' (lock.cat flags lock-final)");
    o.name = l.text;
    return o;
  }

  void observe(const Observed& o, int) {
    for (const auto& e : prog_.observed)
      if (e == o) return;
    prog_.observed.push_back(o);
  }

  Prop prop_implies() {
    const Depth depth(*this, lx_.peek().line);
    Prop l = prop_or();
    if (!lx_.accept("=>")) return l;
    Prop p;
    p.kind = Prop::Kind::Implies;
    p.args.push_back(std::move(l));
    p.args.push_back(prop_implies());
    return p;
  }
  Prop prop_or() {
    Prop l = prop_and();
    if (!lx_.is("\\/")) return l;
    Prop p;
    p.kind = Prop::Kind::Or;
    p.args.push_back(std::move(l));
    while (lx_.accept("\\/")) p.args.push_back(prop_and());
    return p;
  }
  Prop prop_and() {
    Prop l = prop_unary();
    if (!lx_.is("/\\")) return l;
    Prop p;
    p.kind = Prop::Kind::And;
    p.args.push_back(std::move(l));
    while (lx_.accept("/\\")) p.args.push_back(prop_unary());
    return p;
  }
  Prop prop_unary() {
    const Depth depth(*this, lx_.peek().line);
    if (lx_.accept("~") || (lx_.is_ident("not") && (lx_.next(), true))) {
      Prop p;
      p.kind = Prop::Kind::Not;
      p.args.push_back(prop_unary());
      return p;
    }
    if (lx_.accept("(")) {
      Prop p = prop_implies();
      lx_.expect(")");
      return p;
    }
    if (lx_.is_ident("true") || lx_.is_ident("false")) {
      Prop p;
      p.kind = lx_.next().text == "true" ? Prop::Kind::True : Prop::Kind::False;
      return p;
    }
    const int line = lx_.peek().line;
    Observed o = observed_ref();
    lx_.expect("=");
    Prop p;
    p.kind = Prop::Kind::Atom;
    p.thread = o.thread;
    p.name = o.name;
    const bool neg = lx_.accept("-");
    const Token v = lx_.next();
    if (v.kind == Token::Kind::Number)
      p.value = Value::integer(parse_number(lx_, v) * (neg ? -1 : 1));
    else if (v.kind == Token::Kind::Ident && !neg)
      p.value = resolve_value_ident(v.text, v.line);
    else
      lx_.fail(v.line, "syntax error: expected a value, got " + Lexer::describe(v));
    if (!filtering_) observe(o, line);
    return p;
  }

  // ---- threads ------------------------------------------------------------------------------
  void thread() {
    const Token name = lx_.next();
    Thread th;
    th.id = name.text.size() > 4 ? -1 : std::stoi(name.text.substr(1));
    if (th.id != static_cast<int>(prog_.threads.size()))
      lx_.fail(name.line, "syntax error: expected thread P" + std::to_string(prog_.threads.size()) + ", got " + name.text);
    lx_.expect("(");
    while (!lx_.accept(")")) {
      if (lx_.accept(",")) continue;
      const int line = lx_.peek().line;
      bool lock = false;
      int stars = 0;
      if (lx_.is_ident("struct")) lx_.fail(line, "unsupported: struct parameter (SRCU and structures are not supported)");
      if (lx_.is_ident("void") && (lx_.next(), lx_.is(")"))) continue;
      while (lx_.peek().kind == Token::Kind::Ident && is_type_word(lx_.peek().text)) {
        lock = lock || lx_.peek().text == "spinlock_t";
        lx_.next();
      }
      while (lx_.accept("*")) ++stars;
      const Token p = lx_.expect_ident("a parameter name");
      if (stars == 0) lx_.fail(p.line, "unsupported: parameter '" + p.text + "' is not a pointer to a shared location");
      add_location(p.text, lock, line);
    }
    lx_.ocaml_comments = false;
    lx_.expect("{");
    th_ = &th;
    while (!lx_.is("}")) {
      if (lx_.peek().kind == Token::Kind::End) lx_.fail(lx_.line(), "syntax error: unterminated thread body");
      statement();
    }
    lx_.ocaml_comments = true;
    lx_.next();
    th_ = nullptr;
    prog_.threads.push_back(std::move(th));
  }

  int reg_index(const std::string& n) const {
    for (std::size_t i = 0; i < th_->registers.size(); ++i)
      if (th_->registers[i] == n) return static_cast<int>(i);
    return -1;
  }
  int temp() {
    th_->registers.push_back("%t" + std::to_string(temps_++));
    return static_cast<int>(th_->registers.size()) - 1;
  }
  int here() const { return static_cast<int>(th_->code.size()); }
  Instr& emit(Instr in) {
    th_->code.push_back(std::move(in));
    return th_->code.back();
  }

  void statement() {
    const Token t = lx_.peek();
    const Depth depth(*this, t.line);
    if (lx_.accept(";")) return;
    if (lx_.accept("{")) {
      while (!lx_.accept("}")) {
        if (lx_.peek().kind == Token::Kind::End) lx_.fail(t.line, "syntax error: unterminated block");
        statement();
      }
      return;
    }
    if (t.kind == Token::Kind::Ident) {
      if (t.text == "if") return if_statement();
      if (t.text == "while" || t.text == "for" || t.text == "do" || t.text == "goto" || t.text == "return" ||
          t.text == "switch" || t.text == "break" || t.text == "continue")
        lx_.fail(t.line, "unsupported: '" + t.text + "' statement");
      if (is_type_word(t.text)) return declaration();
    }
    if (lx_.is("*")) {  // *e = v: a plain store
      lx_.next();
      Ast target = unary();
      lx_.expect("=");
      Ast value = expression();
      lx_.expect(";");
      Instr st;
      st.kind = Instr::Kind::Store;
      st.order = Order::Plain;
      st.line = t.line;
      st.addr = lower(target);
      st.a = lower(value);
      emit(std::move(st));
      return;
    }
    Ast e = expression();
    if (lx_.accept("=")) {
      if (e.kind != Ast::Kind::Ident) lx_.fail(t.line, "unsupported: assignment to something other than a register or *pointer");
      const int r = reg_index(e.text);
      if (r < 0) lx_.fail(t.line, "'" + e.text + "' is not a declared register (declare it: int " + e.text + ";)");
      Ast value = expression();
      lx_.expect(";");
      assign(r, value, t.line);
      return;
    }
    if (lx_.is("+=") || lx_.is("-=") || lx_.is("++") || lx_.is("--") || lx_.is("*=") || lx_.is("|=") || lx_.is("&="))
      lx_.fail(t.line, "unsupported: compound assignment '" + lx_.peek().text + "'");
    lx_.expect(";");
    if (e.kind != Ast::Kind::Call) lx_.fail(t.line, "unsupported: expression statement that is not a call");
    call(e, /*as_value=*/false);
  }

  void declaration() {
    const int line = lx_.peek().line;
    while (lx_.peek().kind == Token::Kind::Ident && is_type_word(lx_.peek().text)) {
      if (lx_.peek().text == "spinlock_t") lx_.fail(line, "unsupported: a local spinlock_t");
      lx_.next();
    }
    for (;;) {
      while (lx_.accept("*")) {
      }
      const Token n = lx_.expect_ident("a register name");
      if (lx_.is("[")) lx_.fail(n.line, "unsupported: local arrays");
      int r = reg_index(n.text);
      if (r < 0) {
        th_->registers.push_back(n.text);
        r = static_cast<int>(th_->registers.size()) - 1;
      }
      if (lx_.accept("=")) assign(r, expression(), n.line);
      if (lx_.accept(",")) continue;
      lx_.expect(";");
      return;
    }
  }

  void assign(int r, const Ast& value, int line) {
    const std::size_t before = th_->code.size();
    Expr e = lower(value);
    // `r = READ_ONCE(*x)`: the load writes r itself (no temporary).
    if (e.op == Expr::Op::Reg && th_->code.size() > before && th_->code.back().dst == e.reg &&
        th_->registers[static_cast<std::size_t>(e.reg)][0] == '%') {
      th_->code.back().dst = r;
      return;
    }
    Instr in;
    in.kind = Instr::Kind::Assign;
    in.dst = r;
    in.a = std::move(e);
    in.line = line;
    emit(std::move(in));
  }

  void if_statement() {
    const Token t = lx_.next();
    lx_.expect("(");
    Ast c = expression();
    lx_.expect(")");
    Instr br;
    br.kind = Instr::Kind::Branch;
    br.line = t.line;
    br.a = lower(c);
    const int branch = here();
    emit(std::move(br));
    statement();
    if (lx_.is_ident("else")) {
      lx_.next();
      Instr j;
      j.kind = Instr::Kind::Jump;
      j.line = t.line;
      const int jump = here();
      emit(std::move(j));
      th_->code[static_cast<std::size_t>(branch)].target = here();
      statement();
      th_->code[static_cast<std::size_t>(jump)].target = here();
    } else {
      th_->code[static_cast<std::size_t>(branch)].target = here();
    }
    th_->code[static_cast<std::size_t>(branch)].join = here();
  }

  // ---- expressions (C precedence) -----------------------------------------------------------
  Ast expression() { return binary(0); }

  static int precedence(const std::string& op) {
    static const std::pair<const char*, int> table[] = {
        {"||", 1}, {"&&", 2}, {"|", 3}, {"^", 4}, {"&", 5}, {"==", 6}, {"!=", 6}, {"<", 7}, {"<=", 7}, {">", 7},
        {">=", 7}, {"<<", 8}, {">>", 8}, {"+", 9}, {"-", 9}, {"*", 10}, {"/", 10}, {"%", 10}};
    for (const auto& [o, p] : table)
      if (op == o) return p;
    return -1;
  }

  Ast binary(int min_prec) {
    Ast l = unary();
    int chain = 0;
    for (;;) {
      const Token& t = lx_.peek();
      if (t.kind != Token::Kind::Punct) return l;
      const int p = precedence(t.text);
      if (p < 0 || p <= min_prec - 1 || p < min_prec) return l;
      const Token op = lx_.next();
      if (++chain > kMaxDepth) lx_.fail(op.line, "unsupported: more than " + std::to_string(kMaxDepth) + " operators in a row");
      Ast r = binary(p + 1);
      Ast b;
      b.kind = Ast::Kind::Binary;
      b.text = op.text;
      b.line = op.line;
      b.args.push_back(std::move(l));
      b.args.push_back(std::move(r));
      l = std::move(b);
    }
  }

  // Nesting bound (expressions, statements, conditions): deep input is an error, not a stack overflow.
  static constexpr int kMaxDepth = 200;
  struct Depth {
    Parser& p;
    explicit Depth(Parser& parser, int line) : p(parser) {
      if (++p.depth_ > kMaxDepth) p.lx_.fail(line, "unsupported: nesting deeper than " + std::to_string(kMaxDepth));
    }
    ~Depth() { --p.depth_; }
    Depth(const Depth&) = delete;
    Depth& operator=(const Depth&) = delete;
  };

  Ast unary() {
    const Token t = lx_.peek();
    const Depth depth(*this, t.line);
    if (t.kind == Token::Kind::Punct && (t.text == "!" || t.text == "-" || t.text == "~" || t.text == "*" || t.text == "&")) {
      lx_.next();
      Ast u;
      u.line = t.line;
      u.args.push_back(unary());
      if (t.text == "*") {
        u.kind = Ast::Kind::Deref;
      } else if (t.text == "&") {
        u.kind = Ast::Kind::AddrOf;
      } else {
        u.kind = Ast::Kind::Unary;
        u.text = t.text;
      }
      return u;
    }
    if (t.kind == Token::Kind::Punct && t.text == "(") {
      lx_.next();
      if (lx_.peek().kind == Token::Kind::Ident && is_type_word(lx_.peek().text)) {
        // A cast (`(intptr_t)r1`, `(int **)x`): values are untyped here, so it changes nothing.
        while (lx_.peek().kind == Token::Kind::Ident && is_type_word(lx_.peek().text)) lx_.next();
        while (lx_.accept("*")) {
        }
        lx_.expect(")");
        return unary();
      }
      Ast e = expression();
      lx_.expect(")");
      return e;
    }
    if (t.kind == Token::Kind::Number) {
      lx_.next();
      Ast n;
      n.kind = Ast::Kind::Num;
      n.num = parse_number(lx_, t);
      n.line = t.line;
      return n;
    }
    if (t.kind == Token::Kind::Ident) {
      lx_.next();
      Ast n;
      n.line = t.line;
      n.text = t.text;
      if (lx_.accept("(")) {
        n.kind = Ast::Kind::Call;
        while (!lx_.accept(")")) {
          if (!n.args.empty()) lx_.expect(",");
          n.args.push_back(expression());
        }
        return n;
      }
      n.kind = Ast::Kind::Ident;
      if (lx_.is("[") || lx_.is("->") || lx_.is("."))
        lx_.fail(lx_.peek().line, "unsupported: '" + lx_.peek().text + "' (arrays and structures)");
      return n;
    }
    lx_.fail(t.line, "syntax error: expected an expression, got " + Lexer::describe(t));
  }

  // ---- lowering -----------------------------------------------------------------------------
  static Expr constant(Value v) {
    Expr e;
    e.op = Expr::Op::Const;
    e.value = v;
    return e;
  }
  static Expr reg_expr(int r) {
    Expr e;
    e.op = Expr::Op::Reg;
    e.reg = r;
    return e;
  }

  Expr lower(const Ast& a) {
    switch (a.kind) {
      case Ast::Kind::Num: return constant(Value::integer(a.num));
      case Ast::Kind::Ident: {
        const int r = reg_index(a.text);
        if (r >= 0) return reg_expr(r);
        const int l = prog_.location_index(a.text);
        if (l >= 0) return constant(Value::location(l));
        lx_.fail(a.line, "unknown identifier '" + a.text + "'");
      }
      case Ast::Kind::AddrOf: {
        if (a.args[0].kind == Ast::Kind::Deref) return lower(a.args[0].args[0]);
        lx_.fail(a.line, "unsupported: '&' of something other than *pointer");
      }
      case Ast::Kind::Deref: return load(a.args[0], Order::Plain, a.line);
      case Ast::Kind::Unary: {
        Expr e;
        e.op = a.text == "!" ? Expr::Op::Not : a.text == "-" ? Expr::Op::Neg : Expr::Op::BitNot;
        e.args.push_back(lower(a.args[0]));
        return e;
      }
      case Ast::Kind::Binary: {
        static const std::pair<const char*, Expr::Op> ops[] = {
            {"||", Expr::Op::LogOr}, {"&&", Expr::Op::LogAnd}, {"|", Expr::Op::Or}, {"^", Expr::Op::Xor},
            {"&", Expr::Op::And},    {"==", Expr::Op::Eq},     {"!=", Expr::Op::Ne}, {"<", Expr::Op::Lt},
            {"<=", Expr::Op::Le},    {">", Expr::Op::Gt},      {">=", Expr::Op::Ge}, {"<<", Expr::Op::Shl},
            {">>", Expr::Op::Shr},   {"+", Expr::Op::Add},     {"-", Expr::Op::Sub}, {"*", Expr::Op::Mul},
            {"/", Expr::Op::Div},    {"%", Expr::Op::Mod}};
        Expr e;
        for (const auto& [s, o] : ops)
          if (a.text == s) e.op = o;
        e.args.push_back(lower(a.args[0]));
        e.args.push_back(lower(a.args[1]));
        return e;
      }
      case Ast::Kind::Call: return call(a, /*as_value=*/true);
    }
    lx_.fail(a.line, "unsupported expression");
  }

  Expr load(const Ast& address, Order order, int line) {
    Instr in;
    in.kind = Instr::Kind::Load;
    in.order = order;
    in.line = line;
    in.addr = lower(address);
    in.dst = temp();
    const int dst = in.dst;
    emit(std::move(in));
    return reg_expr(dst);
  }

  // The argument of READ_ONCE/WRITE_ONCE/rcu_*: `*p`, whose address is p.
  const Ast& lvalue_address(const Ast& call_ast, std::size_t i) {
    const Ast& arg = call_ast.args[i];
    if (arg.kind != Ast::Kind::Deref)
      lx_.fail(call_ast.line, "unsupported: " + call_ast.text + "() expects *pointer as argument " + std::to_string(i + 1));
    return arg.args[0];
  }

  void arity(const Ast& c, std::size_t n) {
    if (c.args.size() != n)
      lx_.fail(c.line, c.text + "() takes " + std::to_string(n) + " argument" + (n == 1 ? "" : "s") + ", got " +
                           std::to_string(c.args.size()));
  }

  Expr no_value(const Ast& c, bool as_value) {
    if (as_value) lx_.fail(c.line, "unsupported: " + c.text + "() used as a value");
    return constant(Value::integer(0));
  }

  void fence(FenceKind k, int line) {
    Instr in;
    in.kind = Instr::Kind::Fence;
    in.fence = k;
    in.line = line;
    emit(std::move(in));
  }

  void store(Expr addr, Expr value, Order order, int line) {
    Instr in;
    in.kind = Instr::Kind::Store;
    in.order = order;
    in.addr = std::move(addr);
    in.a = std::move(value);
    in.line = line;
    emit(std::move(in));
  }

  Expr rmw(const Ast& c, RmwKind kind, Expr::Op op, Order order, Expr addr, Expr a, Expr b, bool as_value) {
    Instr in;
    in.kind = Instr::Kind::Rmw;
    in.rmw = kind;
    in.rmw_op = op;
    in.order = order;
    in.addr = std::move(addr);
    in.a = std::move(a);
    in.b = std::move(b);
    in.line = c.line;
    if (kind != RmwKind::OpNoReturn) in.dst = temp();
    const int dst = in.dst;
    emit(std::move(in));
    if (kind == RmwKind::OpNoReturn) return no_value(c, as_value);
    return reg_expr(dst);
  }

  static Order suffix_order(const std::string& name, const std::string& base) {
    const std::string s = name.substr(base.size());
    if (s.empty()) return Order::Mb;
    if (s == "_relaxed") return Order::Once;
    if (s == "_acquire") return Order::Acquire;
    if (s == "_release") return Order::Release;
    return Order::Plain;  // not a variant of base
  }

  static bool has_variant(const std::string& name, const std::string& base) {
    if (name.compare(0, base.size(), base) != 0) return false;
    const std::string s = name.substr(base.size());
    return s.empty() || s == "_relaxed" || s == "_acquire" || s == "_release";
  }

  Expr call(const Ast& c, bool as_value) {
    const std::string& f = c.text;
    const int line = c.line;
    // Loads.
    if (f == "READ_ONCE" || f == "rcu_dereference") {
      arity(c, 1);
      return load(lvalue_address(c, 0), Order::Once, line);
    }
    if (f == "smp_load_acquire" || f == "atomic_read_acquire") {
      arity(c, 1);
      return load(c.args[0], Order::Acquire, line);
    }
    if (f == "atomic_read") {
      arity(c, 1);
      return load(c.args[0], Order::Once, line);
    }
    // Stores.
    if (f == "WRITE_ONCE" || f == "rcu_assign_pointer" || f == "smp_store_mb") {
      arity(c, 2);
      Expr addr = lower(lvalue_address(c, 0));
      Expr v = lower(c.args[1]);
      store(std::move(addr), std::move(v), f == "rcu_assign_pointer" ? Order::Release : Order::Once, line);
      if (f == "smp_store_mb") fence(FenceKind::Mb, line);
      return no_value(c, as_value);
    }
    if (f == "smp_store_release" || f == "atomic_set_release" || f == "atomic_set") {
      arity(c, 2);
      Expr addr = lower(c.args[0]);
      Expr v = lower(c.args[1]);
      store(std::move(addr), std::move(v), f == "atomic_set" ? Order::Once : Order::Release, line);
      return no_value(c, as_value);
    }
    // Fences.
    static const std::pair<const char*, FenceKind> fences[] = {
        {"smp_mb", FenceKind::Mb},
        {"smp_rmb", FenceKind::Rmb},
        {"smp_wmb", FenceKind::Wmb},
        {"barrier", FenceKind::Barrier},
        {"smp_mb__before_atomic", FenceKind::BeforeAtomic},
        {"smp_mb__after_atomic", FenceKind::AfterAtomic},
        {"smp_mb__after_spinlock", FenceKind::AfterSpinlock},
        {"smp_mb__after_unlock_lock", FenceKind::AfterUnlockLock},
        {"rcu_read_lock", FenceKind::RcuLock},
        {"rcu_read_unlock", FenceKind::RcuUnlock},
        {"synchronize_rcu", FenceKind::SyncRcu},
        {"synchronize_rcu_expedited", FenceKind::SyncRcu},
    };
    for (const auto& [name, k] : fences)
      if (f == name) {
        arity(c, 0);
        fence(k, line);
        return no_value(c, as_value);
      }
    // Locks.
    if (f == "spin_lock" || f == "spin_unlock" || f == "spin_trylock" || f == "spin_is_locked") {
      arity(c, 1);
      Instr in;
      in.kind = f == "spin_lock"     ? Instr::Kind::Lock
                : f == "spin_unlock" ? Instr::Kind::Unlock
                : f == "spin_trylock" ? Instr::Kind::TryLock
                                      : Instr::Kind::IsLocked;
      in.addr = lower(c.args[0]);
      in.line = line;
      if (in.kind == Instr::Kind::TryLock || in.kind == Instr::Kind::IsLocked) in.dst = temp();
      const int dst = in.dst;
      emit(std::move(in));
      if (dst < 0) return no_value(c, as_value);
      return reg_expr(dst);
    }
    // Exchanges.
    for (const char* base : {"xchg", "atomic_xchg"})
      if (has_variant(f, base)) {
        arity(c, 2);
        Expr addr = lower(c.args[0]);
        Expr v = lower(c.args[1]);
        return rmw(c, RmwKind::Xchg, Expr::Op::Add, suffix_order(f, base), std::move(addr), std::move(v), {}, as_value);
      }
    for (const char* base : {"cmpxchg", "atomic_cmpxchg"})
      if (has_variant(f, base)) {
        arity(c, 3);
        Expr addr = lower(c.args[0]);
        Expr o = lower(c.args[1]);
        Expr n = lower(c.args[2]);
        return rmw(c, RmwKind::Cmpxchg, Expr::Op::Add, suffix_order(f, base), std::move(addr), std::move(o), std::move(n), as_value);
      }
    // atomic_OP(V, X) / atomic_inc(X): no return, Noreturn read.
    struct AtomicOp {
      const char* name;
      Expr::Op op;
      bool has_operand;
    };
    static const AtomicOp ops[] = {{"add", Expr::Op::Add, true}, {"sub", Expr::Op::Sub, true},
                                   {"inc", Expr::Op::Add, false}, {"dec", Expr::Op::Sub, false}};
    for (const auto& o : ops) {
      const std::string plain = std::string("atomic_") + o.name;
      auto operands = [&](Expr& addr, Expr& v) {
        arity(c, o.has_operand ? 2 : 1);
        if (o.has_operand) {
          v = lower(c.args[0]);
          addr = lower(c.args[1]);
        } else {
          addr = lower(c.args[0]);
          v = constant(Value::integer(1));
        }
      };
      Expr addr, v;
      if (f == plain) {
        operands(addr, v);
        return rmw(c, RmwKind::OpNoReturn, o.op, Order::Once, std::move(addr), std::move(v), {}, as_value);
      }
      if (has_variant(f, plain + "_return")) {
        operands(addr, v);
        return rmw(c, RmwKind::OpReturn, o.op, suffix_order(f, plain + "_return"), std::move(addr), std::move(v), {}, as_value);
      }
      const std::string fetch = std::string("atomic_fetch_") + o.name;
      if (has_variant(f, fetch)) {
        operands(addr, v);
        return rmw(c, RmwKind::FetchOp, o.op, suffix_order(f, fetch), std::move(addr), std::move(v), {}, as_value);
      }
    }
    // atomic_sub_and_test(V,X), atomic_dec_and_test(X), atomic_inc_and_test(X): op_return == 0;
    // atomic_add_negative(V,X): op_return < 0. All fully ordered.
    if (f == "atomic_sub_and_test" || f == "atomic_dec_and_test" || f == "atomic_inc_and_test" || f == "atomic_add_negative") {
      const bool operand = f == "atomic_sub_and_test" || f == "atomic_add_negative";
      arity(c, operand ? 2 : 1);
      Expr v = operand ? lower(c.args[0]) : constant(Value::integer(1));
      Expr addr = lower(c.args[operand ? 1 : 0]);
      const Expr::Op op = (f == "atomic_sub_and_test" || f == "atomic_dec_and_test") ? Expr::Op::Sub : Expr::Op::Add;
      Expr r = rmw(c, RmwKind::OpReturn, op, Order::Mb, std::move(addr), std::move(v), {}, true);
      Expr cmp;
      cmp.op = f == "atomic_add_negative" ? Expr::Op::Lt : Expr::Op::Eq;
      cmp.args.push_back(std::move(r));
      cmp.args.push_back(constant(Value::integer(0)));
      return cmp;
    }
    if (f.rfind("srcu", 0) == 0 || f.rfind("synchronize_srcu", 0) == 0 || f == "smp_mb__after_srcu_read_unlock")
      lx_.fail(line, "unsupported: SRCU (" + f + ")");
    lx_.fail(line, "unsupported: call to '" + f + "'");
  }

  Lexer lx_;
  Program prog_;
  Thread* th_ = nullptr;
  int temps_ = 0;
  bool filtering_ = false;
  int depth_ = 0;  // parsing the filter: its atoms are not printed
  std::vector<PendingInit> pending_init_;
};

}  // namespace

Program parse(const std::string& text, const std::string& file) {
  Parser p(text, file);
  return p.run();
}

Program parse_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw LitmusError(path, 0, "cannot read the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (ss.str().size() > (1u << 20)) throw LitmusError(path, 0, "file larger than 1 MiB");
  return parse(ss.str(), path);
}

}  // namespace litmus
