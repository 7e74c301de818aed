# MaxCompute: the SQL subset parser, CREATE EXTERNAL TABLE validation, the
# client-side PlainBuffer codec and the XML bodies (no server needed).
emu_unit_test(test_odps SOURCES tests/unit/odps/test_odps_sql.c
  LIBS emu_odps emu_dispatch emu_world emu_core)
target_include_directories(test_odps PRIVATE emulator/odps)
# The instance tunnel's record stream: encoder against pyodps's own bytes,
# decoder checks, rowrange parsing.
emu_unit_test(test_odps_tunnel SOURCES tests/unit/odps/test_odps_tunnel.c
  LIBS emu_odps emu_dispatch emu_world emu_core)
target_include_directories(test_odps_tunnel PRIVATE emulator/odps)
