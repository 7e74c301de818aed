emu_unit_test(test_sig SOURCES tests/unit/auth/test_sig.c LIBS emu_auth)
emu_unit_test(test_auth SOURCES tests/unit/auth/test_auth.c LIBS emu_auth)
