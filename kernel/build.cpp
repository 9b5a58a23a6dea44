// kernel/build.cpp — see build.h.
#include "kernel/build.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#ifndef RELAYSIM_SOURCE_DIR
#error "RELAYSIM_SOURCE_DIR must name the relaysim source tree (set by CMake)"
#endif

namespace kernel {
namespace fs = std::filesystem;
namespace {

constexpr const char* kDebianTarball = "/usr/src/linux-source-6.12.tar.xz";
constexpr const char* kDebianPrefix = "linux-source-6.12";

std::string source_dir() {
  const char* e = std::getenv("RELAYSIM_SOURCE_DIR");
  return e && *e ? e : RELAYSIM_SOURCE_DIR;
}

std::string clang() {
  const char* e = std::getenv("RELAYSIM_CLANG");
  return e && *e ? e : "clang-16";
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs a shell command; returns its exit status and what it printed (stdout and stderr).
int run(const std::string& cmd, std::string* out) {
  std::string full = cmd + " 2>&1";
  FILE* p = popen(full.c_str(), "r");
  if (!p) throw BuildError("cannot run " + cmd);
  char buf[4096];
  std::string o;
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) o.append(buf, n);
  int st = pclose(p);
  if (out) *out = o;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

std::string first_line(const std::string& text, const std::string& prefer = "") {
  std::istringstream in(text);
  std::string line, first;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (first.empty()) first = line;
    if (!prefer.empty() && line.find(prefer) != std::string::npos) return line;
  }
  return first.empty() ? "(no message)" : first;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw BuildError("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Hash {
  std::uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
  void add(const std::string& s) {
    for (unsigned char c : s) {
      a = (a ^ c) * 0x100000001b3ULL;
      b = (b ^ c) * 0x1000193ULL + 0x9e3779b97f4a7c15ULL;
    }
    a = (a ^ 0xff) * 0x100000001b3ULL;
  }
  std::string hex() const {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a), static_cast<unsigned long long>(b));
    return buf;
  }
};

// Every file any subject or test reads from the default tree: extracted together on first use
// (one pass over the 150 MB tarball), so that later subjects find their files in the cache.
const std::vector<std::string> kDefaultFiles = {
    "kernel/relay.c",
    "include/linux/relay.h",
    "kernel/bpf/ringbuf.c",
    "include/uapi/linux/bpf.h",
    "include/uapi/linux/bpf_common.h",
    "tools/lib/bpf/ringbuf.c",
    "tools/lib/bpf/libbpf.h",
    "tools/lib/bpf/libbpf_common.h",
    "tools/lib/bpf/libbpf_legacy.h",
    "tools/lib/bpf/libbpf_internal.h",
    "tools/lib/bpf/bpf.h",
    "tools/include/uapi/linux/bpf.h",
    "tools/include/uapi/linux/bpf_common.h",
    "kernel/trace/ring_buffer.c",
    "include/linux/ring_buffer.h",
    "kernel/events/ring_buffer.c",
    "kernel/events/internal.h",
    "include/uapi/linux/perf_event.h",
    "include/uapi/linux/trace_mmap.h",
};

void make_dirs(const fs::path& p) {
  std::error_code ec;
  fs::create_directories(p, ec);
  if (ec) throw BuildError("cannot create " + p.string() + ": " + ec.message());
}

fs::path temp_dir(const fs::path& parent, const std::string& stem) {
  make_dirs(parent);
  std::string templ = (parent / (stem + ".tmp.XXXXXX")).string();
  if (!mkdtemp(templ.data())) throw BuildError("cannot create a temporary directory in " + parent.string());
  return templ;
}

}  // namespace

std::string cache_dir() {
  fs::path d;
  if (const char* e = std::getenv("RELAYSIM_CACHE"); e && *e) d = e;
  else if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) d = fs::path(x) / "relaysim";
  else if (const char* h = std::getenv("HOME"); h && *h) d = fs::path(h) / ".cache" / "relaysim";
  else d = fs::temp_directory_path() / "relaysim-cache";
  make_dirs(d);
  return fs::absolute(d).string();
}

