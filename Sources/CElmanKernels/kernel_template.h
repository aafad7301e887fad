// One text for the AVX-512 and the AVX2 kernels: avx512.c and avx2.c define the vector type, its width
// VLEN, the tile height MR, the V_* operations and K(name) (a per-path function name), then include this
// file. Tiles are MR rows × NR = 2·VLEN columns: 2·MR accumulators, two loads of B̃ and MR broadcasts of
// A per step of k.

#define NR (2 * VLEN)

// e^x lane by lane, as VectorMath.exp: x = n·ln 2 + r with |r| ≤ ln2/2, e^r by a degree-7 polynomial,
// then 2ⁿ (Cephes expf's reduction and coefficients). 0 below −87.3, NaN stays NaN.
static inline VEC K(exp)(VEC x) {
    const VEC lo = V_SET1(-87.3f), hi = V_SET1(88.3f);
    const VEC xc = V_MIN(V_MAX(x, lo), hi);
    const VEC shifted = V_FMA(xc, V_SET1(1.44269504f), V_SET1(12582912.0f));  // rounds n into the mantissa
    const VEC n = V_SUB(shifted, V_SET1(12582912.0f));
    VEC r = V_FNMA(n, V_SET1(0.693359375f), xc);  // ln 2 split in two for an exact first subtraction
    r = V_FNMA(n, V_SET1(-2.12194440e-4f), r);
    VEC p = V_SET1(1.98756915e-4f);
    p = V_FMA(p, r, V_SET1(1.39819995e-3f));
    p = V_FMA(p, r, V_SET1(8.3334519e-3f));
    p = V_FMA(p, r, V_SET1(4.16657959e-2f));
    p = V_FMA(p, r, V_SET1(1.66666655e-1f));
    p = V_FMA(p, r, V_SET1(5.00000012e-1f));
    const VEC er = V_ADD(V_FMA(p, V_MUL(r, r), r), V_SET1(1.0f));
    const VI integer = VI_SUB(V_ASINT(shifted), VI_SET1(0x4B400000));
    const VEC scale = V_ASFLOAT(VI_SLLI(VI_ADD(integer, VI_SET1(127)), 23));
    const VEC e = V_SELECT(x, lo, _CMP_LT_OQ, V_ZERO(), V_MUL(er, scale));
    return V_SELECT(x, x, _CMP_UNORD_Q, x, e);
}

// tanh lane by lane, as VectorMath.tanh: an odd polynomial below |x| = 0.625, 1 − 2/(e^{2|x|} + 1) above it
// (Cephes tanhf), x itself below 1e-4 (keeps −0); tanh(±∞) = ±1, NaN stays NaN.
static inline VEC K(tanh)(VEC x) {
    const VEC a = V_ABS(x);
    const VEC s = V_MUL(x, x);
    VEC p = V_SET1(-5.70498872745e-3f);
    p = V_FMA(p, s, V_SET1(2.06390887954e-2f));
    p = V_FMA(p, s, V_SET1(-5.37397155531e-2f));
    p = V_FMA(p, s, V_SET1(1.33314422036e-1f));
    p = V_FMA(p, s, V_SET1(-3.33332819422e-1f));
    const VEC small = V_FMA(V_MUL(p, s), x, x);
    const VEC e = K(exp)(V_MIN(V_ADD(a, a), V_SET1(88.0f)));
    const VEC large = V_SUB(V_SET1(1.0f), V_DIV(V_SET1(2.0f), V_ADD(e, V_SET1(1.0f))));
    const VEC signedLarge = V_OR(large, V_AND(x, V_SIGNMASK()));
    const VEC result = V_SELECT(a, V_SET1(1e-4f), _CMP_LT_OQ, x, small);
    return V_SELECT(a, V_SET1(0.625f), _CMP_GE_OQ, signedLarge, result);
}

static inline VEC K(activate)(int32_t f, VEC z) {
    return f == ELMAN_TANH ? K(tanh)(z) : V_SELECT(z, V_ZERO(), _CMP_GT_OQ, z, V_ZERO());  // relu: NaN → 0
}

