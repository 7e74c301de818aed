/* RAM 2015-05-01: users, groups, roles, policies, attachments. */
#ifndef EMU_RAM_H
#define EMU_RAM_H

#include "emu/dispatch.h"

extern const emu_service emu_ram_service;
#define EMU_RAM_VERSION "2015-05-01"

#endif
