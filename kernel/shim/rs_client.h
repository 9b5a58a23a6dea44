/* kernel/shim/rs_client.h — what a design's instrumented client file (model/<design>/kernel_client.c)
 * needs beyond the kernel API: a way to export its entry points to the adapter. */
#ifndef RS_CLIENT_H
#define RS_CLIENT_H
#define RS_EXPORT __attribute__((visibility("default"), used))
#endif
