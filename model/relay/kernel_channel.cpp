// model/relay/kernel_channel.cpp — see kernel_channel.h.
#include "model/relay/kernel_channel.h"

#include "model/relay/relay.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace model::relay {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr int kFilesPerBuffer = 16;
constexpr int kContextLevels = 4;  // task, softirq, hardirq, NMI: writers that can nest on a CPU

// Mirrors of the client's structs (kernel_client.c).
struct RsRelayParams {
  std::size_t subbuf_size, n_subbufs, header_size;
  int callback;
  int is_global;
};
struct RsRelayState {
  std::size_t produced, consumed, bytes_consumed, offset, data_subbuf, early_bytes, file_size, finalized;
  std::size_t last_toobig, dropped, page_count, subbuf_start_calls;
  void* start;
  const std::size_t* padding;
  void** pages;
};

}  // namespace

kernel::SubjectSpec relay_subject() {
  kernel::SubjectSpec s;
  s.name = "relay";
  s.kernel_files = {"kernel/relay.c"};
  s.real_headers = {{"include/linux/relay.h", "linux/relay.h"}};
  s.client_files = {"model/relay/kernel_client.c"};
  return s;
}

struct KernelChannel::Api {
  explicit Api(const kernel::Subject& s)
      : open(s.function<void* (*)(const RsRelayParams*)>("rs_relay_open")),
        write(s.function<void (*)(void*, const void*, std::size_t)>("rs_relay_write")),
        write_noirq(s.function<void (*)(void*, const void*, std::size_t)>("rs___relay_write")),
        reserve(s.function<void* (*)(void*, std::size_t)>("rs_relay_reserve")),
        fill_reserved(s.function<void (*)(void*, const void*, std::size_t)>("rs_relay_fill_reserved")),
        switch_subbuf(s.function<std::size_t (*)(void*, int, std::size_t)>("rs_relay_switch_subbuf")),
        flush(s.function<void (*)(void*)>("rs_relay_flush")),
        reset(s.function<void (*)(void*)>("rs_relay_reset")),
        close(s.function<void (*)(void*)>("rs_relay_close")),
        subbufs_consumed(s.function<void (*)(void*, int, std::size_t)>("rs_relay_subbufs_consumed")),
        buf_full(s.function<int (*)(void*, int)>("rs_relay_buf_full")),
        file_open(s.function<void* (*)(void*, int)>("rs_relay_file_open")),
        file_read(s.function<long (*)(void*, char*, std::size_t)>("rs_relay_file_read")),
        file_poll(s.function<unsigned (*)(void*, int)>("rs_relay_file_poll")),
        file_pos(s.function<long long (*)(const void*)>("rs_relay_file_pos")),
        read_wait(s.function<void* (*)(void*, int)>("rs_relay_read_wait")),
        consumed_addr(s.function<std::size_t* (*)(void*, int)>("rs_relay_consumed_addr")),
        state(s.function<void (*)(void*, int, RsRelayState*)>("rs_relay_state")) {}
  void* (*open)(const RsRelayParams*);
  void (*write)(void*, const void*, std::size_t);
  void (*write_noirq)(void*, const void*, std::size_t);
  void* (*reserve)(void*, std::size_t);
  void (*fill_reserved)(void*, const void*, std::size_t);
  std::size_t (*switch_subbuf)(void*, int, std::size_t);
  void (*flush)(void*);
  void (*reset)(void*);
  void (*close)(void*);
  void (*subbufs_consumed)(void*, int, std::size_t);
  int (*buf_full)(void*, int);
  void* (*file_open)(void*, int);
  long (*file_read)(void*, char*, std::size_t);
  unsigned (*file_poll)(void*, int);
  long long (*file_pos)(const void*);
  void* (*read_wait)(void*, int);
  std::size_t* (*consumed_addr)(void*, int);
  void (*state)(void*, int, RsRelayState*);
};

