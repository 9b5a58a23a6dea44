/* Shadow header: the kernel API as relaysim provides it (kernel/shim/rs_kernel.h), with its BPF part. */
#define RS_WANT_BPF 1
#include "rs_kernel.h"
