// The AVX-512 path: tiles of up to 12×32 (24 ZMM accumulators). Compiled for AVX-512 function by function,
// so the package needs no compiler flags; called only after elman_cpu_isa() has found AVX-512.
#include "CElmanKernels.h"

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma"))), apply_to = function)

typedef __m512 VEC;
typedef __m512i VI;
#define VLEN 16
#define MR 12
#define K(name) k512_##name
#define K_TILE_CASES K_CASE(1) K_CASE(2) K_CASE(3) K_CASE(4) K_CASE(5) K_CASE(6) K_CASE(7) K_CASE(8) \
    K_CASE(9) K_CASE(10) K_CASE(11) K_CASE(12)

#define V_ZERO() _mm512_setzero_ps()
#define V_SET1(x) _mm512_set1_ps(x)
#define V_LOADU(p) _mm512_loadu_ps(p)
#define V_STOREU(p, v) _mm512_storeu_ps(p, v)
#define V_LOADN(p, n) _mm512_maskz_loadu_ps((__mmask16)((1u << (n)) - 1u), p)
#define V_STOREN(p, v, n) _mm512_mask_storeu_ps(p, (__mmask16)((1u << (n)) - 1u), v)
#define V_ADD _mm512_add_ps
#define V_SUB _mm512_sub_ps
#define V_MUL _mm512_mul_ps
#define V_DIV _mm512_div_ps
#define V_MIN _mm512_min_ps
#define V_MAX _mm512_max_ps
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_FNMA(a, b, c) _mm512_fnmadd_ps(a, b, c)
#define V_AND _mm512_and_ps
#define V_OR _mm512_or_ps
#define V_ABS(x) _mm512_abs_ps(x)
#define V_SIGNMASK() _mm512_castsi512_ps(_mm512_set1_epi32((int)0x80000000u))
#define V_SELECT(a, b, pred, x, y) _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, pred), y, x)
#define V_SQRT _mm512_sqrt_ps
#define V_ANY_NAN(x) (_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q) != 0)
#define V_ASINT _mm512_castps_si512
#define V_ASFLOAT _mm512_castsi512_ps
#define VI_SET1 _mm512_set1_epi32
#define VI_ADD _mm512_add_epi32
#define VI_SUB _mm512_sub_epi32
#define VI_SLLI _mm512_slli_epi32

#include "kernel_template.h"

void elman_block_avx512(const elman_block *block) { k512_block(block); }
void elman_tanh_avx512(float *x, int64_t count) { k512_tanh_array(x, count); }
int32_t elman_adam_avx512(const elman_adam_step *h, const float *p, const float *g, const float *m, const float *v,
                        float *p_out, float *m_out, float *v_out, int64_t count) {
    return k512_adam(h, p, g, m, v, p_out, m_out, v_out, count);
}

#pragma clang attribute pop

#else
void elman_block_avx512(const elman_block *block) { (void)block; }
void elman_tanh_avx512(float *x, int64_t count) { (void)x; (void)count; }
int32_t elman_adam_avx512(const elman_adam_step *h, const float *p, const float *g, const float *m, const float *v,
                        float *p_out, float *m_out, float *v_out, int64_t count) {
    (void)h; (void)p; (void)g; (void)m; (void)v; (void)p_out; (void)m_out; (void)v_out; (void)count;
    return 0;
}
#endif
