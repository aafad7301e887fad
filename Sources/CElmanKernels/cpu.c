#include "CElmanKernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

int32_t elman_cpu_isa(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return ELMAN_ISA_GENERIC;
    const int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
    if (!osxsave || !avx) return ELMAN_ISA_GENERIC;
    const uint64_t xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6) return ELMAN_ISA_GENERIC;  // XMM and YMM state saved by the OS
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return ELMAN_ISA_GENERIC;
    const int avx2 = (b >> 5) & 1;
    const int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);  // F DQ BW VL
    if (avx512 && fma && (xcr0 & 0xe6) == 0xe6) return ELMAN_ISA_AVX512;  // opmask and ZMM state saved too
    if (avx2 && fma) return ELMAN_ISA_AVX2;
    return ELMAN_ISA_GENERIC;
}
#else
int32_t elman_cpu_isa(void) { return ELMAN_ISA_GENERIC; }
#endif

int64_t elman_kernel_nr(int32_t isa) {
    switch (isa) {
    case ELMAN_ISA_AVX512: return 32;
    case ELMAN_ISA_AVX2: return 16;
    default: return 0;
    }
}

void elman_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}