std::string default_tree(const std::vector<std::string>& files) {
  fs::path tree = fs::path(cache_dir()) / kDebianPrefix;
  std::set<std::string> missing;
  for (const auto& f : files)
    if (!fs::exists(tree / f)) missing.insert(f);
  if (missing.empty()) return tree.string();
  if (!fs::exists(kDebianTarball))
    throw BuildError(std::string("the default kernel tree needs Debian's linux-source-6.12 package (") + kDebianTarball +
                     " is missing): run scripts/install-deps.sh, or pass --kernel-tree DIR");
  for (const auto& f : kDefaultFiles)
    if (!fs::exists(tree / f)) missing.insert(f);
  fs::path tmp = temp_dir(cache_dir(), "extract");
  std::string cmd = "tar -xJf " + quote(kDebianTarball) + " -C " + quote(tmp.string());
  for (const auto& f : missing) cmd += " " + quote(std::string(kDebianPrefix) + "/" + f);
  std::string out;
  int st = run(cmd, &out);
  // Members that the package does not have are reported by tar; the files it did extract are kept.
  for (const auto& f : missing) {
    fs::path from = tmp / kDebianPrefix / f;
    if (!fs::exists(from)) continue;
    make_dirs((tree / f).parent_path());
    std::error_code ec;
    fs::rename(from, tree / f, ec);
  }
  fs::remove_all(tmp);
  for (const auto& f : files)
    if (!fs::exists(tree / f))
      throw BuildError(std::string(kDebianTarball) + " has no " + f + (st ? ": " + first_line(out) : ""));
  return tree.string();
}

std::vector<std::string> patched_files(const std::vector<std::string>& patches) {
  std::vector<std::string> out;
  for (const auto& p : patches) {
    if (!fs::is_regular_file(p)) throw BuildError("--patch " + p + ": no such file");
    std::istringstream in(read_file(p));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("+++ ", 0) != 0) continue;
      std::string path = line.substr(4);
      if (auto tab = path.find('\t'); tab != std::string::npos) path.resize(tab);
      if (path == "/dev/null") continue;
      auto slash = path.find('/');
      if (slash == std::string::npos) continue;
      path = path.substr(slash + 1);
      if (std::find(out.begin(), out.end(), path) == out.end()) out.push_back(path);
    }
  }
  return out;
}

