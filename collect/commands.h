/* collect/commands.h - sipas-collect commands kept in their own files. */
#ifndef SIPAS_COLLECT_COMMANDS_H
#define SIPAS_COLLECT_COMMANDS_H

#include <stddef.h>

#include "cli.h"

int collect_sample(int argc, char **argv); /* sample_cmd.c */
int collect_indicators(int argc, char **argv); /* indicators_cmd.c */
extern const cli_options collect_indicators_options;
extern const cli_options collect_sample_options;

extern const cli_manual collect_manual; /* manual.c: the man page's prose */

#endif
