add_library(emu_odps STATIC emulator/odps/odps_section.c)
target_include_directories(emu_odps PUBLIC include PRIVATE emulator/odps)
target_link_libraries(emu_odps PUBLIC emu_dispatch PRIVATE emu_warnings)
