// cli/exec_stream.cpp — see exec_stream.h.
#include "cli/exec_stream.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/common.h"
#include "cli/validate.h"

namespace cli {
namespace {

constexpr std::size_t kWindow = 1 << 16;

bool is_ws(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Indents every line but the first by n spaces (nlohmann's dump escapes newlines in strings, so
// every '\n' in a dump is a line break of the layout).
std::string indented(const std::string& s, int n) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    out += c;
    if (c == '\n') out.append(static_cast<std::size_t>(n), ' ');
  }
  return out;
}

}  // namespace

ExecFile::ExecFile(int fd, std::string name) : fd_(fd), name_(std::move(name)) {
  try {
    scan();
  } catch (...) {
    ::close(fd_);  // the destructor does not run for a constructor that throws
    throw;
  }
}

ExecFile::ExecFile(std::string text, std::string name) : name_(std::move(name)), buf_(std::move(text)), in_memory_(true) {
  scan();
}

ExecFile::~ExecFile() {
  if (fd_ >= 0) ::close(fd_);
}

void ExecFile::fail(const std::string& msg, std::uint64_t at) {
  throw UsageError(name_ + ": " + msg + " (byte " + std::to_string(at) + ")");
}

void ExecFile::fill() {
  // Keep reading forward from pos_: the window restarts at pos_.
  buf_.resize(kWindow);
  ssize_t n;
  do n = ::pread(fd_, buf_.data(), kWindow, static_cast<off_t>(pos_));
  while (n < 0 && errno == EINTR);
  if (n < 0) throw UsageError(name_ + ": cannot read operations file: " + std::strerror(errno));
  buf_.resize(static_cast<std::size_t>(n));
  buf_pos_ = pos_;
}

int ExecFile::peek() {
  if (pos_ < buf_pos_ || pos_ >= buf_pos_ + buf_.size()) {
    if (in_memory_) return -1;
    fill();
    if (buf_.empty()) return -1;
  }
  return static_cast<unsigned char>(buf_[static_cast<std::size_t>(pos_ - buf_pos_)]);
}

int ExecFile::get() {
  int c = peek();
  if (c >= 0) ++pos_;
  return c;
}

void ExecFile::skip_ws() {
  while (is_ws(peek())) ++pos_;
}

void ExecFile::capture(std::string* out) {
  const std::uint64_t start = pos_;
  int c = peek();
  if (c < 0) fail_here("unexpected end of file, expected a value");
  if (c != '{' && c != '[' && c != '"') {  // a number, true, false or null: up to a delimiter
    while ((c = peek()) >= 0 && !is_ws(c) && c != ',' && c != '}' && c != ']' && c != ':') {
      if (out) *out += static_cast<char>(c);
      ++pos_;
    }
    if (pos_ == start) fail_here("expected a value");
    return;
  }
  int depth = 0;
  bool in_string = false, escape = false;
  do {
    c = get();
    if (c < 0) fail(in_string ? "unterminated string" : "unterminated value", start);
    if (out) *out += static_cast<char>(c);
    if (in_string) {
      if (escape) escape = false;
      else if (c == '\\') escape = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) fail("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels", pos_ - 1);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  } while (in_string || depth > 0);
}

nlohmann::json ExecFile::parse(const std::string& text, std::uint64_t at) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    fail("not valid JSON", at + (e.byte ? e.byte - 1 : 0));
  } catch (const nlohmann::json::exception&) {  // out_of_range.406: a number beyond double (1e999)
    fail("not valid JSON (a number out of range)", at);
  }
}

void ExecFile::scan() {
  skip_ws();
  if (get() != '{') fail("an operations file must hold one JSON object", pos_ ? pos_ - 1 : 0);
  skip_ws();
  if (peek() == '}') {
    ++pos_;
  } else {
    for (;;) {
      skip_ws();
      if (peek() != '"') fail_here("expected a field name");
      const std::uint64_t key_at = pos_;
      std::string key_text;
      capture(&key_text);
      const std::string key = parse(key_text, key_at).get<std::string>();
      if (top_.contains(key)) fail("field \"" + key + "\" appears twice", key_at);
      skip_ws();
      if (get() != ':') fail("expected ':' after a field name", pos_ ? pos_ - 1 : 0);
      skip_ws();
      if (key == "ops" && peek() == '[') {
        ops_pos_ = pos_;
        has_ops_array_ = true;
        top_["ops"] = nlohmann::json::array();
        rewind();
        while (next_raw(nullptr, nullptr)) {
        }
      } else {
        const std::uint64_t at = pos_;
        std::string text;
        capture(&text);
        top_[key] = parse(text, at);
      }
      skip_ws();
      const int c = get();
      if (c == ',') continue;
      if (c == '}') break;
      fail("expected ',' or '}' in the top-level object", pos_ ? pos_ - 1 : 0);
    }
  }
  skip_ws();
  if (peek() >= 0) fail_here("trailing bytes after the JSON object");
  rewind();
}

void ExecFile::rewind() {
  pos_ = ops_pos_;
  ops_first_ = true;
  ops_done_ = !has_ops_array_;
  if (!ops_done_) ++pos_;  // past '['
}

bool ExecFile::next_raw(std::string* text, std::uint64_t* at) {
  if (ops_done_) return false;
  skip_ws();
  if (peek() == ']') {
    ++pos_;
    ops_done_ = true;
    return false;
  }
  if (!ops_first_) {
    if (get() != ',') fail("expected ',' or ']' in \"ops\"", pos_ ? pos_ - 1 : 0);
    skip_ws();
  }
  ops_first_ = false;
  if (at) *at = pos_;
  capture(text);
  return true;
}

bool ExecFile::next(nlohmann::json& op) {
  std::string text;
  std::uint64_t at = 0;
  if (!next_raw(&text, &at)) return false;
  op = parse(text, at);
  return true;
}

void ExecPrinter::begin(const nlohmann::json& head) {
  head_ = head;
  out_ << "{";
  bool first = true;
  for (auto it = head.begin(); it != head.end(); ++it) {
    if (it.key() >= "steps") continue;
    out_ << (first ? "\n" : ",\n") << " " << nlohmann::json(it.key()).dump() << ": " << indented(it.value().dump(1), 1);
    first = false;
  }
  out_ << (first ? "\n" : ",\n") << " \"steps\": [";
  begun_ = true;
}

void ExecPrinter::step(const nlohmann::json& s) {
  out_ << (steps_++ ? ",\n  " : "\n  ") << indented(s.dump(1), 2);
}

void ExecPrinter::end(const nlohmann::json& result) {
  if (!begun_) begin(result);
  for (auto it = result.begin(); it != result.end(); ++it)
    if (it.key() < "steps" && (!head_.contains(it.key()) || head_[it.key()] != it.value()))
      throw std::logic_error("exec output: field \"" + it.key() + "\" changed after the steps began");
  out_ << (steps_ ? "\n ]" : "]");
  for (auto it = result.begin(); it != result.end(); ++it)
    if (it.key() > "steps") out_ << ",\n " << nlohmann::json(it.key()).dump() << ": " << indented(it.value().dump(1), 1);
  out_ << "\n}\n";
}

}  // namespace cli
