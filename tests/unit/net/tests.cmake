emu_unit_test(test_net SOURCES tests/unit/net/test_net.c LIBS emu_net emu_core)