struct KernelChannel::Buffer {
  std::vector<long> pfns;           // the buffer's pages, in buffer order
  std::uint8_t* start = nullptr;    // the kernel's vmap (buf->start)
  std::uint8_t* user_view = nullptr;  // the reader's mapping of the same pages
  void* files[kFilesPerBuffer] = {};
  std::vector<const ReaderFile*> owners;  // which ReaderFile uses files[i]
  void* read_wait = nullptr;
  // User space's buffers: read(2)'s destination (readers of one buffer serialise on its inode
  // lock, and nothing steps between the copy and the end of read) and the mmap consumer's copy.
  std::uint8_t* read_buf = nullptr;
  std::uint8_t* mmap_buf = nullptr;
  // Sequences relay_file_read_avail's overwrite catch-up jumped over during the read in progress
  // (readers of one buffer serialise on its inode lock).
  std::vector<std::uint64_t> skipped;
};

KernelChannel::KernelChannel(sim::Sim& sim, const Params& p, const KernelSource& source) : sim_(sim), p_(p) {
  p_.stats = false;  // Debian's 6.12 relay.c predates relay_stats (kernel_channel.h)
  p_.old_read_pos = false;
  std::string why;
  if (Channel::validate(p_, &why) != 0) throw std::invalid_argument("relay_open would fail: " + why);
  const std::string so = kernel::build_subject(relay_subject(), source.tree);
  kernel::RuntimeOptions ro;
  ro.marked_only = source.marked_only;
  ro.irq_work_slots = buffers();
  ro.wait_queues = buffers();
  const std::uint64_t bytes = p_.subbuf_size * p_.n_subbufs;
  ro.pool_bytes = std::max<std::size_t>(4u << 20, static_cast<std::size_t>(bytes * 4 * buffers() + (8u << 20)));
  rt_ = std::make_unique<kernel::Runtime>(sim, kernel::Subject::acquire(so), ro);
  api_ = std::make_unique<Api>(rt_->subject());
  bufs_.resize(static_cast<std::size_t>(buffers()));
  rt_->setup([&] {
    RsRelayParams rp{p_.subbuf_size, p_.n_subbufs, p_.header_size,
                     p_.callback == Callback::BufFull    ? 0
                     : p_.callback == Callback::Counting ? 1
                     : p_.callback == Callback::Overwrite ? 2
                                                         : 3,
                     p_.is_global ? 1 : 0};
    client_ = api_->open(&rp);
    if (!client_) throw std::invalid_argument("relay_open returned NULL");
    for (int b = 0; b < buffers(); ++b) {
      Buffer& B = bufs_[static_cast<std::size_t>(b)];
      RsRelayState st{};
      api_->state(client_, b, &st);
      B.start = static_cast<std::uint8_t*>(st.start);
      for (std::size_t i = 0; i < st.page_count; ++i) B.pfns.push_back(rt_->pfn_of(st.pages[i]));
      std::vector<void*> pages(st.pages, st.pages + st.page_count);
      B.user_view = static_cast<std::uint8_t*>(rt_->vmap(pages.data(), static_cast<unsigned>(pages.size()), false));
      for (void*& f : B.files) {
        f = api_->file_open(client_, b);
        if (!f) throw std::logic_error("relay: opening the buffer's file failed");
      }
      B.read_wait = api_->read_wait(client_, b);
      // The catch-up is the kernel's own store `buf->subbufs_consumed = consumed` in
      // relay_file_read_avail (inlined into relay_file_read at -O2, so the debug info may name
      // either): every sequence it jumps over is a sub-buffer the reader lost. A reader's own
      // consumption is relay_file_read_consume -> relay_subbufs_consumed; relay_reset goes back.
      rt_->watch(api_->consumed_addr(client_, b), [this, b](std::uint64_t from, std::uint64_t to, const std::string& fn) {
        if ((fn != "relay_file_read_avail" && fn != "relay_file_read") || to <= from || to - from > p_.n_subbufs * 4096)
          return;
        for (std::uint64_t s = from; s < to; ++s) bufs_[static_cast<std::size_t>(b)].skipped.push_back(s);
      });
    }
    for (int i = 0; i < p_.cpus * kContextLevels; ++i)
      scratch_.push_back(static_cast<std::uint8_t*>(rt_->alloc_user(p_.subbuf_size + 1)));
    user_buf_len_ = bytes;
    for (Buffer& B : bufs_) {
      B.read_buf = static_cast<std::uint8_t*>(rt_->alloc_user(bytes));
      B.mmap_buf = static_cast<std::uint8_t*>(rt_->alloc_user(bytes));
    }
  });
}

