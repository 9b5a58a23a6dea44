/* Shadow header: the perf buffer's part of the kernel API as relaysim provides it (kernel/shim/rs_perf.h). */
#include "rs_perf.h"
