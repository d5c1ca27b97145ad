/* bootstrap/run.h: the wren__run_fn that runs registered kernels (needs
 * wren_kernels; kept apart from bootstrap.h so the core builds without it). */
#ifndef WREN_BOOTSTRAP_RUN_H
#define WREN_BOOTSTRAP_RUN_H

#include "bootstrap.h"

/* Finds task->kernel in the registry, unpacks the arguments (truncated or
 * trailing bytes: Wren.BadInput), calls the kernel and fills res. */
void wren__run_kernel(const wren__task *task, wren__task_result *res, void *user);

#endif