KernelChannel::~KernelChannel() = default;

std::uint8_t* KernelChannel::payload(int cpu, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag) {
  const int level = sim_.current_actor() >= 0 ? static_cast<int>(sim_.current_ctx()) : 0;
  std::uint8_t* s = scratch_[static_cast<std::size_t>(cpu * kContextLevels + level)];
  // Only a message that fits a sub-buffer is ever copied (a longer one is dropped as too big).
  const std::uint64_t n = std::min<std::uint64_t>(len, p_.subbuf_size);
  std::memcpy(s, data, n);
  rt_->set_tags(s, n, tag);
  return s;
}

WriteResult KernelChannel::placed(int cpu, std::uint64_t len, std::int64_t phys) const {
  WriteResult r;
  r.buffer = buffer_of_cpu(cpu);
  const Buffer& B = bufs_[static_cast<std::size_t>(r.buffer)];
  const auto page = std::find(B.pfns.begin(), B.pfns.end(), static_cast<long>(phys / kPage));
  if (phys < 0 || page == B.pfns.end()) {
    r.drop = len > p_.subbuf_size - (p_.callback == Callback::HeaderReserve ? p_.header_size : 0)
                 ? WriteResult::Drop::TooBig
                 : WriteResult::Drop::Full;
    return r;
  }
  r.accepted = true;
  r.offset_in_buffer = static_cast<std::uint64_t>(page - B.pfns.begin()) * kPage + static_cast<std::uint64_t>(phys) % kPage;
  // The sub-buffer's sequence: the newest produced sequence that maps to this slot.
  const BufState st = state(r.buffer);
  const std::uint64_t idx = r.offset_in_buffer / p_.subbuf_size, n = p_.n_subbufs;
  r.subbuf_seq = st.subbufs_produced - ((st.subbufs_produced % n + n - idx) % n);
  return r;
}

WriteResult KernelChannel::write(int cpu, bool irqsave, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag) {
  std::uint8_t* s = payload(cpu, data, len, tag);
  (irqsave ? api_->write : api_->write_noirq)(client_, s, len);
  if (len == 0) {  // nothing is copied: accepted unless the buffer is in the refused state
    WriteResult r;
    r.buffer = buffer_of_cpu(cpu);
    const BufState st = state(r.buffer);
    r.accepted = st.offset <= p_.subbuf_size;
    r.offset_in_buffer = st.data_subbuf * p_.subbuf_size + std::min(st.offset, p_.subbuf_size);
    r.subbuf_seq = st.subbufs_produced;
    if (!r.accepted) r.drop = WriteResult::Drop::Full;
    return r;
  }
  return placed(cpu, len, rt_->landed(tag));
}

WriteResult KernelChannel::relay_write(int cpu, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag) {
  return write(cpu, true, data, len, tag);
}
WriteResult KernelChannel::__relay_write(int cpu, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag) {
  return write(cpu, false, data, len, tag);
}

