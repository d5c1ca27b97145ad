/* wren: the command-line face of wren. Dispatches to cli/cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct s_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} s_command;

static const s_command s_commands[] = {
    {"emulator", wren_cmd_emulator, "run the local Lambda emulator (Invoke API + Runtime API)"},
    {"call", wren_cmd_call, "run one kernel call: JSON in, JSON out"},
    {"map", wren_cmd_map, "map a kernel over the lines of a JSON-lines file"},
    {"status", wren_cmd_status, "show a job's progress, timings and cost"},
    {"results", wren_cmd_results, "print a job's results as JSON lines, in order"},
    {"plot", wren_cmd_plot, "write a job's timeline and GFLOPS plots as SVG"},
    {"kernels", wren_cmd_kernels, "list the kernels a worker has, with their docs"},
    {"deploy", wren_cmd_deploy, "make or update the role, bucket, layer and function on AWS Lambda"},
};

static void s_usage(FILE *f)
{
    fprintf(f, "usage: wren COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof s_commands / sizeof *s_commands; i++)
        fprintf(f, "  %-10s %s\n", s_commands[i].name, s_commands[i].summary);
    fprintf(f, "\n'wren COMMAND --help' describes each.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        s_usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        s_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("wren %s\n", WREN_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof s_commands / sizeof *s_commands; i++)
        if (!strcmp(argv[1], s_commands[i].name))
            return s_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "wren: unknown command '%s'\n", argv[1]);
    s_usage(stderr);
    return 2;
}
