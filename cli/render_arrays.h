/*
 * cli/render_arrays.h: renders a result (msgpack) as one line of JSON for the
 * `wren` command, with wren's numeric arrays {dtype, shape, data: bin}
 * (docs/wire.md) shown as nested JSON lists of numbers a shell user can read.
 *
 * Only the CLI's output changes: the wire format and common/'s rendering
 * (wren_msgpack_to_json, used by the bootstrap and the SDK) stay as they are.
 * Everything that is not a valid array renders exactly as
 * wren_msgpack_to_json + json_dumps(JSON_COMPACT) renders it today.
 */
#ifndef WREN_CLI_RENDER_ARRAYS_H
#define WREN_CLI_RENDER_ARRAYS_H

#include <stdio.h>

#include "wren_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wren__arrays_mode {
    WREN__ARRAYS_LISTS,  /* the default: nested lists of numbers */
    WREN__ARRAYS_BASE64  /* the wire form: {"dtype", "shape", "data": base64} */
} wren__arrays_mode;

/* An empty array (a zero in its shape) still prints one list per leading
 * index ([2, 0] is [[],[]]); past this many lists it prints as it is, so a
 * shape like [2^40, 0] costs nothing. */
#define WREN__RENDER_MAX_EMPTY_LISTS 65536

/* Lines for a subcommand's --help. */
extern const char wren__arrays_help[];

/* Consumes argv[*i] (and its value) if it is --arrays MODE or --arrays=MODE:
 * 1 if it was, 0 if not, -1 on a missing or bad value (a message naming
 * `wren CMD` is printed). */
int wren__arrays_arg(int argc, char **argv, int *i, wren__arrays_mode *mode);

/* Appends obj as compact JSON text (no newline) to out.
 *
 * In WREN__ARRAYS_LISTS mode a map is rendered as lists when it is exactly
 * {"dtype", "shape", "data"} (three keys, in any order) with dtype one of
 * f64 f32 i64 i32 u8, shape at most WREN_ARRAY_MAX_DIMS non-negative integers
 * whose product times the item size equals data's length (data a bin), and
 * the lists would nest no deeper than WREN_MAX_NESTING. A 0-d array is its one
 * number. f64 prints in the shortest form that reads back as the same double;
 * f32 in the shortest form that reads back as the same float whether parsed as
 * a float or as a double then narrowed; integers as integers; NaN and
 * infinities as null (JSON has no such numbers; common/ does the same).
 * Anything else (a look-alike) is rendered as it is.
 *
 * WREN_OK; WREN_EBADINPUT when obj nests deeper than WREN_MAX_NESTING (which
 * wren_msgpack_to_json refuses too); WREN_ENOMEM. On failure out may hold a
 * partial text: the caller resets it. */
int wren__render_json(const msgpack_object *obj, wren__arrays_mode mode, wren_buf *out);

/* Renders obj and writes it with a newline to f: WREN_OK, or the error of
 * wren__render_json (nothing written then). */
int wren__render_print(FILE *f, const msgpack_object *obj, wren__arrays_mode mode);
/* The same with mode pointing to a wren__arrays_mode: the shape of a
 * callback (wren__cli_print_outcome_with). */
int wren__render_print_as(FILE *f, const msgpack_object *obj, void *mode);

#ifdef __cplusplus
}
#endif
#endif
