emu_unit_test(test_policy SOURCES
  tests/unit/policy/test_policy_main.c tests/unit/policy/test_policy_parse.c
  tests/unit/policy/test_policy_match.c tests/unit/policy/test_policy_cases.c
  tests/unit/policy/test_policy_noalloc.c
  LIBS emu_policy)
# The matcher tests call module-private helpers (policy_int.h), as STYLE.md §9
# suggests instead of #including the .c file.
target_include_directories(test_policy PRIVATE emulator/policy)
# Decision-time microbenchmark (scripts/bench runs it; not a test).
add_executable(bench_policy tests/unit/policy/bench_policy.c)
target_link_libraries(bench_policy PRIVATE emu_policy emu_warnings)
