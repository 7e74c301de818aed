emu_fuzz_target(policy tests/fuzz/fuzz_policy.c LIBS emu_policy)
