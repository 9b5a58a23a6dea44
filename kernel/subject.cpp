// kernel/subject.cpp — see subject.h.
#include "kernel/subject.h"

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace kernel {

struct SubjectPool {
  std::mutex mutex;
  std::map<std::string, std::vector<Subject*>> free;
  std::map<std::string, int> loaded;

  static SubjectPool& get() {
    static SubjectPool pool;  // process-wide: instances outlive every simulation (never dlclosed)
    return pool;
  }

  static Subject* load(const std::string& so_path, int n) {
    // A private copy (its own inode: the loader shares objects by file identity, not by name).
    // Named per process and removed once loaded (the mapping stays): concurrent processes sharing
    // the cache never write a file another has mapped.
    std::string copy = so_path + ".inst" + std::to_string(::getpid()) + "-" + std::to_string(n) + ".so";
    std::error_code ec;
    std::filesystem::copy_file(so_path, copy, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) throw std::runtime_error("cannot copy " + so_path + " to " + copy + ": " + ec.message());
    void* h = dlopen(copy.c_str(), RTLD_NOW | RTLD_LOCAL);
    std::filesystem::remove(copy, ec);
    if (!h) throw std::runtime_error(std::string("cannot load kernel subject: ") + dlerror());
    link_map* lm = nullptr;
    if (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || !lm) throw std::runtime_error("dlinfo failed on " + copy);
    auto* s = new Subject();
    s->handle_ = h;
    s->so_path_ = so_path;
    s->copy_path_ = copy;
    s->base_ = lm->l_addr;
    struct Find {
      Subject* s;
    } find{s};
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* arg) -> int {
          auto* f = static_cast<Find*>(arg);
          if (info->dlpi_addr != f->s->base_) return 0;
          std::uintptr_t lo = 0, hi = 0, relro_lo = 0, relro_hi = 0;
          for (int i = 0; i < info->dlpi_phnum; ++i) {
            const ElfW(Phdr)& p = info->dlpi_phdr[i];
            if (p.p_type == PT_LOAD && (p.p_flags & PF_W)) {
              lo = info->dlpi_addr + p.p_vaddr;
              hi = lo + p.p_memsz;
            }
            if (p.p_type == PT_GNU_RELRO) {
              relro_lo = info->dlpi_addr + p.p_vaddr;
              relro_hi = relro_lo + p.p_memsz;
            }
          }
          // The relro part (GOT, constructors) is read-only after relocation: not the kernel's data.
          if (relro_hi > lo && relro_lo <= lo) lo = std::min(hi, (relro_hi + 4095) & ~std::uintptr_t{4095});
          f->s->data_begin_ = reinterpret_cast<std::uint8_t*>(lo);
          f->s->data_end_ = reinterpret_cast<std::uint8_t*>(hi);
          return 1;
        },
        &find);
    if (!s->data_begin_) throw std::runtime_error("no writable segment in " + copy);
    s->pristine_.assign(reinterpret_cast<const char*>(s->data_begin_), static_cast<std::size_t>(s->data_end_ - s->data_begin_));
    return s;
  }
};

std::shared_ptr<Subject> Subject::acquire(const std::string& so_path) {
  SubjectPool& pool = SubjectPool::get();
  Subject* s = nullptr;
  {
    std::lock_guard<std::mutex> g(pool.mutex);
    auto& free = pool.free[so_path];
    if (!free.empty()) {
      s = free.back();
      free.pop_back();
    }
  }
  if (!s) {
    int n;
    {
      std::lock_guard<std::mutex> g(pool.mutex);
      n = pool.loaded[so_path]++;
    }
    s = SubjectPool::load(so_path, n);
  }
  return std::shared_ptr<Subject>(s, [](Subject* x) {
    SubjectPool& p = SubjectPool::get();
    std::lock_guard<std::mutex> g(p.mutex);
    p.free[x->so_path_].push_back(x);
  });
}

void* Subject::symbol(const char* name) const {
  void* p = dlsym(handle_, name);
  if (!p) throw std::runtime_error(std::string("kernel subject ") + so_path_ + " has no symbol " + name);
  return p;
}

void Subject::restore_pristine() { std::memcpy(data_begin_, pristine_.data(), pristine_.size()); }

Subject::~Subject() = default;

}  // namespace kernel
