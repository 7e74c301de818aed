# Test layers, each a ctest label: unit, fuzz-replay, integration, sdk, browser, clients.

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
  # The test helpers in clients/ (label clients), each package's own tests
  # against the built binary. ACSEMU_WORLD: a build-tree acsemu has no
  # installed seed beside it, and pytester/go run children elsewhere.
  set(_cenv "ACSEMU_BIN=$<TARGET_FILE:acsemu>;ACSEMU_WORLD=${CMAKE_SOURCE_DIR}/data/world.json")
  if(EXISTS ${CMAKE_SOURCE_DIR}/tests/sdk/package.json)
    add_test(NAME clients.node
             COMMAND ${NODE} --test --test-reporter=spec ${CMAKE_SOURCE_DIR}/clients/node/test/)
    set_tests_properties(clients.node PROPERTIES LABELS clients TIMEOUT 300
                         ENVIRONMENT "${_cenv};ACSEMU_SDK_PATH=${CMAKE_SOURCE_DIR}/tests/sdk")
  endif()
  # Debian's python3 with python3-pytest (scripts/setup), not another one on PATH.
  find_program(EMU_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(EMU_PYTHON3)
    add_test(NAME clients.python
             COMMAND ${EMU_PYTHON3} -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/clients/python/tests)
    set_tests_properties(clients.python PROPERTIES LABELS clients TIMEOUT 300
                         ENVIRONMENT "${_cenv};PYTHONPATH=${CMAKE_SOURCE_DIR}/clients/python")
  endif()
  # Debian's Go; the helper has no dependencies, so no module proxy.
  find_program(EMU_GO go)
  if(EMU_GO)
    add_test(NAME clients.go COMMAND ${EMU_GO} test -count=1 ./...
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/clients/go)
    set_tests_properties(clients.go PROPERTIES LABELS clients TIMEOUT 600
                         ENVIRONMENT "${_cenv};GOPROXY=off;GOFLAGS=-mod=mod;GOTELEMETRY=off")
  else()
    message(STATUS "go not found: no clients.go test (scripts/setup installs golang-go)")
  endif()
  # Debian's OpenJDK and junit5 (/usr/share/java), offline.
  find_program(EMU_JAVAC javac)
  if(EMU_JAVAC AND EXISTS /usr/share/java/junit-platform-console-standalone.jar)
    add_test(NAME clients.java COMMAND ${CMAKE_SOURCE_DIR}/clients/java/run-tests.sh)
    set_tests_properties(clients.java PROPERTIES LABELS clients TIMEOUT 300 ENVIRONMENT "${_cenv}")
  else()
    message(STATUS "javac or junit5 not found: no clients.java test (scripts/setup installs them)")
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
