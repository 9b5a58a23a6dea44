// fuzz/cli_fuzz.cpp — libFuzzer target: any bytes as a command line. The input is split at '\n'
// into at most 64 arguments and given to cli::main(argc, argv, parse_only = true): CLI11's parse,
// every option's range check and the checks main() makes before running a command. No file is
// read or written. Every outcome must be an exit status (0 or 2, the help text); an exception
// escaping or a sanitizer report is a finding. Seeds: fuzz/corpus/cli/ (one command line per file).
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::cout.rdbuf(nullptr);  // the help text and the error lines: not wanted here
  std::cerr.rdbuf(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"relaysim"};
  std::string cur;
  for (std::size_t i = 0; i < size && args.size() < 64; ++i) {
    const char c = static_cast<char>(data[i]);
    if (c == '\n') {
      args.push_back(cur);
      cur.clear();
    } else if (c != '\0') {
      cur += c;
    }
  }
  if (!cur.empty() && args.size() < 64) args.push_back(cur);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int st = cli::main(static_cast<int>(args.size()), argv.data(), true);
  if (st != cli::kExitOk && st != cli::kExitUsage) __builtin_trap();
  return 0;
}
