add_library(emu_admin STATIC emulator/admin/admin.c)
target_include_directories(emu_admin PUBLIC include PRIVATE emulator/admin)
target_link_libraries(emu_admin PUBLIC emu_dispatch PRIVATE emu_warnings)
