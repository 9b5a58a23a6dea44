/* Shadow header for kernel/trace/ring_buffer.c: the kernel API as relaysim provides it (kernel/shim/ftrace/rs_ftrace.h). */
#include "rs_ftrace.h"
