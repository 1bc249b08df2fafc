/* collect/commands.h - sipas-collect commands kept in their own files. */
#ifndef SIPAS_COLLECT_COMMANDS_H
#define SIPAS_COLLECT_COMMANDS_H

int collect_sample(int argc, char **argv); /* sample_cmd.c */
int collect_indicators(int argc, char **argv); /* indicators_cmd.c */

#endif
