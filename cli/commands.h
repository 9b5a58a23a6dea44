// cli/commands.h — the relaysim command: explore, run, replay, shrink, exec, list.
//
// Exit status (DESIGN.md, "The command"): 0 the scenario ended as it expects; 1 it did not (an
// unexpected violation, an expected one not found); 2 bad usage or input (one line naming file,
// line and field; a schedule that does not reproduce its trace hash); 3 internal error; 4 an output
// file could not be written (printed after the verdict, with the path and strerror).
#pragma once

namespace cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInternal = 3;
inline constexpr int kExitIo = 4;

/// The command. With parse_only, stops after parsing and checking the options (the command-line
/// fuzz target): no file is read or written.
int main(int argc, char** argv, bool parse_only = false);

}  // namespace cli
