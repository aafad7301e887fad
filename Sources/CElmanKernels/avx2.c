// The AVX2+FMA path: tiles of up to 6×16 (12 YMM accumulators). Compiled for AVX2 function by function,
// so the package needs no compiler flags; called only after elman_cpu_isa() has found AVX2 and FMA.
#include "CElmanKernels.h"

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

typedef __m256 VEC;
typedef __m256i VI;
#define VLEN 8
#define MR 6
#define K(name) k256_##name
#define K_TILE_CASES K_CASE(1) K_CASE(2) K_CASE(3) K_CASE(4) K_CASE(5) K_CASE(6)

// Lanes 0 ..< n of a mask.
static inline __m256i k256_first(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#define V_ZERO() _mm256_setzero_ps()
#define V_SET1(x) _mm256_set1_ps(x)
#define V_LOADU(p) _mm256_loadu_ps(p)
#define V_STOREU(p, v) _mm256_storeu_ps(p, v)
#define V_LOADN(p, n) _mm256_maskload_ps(p, k256_first(n))
#define V_STOREN(p, v, n) _mm256_maskstore_ps(p, k256_first(n), v)
#define V_ADD _mm256_add_ps
#define V_SUB _mm256_sub_ps
#define V_MUL _mm256_mul_ps
#define V_DIV _mm256_div_ps
#define V_MIN _mm256_min_ps
#define V_MAX _mm256_max_ps
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_FNMA(a, b, c) _mm256_fnmadd_ps(a, b, c)
#define V_AND _mm256_and_ps
#define V_OR _mm256_or_ps
#define V_ABS(x) _mm256_andnot_ps(V_SIGNMASK(), x)
#define V_SIGNMASK() _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u))
#define V_SELECT(a, b, pred, x, y) _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, pred))
#define V_SQRT _mm256_sqrt_ps
#define V_ANY_NAN(x) (_mm256_movemask_ps(_mm256_cmp_ps(x, x, _CMP_UNORD_Q)) != 0)
#define V_ASINT _mm256_castps_si256
#define V_ASFLOAT _mm256_castsi256_ps
#define VI_SET1 _mm256_set1_epi32
#define VI_ADD _mm256_add_epi32
#define VI_SUB _mm256_sub_epi32
#define VI_SLLI _mm256_slli_epi32

#include "kernel_template.h"

void elman_block_avx2(const elman_block *block) { k256_block(block); }
void elman_tanh_avx2(float *x, int64_t count) { k256_tanh_array(x, count); }
int32_t elman_adam_avx2(const elman_adam_step *h, const float *p, const float *g, const float *m, const float *v,
                        float *p_out, float *m_out, float *v_out, int64_t count) {
    return k256_adam(h, p, g, m, v, p_out, m_out, v_out, count);
}

#pragma clang attribute pop

#else
void elman_block_avx2(const elman_block *block) { (void)block; }
void elman_tanh_avx2(float *x, int64_t count) { (void)x; (void)count; }
int32_t elman_adam_avx2(const elman_adam_step *h, const float *p, const float *g, const float *m, const float *v,
                        float *p_out, float *m_out, float *v_out, int64_t count) {
    (void)h; (void)p; (void)g; (void)m; (void)v; (void)p_out; (void)m_out; (void)v_out; (void)count;
    return 0;
}
#endif