WriteResult KernelChannel::relay_reserve(int cpu, std::uint64_t len) {
  auto* where = static_cast<std::uint8_t*>(api_->reserve(client_, len));
  WriteResult r;
  r.buffer = buffer_of_cpu(cpu);
  if (!where) {
    r.drop = len > p_.subbuf_size ? WriteResult::Drop::TooBig : WriteResult::Drop::Full;
    return r;
  }
  const Buffer& B = bufs_[static_cast<std::size_t>(r.buffer)];
  r.accepted = true;
  r.offset_in_buffer = static_cast<std::uint64_t>(where - B.start);
  const BufState st = state(r.buffer);
  const std::uint64_t idx = r.offset_in_buffer / p_.subbuf_size, n = p_.n_subbufs;
  r.subbuf_seq = st.subbufs_produced - ((st.subbufs_produced % n + n - idx) % n);
  return r;
}

void KernelChannel::commit_reserved(const WriteResult& where, const std::uint8_t* data, std::uint64_t len, std::uint64_t tag) {
  if (!where.accepted) return;
  std::uint8_t* s = payload(sim_.current_actor() >= 0 ? sim_.smp_processor_id() : 0, data, len, tag);
  api_->fill_reserved(bufs_[static_cast<std::size_t>(where.buffer)].start + where.offset_in_buffer, s, len);
}

int KernelChannel::relay_switch_subbuf(int buffer, std::uint64_t length) {
  return static_cast<int>(api_->switch_subbuf(client_, buffer, length));
}
void KernelChannel::relay_flush() { api_->flush(client_); }
void KernelChannel::relay_reset() { api_->reset(client_); }
void KernelChannel::relay_subbufs_consumed(int buffer, std::uint64_t n) { api_->subbufs_consumed(client_, buffer, n); }
void KernelChannel::relay_close() { api_->close(client_); }
bool KernelChannel::relay_buf_full(int buffer) { return api_->buf_full(client_, buffer) != 0; }

void* KernelChannel::file_for(int buffer, const ReaderFile* f) {
  Buffer& B = bufs_[static_cast<std::size_t>(buffer)];
  auto it = std::find(B.owners.begin(), B.owners.end(), f);
  if (it != B.owners.end()) return B.files[it - B.owners.begin()];
  if (B.owners.size() >= kFilesPerBuffer) throw std::logic_error("relay: more than 16 open files on one buffer");
  B.owners.push_back(f);
  return B.files[B.owners.size() - 1];
}

void KernelChannel::relay_file_read(int buffer, ReaderFile& file, std::uint64_t count, ReadResult& out) {
  out.bytes = 0;
  out.data.clear();
  out.tags.clear();
  out.skipped_subbuf_seqs.clear();
  Buffer& B = bufs_[static_cast<std::size_t>(buffer)];
  B.skipped.clear();
  void* f = file_for(buffer, &file);
  std::uint8_t* ubuf = B.read_buf;
  const long n = api_->file_read(f, reinterpret_cast<char*>(ubuf), std::min(count, user_buf_len_));
  rt_->settle();
  out.skipped_subbuf_seqs.swap(B.skipped);
  if (n > 0) {
    out.bytes = static_cast<std::uint64_t>(n);
    out.data.assign(ubuf, ubuf + n);
    out.tags.resize(static_cast<std::size_t>(n));
    rt_->get_tags(ubuf, static_cast<std::size_t>(n), out.tags.data());
  }
  kernel::Runtime::Ghost g(*rt_);
  file.ppos = static_cast<std::uint64_t>(api_->file_pos(f));
}

int KernelChannel::relay_file_poll(int buffer) {
  const unsigned mask = api_->file_poll(bufs_[static_cast<std::size_t>(buffer)].files[0], 0);
  return (mask & 0x8u) ? 2 : (mask & 0x1u) ? 1 : 0;  // EPOLLERR, EPOLLIN as the model encodes them
}

