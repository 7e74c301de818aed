add_library(emu_ram STATIC emulator/ram/ram_service.c)
target_include_directories(emu_ram PUBLIC include PRIVATE emulator/ram)
target_link_libraries(emu_ram PUBLIC emu_dispatch PRIVATE emu_warnings)
