# Fuzz harnesses of the signature parsers (emulator/auth/sig_*.c).
emu_fuzz_target(sig_params tests/fuzz/fuzz_sig_params.c LIBS emu_auth)
emu_fuzz_target(sig_v3 tests/fuzz/fuzz_sig_v3.c LIBS emu_auth)
emu_fuzz_target(sig_ots tests/fuzz/fuzz_sig_ots.c LIBS emu_auth)
emu_fuzz_target(sig_odps tests/fuzz/fuzz_sig_odps.c LIBS emu_auth)
