/* Shadow header: ringbuf.c includes it but uses nothing of BTF (kernel/shim/rs_kernel.h). */
#define RS_WANT_BPF 1
#include "rs_kernel.h"
