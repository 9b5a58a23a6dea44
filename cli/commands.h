// cli/commands.h — the relaysim command: explore, run, replay, shrink, exec, list.
//
// Exit status (DESIGN.md, "The command"): 0 the scenario ended as it expects; 1 it did not (an
// unexpected violation, an expected one not found); 2 bad usage or input (one line naming file,
// line and field; a schedule that does not reproduce its trace hash); 3 internal error.
#pragma once

namespace cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInternal = 3;

int main(int argc, char** argv);

}  // namespace cli
