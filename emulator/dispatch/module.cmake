add_library(emu_dispatch STATIC emulator/dispatch/dispatch.c emulator/dispatch/dispatch_rpc.c
                         emulator/dispatch/dispatch_authz.c)
target_include_directories(emu_dispatch PUBLIC include PRIVATE emulator/dispatch)
target_link_libraries(emu_dispatch PUBLIC emu_auth emu_policy emu_core emu_world emu_net PRIVATE emu_warnings)
