/* kernel/shim/config.h — stands in for the kernel's generated autoconf.h (passed with -include).
 * Only what the subject files test for. Our own text; not a copy of any kernel header. */
#define __KERNEL__ 1
#define CONFIG_RELAY 1
#define CONFIG_SMP 1
#define CONFIG_MMU 1
#define CONFIG_64BIT 1
#define CONFIG_NR_CPUS 64
#define NR_CPUS 64
#define CONFIG_BPF_SYSCALL 1
#define CONFIG_BPF 1
