/* tests/kernel/data/layout_shift.c — test-only client code linked into a second copy of a subject
 * (KernelSubject.CodeIdentityDoesNotMoveWithUnrelatedCode): 256 exported functions whose dynamic
 * symbols (more than a page of .dynsym and .dynstr) move every offset of the kernel's code. */
#define RS_F(n) \
  int rs_layout_shift_function_number_##n(int x) { return x * 3 + n; }
#define RS_F4(n) RS_F(n##0) RS_F(n##1) RS_F(n##2) RS_F(n##3)
#define RS_F16(n) RS_F4(n##0) RS_F4(n##1) RS_F4(n##2) RS_F4(n##3)
#define RS_F64(n) RS_F16(n##0) RS_F16(n##1) RS_F16(n##2) RS_F16(n##3)
RS_F64(1)
RS_F64(2)
RS_F64(3)
RS_F64(4)
