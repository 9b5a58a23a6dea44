// cli/validate.cpp — see validate.h.
#include "cli/validate.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "cli/common.h"

namespace cli {
namespace {

std::string kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

std::string limit_text(std::uint64_t limit) {
  if (limit % (std::uint64_t{1} << 30) == 0) return std::to_string(limit >> 30) + " GiB";
  if (limit % (std::uint64_t{1} << 20) == 0) return std::to_string(limit >> 20) + " MiB";
  return std::to_string(limit) + " bytes";
}

[[noreturn]] void too_big(const std::string& path, const std::string& what, std::uint64_t limit) {
  throw UsageError(path + ": " + what + " is larger than the " + limit_text(limit) + " limit");
}

// Reads fd to its end, at most limit bytes (one more byte means too big).
std::string read_all(int fd, const std::string& path, std::uint64_t limit, const std::string& what) {
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw UsageError(path + ": cannot read " + what + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > limit) too_big(path, what, limit);
  }
  return out;
}

}  // namespace

int open_input_file(const std::string& path, std::uint64_t limit, const std::string& what) {
  if (path.empty()) throw UsageError("an empty path is not a " + what);
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the check below refuses it anyway.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int e = errno;
    throw UsageError(path + ": cannot open " + what + ": " + std::strerror(e));
  }
  struct stat st{};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    throw UsageError(path + ": cannot open " + what + ": " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw UsageError(path + ": " + what + " must be a regular file or -, not " + kind_of(st.st_mode));
  }
  if (static_cast<std::uint64_t>(st.st_size) > limit) {
    ::close(fd);
    too_big(path, what, limit);
  }
  // Back to blocking reads for a regular file (O_NONBLOCK has no effect on them, but be plain).
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

std::string read_input_file(const std::string& path, std::uint64_t limit, const std::string& what) {
  if (path == "-") return read_all(STDIN_FILENO, "-", limit, what);
  int fd = open_input_file(path, limit, what);
  try {
    std::string s = read_all(fd, path, limit, what);  // the file may grow after fstat: bounded anyway
    ::close(fd);
    return s;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

std::uint64_t parse_decimal_u64(const std::string& s) {
  std::uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<std::uint64_t>(c - '0');
  return v;
}

CLI::Validator unsigned_in(std::uint64_t min, std::uint64_t max) {
  const std::string range = "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
  return CLI::Validator(
      [min, max, range](std::string& s) -> std::string {
        if (s.empty()) return "an empty value is not a number in " + range;
        if (s[0] == '-') return s + " is negative; expected an integer in " + range;
        for (char c : s)
          if (c < '0' || c > '9') return s + " is not a decimal integer in " + range;
        if (s.size() > 1 && s[0] == '0') return s + ": no leading zeros (decimal only); expected an integer in " + range;
        // 20 digits can exceed 2^64 - 1: compare as text first.
        const std::string max_text = std::to_string(UINT64_MAX);
        if (s.size() > max_text.size() || (s.size() == max_text.size() && s > max_text))
          return s + " is out of range " + range;
        const std::uint64_t v = parse_decimal_u64(s);
        if (v < min || v > max) return s + " is out of range " + range;
        return std::string();
      },
      "INT in " + range);
}

CLI::Validator seconds_in(double min, double max) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "[%g, %g]", min, max);
  const std::string range = buf;
  return CLI::Validator(
      [min, max, range](std::string& s) -> std::string {
        if (s.empty()) return "an empty value is not a number of seconds in " + range;
        for (char c : s)
          if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+'))
            return s + " is not a decimal number of seconds in " + range;
        char* end = nullptr;
        errno = 0;
        const double v = std::strtod(s.c_str(), &end);
        if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v))
          return s + " is not a finite number of seconds in " + range;
        if (v < min || v > max) return s + " is out of range " + range;
        return std::string();
      },
      "SECONDS in " + range);
}

}  // namespace cli
