/* wren call: placeholder until its module lands; says so plainly. */
#include <stdio.h>

#include "cli.h"

int wren_cmd_call(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "wren %s: not available in this build yet\n", argv[0]);
    return 1;
}
