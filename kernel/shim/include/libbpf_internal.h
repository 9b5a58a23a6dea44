/* Shadow header: what libbpf's ringbuf.c takes from libbpf's internals (kernel/shim/rs_user.h). */
#include "rs_user.h"
