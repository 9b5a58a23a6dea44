// kernel/build.h — builds a design's kernel subject from a kernel tree, with patches, into a cached
// shared object that kernel/subject.h loads.
//
// A subject is a few files of the kernel (kernel/relay.c, ...), the real kernel headers that belong
// to the code under test (include/linux/relay.h with its inline writers, the uapi bpf.h), and the
// design's client file of ours (model/<design>/kernel_client.c). They are compiled, unmodified,
// by clang-16 as the kernel is compiled for KCSAN:
//   -O2 -fsanitize=thread -mllvm -tsan-distinguish-volatile=1   (instrumentation only, no runtime)
//   -nostdinc, clang's resource headers, the real headers first, then our shim (kernel/shim/)
// and linked into one shared object whose undefined symbols (the hooks, the shim) resolve against
// the relaysim binary.
//
// Trees. The default tree is Debian's linux-source-6.12 package: the files any subject needs are
// extracted once from /usr/src/linux-source-6.12.tar.xz into the cache. `tree` names a user's
// checkout instead; it is read, never written. Patches are applied with `patch -p1` to a private
// copy of the files (those the subject needs plus those the patches name).
//
// Cache. $RELAYSIM_CACHE, else $XDG_CACHE_HOME/relaysim, else ~/.cache/relaysim. A build lives in
// build/<subject>-<hash> where the hash covers the compiler, the flags and every input file's
// bytes after patching; it is built in a temporary directory and renamed into place, so a failed
// or interrupted build never leaves a partial entry.
//
// Errors a user can cause (a patch that does not apply, a tree without the file, a compile error in
// a patched file, no clang-16) throw BuildError with one line that quotes the first message of
// patch or the compiler; the command exits 2.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace kernel {

struct BuildError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// What one design compiles.
struct SubjectSpec {
  std::string name;                        // "relay", "bpf_ringbuf"
  std::vector<std::string> kernel_files;   // tree paths of .c files, compiled as kernel code
  std::vector<std::pair<std::string, std::string>> real_headers;  // tree path -> include path
  std::vector<std::string> client_files;   // our files, relative to the relaysim source tree
  /// Extra shim directories (relative to kernel/shim) searched before the common shim: shadow
  /// headers that only this subject sees.
  std::vector<std::string> shim_dirs;
};

/// Where the kernel comes from and what is applied to it.
struct TreeOptions {
  std::string tree;                  // empty: Debian's linux-source-6.12, extracted into the cache
  std::vector<std::string> patches;  // applied in order with patch -p1
  bool operator==(const TreeOptions&) const = default;
};

/// What a design's adapter needs to run from the kernel: the tree with its patches, and whether
/// only marked accesses (READ_ONCE/WRITE_ONCE, atomics) are scheduling points (--points marked).
struct Source {
  TreeOptions tree;
  bool marked_only = false;
};

/// Builds (or finds in the cache) the subject; returns the path of its shared object.
std::string build_subject(const SubjectSpec& spec, const TreeOptions& tree);

/// The files a set of patches touches (their "+++ b/..." paths, without the first component).
/// Throws BuildError if a patch cannot be read.
std::vector<std::string> patched_files(const std::vector<std::string>& patches);

/// The cache directory (created if needed).
std::string cache_dir();

/// The default tree's directory in the cache, extracting the files it lacks from the Debian
/// package's tarball. Throws BuildError if the package is not installed.
std::string default_tree(const std::vector<std::string>& files);

}  // namespace kernel
