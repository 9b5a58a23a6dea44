/* Shadow header: the kernel API as relaysim provides it (kernel/shim/rs_kernel.h). */
#include "rs_kernel.h"
