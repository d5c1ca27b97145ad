/*
 * examples/runtime_echo.c: the smallest custom runtime there is. It answers
 * every invocation with its own event, unchanged. Run it where Lambda (or
 * `wren emulator`) would run a bootstrap: it reads AWS_LAMBDA_RUNTIME_API.
 *
 *     AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001 build/bin/runtime_echo
 */
#include "wren/runtime.h"

static wren_outcome s_echo(const wren_invocation *inv, void *user)
{
    (void)user;
    return wren_outcome_success(inv->payload, inv->payload_len, "application/json");
}

int main(void)
{
    return wren_runtime_run(s_echo, NULL) == 0 ? 0 : 1;
}
