/*
 * kernels/builtins.c: the explicit table of built-in kernels.
 *
 * A table and not WREN_KERNEL constructors: constructors in a static library
 * that nothing references are silently dropped by the linker, and a table is
 * greppable. Names must stay unique (wren__kernels_check() verifies at
 * start-up, together with user registrations). Docs are one line each, shown
 * by `wren kernels`; docs/kernels.md has the full arguments and results.
 */
#include "builtins.h"

const wren_kernel_def wren__builtin_kernels[] = {
    {.name = "echo", .fn = wren__k_echo, .doc = "returns its arguments unchanged"},
    {.name = "addone", .fn = wren__k_addone,
     .doc = "number + 1 (ints stay ints, floats floats); lists and arrays elementwise"},
    {.name = "sleep_ms", .fn = wren__k_sleep_ms, .doc = "{ms}: sleeps ms milliseconds, returns ms"},
    {.name = "fail", .fn = wren__k_fail, .doc = "{type, message}: reports that error"},
    {.name = "crash", .fn = wren__k_crash,
     .doc = "{how: segv|abort|exit, code}: kills the worker process (isolation tests)"},
    {.name = "gemm", .fn = wren__k_gemm,
     .doc = "{n, loops, std, seed}: C = A B on seeded normal n x n A, B with dgemm -> {sum, flops, seconds}; "
            "or {a, b} -> {c}"},
    {.name = "montecarlo_pi", .fn = wren__k_montecarlo_pi,
     .doc = "{samples, seed, stream}: pi by Monte Carlo -> {estimate, stderr, hits}"},
    {.name = "black_scholes_mc", .fn = wren__k_black_scholes_mc,
     .doc = "{s0, k, r, sigma, t, samples, seed, stream, call}: European option by Monte Carlo -> "
            "{price, stderr, closed_form}"},
    {.name = "solve", .fn = wren__k_solve, .doc = "{a: n x n, b: n or n x k}: solves a x = b (dgesv) -> {x}"},
    {.name = "cholesky_solve", .fn = wren__k_cholesky_solve,
     .doc = "{a: SPD n x n, b}: solves a x = b by Cholesky (dposv) -> {x}"},
    {.name = "lstsq", .fn = wren__k_lstsq,
     .doc = "{a: m x n (m >= n), b}: least squares (dgels) -> {x, residuals, rank}"},
    {.name = "eigh", .fn = wren__k_eigh,
     .doc = "{a: symmetric n x n}: eigenvalues ascending and eigenvectors as columns (dsyevd)"},
};

const size_t wren__builtin_kernel_count = sizeof wren__builtin_kernels / sizeof wren__builtin_kernels[0];
