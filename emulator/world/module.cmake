add_library(emu_world STATIC emulator/world/world.c emulator/world/world_load.c
                             emulator/world/world_export.c emulator/world/world_session.c)
target_include_directories(emu_world PUBLIC include PRIVATE emulator/world)
target_link_libraries(emu_world PUBLIC emu_policy emu_core PRIVATE emu_warnings)
