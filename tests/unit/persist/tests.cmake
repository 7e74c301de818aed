emu_unit_test(test_persist SOURCES tests/unit/persist/test_persist.c
              LIBS emu_persist emu_ots emu_world emu_core)
target_include_directories(test_persist PRIVATE emulator/persist)
