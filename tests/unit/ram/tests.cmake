# The authorize phase against a loaded world (dispatch_authz.c), and RAM's
# own pieces as they grow unit-testable helpers.
emu_unit_test(test_ram_authz SOURCES tests/unit/ram/test_ram_authz.c
  LIBS emu_ram emu_dispatch emu_policy emu_world emu_core)
# RAM tags in the world and as acs:ResourceTag condition keys.
emu_unit_test(test_ram_tags SOURCES tests/unit/ram/test_ram_tags.c
  LIBS emu_ram emu_dispatch emu_policy emu_world emu_core)
