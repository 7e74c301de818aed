# STS: AssumeRole's pure parameter checks and its decision
# (sts__assume_authorize) for every trust principal form, on a loaded world.
emu_unit_test(test_sts SOURCES tests/unit/sts/test_sts.c
  LIBS emu_sts emu_dispatch emu_policy emu_world emu_core)
target_include_directories(test_sts PRIVATE emulator/sts)
