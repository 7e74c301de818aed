# Fuzz harness of the federation decoders (emulator/fed): JWTs and JWKS.
emu_fuzz_target(jwt tests/fuzz/fuzz_jwt.c LIBS emu_fed)
