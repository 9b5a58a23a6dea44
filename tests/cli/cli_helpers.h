// tests/cli/cli_helpers.h — running the relaysim binary from a test: exit status and output.
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

namespace cli_test {

struct Out {
  int status;
  std::string text;
};

/// Runs `relaysim ARGS` from the source directory; stdout and stderr together.
inline Out sh(const std::string& args) {
  std::string cmd = std::string("cd ") + RELAYSIM_SOURCE_DIR + " && " + RELAYSIM_BINARY + " " + args + " 2>&1";
  Out o{0, ""};
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  // The ASan (ucontext) build prints one warning about swapcontext per process: not ours.
  while (fgets(buf, sizeof buf, p))
    if (!std::strstr(buf, "ASan doesn't fully support makecontext/swapcontext")) o.text += buf;
  int st = pclose(p);
  o.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return o;
}

inline std::string tmpdir(const std::string& name) {
  std::filesystem::path d = std::filesystem::temp_directory_path() / ("relaysim-cli-" + name);
  std::filesystem::remove_all(d);
  return d.string();
}

inline int lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace cli_test
