# IMS 2019-08-15 (ims.aliyuncs.com): the OIDC providers of an account
# (ims_service.c, tables ims_actions.def / ims_errors.def), kept in the fed
# module's "OIDCProviders" world section.
add_library(emu_ims STATIC emulator/ims/ims_service.c)
target_include_directories(emu_ims PUBLIC include PRIVATE emulator/ims)
target_link_libraries(emu_ims PUBLIC emu_dispatch emu_fed PRIVATE emu_warnings)
