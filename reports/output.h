// reports/output.h — how relaysim writes files so that a kill, a full disk or a second relaysim
// writing into the same directory never leaves a partial or mismatched result.
//
// Every file is written to a unique temporary name in its own directory (".NAME.XXXXXX", from
// mkstemp), fsync'd, renamed over NAME, and the directory is fsync'd. A violation's files (schedule
// and trace) are published as one unit: they are written into a unique temporary directory beside
// the final one, which then replaces the final directory in one step (renameat2 RENAME_EXCHANGE, or
// a plain rename when there is none yet). A reader sees the old set or the new set, never a mix;
// two runs into one --out each publish a complete set and the last one wins. Temporary names start
// with '.', so a kill leaves at most a hidden temporary behind, never a final name with partial
// content.
//
// Failures throw IoError (the command prints its verdict first, then the path and strerror, and
// exits with status 4).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace reports {

class IoError : public std::runtime_error {
 public:
  IoError(std::string path, int err);
  const std::string& path() const { return path_; }
  int error() const { return err_; }

 private:
  std::string path_;
  int err_;
};

/// Creates `dir` and its parents (like mkdir -p), or throws IoError naming the failing component.
void make_directories(const std::string& dir);
/// Writes text to `path` atomically and durably (see above); creates the parent directories.
void write_file_atomic(const std::string& path, const std::string& text);
/// Publishes `files` (name, content) as the directory `dir`, replacing an existing one in one step.
void publish_directory(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files);

/// Fault injection for the kill test: with RELAYSIM_KILL_AT=N in the environment, the process
/// SIGKILLs itself at the N-th point of the write path (after each chunk written, each fsync, each
/// rename). Unset in normal use: one getenv at the first point.
void kill_point();

}  // namespace reports
