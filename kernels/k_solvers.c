/*
 * kernels/k_solvers.c: dense linear algebra over LAPACKE (row-major).
 *
 *   solve           {a: n x n, b: n or n x k}  -> {x}                 (dgesv)
 *   cholesky_solve  {a: SPD n x n, b}          -> {x}                 (dposv)
 *   lstsq           {a: m x n (m >= n), b: m or m x k}
 *                                              -> {x, residuals, rank} (dgels)
 *   eigh            {a: symmetric n x n}       -> {eigenvalues (ascending),
 *                                                   eigenvectors (columns)} (dsyevd)
 *
 * Matrices are array maps of any dtype or nested lists (plain JSON works).
 * Results are f64 arrays; x has b's shape. Input that would give garbage
 * gets a typed error instead: exactly or numerically singular matrices
 * (reciprocal condition number below machine epsilon) "Wren.SingularMatrix",
 * non-SPD (or non-symmetric) input to cholesky_solve
 * "Wren.NotPositiveDefinite", bad shapes "Wren.BadInput".
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "builtins.h"
#include "kernels.h"

/* The problem every solver starts from: a (rows x cols) and optionally b. */
typedef struct s_problem {
    double *a, *b;
    int rows, cols;  /* a's */
    int b_rows, nrhs;
    int b_ndim;      /* 1: b was a vector */
} s_problem;

static void s_problem_clean_up(s_problem *p)
{
    free(p->a);
    free(p->b);
    memset(p, 0, sizeof *p);
}

/* Reads a (2-D) and, when want_b, b (1-D or 2-D with a's row count). */
static int s_read(const msgpack_object *args, int want_b, s_problem *p, wren_ctx *ctx, const char *who)
{
    memset(p, 0, sizeof *p);
    wren_array_view v;
    char why[160];
    int rc = wren_array_get_f64(wren_arg(args, "a"), 2, &v, &p->a, why, sizeof why);
    if (rc != WREN_OK)
        return rc == WREN_ENOMEM ? rc : wren_ctx_fail(ctx, "BadInput", "%s: a: %s", who, why);
    if (v.ndim != 2 || v.shape[0] < 1 || v.shape[1] < 1 || v.shape[0] > 100000 || v.shape[1] > 100000)
        return wren_ctx_fail(ctx, "BadInput", "%s: a must be a non-empty 2-D matrix", who);
    p->rows = (int)v.shape[0];
    p->cols = (int)v.shape[1];
    if (!want_b)
        return WREN_OK;
    rc = wren_array_get_f64(wren_arg(args, "b"), 2, &v, &p->b, why, sizeof why);
    if (rc != WREN_OK)
        return rc == WREN_ENOMEM ? rc : wren_ctx_fail(ctx, "BadInput", "%s: b: %s", who, why);
    p->b_ndim = v.ndim;
    p->b_rows = (int)(v.shape[0] > INT32_MAX ? INT32_MAX : v.shape[0]);
    p->nrhs = v.ndim == 2 ? (int)(v.shape[1] > 100000 ? 100001 : v.shape[1]) : 1;
    if ((uint64_t)p->rows != v.shape[0] || p->nrhs < 1 || p->nrhs > 100000)
        return wren_ctx_fail(ctx, "BadInput", "%s: b must have %d rows (a vector, or a matrix of 1+ columns)", who,
                             p->rows);
    return WREN_OK;
}

static int s_symmetric(const double *a, int n)
{
    double max = 0;
    for (size_t i = 0; i < (size_t)n * n; i++)
        max = fmax(max, fabs(a[i]));
    /* Allows the noise of a round trip through decimal text. */
    double tol = 1e-12 * max;
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (!(fabs(a[(size_t)i * n + j] - a[(size_t)j * n + i]) <= tol))
                return 0;
    return 1;
}

/* Packs "key": the first `rows` rows of m (rows x cols), as a vector when vec. */
static int s_pack_matrix(msgpack_packer *out, const char *key, const double *m, int rows, int cols, int vec)
{
    uint64_t shape[2] = {(uint64_t)rows, (uint64_t)cols};
    if (msgpack_pack_str_with_body(out, key, strlen(key)))
        return WREN_ENOMEM;
    return wren_array_pack(out, WREN_F64, vec ? 1 : 2, shape, m);
}

