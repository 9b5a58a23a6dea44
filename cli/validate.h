// cli/validate.h — the checks every input of the command passes before it is used: input files
// (regular files or "-", under a size limit), JSON nesting, and a range for every numeric option.
//
// Each check answers a bad input with a one-line UsageError naming the file or the option (exit
// status 2), never with an exception from a library deep inside the command (exit status 3 is for
// internal faults only). The limits are stated in `relaysim --help` (kInputLimitsHelp).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace cli {

/// Scenario (TOML) and schedule (JSON) files: read whole, at most this many bytes.
inline constexpr std::uint64_t kMaxInputBytes = std::uint64_t{64} << 20;
/// Exec operation files are streamed op by op (bounded memory), so they may be larger.
inline constexpr std::uint64_t kMaxExecBytes = std::uint64_t{1} << 30;
/// Deepest JSON nesting accepted in any input (schedules need 3 levels, exec ops about 4).
inline constexpr int kMaxJsonDepth = 64;

inline constexpr const char* kInputLimitsHelp =
    "Input files must be regular files (or - for standard input): scenarios and schedules up to 64 MiB, "
    "exec operation files up to 1 GiB (streamed op by op); JSON nesting up to 64 levels.";

/// The whole content of `path` ("-": standard input), refusing directories, devices, FIFOs and
/// sockets (checked on the opened descriptor, so a FIFO never blocks) and files over `limit` bytes.
/// `what` names the kind of file in messages ("scenario file").
std::string read_input_file(const std::string& path, std::uint64_t limit, const std::string& what);

/// Opens `path` for streaming after the same checks (regular file, at most `limit` bytes); returns
/// the descriptor (the caller closes it). "-" is not accepted here: the caller buffers stdin.
int open_input_file(const std::string& path, std::uint64_t limit, const std::string& what);

/// The option value checks (CLI11 validators; they run before CLI11 converts the text).
/// A decimal integer in [min, max]: digits only, no sign, no base prefix, no leading zeros
/// ("010" is refused rather than read as octal or as ten).
CLI::Validator unsigned_in(std::uint64_t min, std::uint64_t max);
/// A finite decimal number of seconds in [min, max].
CLI::Validator seconds_in(double min, double max);

/// Parses a value unsigned_in already accepted.
std::uint64_t parse_decimal_u64(const std::string& s);

}  // namespace cli
