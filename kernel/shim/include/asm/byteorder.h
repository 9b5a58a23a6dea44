/* Shadow header: byte order for the uapi headers (kernel/shim/rs_perf.h: little-endian x86-64). */
#ifndef __LITTLE_ENDIAN_BITFIELD
#define __LITTLE_ENDIAN_BITFIELD
#define __LITTLE_ENDIAN 1234
#endif
