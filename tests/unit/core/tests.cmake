emu_unit_test(test_core SOURCES tests/unit/core/test_core.c LIBS emu_core)
