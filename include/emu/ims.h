/* IMS 2019-08-15 (ims.aliyuncs.com): CreateOIDCProvider, GetOIDCProvider,
 * ListOIDCProviders, UpdateOIDCProvider, DeleteOIDCProvider. The providers
 * live in the fed module's world section (emu/fed.h). */
#ifndef EMU_IMS_H
#define EMU_IMS_H

#include "emu/dispatch.h"

extern const emu_service emu_ims_service;
#define EMU_IMS_VERSION "2019-08-15"

#endif