void KernelChannel::wait_readable(int buffer, const std::function<bool()>& or_stop) {
  Buffer& B = bufs_[static_cast<std::size_t>(buffer)];
  const std::uint32_t q = rt_->wait_queue_id(B.read_wait);
  // do_poll(): each pass calls f_op->poll, which poll_wait()s on read_wait; sleep until woken.
  for (;;) {
    sim_.prepare_wait(q);
    const unsigned mask = api_->file_poll(B.files[0], 1);
    if ((mask & 0x9u) || (or_stop && or_stop())) break;
    sim_.sleep_running(q);
  }
  sim_.finish_wait();
  rt_->poll_freewait();
}

void KernelChannel::wake_readers(int buffer) { rt_->wake_up(bufs_[static_cast<std::size_t>(buffer)].read_wait, nullptr); }

void KernelChannel::mmap_read_subbuf(int buffer, std::uint64_t seq, ReadResult& out, std::uint64_t* header_padding) {
  Buffer& B = bufs_[static_cast<std::size_t>(buffer)];
  const std::uint64_t S = p_.subbuf_size, idx = seq % p_.n_subbufs;
  std::uint64_t padding = 0, from = 0;
  if (p_.callback == Callback::HeaderReserve) {
    std::uint8_t header[8] = {};
    const std::uint64_t hn = std::min<std::uint64_t>(p_.header_size, 8);
    rt_->copy(B.mmap_buf, B.user_view + idx * S, hn, false, nullptr);  // user space reads the header
    std::memcpy(header, B.mmap_buf, hn);
    for (std::uint64_t i = 0; i < hn; ++i) padding |= std::uint64_t(header[i]) << (8 * i);
    from = p_.header_size;
  } else {
    padding = state(buffer).padding[idx];  // no header: the model's side channel, as relay.h says
  }
  if (header_padding) *header_padding = padding;
  const std::uint64_t end = padding > S ? 0 : S - padding;
  out.bytes = end > from ? end - from : 0;
  out.data.resize(out.bytes);
  out.tags.resize(out.bytes);
  out.skipped_subbuf_seqs.clear();
  if (!out.bytes) return;
  rt_->copy(B.mmap_buf, B.user_view + idx * S + from, out.bytes, false, nullptr);
  std::memcpy(out.data.data(), B.mmap_buf, out.bytes);
  rt_->get_tags(B.mmap_buf, out.bytes, out.tags.data());
}

ChannelApi::BufState KernelChannel::state(int buffer) const {
  kernel::Runtime::Ghost g(*rt_);
  RsRelayState st{};
  api_->state(client_, buffer, &st);
  BufState s;
  s.subbufs_produced = st.produced;
  s.subbufs_consumed = st.consumed;
  s.bytes_consumed = st.bytes_consumed;
  s.offset = st.offset;
  s.data_subbuf = st.data_subbuf;
  s.early_bytes = st.early_bytes;
  s.file_size = st.file_size;
  s.dropped = st.dropped;
  s.subbuf_start_calls = st.subbuf_start_calls;
  s.finalized = st.finalized != 0;
  s.padding.assign(st.padding, st.padding + p_.n_subbufs);
  return s;
}

const std::vector<ChannelApi::BufState>& KernelChannel::snapshot_all() const {
  snapshot_.resize(static_cast<std::size_t>(buffers()));
  for (int b = 0; b < buffers(); ++b) snapshot_[static_cast<std::size_t>(b)] = state(b);
  return snapshot_;
}

std::uint64_t KernelChannel::last_toobig() const {
  kernel::Runtime::Ghost g(*rt_);
  RsRelayState st{};
  api_->state(client_, 0, &st);
  return st.last_toobig;
}

std::uint64_t KernelChannel::dropped() const {
  kernel::Runtime::Ghost g(*rt_);
  RsRelayState st{};
  api_->state(client_, 0, &st);
  return st.dropped;
}

void KernelChannel::buffer_tags(int buffer, std::vector<std::uint64_t>& out) const {
  out.resize(p_.subbuf_size * p_.n_subbufs);
  rt_->get_tags(bufs_[static_cast<std::size_t>(buffer)].start, out.size(), out.data());
}

}  // namespace model::relay
