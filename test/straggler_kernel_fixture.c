/* A test-only kernel for check_straggler, loaded by the workers through
 * _HANDLER: "slow_once" {id, ms, slow_ms, marker} sleeps slow_ms the first
 * time any worker runs it with that marker path (it creates the file), ms
 * every other time, and returns id. So a call is slow on its first attempt
 * only, and a backup attempt of it is fast. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wren/kernel.h"

static void s_sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int s_slow_once(const msgpack_object *args, msgpack_packer *out, wren_ctx *ctx)
{
    int64_t id, ms, slow_ms;
    const char *marker;
    size_t mlen;
    if (wren_arg_int(args, "id", &id, 0) != WREN_OK || wren_arg_int(args, "ms", &ms, 0) != WREN_OK ||
        wren_arg_int(args, "slow_ms", &slow_ms, 0) != WREN_OK ||
        wren_arg_str(args, "marker", &marker, &mlen, "") != WREN_OK || ms < 0 || ms > 60000 || slow_ms < 0 ||
        slow_ms > 60000 || mlen >= PATH_MAX)
        return wren_ctx_fail(ctx, "BadInput", "want {id, ms, slow_ms, marker}");
    int64_t sleep = ms;
    if (mlen) {
        char path[PATH_MAX];
        memcpy(path, marker, mlen);
        path[mlen] = '\0';
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd >= 0) {
            close(fd);
            sleep = slow_ms;
        }
    }
    s_sleep_ms(sleep);
    return msgpack_pack_int64(out, id) == 0 ? WREN_OK : WREN_ENOMEM;
}
WREN_KERNEL("slow_once", s_slow_once, "{id, ms, slow_ms, marker}: slow_ms the first time (per marker), else ms");
