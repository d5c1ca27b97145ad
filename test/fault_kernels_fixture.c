/* Test-only kernels for the fault matrix (test/integration/faults_*.sh),
 * built as libwrenfaults.so and loaded by the workers through _HANDLER.
 * One kernel, fault_mix, whose argument picks what each call does, so a single
 * map mixes healthy calls with faulty ones:
 *   {"i": 7}                        -> 8 (i + 1)
 *   {"i": 7, "do": "segv"|"abort"}  -> the process dies by that signal
 *   {"i": 7, "do": "sleep", "ms": N}-> sleeps N ms, then i + 1
 *   {"i": 7, "do": "hog", "mb": M}  -> reserves address space in 64 MiB blocks
 *      until M MiB or until malloc fails; fails Wren.OutOfMemory on failure,
 *      else returns the MiB it got. The blocks are not touched: the emulator's
 *      memory limit is on address space (docs/emulator.md), and touching
 *      gigabytes would take a shared test machine's RAM for nothing.
 *   {"i": 7, "do": "corrupt", "path": P, "ms": N} -> writes garbage over the
 *      store object P (a status the SDK is about to read), then sleeps N ms so
 *      the bootstrap does not write the real status first. */
#include "wren/kernel.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void s_sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static int s_hog(int64_t mb, msgpack_packer *out, wren_ctx *ctx)
{
    enum { BLOCK_MB = 64 };
    size_t n_blocks = (size_t)(mb / BLOCK_MB), got = 0;
    void **blocks = calloc(n_blocks ? n_blocks : 1, sizeof *blocks);
    if (!blocks)
        return wren_ctx_fail(ctx, "OutOfMemory", "no memory for the block table");
    for (; got < n_blocks; got++) {
        blocks[got] = malloc((size_t)BLOCK_MB << 20);
        if (!blocks[got])
            break;
    }
    for (size_t k = 0; k < got; k++)
        free(blocks[k]);
    free(blocks);
    if (got < n_blocks)
        return wren_ctx_fail(ctx, "OutOfMemory", "allocation failed after %zu MiB of %lld MiB",
                             got * BLOCK_MB, (long long)mb);
    return msgpack_pack_int64(out, (int64_t)(got * BLOCK_MB)) == 0 ? WREN_OK : WREN_ENOMEM;
}

static int s_corrupt(const msgpack_object *args, int64_t ms, wren_ctx *ctx)
{
    const char *path;
    size_t len;
    if (wren_arg_str(args, "path", &path, &len, NULL) != WREN_OK || !path || len >= 4096)
        return wren_ctx_fail(ctx, "BadInput", "path must be a string");
    char p[4096], tmp[4200];
    memcpy(p, path, len);
    p[len] = '\0';
    /* The call's directory may not exist yet (the worker makes it when it
     * writes): make JOB/ and JOB/CALL/ as the file store would. */
    char dir[4096];
    memcpy(dir, p, len + 1);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        char *up = strrchr(dir, '/');
        if (up && up != dir) {
            *up = '\0';
            mkdir(dir, 0755);
            *up = '/';
        }
        mkdir(dir, 0755);
    }
    /* Same as the file store: write beside, rename over, so a reader sees
     * either nothing or the whole garbage. */
    snprintf(tmp, sizeof tmp, "%s#corrupt", p);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return wren_ctx_fail(ctx, "BadInput", "cannot write %s", tmp);
    static const char garbage[] = "\x93\xc1\xff{\"result_b64\": not msgpack";
    ssize_t w = write(fd, garbage, sizeof garbage - 1);
    close(fd);
    if (w != (ssize_t)(sizeof garbage - 1) || rename(tmp, p) != 0)
        return wren_ctx_fail(ctx, "BadInput", "cannot replace %s", p);
    s_sleep_ms(ms);
    return wren_ctx_fail(ctx, "KernelError", "corrupt: slept %lld ms", (long long)ms);
}

static int s_fault_mix(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    int64_t i, ms, mb;
    const char *what;
    size_t what_len;
    if (wren_arg_int(args, "i", &i, 0) != WREN_OK)
        return wren_ctx_fail(ctx, "BadInput", "i must be an integer");
    if (wren_arg_str(args, "do", &what, &what_len, "ok") != WREN_OK)
        return wren_ctx_fail(ctx, "BadInput", "do must be a string");
    if (wren_arg_int(args, "ms", &ms, 0) != WREN_OK || ms < 0 || ms > 600000)
        return wren_ctx_fail(ctx, "BadInput", "ms must be 0..600000");
    if (wren_arg_int(args, "mb", &mb, 0) != WREN_OK || mb < 0 || mb > (1 << 20))
        return wren_ctx_fail(ctx, "BadInput", "mb must be 0..1048576");
    if (what_len == 4 && !memcmp(what, "segv", 4)) {
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
    } else if (what_len == 5 && !memcmp(what, "abort", 5)) {
        abort();
    } else if (what_len == 5 && !memcmp(what, "sleep", 5)) {
        s_sleep_ms(ms);
    } else if (what_len == 3 && !memcmp(what, "hog", 3)) {
        return s_hog(mb, out, ctx);
    } else if (what_len == 7 && !memcmp(what, "corrupt", 7)) {
        return s_corrupt(args, ms, ctx);
    } else if (!(what_len == 2 && !memcmp(what, "ok", 2))) {
        return wren_ctx_fail(ctx, "BadInput", "unknown do '%.*s'", (int)what_len, what);
    }
    return msgpack_pack_int64(out, i + 1) == 0 ? WREN_OK : WREN_ENOMEM;
}
WREN_KERNEL("fault_mix", s_fault_mix, "fault matrix: {i, do, ms, mb, path}");
