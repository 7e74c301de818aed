/* MaxCompute (ODPS): projects, the REST subset and external tables. */
#ifndef EMU_ODPS_H
#define EMU_ODPS_H

#include <stdbool.h>

#include "emu/world_section.h"

/* The "MaxCompute" section of an account: {"Projects":[{"Name":"b_project"}]}. */
extern const world_section odps_world_section;

/* Project lookup in an account's section state (NULL state = no projects). */
bool odps_project_exists(const void *state, const char *name);

#endif
