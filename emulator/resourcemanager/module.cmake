# ResourceManager 2020-03-31: the resource directory world section and the
# control-policy levels the authorize phase asks for (rm_section.c), and the
# RPC service (rm_service.c) with its tables rm_actions.def / rm_errors.def.
add_library(emu_rm STATIC emulator/resourcemanager/rm_section.c
                          emulator/resourcemanager/rm_service.c)
target_include_directories(emu_rm PUBLIC include PRIVATE emulator/resourcemanager)
target_link_libraries(emu_rm PUBLIC emu_dispatch emu_policy emu_world PRIVATE emu_warnings)
