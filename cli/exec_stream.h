// cli/exec_stream.h — `relaysim exec` on a file of any length in bounded memory.
//
// ExecFile scans an operations file once to check its shape (one JSON object; its "ops" array is
// skipped element by element, never built), keeps the other top-level fields, and then serves the
// ops one at a time (model::OpSource), reading each element's text from the file and parsing it
// alone. ExecPrinter writes the result as it is produced, byte for byte what
// `result.dump(1)` of the whole document would be. Memory: one op and one step at a time.
//
// Every malformed input is a one-line UsageError naming the file and the byte offset: bad JSON,
// trailing bytes, a duplicated top-level field, nesting deeper than kMaxJsonDepth.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <ostream>
#include <string>

#include "model/exec_support.h"

namespace cli {

class ExecFile final : public model::OpSource {
 public:
  /// Streams from an open descriptor of a regular file (owned: closed by the destructor).
  ExecFile(int fd, std::string name);
  /// Scans an in-memory text (standard input, the fuzz target).
  ExecFile(std::string text, std::string name);
  ~ExecFile() override;
  ExecFile(const ExecFile&) = delete;
  ExecFile& operator=(const ExecFile&) = delete;

  /// The top-level object with "ops" (when an array) replaced by an empty array.
  const nlohmann::json& top() const { return top_; }
  void rewind() override;
  bool next(nlohmann::json& op) override;

 private:
  void scan();
  int peek();
  int get();
  void skip_ws();
  [[noreturn]] void fail(const std::string& msg, std::uint64_t at);
  [[noreturn]] void fail_here(const std::string& msg) { fail(msg, pos_); }
  void capture(std::string* out);  // one JSON value's text (nullptr: skip it)
  nlohmann::json parse(const std::string& text, std::uint64_t at);
  bool next_raw(std::string* text, std::uint64_t* at);
  void fill();

  int fd_ = -1;
  std::string name_;
  std::string buf_;                // the window [buf_pos_, buf_pos_ + buf_.size()) of the input
  std::uint64_t buf_pos_ = 0, pos_ = 0;
  bool in_memory_ = false;
  nlohmann::json top_ = nlohmann::json::object();
  std::uint64_t ops_pos_ = 0;      // offset of the ops array's '['
  bool has_ops_array_ = false, ops_first_ = true, ops_done_ = true;
};

/// Prints an exec result as it comes (see above) to `out`.
class ExecPrinter final : public model::ExecOutput {
 public:
  explicit ExecPrinter(std::ostream& out) : out_(out) {}
  void begin(const nlohmann::json& head) override;
  void step(const nlohmann::json& step) override;
  void end(const nlohmann::json& result) override;

 private:
  std::ostream& out_;
  nlohmann::json head_;
  bool begun_ = false;
  std::size_t steps_ = 0;
};

}  // namespace cli
