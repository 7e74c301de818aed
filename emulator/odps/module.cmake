# MaxCompute: the world section and the SQL subset (emu_odps: parser, DDL
# validation, section state; usable by unit tests and fuzzers with core
# only), and the REST service with the external-table read path
# (emu_odps_svc: dispatch, auth signatures, libxml2, and the Tablestore
# protobuf messages from emu_ots, used as a client would use them).
# The SQL subset (tokenizer, parser, SELECT engine: emu/odps_sql.h) is a
# library of its own, pure and on core only: Tablestore's SQLQuery links it
# too (emulator/ots), so neither service reaches into the other.
add_library(emu_odps_sql STATIC emulator/odps/odps_sql.c emulator/odps/odps_query.c)
target_include_directories(emu_odps_sql PUBLIC include)
target_link_libraries(emu_odps_sql PUBLIC emu_core PRIVATE emu_warnings m)

add_library(emu_odps STATIC emulator/odps/odps_section.c emulator/odps/odps_table.c emulator/odps/odps_pbuf.c
                            emulator/odps/odps_xml.c emulator/odps/odps_tunnel.c emulator/odps/odps_arrow.c
                            emulator/odps/odps_meta.c emulator/odps/odps_acl.c)
target_include_directories(emu_odps PUBLIC include PRIVATE emulator/odps)
target_link_libraries(emu_odps PUBLIC emu_odps_sql emu_dispatch PkgConfig::LIBXML2 PRIVATE emu_warnings m)

add_library(emu_odps_svc STATIC emulator/odps/odps_service.c emulator/odps/odps_exec.c
                                emulator/odps/odps_read.c)
target_include_directories(emu_odps_svc PUBLIC include PRIVATE emulator/odps)
target_link_libraries(emu_odps_svc PUBLIC emu_odps emu_dispatch emu_ots PRIVATE emu_warnings m)
