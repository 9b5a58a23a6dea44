/* model/relay/kernel_client.c — the relay client that drives the kernel's own kernel/relay.c.
 *
 * Compiled by the kernel-source build (kernel/build.cpp) with the subject's flags, so that it is
 * instrumented like relay.c: the inline writers of include/linux/relay.h (relay_write,
 * __relay_write, relay_reserve, subbuf_start_reserve) are instantiated here out of line, and the
 * client callbacks are real kernel-side code whose accesses are steps. It plays the part of a relay
 * client module: relay_open with the scenario's callbacks (create_buf_file hands out an inode per
 * buffer, as debugfs would), the file operations as the VFS calls them, and a ghost view of
 * struct rchan_buf for the ledger (read with the hooks off, see kernel/runtime.h).
 * Our own code; the kernel's headers it includes are used as they are.
 */
#include <linux/relay.h>

#include "rs_client.h"

/* What the adapter asks for (model/relay/kernel_channel.cpp mirrors this struct). */
struct rs_relay_params {
  size_t subbuf_size, n_subbufs, header_size;
  int callback; /* 0 buf_full (no callback), 1 counting, 2 overwrite, 3 header_reserve */
  int is_global;
};

struct rs_relay {
  struct rchan *chan;
  struct rs_relay_params p;
  atomic_t dropped; /* the counting client's dropped (blktrace's bt->dropped) */
  size_t subbuf_start_calls[NR_CPUS]; /* ghost: calls of our subbuf_start callback, per buffer */
  struct inode inodes[NR_CPUS];
  struct dentry dentries[NR_CPUS];
  int n_files;
};

static struct rs_relay *client_of(struct rchan_buf *buf) { return buf->chan->private_data; }

/* The exec mode's count of callback calls: ghost, so not instrumented (no steps, no reports). */
__attribute__((no_sanitize("thread"))) static void count_subbuf_start(struct rchan_buf *buf) {
  client_of(buf)->subbuf_start_calls[buf->cpu]++;
}

/* blktrace before 2025: refuse when full and count the drop. */
static int subbuf_start_counting(struct rchan_buf *buf, void *subbuf, void *prev_subbuf, size_t prev_padding) {
  (void)subbuf; (void)prev_subbuf; (void)prev_padding;
  count_subbuf_start(buf);
  if (!relay_buf_full(buf)) return 1;
  atomic_inc(&client_of(buf)->dropped);
  return 0;
}

/* Flight-recorder clients: always allow (overwrite). */
static int subbuf_start_overwrite(struct rchan_buf *buf, void *subbuf, void *prev_subbuf, size_t prev_padding) {
  (void)subbuf; (void)prev_subbuf; (void)prev_padding;
  count_subbuf_start(buf);
  return 1;
}

/* relay.rst's example client: the previous sub-buffer's header gets its padding. */
static int subbuf_start_header(struct rchan_buf *buf, void *subbuf, void *prev_subbuf, size_t prev_padding) {
  (void)subbuf;
  count_subbuf_start(buf);
  if (prev_subbuf) *((size_t *)prev_subbuf) = prev_padding;
  if (relay_buf_full(buf)) return 0;
  subbuf_start_reserve(buf, client_of(buf)->p.header_size);
  return 1;
}

static struct dentry *create_buf_file(const char *filename, struct dentry *parent, umode_t mode,
                                      struct rchan_buf *buf, int *is_global) {
  (void)filename; (void)parent; (void)mode;
  struct rs_relay *c = buf->chan->private_data;
  *is_global = c->p.is_global;
  if (c->n_files >= NR_CPUS) return NULL;
  struct dentry *d = &c->dentries[c->n_files];
  struct inode *i = &c->inodes[c->n_files++];
  i->i_private = buf;
  mutex_init(&i->i_rwsem);
  d->d_inode = i;
  return d;
}

static int remove_buf_file(struct dentry *dentry) { (void)dentry; return 0; }

static const struct rchan_callbacks callbacks[4] = {
    {.create_buf_file = create_buf_file, .remove_buf_file = remove_buf_file},
    {.subbuf_start = subbuf_start_counting, .create_buf_file = create_buf_file, .remove_buf_file = remove_buf_file},
    {.subbuf_start = subbuf_start_overwrite, .create_buf_file = create_buf_file, .remove_buf_file = remove_buf_file},
    {.subbuf_start = subbuf_start_header, .create_buf_file = create_buf_file, .remove_buf_file = remove_buf_file},
};

RS_EXPORT struct rs_relay *rs_relay_open(const struct rs_relay_params *p) {
  struct rs_relay *c = kzalloc(sizeof(*c), GFP_KERNEL);
  if (!c) return NULL;
  c->p = *p;
  c->chan = relay_open("cpu", NULL, p->subbuf_size, p->n_subbufs, &callbacks[p->callback & 3], c);
  return c->chan ? c : NULL;
}

