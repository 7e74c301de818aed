# policy: pure library (STYLE.md §2) — compiles RAM policy documents and
# evaluates them against a request context. Depends on core only.
add_library(emu_policy STATIC
  emulator/policy/policy_parse.c emulator/policy/policy_match.c
  emulator/policy/policy_eval.c emulator/policy/policy_trace.c
  emulator/policy/policy_system.c emulator/policy/policy_inspect.c)
target_include_directories(emu_policy PUBLIC include PRIVATE emulator/policy)
target_link_libraries(emu_policy PUBLIC emu_core PRIVATE emu_warnings)
