/*
 * fuzz_safe_id: wren_is_safe_id, the gate every job id, call id and kernel
 * name passes before it touches a path or a URL.
 *
 * Property: an accepted id is 1..128 bytes of [A-Za-z0-9._-], not "." or "..",
 * so it holds no '/', no NUL and cannot climb out of a directory; and the
 * answer agrees with an independent oracle on every input.
 */
#include "fuzz_util.h"
#include "wren_common.h"

static int s_oracle(const uint8_t *s, size_t len)
{
    if (len < 1 || len > 128)
        return 0;
    if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
        return 0;
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\0' || !strchr(ok, s[i]))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int safe = wren_is_safe_id((const char *)data, size);
    WREN_FUZZ_CHECK(safe == 0 || safe == 1, "wren_is_safe_id returned %d", safe);
    WREN_FUZZ_CHECK(safe == s_oracle(data, size), "wren_is_safe_id says %d for %zu bytes", safe, size);
    if (safe) {
        WREN_FUZZ_CHECK(!memchr(data, '/', size) && !memchr(data, '\0', size), "accepted '/' or NUL");
        WREN_FUZZ_CHECK(!(size == 2 && data[0] == '.' && data[1] == '.'), "accepted \"..\"");
    }
    return 0;
}