// g ∘ f′, f′ from the output s: tanh 1 − s² (Eq. 108 corrected), relu [s > 0].
static inline VEC K(derivative)(int32_t f, VEC g, VEC s) {
    return f == ELMAN_TANH ? V_MUL(g, V_FNMA(s, s, V_SET1(1.0f))) : V_SELECT(s, V_ZERO(), _CMP_GT_OQ, g, V_ZERO());
}

// The first `cols` (≤ NR) floats of a row as two vectors, zeros past them; and the reverse.
static inline void K(load_row)(const float *p, int cols, VEC *v0, VEC *v1) {
    if (cols == NR) {
        *v0 = V_LOADU(p);
        *v1 = V_LOADU(p + VLEN);
    } else {
        *v0 = V_LOADN(p, cols < VLEN ? cols : VLEN);
        *v1 = V_LOADN(p + VLEN, cols > VLEN ? cols - VLEN : 0);
    }
}

static inline void K(store_row)(float *p, int cols, VEC v0, VEC v1) {
    if (cols == NR) {
        V_STOREU(p, v0);
        V_STOREU(p + VLEN, v1);
    } else {
        V_STOREN(p, v0, cols < VLEN ? cols : VLEN);
        if (cols > VLEN) V_STOREN(p + VLEN, v1, cols - VLEN);
    }
}

// The epilogue of one tile: rows i0 ..< i0 + mr and columns j0 ..< j0 + cols of the block, whose sums
// acc = A·B̃ are in `sums` (MR × NR, row-major).
static void K(epilogue)(const elman_block *blk, const float *sums, int mr, int64_t i0, int64_t j0, int cols) {
    const int32_t f = blk->nonlinearity;
    for (int i = 0; i < mr; i++) {
        float *c = blk->c + (i0 + i) * blk->ldc + j0;
        VEC v0 = V_LOADU(sums + i * NR), v1 = V_LOADU(sums + i * NR + VLEN), x0, x1;
        switch (blk->epilogue) {
        case ELMAN_EPILOGUE_GEMM:
            if (blk->alpha != 1.0f) {
                v0 = V_MUL(v0, V_SET1(blk->alpha));
                v1 = V_MUL(v1, V_SET1(blk->alpha));
            }
            if (blk->beta != 0.0f) {
                K(load_row)(c, cols, &x0, &x1);
                v0 = V_FMA(x0, V_SET1(blk->beta), v0);
                v1 = V_FMA(x1, V_SET1(blk->beta), v1);
            }
            break;
        case ELMAN_EPILOGUE_FORWARD:  // Z = S(t−1)·W + X·U + b, S(t) = f(Z)   (Eqs. 74–75)
            if (blk->add_rows) {
                K(load_row)(blk->add_rows[i0 + i] + j0, cols, &x0, &x1);
                v0 = V_ADD(v0, x0);
                v1 = V_ADD(v1, x1);
            }
            if (blk->bias) {
                K(load_row)(blk->bias + j0, cols, &x0, &x1);
                v0 = V_ADD(v0, x0);
                v1 = V_ADD(v1, x1);
            }
            v0 = K(activate)(f, v0);
            v1 = K(activate)(f, v1);
            break;
        default:  // BACKWARD: dZ(t) = (dS(t) + dZ(t+1)·Wᵀ) ∘ f′(S(t))   (Eqs. 107–109)
            K(load_row)(c, cols, &x0, &x1);
            v0 = V_ADD(v0, x0);
            v1 = V_ADD(v1, x1);
            K(load_row)(blk->s + (i0 + i) * blk->lds + j0, cols, &x0, &x1);
            v0 = K(derivative)(f, v0, x0);
            v1 = K(derivative)(f, v1, x1);
            break;
        }
        K(store_row)(c, cols, v0, v1);
    }
}

// acc = A[i0 ..< i0 + mr, :]·B̃[:, panel] into `sums`. `mr` is a constant at each call site, so the
// accumulators stay in registers.
static inline __attribute__((always_inline)) void K(tile)(
    const int mr, int64_t k, const float *a, int64_t rsa, int64_t csa, const float *b, float *sums) {
    VEC acc0[MR], acc1[MR];
#pragma clang loop unroll(full)
    for (int i = 0; i < mr; i++) {
        acc0[i] = V_ZERO();
        acc1[i] = V_ZERO();
    }
    for (int64_t p = 0; p < k; p++) {
        const VEC b0 = V_LOADU(b), b1 = V_LOADU(b + VLEN);
#pragma clang loop unroll(full)
        for (int i = 0; i < mr; i++) {
            const VEC ai = V_SET1(a[i * rsa]);
            acc0[i] = V_FMA(ai, b0, acc0[i]);
            acc1[i] = V_FMA(ai, b1, acc1[i]);
        }
        a += csa;
        b += NR;
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < mr; i++) {
        V_STOREU(sums + i * NR, acc0[i]);
        V_STOREU(sums + i * NR + VLEN, acc1[i]);
    }
}

