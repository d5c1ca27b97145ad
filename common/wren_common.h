/*
 * common/wren_common.h: small internal pieces every wren module shares.
 * Not installed, not public. Everything here is plain data in, plain data out:
 * no I/O but the clock and stderr.
 *
 *  - wren_buf: an owned, growable byte buffer with a hard size cap.
 *  - clocks: wall-clock epoch milliseconds/seconds, monotonic nanoseconds.
 *  - base64 (standard alphabet, padded), over OpenSSL.
 *  - msgpack <-> JSON (jansson), with bounds on depth.
 *  - wren__log: one line to stderr with a level, for the worker and emulator.
 */
#ifndef WREN_COMMON_H
#define WREN_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <msgpack.h>

#include "wren/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- wren_buf ---------------------------------------------------------- */

/* An owned, growable buffer. `data` is always NUL-terminated after the last
 * byte (not counted in len), so text can be read as a C string. Appending past
 * `max_bytes` fails with WREN_ETOOBIG and leaves the buffer as it was. */
typedef struct wren_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max_bytes; /* 0 means no cap beyond SIZE_MAX/2 */
    int failed;       /* set by any failed append; sticky until reset */
} wren_buf;

/* Caller storage: sets an empty buffer with the given cap. Allocates nothing. */
void wren_buf_init(wren_buf *buf, size_t max_bytes);
/* Frees the bytes and leaves an empty buffer with the same cap. NULL-safe. */
void wren_buf_clean_up(wren_buf *buf);
/* Keeps the allocation, drops the contents, clears `failed`. */
void wren_buf_reset(wren_buf *buf);
/* Makes room for `extra` more bytes. */
int wren_buf_reserve(wren_buf *buf, size_t extra);
int wren_buf_append(wren_buf *buf, const void *bytes, size_t len);
int wren_buf_append_str(wren_buf *buf, const char *s);
int wren_buf_printf(wren_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (who frees them with free()) and empties buf. */
char *wren_buf_detach(wren_buf *buf, size_t *len_out);

/* msgpack-c write callback appending to a wren_buf: msgpack_packer_init(&pk, &buf, wren_buf_msgpack_write).
 * A failed append is sticky: check buf->failed once at the end. */
int wren_buf_msgpack_write(void *buf, const char *bytes, size_t len);

/* ---- clocks ------------------------------------------------------------ */

int64_t wren_now_ms(void);     /* wall clock, ms since the Unix epoch */
double wren_now_s(void);       /* wall clock, seconds since the epoch, µs resolution */
uint64_t wren_mono_ns(void);   /* monotonic clock */

/* ---- base64 ------------------------------------------------------------ */

/* Encodes len bytes into a new NUL-terminated string (free()). NULL on OOM. */
char *wren_base64_encode(const void *bytes, size_t len, size_t *out_len);
/* Decodes standard padded base64 (whitespace not allowed). Returns WREN_OK,
 * WREN_EBADINPUT on bad characters or length, WREN_ENOMEM. *out is free()d by
 * the caller and NUL-terminated. */
int wren_base64_decode(const char *text, size_t len, unsigned char **out, size_t *out_len);

/* ---- UTF-8 ------------------------------------------------------------ */

/* Appends s (len bytes) to out as well-formed UTF-8: every valid sequence is
 * copied as is; every maximal ill-formed subpart (Unicode 15, section 3.9,
 * "U+FFFD substitution of maximal subparts") becomes U+FFFD (EF BF BD).
 * So overlongs (C0 AF, E0 80 AF), surrogates (ED A0 80), code points past
 * U+10FFFF (F4 90 ...), stray continuation bytes, and sequences cut short
 * (E2 82 then 'x' or the end) are all replaced; NUL bytes are kept (JSON
 * escapes them). WREN_OK, or the buffer's WREN_ETOOBIG / WREN_ENOMEM. */
int wren_utf8_sanitize(const char *s, size_t len, wren_buf *out);

/* ---- msgpack <-> JSON ---------------------------------------------------- */

/* The deepest value wren unpacks, renders or packs: a scalar is 1 deep, an
 * array of scalars 2. msgpack-c's unpacker keeps a fixed stack of 32
 * containers; this limit keeps every value we accept within it. */
#define WREN_MAX_NESTING 32

/* The longest JSON text a non-string map key renders to. Each level of keys
 * inside keys escapes the quotes and backslashes of the level below, so the
 * text doubles per level: without a bound, 339 bytes of msgpack rendered to
 * gigabytes (found by fuzz_msgpack_json). */
#define WREN_MAX_KEY_TEXT_BYTES 4096

/* Renders a msgpack object as JSON: bin becomes a base64 string, ext becomes
 * {"ext": type, "data": base64}, non-finite floats become null, non-string map
 * keys are rendered as their JSON text, and strings that are not UTF-8 are
 * repaired (wren_utf8_sanitize) so the JSON text is always valid. Returns a new reference, or NULL if the
 * nesting is deeper than WREN_MAX_NESTING, a non-string key's text is longer than
 * WREN_MAX_KEY_TEXT_BYTES, or memory runs out. */
json_t *wren_msgpack_to_json(const msgpack_object *obj);

/* Packs JSON as msgpack: integers as ints, reals as float64, strings as str,
 * arrays and objects as arrays and maps. Sticky-errors the packer's buffer on
 * failure; returns WREN_OK or WREN_EBADINPUT (too deep). */
int wren_json_to_msgpack(const json_t *json, msgpack_packer *pk);

/* Unpacks exactly one msgpack object from bytes into `zone`; trailing bytes,
 * a truncated object, nesting deeper than WREN_MAX_NESTING, or a container
 * count larger than the bytes left could hold give WREN_EBADINPUT, checked
 * before msgpack-c allocates anything (it sizes a container up front). The object points into zone and
 * into `bytes` (for str/bin), which must outlive it. */
int wren_msgpack_unpack_one(const char *bytes, size_t len, msgpack_zone *zone, msgpack_object *out);

/* Depth of nesting of a msgpack object, capped at cap+1. */
int wren_msgpack_depth(const msgpack_object *obj, int cap);

/* ---- keys and ids ------------------------------------------------------ */

/* True if s (len bytes) is a safe path segment: 1..128 bytes of
 * [A-Za-z0-9._-], not "." or "..". Used for job and call ids and kernel names
 * before any of them touches a path or a URL. */
int wren_is_safe_id(const char *s, size_t len);

/* A new random hex id (2*nbytes chars) into out (size >= 2*nbytes+1). */
int wren_random_hex(char *out, size_t nbytes);

/* A call's outcome keys (docs/wire.md): attempt 0 writes JOB/CALL/status and
 * JOB/CALL/out; attempt N > 0 writes JOB/CALL/status.N and JOB/CALL/out.N, so
 * a retry or a speculative backup never overwrites another attempt's outcome.
 * NAME is "status" or "out". Returns snprintf's count (>= size: truncated). */
int wren__outcome_key(char *out, size_t size, const char *job, const char *call, int attempt, const char *name);

/* True if a status's result_key names where ATTEMPT's result belongs: that
 * attempt's out key, or JOB/CALL/out, where workers from before per-attempt
 * keys put every attempt's. */
int wren__result_key_ok(const char *result_key, const char *job, const char *call, int attempt);

/* The attempt a status key's last segment names: "status" -> 0,
 * "status.N" -> N (1..WREN__MAX_ATTEMPT, no leading zero), anything else -1. */
int wren__status_key_attempt(const char *segment, size_t len);

#define WREN__MAX_ATTEMPT 1000000 /* the event's `attempt` range is 0..this */

/* xoshiro256** (Blackman and Vigna, public domain, https://prng.di.unimi.it/):
 * the next 64 bits of the stream whose 256-bit state is s (never all zero).
 * The kernels' seeded streams and the emulator's request ids share it; inline
 * because the kernels' samplers call it once per number. */
static inline uint64_t wren__xoshiro256ss(uint64_t s[4])
{
    const uint64_t result = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s[3] << 45 | s[3] >> 19;
    return result;
}

/* ---- logging ----------------------------------------------------------- */

typedef enum wren_log_level { WREN_LOG_DEBUG, WREN_LOG_INFO, WREN_LOG_WARN, WREN_LOG_ERROR } wren_log_level;

/* One line on stderr, prefixed with the program tag and level. Levels below
 * WREN_LOG (env: debug|info|warn|error; default info) are dropped. */
void wren__log(wren_log_level level, const char *tag, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
