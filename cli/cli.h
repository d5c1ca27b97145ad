/* cli/cli.h: the `wren` command's subcommands. One file each: cli/cmd_NAME.c. */
#ifndef WREN_CLI_H
#define WREN_CLI_H

/* Each returns the process exit status: 0 success, 1 failure, 2 usage error.
 * argv[0] is the subcommand's name. Each handles --help itself. */
int wren_cmd_emulator(int argc, char **argv);
int wren_cmd_call(int argc, char **argv);
int wren_cmd_map(int argc, char **argv);
int wren_cmd_status(int argc, char **argv);
int wren_cmd_results(int argc, char **argv);
int wren_cmd_plot(int argc, char **argv);
int wren_cmd_kernels(int argc, char **argv);
int wren_cmd_deploy(int argc, char **argv);

#endif
