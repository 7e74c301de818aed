emu_unit_test(test_world SOURCES tests/unit/world/test_world.c LIBS emu_odps emu_world emu_core)
