# Tablestore unit tests: one cmocka executable for the module (codecs, store,
# loaders, section), plus the 1M-row benchmark (not a ctest test).
emu_unit_test(test_ots
  SOURCES tests/unit/ots/test_ots_main.c tests/unit/ots/test_ots_plainbuffer.c
          tests/unit/ots/test_ots_pb.c tests/unit/ots/test_ots_store.c
          tests/unit/ots/test_ots_store_index.c
          tests/unit/ots/test_ots_section.c
  LIBS emu_ots)
target_include_directories(test_ots PRIVATE emulator/ots tests/unit/ots)

add_executable(bench_ots_store tests/unit/ots/bench_store.c)
target_include_directories(bench_ots_store PRIVATE emulator/ots)
target_link_libraries(bench_ots_store PRIVATE emu_ots emu_warnings)

# The data-plane service layer (filters, capacity units): links emu_ots_svc.
emu_unit_test(test_ots_svc SOURCES tests/unit/ots/test_ots_filter.c LIBS emu_ots_svc)
target_include_directories(test_ots_svc PRIVATE emulator/ots)
