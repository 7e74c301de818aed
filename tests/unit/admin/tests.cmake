# The decision ring, its rendering and the simulator/replay cores
# (emulator/admin/admin_decisions.c, admin_simulate.c, admin_coverage.c).
emu_unit_test(test_decisions SOURCES tests/unit/admin/test_decisions.c
  LIBS emu_admin emu_dispatch emu_policy emu_world emu_core)