RS_EXPORT struct rchan_buf *rs_relay_buf(struct rs_relay *c, int cpu) { return *per_cpu_ptr(c->chan->buf, cpu); }

/* The writers of include/linux/relay.h, instantiated out of line (instrumented). */
RS_EXPORT void rs_relay_write(struct rs_relay *c, const void *data, size_t len) { relay_write(c->chan, data, len); }
RS_EXPORT void rs___relay_write(struct rs_relay *c, const void *data, size_t len) { __relay_write(c->chan, data, len); }
RS_EXPORT void *rs_relay_reserve(struct rs_relay *c, size_t len) { return relay_reserve(c->chan, len); }
/* blktrace fills the record after relay_reserve: a copy into the reserved slot. */
RS_EXPORT void rs_relay_fill_reserved(void *where, const void *data, size_t len) { memcpy(where, data, len); }

RS_EXPORT size_t rs_relay_switch_subbuf(struct rs_relay *c, int cpu, size_t length) {
  return relay_switch_subbuf(rs_relay_buf(c, cpu), length);
}
RS_EXPORT void rs_relay_flush(struct rs_relay *c) { relay_flush(c->chan); }
RS_EXPORT void rs_relay_reset(struct rs_relay *c) { relay_reset(c->chan); }
RS_EXPORT void rs_relay_close(struct rs_relay *c) { relay_close(c->chan); }
RS_EXPORT void rs_relay_subbufs_consumed(struct rs_relay *c, int cpu, size_t n) { relay_subbufs_consumed(c->chan, cpu, n); }
RS_EXPORT int rs_relay_buf_full(struct rs_relay *c, int cpu) { return relay_buf_full(rs_relay_buf(c, cpu)); }

/* The VFS side: open(2) on the buffer's file, then read(2) and poll(2) through the file's ops. */
RS_EXPORT struct file *rs_relay_file_open(struct rs_relay *c, int cpu) {
  struct rchan_buf *buf = rs_relay_buf(c, cpu);
  struct file *f = kzalloc(sizeof(*f), GFP_KERNEL);
  if (!f || !buf || !buf->dentry) return NULL;
  f->f_op = &relay_file_operations;
  f->f_mode = FMODE_READ;
  f->f_inode = d_inode(buf->dentry);
  if (relay_file_operations.open(f->f_inode, f)) return NULL;
  return f;
}
RS_EXPORT ssize_t rs_relay_file_read(struct file *f, char *ubuf, size_t count) {
  return f->f_op->read(f, ubuf, count, &f->f_pos);
}
RS_EXPORT unsigned int rs_relay_file_poll(struct file *f, int wait) {
  static poll_table pt;
  return f->f_op->poll(f, wait ? &pt : NULL);
}
RS_EXPORT wait_queue_head_t *rs_relay_read_wait(struct rs_relay *c, int cpu) { return &rs_relay_buf(c, cpu)->read_wait; }

/* Ghost state for the ledger and exec mode (the adapter calls it with the hooks off). */
struct rs_relay_state {
  size_t produced, consumed, bytes_consumed, offset, data_subbuf, early_bytes, file_size, finalized;
  size_t last_toobig, dropped, page_count, subbuf_start_calls;
  void *start;
  const size_t *padding;
  struct page **pages;
};
RS_EXPORT void rs_relay_state(struct rs_relay *c, int cpu, struct rs_relay_state *out) {
  struct rchan_buf *buf = rs_relay_buf(c, cpu);
  out->produced = buf->subbufs_produced;
  out->consumed = buf->subbufs_consumed;
  out->bytes_consumed = buf->bytes_consumed;
  out->offset = buf->offset;
  out->data_subbuf = (size_t)((char *)buf->data - (char *)buf->start) / c->chan->subbuf_size;
  out->early_bytes = buf->early_bytes;
  out->file_size = buf->dentry ? (size_t)d_inode(buf->dentry)->i_size : 0;
  out->finalized = buf->finalized;
  out->last_toobig = c->chan->last_toobig;
  out->dropped = (size_t)atomic_read(&c->dropped);
  out->page_count = buf->page_count;
  out->subbuf_start_calls = c->subbuf_start_calls[buf->cpu];
  out->start = buf->start;
  out->padding = buf->padding;
  out->pages = buf->page_array;
}

RS_EXPORT long long rs_relay_file_pos(const struct file *f) { return f->f_pos; }
RS_EXPORT size_t *rs_relay_consumed_addr(struct rs_relay *c, int cpu) { return &rs_relay_buf(c, cpu)->subbufs_consumed; }
