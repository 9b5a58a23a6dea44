// kernel/subject.cpp — see subject.h.
#include "kernel/subject.h"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <unistd.h>

#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace kernel {

struct SubjectPool {
  std::mutex mutex;
  std::map<std::string, std::vector<Subject*>> free;
  std::map<std::string, int> loaded;
  std::map<std::string, std::shared_ptr<const std::vector<Subject::Function>>> functions;  // per object

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
    {
      SubjectPool& pool = get();
      std::lock_guard<std::mutex> g(pool.mutex);
      auto& f = pool.functions[so_path];
      if (!f) f = Subject::read_functions(so_path);
      s->functions_ = f;
    }
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

// The object's function symbols, from its .symtab (the file on disk; the loader maps no symtab).
// A 64-bit little-endian ELF built here; anything else (no .symtab: a stripped object) gives an
// empty table, and every code identity is then 0, which loses the code offsets from the hash but
// nothing else.
std::shared_ptr<const std::vector<Subject::Function>> Subject::read_functions(const std::string& so_path) {
  auto out = std::make_shared<std::vector<Function>>();
  std::ifstream in(so_path, std::ios::binary);
  std::string elf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto fits = [&](std::uint64_t off, std::uint64_t n) { return off <= elf.size() && n <= elf.size() - off; };
  if (!fits(0, sizeof(Elf64_Ehdr)) || std::memcmp(elf.data(), ELFMAG, SELFMAG) != 0 || elf[EI_CLASS] != ELFCLASS64)
    return out;
  Elf64_Ehdr eh;
  std::memcpy(&eh, elf.data(), sizeof eh);
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || !fits(eh.e_shoff, std::uint64_t{eh.e_shnum} * sizeof(Elf64_Shdr))) return out;
  std::vector<Elf64_Shdr> sh(eh.e_shnum);
  std::memcpy(sh.data(), elf.data() + eh.e_shoff, sh.size() * sizeof(Elf64_Shdr));
  for (const Elf64_Shdr& s : sh) {
    if (s.sh_type != SHT_SYMTAB || s.sh_link >= sh.size() || s.sh_entsize != sizeof(Elf64_Sym)) continue;
    const Elf64_Shdr& str = sh[s.sh_link];
    if (!fits(s.sh_offset, s.sh_size) || !fits(str.sh_offset, str.sh_size)) continue;
    for (std::uint64_t i = 0; i < s.sh_size / sizeof(Elf64_Sym); ++i) {
      Elf64_Sym sym;
      std::memcpy(&sym, elf.data() + s.sh_offset + i * sizeof(Elf64_Sym), sizeof sym);
      if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_size == 0 || sym.st_name >= str.sh_size) continue;
      std::uint32_t h = 2166136261u;  // FNV-1a
      for (const char* c = elf.data() + str.sh_offset + sym.st_name; c < elf.data() + str.sh_offset + str.sh_size && *c; ++c)
        h = (h ^ static_cast<unsigned char>(*c)) * 16777619u;
      out->push_back(Function{sym.st_value, sym.st_size, h});
    }
  }
  std::sort(out->begin(), out->end(), [](const Function& a, const Function& b) { return a.start < b.start; });
  return out;
}

std::uint64_t Subject::code_identity(std::uint64_t offset) const {
  const auto& f = *functions_;
  auto it = std::upper_bound(f.begin(), f.end(), offset, [](std::uint64_t o, const Function& x) { return o < x.start; });
  // The return address of a call that ends its function is one past it: it still belongs there.
  if (it == f.begin() || offset > std::prev(it)->start + std::prev(it)->size) return 0;
  --it;
  return (std::uint64_t{it->name_hash} << 16) | ((offset - it->start) & 0xffff);
}

void Subject::restore_pristine() { std::memcpy(data_begin_, pristine_.data(), pristine_.size()); }

Subject::~Subject() = default;

}  // namespace kernel
