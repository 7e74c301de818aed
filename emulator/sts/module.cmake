add_library(emu_sts STATIC emulator/sts/sts_service.c)
target_include_directories(emu_sts PUBLIC include PRIVATE emulator/sts)
target_link_libraries(emu_sts PUBLIC emu_dispatch PRIVATE emu_warnings)
