/* STS 2015-04-01: AssumeRole and GetCallerIdentity. */
#ifndef EMU_STS_H
#define EMU_STS_H

#include "emu/dispatch.h"

extern const emu_service emu_sts_service;
#define EMU_STS_VERSION "2015-04-01"

#endif
