# Test layers, each a ctest label: unit, fuzz-replay, integration, sdk.

# emu_unit_test(NAME src... LIBS lib...): one cmocka executable.
function(emu_unit_test name)
  cmake_parse_arguments(U "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${U_SOURCES})
  target_include_directories(${name} PRIVATE tests/support)
  target_link_libraries(${name} PRIVATE ${U_LIBS} PkgConfig::CMOCKA emu_warnings)
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES LABELS unit
    ENVIRONMENT "EMU_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()

# emu_fuzz_target(NAME src LIBS lib...): a libFuzzer harness (EMU_FUZZ=ON)
# and, in every build, a replay executable that runs the checked-in corpus
# tests/fuzz/corpus/NAME through the same entry point.
function(emu_fuzz_target name src)
  cmake_parse_arguments(F "" "" "LIBS" ${ARGN})
  add_executable(replay_${name} ${src} tests/fuzz/replay_main.c)
  target_link_libraries(replay_${name} PRIVATE ${F_LIBS} emu_warnings)
  add_test(NAME fuzz-replay.${name}
           COMMAND replay_${name} ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name})
  set_tests_properties(fuzz-replay.${name} PROPERTIES LABELS fuzz-replay)
  if(EMU_FUZZ)
    add_executable(fuzz_${name} ${src})
    target_link_libraries(fuzz_${name} PRIVATE ${F_LIBS} emu_warnings)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  endif()
endfunction()

foreach(mod ${EMU_MODULES})
  include(tests/unit/${mod}/tests.cmake OPTIONAL)
  include(tests/fuzz/${mod}.cmake OPTIONAL)
endforeach()

# Integration and SDK tests start the built binary on --port 0.
find_program(NODE node)
if(NODE AND TARGET acsemu)
  set(_env "ACSEMU_BIN=$<TARGET_FILE:acsemu>;EMU_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
  add_test(NAME integration
           COMMAND ${NODE} --test --test-reporter=spec ${CMAKE_SOURCE_DIR}/tests/integration/)
  set_tests_properties(integration PROPERTIES LABELS integration ENVIRONMENT "${_env}"
                       TIMEOUT 600)
  if(EXISTS ${CMAKE_SOURCE_DIR}/tests/sdk/package.json)
    add_test(NAME sdk COMMAND ${NODE} --test --test-reporter=spec ${CMAKE_SOURCE_DIR}/tests/sdk/)
    set_tests_properties(sdk PROPERTIES LABELS sdk ENVIRONMENT "${_env}" TIMEOUT 600)
  endif()
  # The console page (/_emu/) in headless Chromium: Debian's chromium
  # (scripts/setup), driven by playwright-core from tests/sdk/node_modules.
  # playwright-core needs Node >= 20.
  find_program(CHROMIUM chromium)
  execute_process(COMMAND ${NODE} --version OUTPUT_VARIABLE _node_version
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  string(REGEX REPLACE "^v" "" _node_version "${_node_version}")
  if(_node_version VERSION_LESS 20)
    message(STATUS "Node ${_node_version} < 20: no browser test (playwright-core needs 20)")
  elseif(CHROMIUM AND EXISTS ${CMAKE_SOURCE_DIR}/tests/sdk/package.json)
    add_test(NAME browser
             COMMAND ${NODE} --test --test-reporter=spec ${CMAKE_SOURCE_DIR}/tests/browser/)
    set_tests_properties(browser PROPERTIES LABELS browser
                         ENVIRONMENT "${_env};EMU_CHROMIUM=${CHROMIUM}" TIMEOUT 300)
  else()
    message(STATUS "chromium not found: no browser test (scripts/setup installs it)")
  endif()
endif()
