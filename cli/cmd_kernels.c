/*
 * wren kernels: lists the kernels this build's workers have (the built-ins
 * plus whatever is linked in), with their one-line docs; --load adds a
 * kernel shared object first, the way _HANDLER=libNAME.so does on a worker,
 * so a user can check theirs before deploying it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "kernels.h"

static void s_usage(FILE *f)
{
    fprintf(f, "usage: wren kernels [--json] [--load PATH.so]...\n"
               "\n"
               "Lists the kernels a worker has, with their one-line docs.\n"
               "\n"
               "  --json          print a JSON array of {name, doc, origin}\n"
               "  --load PATH.so  load a kernel shared object first (as _HANDLER=NAME.so does);\n"
               "                  fails on a load error, an object registering no kernel,\n"
               "                  or a duplicate name\n"
               "  --help          this text\n"
               "\n"
               "docs/kernels.md describes each built-in's arguments and results.\n");
}

int wren_cmd_kernels(int argc, char **argv)
{
    int json = 0;
    char msg[512];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            s_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--load")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "wren kernels: --load needs a shared object\n");
                return 2;
            }
            if (wren__kernels_load_shared(argv[++i], msg, sizeof msg) != WREN_OK) {
                fprintf(stderr, "wren kernels: %s\n", msg);
                return 1;
            }
        } else {
            fprintf(stderr, "wren kernels: unknown option '%s'\n", argv[i]);
            s_usage(stderr);
            return 2;
        }
    }
    if (wren__kernels_check(msg, sizeof msg) != WREN_OK) {
        fprintf(stderr, "wren kernels: %s\n", msg);
        return 1;
    }
    size_t n = wren__kernels_count();
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < n; i++) {
            const wren_kernel_def *d = wren__kernels_at(i);
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "name", d->name, "doc", d->doc ? d->doc : "",
                                                 "origin", wren__kernels_origin(i)));
        }
        char *text = arr ? json_dumps(arr, JSON_INDENT(2)) : NULL;
        json_decref(arr);
        if (!text) {
            fprintf(stderr, "wren kernels: out of memory\n");
            return 1;
        }
        printf("%s\n", text);
        free(text);
        return 0;
    }
    size_t width = 0;
    for (size_t i = 0; i < n; i++)
        if (strlen(wren__kernels_at(i)->name) > width)
            width = strlen(wren__kernels_at(i)->name);
    for (size_t i = 0; i < n; i++) {
        const wren_kernel_def *d = wren__kernels_at(i);
        printf("%-*s  %s\n", (int)width, d->name, d->doc && d->doc[0] ? d->doc : "(no doc)");
    }
    return 0;
}
