// boost_ucontext_shim.cpp -- supplies the Boost.Context pieces missing for
// the ucontext backend.
//
// Why this file exists:
//   ASan can only follow Boost.Context fibers when they use the ucontext
//   backend, so sanitizer builds compile with
//       -DBOOST_USE_UCONTEXT -DBOOST_USE_ASAN
//   With those macros <boost/context/fiber.hpp> selects fiber_ucontext.hpp,
//   which declares (but does not define) the thread-local "currently running
//   activation record" accessor
//       boost::context::detail::fiber_activation_record::current()
//   together with fiber_activation_record_initializer. The definitions
//   live in Boost's src/fiber.cpp, which is only compiled into libboost_context
//   when the library is built for ucontext. Debian 12's libboost-context-dev
//   (1.74) is built for fcontext only, so the link fails. We define them here.
//
// When it is compiled:
//   Always part of the build. It contains code only when BOOST_USE_UCONTEXT
//   is defined; in the normal (fcontext) build the TU is empty and the
//   library's own fcontext implementation is used.
//
// Notes:
//   * Must be compiled with the same BOOST_USE_UCONTEXT / BOOST_USE_ASAN
//     macros as every other TU, because BOOST_USE_ASAN changes the
//     layout of fiber_activation_record.
//   * Do not link this together with a libboost_context that was itself
//     built with ucontext; the symbols would be defined twice.

#if defined(BOOST_USE_UCONTEXT)

#include <boost/context/fiber.hpp>

#include <cstddef>

namespace boost {
namespace context {
namespace detail {

namespace {

// Per-thread state. Constant-initialised (all zero) so no dynamic TLS
// initialisation is involved in reading it.
struct relaysim_fiber_tls {
    // Record of whatever is executing on this thread right now: the
    // thread's own (main) context until a fiber is resumed.
    fiber_activation_record *running = nullptr;
    // How many initializer objects are alive on this thread.
    std::size_t users = 0;
};

thread_local relaysim_fiber_tls fiber_tls;

} // namespace

// The first initializer on a thread creates the activation record that stands
// for the thread's original stack; the last one to go away frees it.
fiber_activation_record_initializer::fiber_activation_record_initializer() noexcept {
    if (fiber_tls.users++ == 0) {
        // The default constructor builds a "main context" record
        // (getcontext() on the current stack). If getcontext() fails it
        // throws, which terminates here via noexcept -- no way to recover.
        fiber_tls.running = new fiber_activation_record();
    }
}

fiber_activation_record_initializer::~fiber_activation_record_initializer() {
    if (--fiber_tls.users == 0) {
        // At thread exit control must be back on the thread's own stack.
        BOOST_ASSERT(fiber_tls.running != nullptr && fiber_tls.running->is_main_context());
        delete fiber_tls.running;
        fiber_tls.running = nullptr;
    }
}

fiber_activation_record *&fiber_activation_record::current() noexcept {
    // Lazily, once per thread, on first use: make sure the main-context
    // record exists. Its destructor runs at thread exit.
    thread_local fiber_activation_record_initializer per_thread_init;
    return fiber_tls.running;
}

} // namespace detail
} // namespace context
} // namespace boost

#endif // BOOST_USE_UCONTEXT
