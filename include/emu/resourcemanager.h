/* ResourceManager 2020-03-31 (host resourcemanager.aliyuncs.com): the
 * resource directory of a management account — folders, member accounts —
 * and its control policies, which bound what the RAM users and roles of
 * member accounts may do (the CONTROL layer of the policy engine, emu/authz.h
 * emu_authz_set_control_source).
 *
 * The directory is world state: the "ResourceDirectory" section of the
 * management account in the world file (rm_world_section). */
#ifndef EMU_RESOURCEMANAGER_H
#define EMU_RESOURCEMANAGER_H

#include "emu/dispatch.h"
#include "emu/world_section.h"

extern const emu_service emu_rm_service;
extern const world_section rm_world_section;
#define EMU_RM_VERSION "2020-03-31"

/* Registers the world section and the control-policy source of the
 * authorize phase. Call once at start-up, before any world is loaded (the
 * server, `acsemu simulate`, `acsemu replay --world`). */
void emu_rm_register(void);

#endif