#define K_CASE(r) case r: K(tile)(r, k, a, blk->rsa, blk->csa, b, sums); break;

void K(block)(const elman_block *blk) {
    const int64_t m = blk->m, n = blk->n, k = blk->k;
    if (m <= 0 || n <= 0) return;
    float sums[MR * NR] __attribute__((aligned(64)));
    // Row tiles of nearly equal height (64 rows: 6 tiles of 10–11, not 5 of 12 and one of 4).
    const int64_t tiles = (m + MR - 1) / MR, base = m / tiles, extra = m % tiles;
    int64_t i0 = 0;
    for (int64_t t = 0; t < tiles; t++) {
        const int mr = (int)(base + (t < extra ? 1 : 0));
        const float *a = blk->a + i0 * blk->rsa;
        for (int64_t j0 = 0, q = 0; j0 < n; j0 += NR, q++) {
            const int cols = n - j0 < NR ? (int)(n - j0) : NR;
            const float *b = blk->b + q * k * NR;
            switch (mr) { K_TILE_CASES }
            K(epilogue)(blk, sums, mr, i0, j0, cols);
        }
        i0 += mr;
    }
}

void K(tanh_array)(float *x, int64_t count) {
    int64_t i = 0;
    for (; i + VLEN <= count; i += VLEN) V_STOREU(x + i, K(tanh)(V_LOADU(x + i)));
    if (i < count) V_STOREN(x + i, K(tanh)(V_LOADN(x + i, (int)(count - i))), (int)(count - i));
}

// One Adam step on VLEN parameters; `bad` collects θ·0, NaN exactly when some new θ is not finite.
static inline void K(adam_vector)(const elman_adam_step *h, VEC p, VEC g, VEC m, VEC v, VEC *pn, VEC *mn, VEC *vn,
                                  VEC *bad) {
    const VEC gi = V_FMA(V_SET1(h->l2), p, g);
    *mn = V_FMA(V_SET1(h->beta1), m, V_MUL(V_SET1(1.0f - h->beta1), gi));
    *vn = V_FMA(V_SET1(h->beta2), v, V_MUL(V_SET1(1.0f - h->beta2), V_MUL(gi, gi)));
    const VEC denominator = V_ADD(V_DIV(V_SQRT(*vn), V_SET1(h->root_c2)), V_SET1(h->eps));
    *pn = V_SUB(V_MUL(V_SET1(h->decay), p), V_DIV(V_MUL(V_SET1(h->step_size), *mn), denominator));
    *bad = V_ADD(*bad, V_MUL(*pn, V_ZERO()));
}

int32_t K(adam)(const elman_adam_step *h, const float *p, const float *g, const float *m, const float *v,
                float *p_out, float *m_out, float *v_out, int64_t count) {
    VEC bad = V_ZERO(), pn, mn, vn;
    int64_t i = 0;
    for (; i + VLEN <= count; i += VLEN) {
        K(adam_vector)(h, V_LOADU(p + i), V_LOADU(g + i), V_LOADU(m + i), V_LOADU(v + i), &pn, &mn, &vn, &bad);
        V_STOREU(p_out + i, pn);
        V_STOREU(m_out + i, mn);
        V_STOREU(v_out + i, vn);
    }
    if (i < count) {  // the tail's missing lanes are zeros, whose update is 0
        const int rest = (int)(count - i);
        K(adam_vector)(h, V_LOADN(p + i, rest), V_LOADN(g + i, rest), V_LOADN(m + i, rest), V_LOADN(v + i, rest),
                       &pn, &mn, &vn, &bad);
        V_STOREN(p_out + i, pn, rest);
        V_STOREN(m_out + i, mn, rest);
        V_STOREN(v_out + i, vn, rest);
    }
    return !V_ANY_NAN(bad);
}