std::string build_subject(const SubjectSpec& spec, const TreeOptions& opts) {
  // The files to read from the tree: the subject's, then every file the patches name.
  std::vector<std::string> files = spec.kernel_files;
  for (const auto& h : spec.real_headers) files.push_back(h.first);
  const std::vector<std::string> from_patches = patched_files(opts.patches);
  std::string tree = opts.tree;
  if (tree.empty()) {
    tree = default_tree(files);
  } else if (!fs::is_directory(tree)) {
    throw BuildError("--kernel-tree " + tree + ": not a directory");
  }
  for (const auto& f : files)
    if (!fs::is_regular_file(fs::path(tree) / f)) throw BuildError("kernel tree " + tree + " has no " + f);

  std::string cc_version;
  if (run(quote(clang()) + " --version", &cc_version) != 0)
    throw BuildError("the kernel-source mode needs " + clang() + " (Debian package clang-16): run scripts/install-deps.sh");

  const fs::path cache = cache_dir();
  fs::path work = temp_dir(cache / "build", spec.name);
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      if (!p.empty()) fs::remove_all(p, ec);
    }
  } cleanup{work};

  // The private copy, patched.
  fs::path src = work / "src";
  for (const auto& f : files) {
    make_dirs((src / f).parent_path());
    fs::copy_file(fs::path(tree) / f, src / f);
  }
  for (const auto& f : from_patches) {
    if (fs::exists(src / f) || !fs::is_regular_file(fs::path(tree) / f)) continue;
    make_dirs((src / f).parent_path());
    fs::copy_file(fs::path(tree) / f, src / f);
  }
  for (const auto& p : opts.patches) {
    std::string out;
    int st = run("patch -p1 --batch --forward --no-backup-if-mismatch -s -d " + quote(src.string()) + " -i " +
                     quote(fs::absolute(p).string()),
                 &out);
    if (st != 0) throw BuildError("patch " + p + " does not apply: " + first_line(out));
  }
  // The include directory of real headers (tree path -> include path), as patched.
  fs::path real = work / "real";
  for (const auto& [from, to] : spec.real_headers) {
    make_dirs((real / to).parent_path());
    fs::copy_file(src / from, real / to);
  }

  const fs::path shim = fs::path(source_dir()) / "kernel" / "shim";
  std::string resource;
  run(quote(clang()) + " -print-resource-dir", &resource);
  while (!resource.empty() && (resource.back() == '\n' || resource.back() == '\r')) resource.pop_back();
  std::string subject_dirs;  // SubjectSpec::shim_dirs: each dir's include/ and the dir itself
  for (const auto& d : spec.shim_dirs)
    subject_dirs += " -I" + quote((shim / d / "include").string()) + " -I" + quote((shim / d).string());
  const std::string flags =
      "-std=gnu11 -O2 -g -fPIC -fno-strict-aliasing -fno-common -funwind-tables -fsanitize=thread -mllvm "
      "-tsan-distinguish-volatile=1 -nostdinc -isystem " + quote(resource + "/include") + " -I" + quote(real.string()) +
      subject_dirs + " -I" + quote((shim / "include").string()) + " -I" + quote(shim.string()) +
      " -include " +
      quote((shim / "config.h").string()) + " -D__KERNEL__ -Wno-unused-command-line-argument";

  // The cache key: compiler, flags (without the temporary paths), and every input's bytes.
  Hash h;
  h.add(cc_version);
  h.add("-std=gnu11 -O2 -g -fPIC -fsanitize=thread -tsan-distinguish-volatile=1 v1");
  for (const auto& f : spec.kernel_files) h.add(f + "\n" + read_file(src / f));
  for (const auto& [from, to] : spec.real_headers) h.add(to + "\n" + read_file(real / to));
  for (const auto& c : spec.client_files) h.add(c + "\n" + read_file(fs::path(source_dir()) / c));
  for (const auto& e : fs::recursive_directory_iterator(shim))
    if (e.is_regular_file()) h.add(fs::relative(e.path(), shim).string() + "\n" + read_file(e.path()));
  const fs::path final_dir = cache / "build" / (spec.name + "-" + h.hex());
  const fs::path so = final_dir / "subject.so";
  if (fs::exists(so)) return so.string();

  std::vector<std::string> objects;
  auto compile = [&](const fs::path& file, const std::string& shown) {
    fs::path obj = work / (std::to_string(objects.size()) + ".o");
    std::string out;
    if (run(quote(clang()) + " " + flags + " -c " + quote(file.string()) + " -o " + quote(obj.string()), &out) != 0)
      throw BuildError("compile error in " + shown + ": " + first_line(out, "error:"));
    objects.push_back(obj.string());
  };
  for (const auto& f : spec.kernel_files) compile(src / f, f);
  for (const auto& c : spec.client_files) compile(fs::path(source_dir()) / c, c);
  std::string link = quote(clang()) + " -shared -o " + quote((work / "subject.so").string());
  for (const auto& o : objects) link += " " + quote(o);
  std::string out;
  if (run(link, &out) != 0) throw BuildError("linking the kernel subject failed: " + first_line(out, "error"));

  // Publish: the build directory (sources, objects, the shared object) renamed into place.
  fs::path pub = work / "pub";
  make_dirs(pub);
  fs::rename(work / "subject.so", pub / "subject.so");
  fs::rename(src, pub / "src");
  std::error_code ec;
  fs::rename(pub, final_dir, ec);
  if (ec && !fs::exists(so)) throw BuildError("cannot publish " + final_dir.string() + ": " + ec.message());
  return so.string();
}

}  // namespace kernel
