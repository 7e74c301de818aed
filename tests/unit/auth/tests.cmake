emu_unit_test(test_sig SOURCES tests/unit/auth/test_sig.c LIBS emu_auth)