static int s_check_square(const s_problem *p, wren_ctx *ctx, const char *who)
{
    if (p->rows != p->cols)
        return wren_ctx_fail(ctx, "BadInput", "%s: a must be square (got %dx%d)", who, p->rows, p->cols);
    return WREN_OK;
}

static double s_cube(int n)
{
    return (double)n * (double)n * (double)n;
}

int wren__k_solve(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    s_problem p;
    lapack_int *ipiv = NULL;
    int rc = s_read(args, 1, &p, ctx, "solve");
    if (rc == WREN_OK)
        rc = s_check_square(&p, ctx, "solve");
    if (rc != WREN_OK)
        goto cleanup;
    int n = p.rows;
    ipiv = malloc((size_t)n * sizeof *ipiv);
    if (!ipiv) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    double anorm = LAPACKE_dlange(LAPACK_ROW_MAJOR, '1', n, n, p.a, n);
    lapack_int info = LAPACKE_dgesv(LAPACK_ROW_MAJOR, n, p.nrhs, p.a, n, ipiv, p.b, p.nrhs);
    if (info > 0) {
        rc = wren_ctx_fail(ctx, "SingularMatrix", "solve: a is singular (U[%d][%d] is exactly zero)", (int)info - 1,
                           (int)info - 1);
        goto cleanup;
    }
    if (info < 0) {
        rc = wren_ctx_fail(ctx, "KernelError", "solve: dgesv rejected argument %d", (int)-info);
        goto cleanup;
    }
    double rcond = 0;
    info = LAPACKE_dgecon(LAPACK_ROW_MAJOR, '1', n, p.a, n, anorm, &rcond);
    if (info != 0 || !(rcond >= DBL_EPSILON)) {
        rc = wren_ctx_fail(ctx, "SingularMatrix", "solve: a is singular to working precision (rcond %.3g)", rcond);
        goto cleanup;
    }
    wren_ctx_add_flops(ctx, 2.0 / 3.0 * s_cube(n) + 2.0 * (double)n * n * p.nrhs);
    if (msgpack_pack_map(out, 1)) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    rc = s_pack_matrix(out, "x", p.b, n, p.nrhs, p.b_ndim == 1);
cleanup:
    free(ipiv);
    s_problem_clean_up(&p);
    return rc;
}

int wren__k_cholesky_solve(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    s_problem p;
    int rc = s_read(args, 1, &p, ctx, "cholesky_solve");
    if (rc == WREN_OK)
        rc = s_check_square(&p, ctx, "cholesky_solve");
    if (rc != WREN_OK)
        goto cleanup;
    int n = p.rows;
    /* dposv reads one triangle only: a non-symmetric a would be "solved"
     * as a different matrix. */
    if (!s_symmetric(p.a, n)) {
        rc = wren_ctx_fail(ctx, "NotPositiveDefinite", "cholesky_solve: a is not symmetric");
        goto cleanup;
    }
    double anorm = LAPACKE_dlange(LAPACK_ROW_MAJOR, '1', n, n, p.a, n);
    lapack_int info = LAPACKE_dposv(LAPACK_ROW_MAJOR, 'U', n, p.nrhs, p.a, n, p.b, p.nrhs);
    if (info > 0) {
        rc = wren_ctx_fail(ctx, "NotPositiveDefinite",
                           "cholesky_solve: a is not positive definite (leading minor of order %d)", (int)info);
        goto cleanup;
    }
    if (info < 0) {
        rc = wren_ctx_fail(ctx, "KernelError", "cholesky_solve: dposv rejected argument %d", (int)-info);
        goto cleanup;
    }
    double rcond = 0;
    info = LAPACKE_dpocon(LAPACK_ROW_MAJOR, 'U', n, p.a, n, anorm, &rcond);
    if (info != 0 || !(rcond >= DBL_EPSILON)) {
        rc = wren_ctx_fail(ctx, "SingularMatrix", "cholesky_solve: a is singular to working precision (rcond %.3g)",
                           rcond);
        goto cleanup;
    }
    wren_ctx_add_flops(ctx, 1.0 / 3.0 * s_cube(n) + 2.0 * (double)n * n * p.nrhs);
    if (msgpack_pack_map(out, 1)) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    rc = s_pack_matrix(out, "x", p.b, n, p.nrhs, p.b_ndim == 1);
cleanup:
    s_problem_clean_up(&p);
    return rc;
}

