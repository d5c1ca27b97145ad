/*
 * fuzz/fuzz_util.h: what every wren harness shares.
 *
 * WREN_FUZZ_CHECK(cond, fmt, ...) aborts with a message when a property the
 * harness asserts does not hold; libFuzzer then saves the input as a crash.
 *
 * Some properties are known to fail because of a reported, still open bug in
 * another module. Those checks go through wren_fuzz_known_bugs(): they are
 * skipped unless WREN_FUZZ_KNOWN_BUGS=1 is set, so CI and long runs keep
 * exploring past them, and `fuzz/run.sh crashes` (which sets it) shows whether
 * the recorded crash-* inputs still fail. When the bug is fixed, the check
 * should lose its gate.
 */
#ifndef WREN_FUZZ_UTIL_H
#define WREN_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wren/status.h"

#define WREN_FUZZ_CHECK(cond, ...)                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "\nwren fuzz: check failed at %s:%d: %s\nwren fuzz: ", __FILE__,       \
                    __LINE__, #cond);                                                              \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* True when WREN_FUZZ_KNOWN_BUGS=1: also assert properties that a reported,
 * still open bug breaks. Read once. */
static inline int wren_fuzz_known_bugs(void)
{
    static int known = -1;
    if (known < 0) {
        const char *e = getenv("WREN_FUZZ_KNOWN_BUGS");
        known = e && !strcmp(e, "1");
    }
    return known;
}

/* A status any wren function may return: in the X-macro's range. */
static inline int wren_fuzz_status_valid(int rc)
{
    return rc >= 0 && rc < WREN_STATUS_COUNT;
}

#endif
