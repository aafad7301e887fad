// Elman's only C: the ISA-specific micro-kernels (AVX-512, AVX2+FMA) and the CPU check that picks one.
// Everything else, packing and blocking included, is Swift (Sources/Elman/Linalg: KernelGEMM, PackedRecurrence).
#ifndef CELMANKERNELS_H
#define CELMANKERNELS_H

#include <stdint.h>

/// Instruction-set paths, best last.
enum { ELMAN_ISA_GENERIC = 0, ELMAN_ISA_AVX2 = 1, ELMAN_ISA_AVX512 = 2 };

/// The best path this CPU and operating system support (AVX-512: F, DQ, BW, VL and the OS saving ZMM state;
/// AVX2: AVX2, FMA and the OS saving YMM state); ELMAN_ISA_GENERIC off x86-64.
int32_t elman_cpu_isa(void);

/// What a block does with each tile's sum acc = A·B̃ before storing it to C.
enum {
    /// C = alpha·acc + beta·C (C is not read when beta is 0).
    ELMAN_EPILOGUE_GEMM = 0,
    /// C = f(acc + add_rows[i] + bias): the forward recurrence's step (Eqs. 74–75).
    ELMAN_EPILOGUE_FORWARD = 1,
    /// C = (acc + C) ∘ f′(S), f′ from the activation's output S: the backward recurrence's step (Eq. 108).
    ELMAN_EPILOGUE_BACKWARD = 2,
};

/// The nonlinearity f of the recurrence.
enum { ELMAN_TANH = 0, ELMAN_RELU = 1 };

/// One block product C[0..<m, 0..<n] ⊕= A·B̃ for the kernels below.
///
/// A: m×k, element (i, p) at a[i·rsa + p·csa] (row-major A: rsa = lda, csa = 1; a transposed operand:
/// rsa = 1, csa = lda), never packed. B̃: k×n packed in panels of NR columns (elman_kernel_nr), panel q
/// holding columns q·NR ..< q·NR + NR as k rows of NR floats, zero-padded, panels k·NR floats apart.
/// C: m×n with row stride ldc. Column j of C, of bias and of every add_rows[i], and of S, are the same column.
typedef struct {
    int64_t m, n, k;
    const float *a;
    int64_t rsa, csa;
    const float *b;
    float *c;
    int64_t ldc;
    int32_t epilogue;      // ELMAN_EPILOGUE_*
    int32_t nonlinearity;  // ELMAN_TANH or ELMAN_RELU (FORWARD, BACKWARD)
    float alpha, beta;     // GEMM
    const float *const *add_rows;  // FORWARD: m row pointers, or NULL
    const float *bias;             // FORWARD: n values, or NULL
    const float *s;                // BACKWARD: S, m×n with row stride lds
    int64_t lds;
} elman_block;

/// The panel width NR of a path's kernels (AVX-512: 32, AVX2: 16), 0 for a path without C kernels.
int64_t elman_kernel_nr(int32_t isa);

/// The block product with the AVX-512 kernels (tiles of up to 12×32). The CPU must have them.
void elman_block_avx512(const elman_block *block);
/// The block product with the AVX2+FMA kernels (tiles of up to 6×16). The CPU must have them.
void elman_block_avx2(const elman_block *block);

/// The constants of one Adam/AdamW update (Optimizer.adamConstants): g ← g + l2·θ; m ← β₁m + (1−β₁)g;
/// v ← β₂v + (1−β₂)g²; θ ← decay·θ − step_size·m / (√v / root_c2 + eps).
typedef struct {
    float l2, beta1, beta2, eps, decay, step_size, root_c2;
} elman_adam_step;

/// One Adam update of `count` parameters out of place: θ, g, m, v in; the new θ, m, v out (other buffers).
/// Returns 1 when every new θ is finite, else 0 (the caller then keeps the old buffers).
int32_t elman_adam_avx512(const elman_adam_step *h, const float *p, const float *g, const float *m, const float *v,
                          float *p_out, float *m_out, float *v_out, int64_t count);
int32_t elman_adam_avx2(const elman_adam_step *h, const float *p, const float *g, const float *m, const float *v,
                        float *p_out, float *m_out, float *v_out, int64_t count);

/// x ← tanh(x), with the same vector tanh the forward epilogue applies (for tests and element-wise passes).
void elman_tanh_avx512(float *x, int64_t count);
void elman_tanh_avx2(float *x, int64_t count);

/// A spin-wait hint (x86 PAUSE, Arm YIELD): the core lets its sibling hyperthread run and saves power while a
/// lane waits at a barrier; nothing elsewhere.
void elman_cpu_relax(void);

#endif
