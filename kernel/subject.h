// kernel/subject.h — a built kernel subject (a shared object of instrumented kernel files plus a
// design's client file, see kernel/build.h), loaded for one simulation.
//
// Each loaded instance is a private copy of the object, so that two simulations on two threads
// (explore --jobs) never share the kernel's globals (relay.c's relay_channels list, for example).
// Instances are pooled per process: acquire() hands out one that no simulation holds, loading a
// new copy when none is free; dropping the shared_ptr gives it back. An instance exposes its
// writable data (what a Runtime snapshots and restores between executions), its load base (code
// offsets in traces are relative to it, so they do not depend on where it was loaded), and its
// function symbols (.symtab), which name a code offset by its function and its place in it: the
// identity a trace hash folds, so that a change elsewhere in the object (a new client entry point
// that moves .text) does not move the hash of code that did not change.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kernel {

class Subject {
 public:
  /// An instance of the shared object at `so_path` that no one else holds.
  /// Throws std::runtime_error with the dynamic loader's message.
  static std::shared_ptr<Subject> acquire(const std::string& so_path);

  /// The address of an exported symbol; throws std::runtime_error naming it if missing.
  void* symbol(const char* name) const;
  template <class F>
  F function(const char* name) const {
    return reinterpret_cast<F>(symbol(name));
  }
  /// The writable data of the instance that is not read-only after relocation (.data, .bss).
  std::uint8_t* data_begin() const { return data_begin_; }
  std::uint8_t* data_end() const { return data_end_; }
  std::uintptr_t load_base() const { return base_; }
  /// Puts the writable data back as it was when the instance was loaded (a previous simulation
  /// may have left the kernel's globals pointing into its own, now unmapped, memory).
  void restore_pristine();
  /// The identity of a code offset that does not move when unrelated code moves: the 32-bit
  /// FNV-1a hash of the name of the function symbol that holds it, shifted left 16, plus the
  /// offset inside that function (modulo 2^16). 0 for an offset in no function symbol. Two
  /// functions of one name (static functions of two files) differ in their offsets only.
  std::uint64_t code_identity(std::uint64_t offset) const;
  /// The built object this instance is a copy of (for symbolizing code offsets).
  const std::string& so_path() const { return so_path_; }

  Subject(const Subject&) = delete;
  Subject& operator=(const Subject&) = delete;
  ~Subject();

 private:
  Subject() = default;
  friend struct SubjectPool;
  void* handle_ = nullptr;
  std::string so_path_, copy_path_;
  std::uintptr_t base_ = 0;
  std::uint8_t* data_begin_ = nullptr;
  std::uint8_t* data_end_ = nullptr;
  std::string pristine_;
  struct Function {
    std::uint64_t start, size;
    std::uint32_t name_hash;
  };
  std::shared_ptr<const std::vector<Function>> functions_;  // by start; shared by the copies
  static std::shared_ptr<const std::vector<Function>> read_functions(const std::string& so_path);
};

}  // namespace kernel
