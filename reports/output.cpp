// reports/output.cpp — see output.h.
#include "reports/output.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace reports {
namespace {

namespace fs = std::filesystem;

std::string parent_of(const std::string& path) {
  fs::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : std::string(".");
}

std::string name_of(const std::string& path) { return fs::path(path).filename().string(); }

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IoError(dir, errno);
  if (::fsync(fd) != 0 && errno != EINVAL) {  // EINVAL: a file system without directory fsync
    const int e = errno;
    ::close(fd);
    throw IoError(dir, e);
  }
  ::close(fd);
}

// Writes all of text to fd in chunks (a kill point after each), then fsyncs it.
void write_all(int fd, const std::string& text, const std::string& path) {
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const std::size_t chunk = left < 4096 ? left : 4096;
    ssize_t n = ::write(fd, p, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(path, errno);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
    kill_point();
  }
  if (::fsync(fd) != 0) throw IoError(path, errno);
  kill_point();
}

// A new file at `tmp_pattern` (ending in XXXXXX) holding text; returns its path.
std::string write_temp(std::string tmp_pattern, const std::string& text, const std::string& final_path) {
  int fd = ::mkstemp(tmp_pattern.data());
  if (fd < 0) throw IoError(final_path, errno);
  try {
    write_all(fd, text, final_path);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp_pattern.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp_pattern.c_str());
    throw IoError(final_path, e);
  }
  ::chmod(tmp_pattern.c_str(), 0644);  // mkstemp makes 0600; results are meant to be shared
  return tmp_pattern;
}

}  // namespace

IoError::IoError(std::string path, int err)
    : std::runtime_error(path + ": " + std::strerror(err)), path_(std::move(path)), err_(err) {}

void kill_point() {
  static const long target = [] {
    const char* v = std::getenv("RELAYSIM_KILL_AT");
    return v ? std::atol(v) : 0L;
  }();
  static std::atomic<long> count{0};
  if (target > 0 && ++count == target) ::kill(::getpid(), SIGKILL);
}

void make_directories(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  fs::path p(dir);
  // Report the component that fails, with its own errno, rather than a filesystem_error.
  fs::path built;
  for (const auto& part : p) {
    built /= part;
    if (part.empty() || part == "/" ) continue;
    struct stat st{};
    if (::stat(built.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) throw IoError(built.string(), ENOTDIR);
      continue;
    }
    if (::mkdir(built.c_str(), 0755) != 0 && errno != EEXIST) throw IoError(built.string(), errno);
  }
}

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::string dir = parent_of(path);
  make_directories(dir);
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) throw IoError(path, EISDIR);
  const std::string tmp = write_temp((fs::path(dir) / ("." + name_of(path) + ".XXXXXX")).string(), text, path);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw IoError(path, e);
  }
  kill_point();
  fsync_dir(dir);
}

void publish_directory(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files) {
  const std::string parent = parent_of(dir);
  make_directories(parent);
  std::string tmp = (fs::path(parent) / ("." + name_of(dir) + ".XXXXXX")).string();
  if (!::mkdtemp(tmp.data())) throw IoError(dir, errno);
  ::chmod(tmp.c_str(), 0755);
  auto cleanup = [&] {
    std::error_code ec;
    fs::remove_all(tmp, ec);
  };
  try {
    for (const auto& [name, text] : files) {
      const std::string final_path = (fs::path(dir) / name).string();
      const std::string f = write_temp((fs::path(tmp) / ("." + name + ".XXXXXX")).string(), text, final_path);
      if (::rename(f.c_str(), (fs::path(tmp) / name).c_str()) != 0) throw IoError(final_path, errno);
      kill_point();
    }
    fsync_dir(tmp);
    kill_point();
    // Replace dir in one step: exchange with an existing one, or move into a free name.
    for (int attempt = 0;; ++attempt) {
      if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_NOREPLACE) == 0) break;
      if (errno == EEXIST || errno == ENOTEMPTY) {
        if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) break;
        if (errno == ENOENT && attempt < 8) continue;  // a neighbour moved it away meanwhile: retry
      }
      if (errno == EINVAL || errno == ENOSYS) {
        // No renameat2 flags on this file system: move the old set aside under a unique hidden
        // name, then the new one in. A reader may briefly find no directory, never a mix.
        if (::rename(tmp.c_str(), dir.c_str()) == 0) break;
        std::string aside = (fs::path(parent) / ("." + name_of(dir) + ".old.XXXXXX")).string();
        if (!::mkdtemp(aside.data())) throw IoError(dir, errno);
        if (::rename(dir.c_str(), aside.c_str()) == 0 && ::rename(tmp.c_str(), dir.c_str()) == 0) {
          std::error_code ec;
          fs::remove_all(aside, ec);
          break;
        }
        const int e = errno;
        std::error_code ec;
        fs::remove(aside, ec);
        throw IoError(dir, e);
      }
      throw IoError(dir, errno);
    }
    kill_point();
    fsync_dir(parent);
  } catch (...) {
    cleanup();
    throw;
  }
  cleanup();  // after an exchange, tmp holds the old set
}

}  // namespace reports
