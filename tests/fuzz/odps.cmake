# MaxCompute fuzz harnesses: the SQL subset parser (+ DDL validation and the
# SELECT engine over an in-memory table) and
# the XML readers (+ the client PlainBuffer decoder), the tunnel record
# stream decoder (+ re-encoding) and rowrange parser, the security
# statements (+ the world JSON of members, roles and grants). ctest replays the
# checked-in corpora (fuzz-replay).
emu_fuzz_target(odps_sql tests/fuzz/fuzz_odps_sql.c LIBS emu_odps emu_dispatch emu_core)
emu_fuzz_target(odps_xml tests/fuzz/fuzz_odps_xml.c LIBS emu_odps emu_dispatch emu_core)
emu_fuzz_target(odps_tunnel tests/fuzz/fuzz_odps_tunnel.c LIBS emu_odps emu_dispatch emu_core)
emu_fuzz_target(odps_acl tests/fuzz/fuzz_odps_acl.c LIBS emu_odps emu_dispatch emu_core)
foreach(t odps_sql odps_xml odps_tunnel odps_acl)
  target_include_directories(replay_${t} PRIVATE emulator/odps)
  if(EMU_FUZZ)
    target_include_directories(fuzz_${t} PRIVATE emulator/odps)
  endif()
endforeach()