int wren__k_lstsq(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    s_problem p;
    double *res = NULL;
    int rc = s_read(args, 1, &p, ctx, "lstsq");
    if (rc != WREN_OK)
        goto cleanup;
    int m = p.rows, n = p.cols;
    if (m < n) {
        rc = wren_ctx_fail(ctx, "BadInput", "lstsq: a must have at least as many rows as columns (got %dx%d)", m, n);
        goto cleanup;
    }
    lapack_int info = LAPACKE_dgels(LAPACK_ROW_MAJOR, 'N', m, n, p.nrhs, p.a, n, p.b, p.nrhs);
    if (info > 0) {
        rc = wren_ctx_fail(ctx, "SingularMatrix", "lstsq: a is rank deficient (R[%d][%d] is exactly zero)",
                           (int)info - 1, (int)info - 1);
        goto cleanup;
    }
    if (info < 0) {
        rc = wren_ctx_fail(ctx, "KernelError", "lstsq: dgels rejected argument %d", (int)-info);
        goto cleanup;
    }
    /* R is the upper triangle of a's first n rows (leading dimension n). */
    double rcond = 0;
    info = LAPACKE_dtrcon(LAPACK_ROW_MAJOR, '1', 'U', 'N', n, p.a, n, &rcond);
    if (info != 0 || !(rcond >= DBL_EPSILON)) {
        rc = wren_ctx_fail(ctx, "SingularMatrix", "lstsq: a is rank deficient to working precision (rcond %.3g)",
                           rcond);
        goto cleanup;
    }
    /* Rows n..m-1 of the transformed b hold the residual components. */
    res = calloc((size_t)p.nrhs, sizeof *res);
    if (!res) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    for (int i = n; i < m; i++)
        for (int j = 0; j < p.nrhs; j++) {
            double v = p.b[(size_t)i * p.nrhs + j];
            res[j] += v * v;
        }
    wren_ctx_add_flops(ctx, 2.0 * (double)m * n * n - 2.0 / 3.0 * s_cube(n));
    int bad = msgpack_pack_map(out, 3);
    if (bad) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    rc = s_pack_matrix(out, "x", p.b, n, p.nrhs, p.b_ndim == 1);
    if (rc != WREN_OK)
        goto cleanup;
    if (p.b_ndim == 1) {
        bad = msgpack_pack_str_with_body(out, "residuals", 9) | msgpack_pack_double(out, res[0]);
        rc = bad ? WREN_ENOMEM : WREN_OK;
    } else {
        uint64_t shape[1] = {(uint64_t)p.nrhs};
        rc = msgpack_pack_str_with_body(out, "residuals", 9) ? WREN_ENOMEM
                                                              : wren_array_pack(out, WREN_F64, 1, shape, res);
    }
    if (rc == WREN_OK)
        rc = msgpack_pack_str_with_body(out, "rank", 4) | msgpack_pack_int(out, n) ? WREN_ENOMEM : WREN_OK;
cleanup:
    free(res);
    s_problem_clean_up(&p);
    return rc;
}

int wren__k_eigh(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    s_problem p;
    double *w = NULL;
    int rc = s_read(args, 0, &p, ctx, "eigh");
    if (rc == WREN_OK)
        rc = s_check_square(&p, ctx, "eigh");
    if (rc != WREN_OK)
        goto cleanup;
    int n = p.rows;
    if (!s_symmetric(p.a, n)) {
        rc = wren_ctx_fail(ctx, "BadInput", "eigh: a is not symmetric");
        goto cleanup;
    }
    w = wren__alloc_f64((size_t)n);
    if (!w) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    lapack_int info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'U', n, p.a, n, w);
    if (info > 0) {
        rc = wren_ctx_fail(ctx, "NoConvergence", "eigh: dsyevd did not converge (%d)", (int)info);
        goto cleanup;
    }
    if (info < 0) {
        rc = wren_ctx_fail(ctx, "KernelError", "eigh: dsyevd rejected argument %d", (int)-info);
        goto cleanup;
    }
    wren_ctx_add_flops(ctx, 9.0 * s_cube(n));
    if (msgpack_pack_map(out, 2)) {
        rc = WREN_ENOMEM;
        goto cleanup;
    }
    rc = s_pack_matrix(out, "eigenvalues", w, n, 1, 1);
    if (rc == WREN_OK)
        rc = s_pack_matrix(out, "eigenvectors", p.a, n, n, 0);
cleanup:
    free(w);
    s_problem_clean_up(&p);
    return rc;
}
