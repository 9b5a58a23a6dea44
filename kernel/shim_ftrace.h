// kernel/shim_ftrace.h — what the tracing ring buffer's adapter (model/ftrace_rb/kernel_ring.cpp)
// tells kernel/shim_ftrace.cpp for the simulation on this thread.
#pragma once

#include <functional>

namespace kernel {
/// The subject's PAGE_SIZE (rs_ftrace.h): sub-buffer data bytes + 16. Before setup.
void set_ftrace_page_size(unsigned long bytes);
/// The condition that ends a ring_buffer_wait (the harness's poll timeout); may take steps.
void set_ftrace_stop(std::function<bool()> stop);
/// Missed events ring_buffer_map_get_reader reported only with pr_info (ghost, per thread).
unsigned long& ftrace_unreported_missed();
}  // namespace kernel
