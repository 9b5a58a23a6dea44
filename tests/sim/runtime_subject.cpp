// tests/sim/runtime_subject.cpp — the smallest kernel subject: a shared object with one writable
// global and no kernel code, so that unit tests can drive kernel::Runtime's hooks (the calls the
// instrumented kernel files make) directly, without clang-16 or a kernel tree
// (tests/sim/runtime_weak_test.cpp).
extern "C" {
int relaysim_test_subject_word = 1;  // .data: the writable segment kernel::Subject requires
}
