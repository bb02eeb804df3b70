# Project-wide compile settings and the helpers every folder uses to declare
# libraries, daemons, tests and fuzz targets the same way.

set(TANDEM_WARNINGS
  -Wall -Wextra -Wpedantic -Werror
  -Wshadow -Wnon-virtual-dtor -Wcast-qual -Wformat=2
  -Wimplicit-fallthrough -Wmissing-declarations -Wundef)

if(TANDEM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(TANDEM_CLANG_TIDY)
  find_program(CLANG_TIDY_EXE NAMES clang-tidy-14 clang-tidy REQUIRED)
  set(CMAKE_CXX_CLANG_TIDY ${CLANG_TIDY_EXE} --quiet)
endif()

# libFuzzer needs clang; fuzz targets link the same libraries as the daemons,
# so a fuzz build compiles the whole tree with the fuzzer's coverage hooks.
if(TANDEM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "TANDEM_FUZZ needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# `ninja product` builds what ships (the daemons and tandemctl) and nothing
# else: CI compiles the release flavour only to prove it builds warning-free
# with optimisation, and runs the tests on the sanitizer build.
if(NOT TARGET product)
  add_custom_target(product)
endif()

# Installed programs go to sbin (daemons and root tools), except the
# operator's commands listed here, which members of group tandem run too.
set(TANDEM_BIN_PROGRAMS tandemctl)

function(tandem_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${TANDEM_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_LIBS})
endfunction()

function(tandem_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${TANDEM_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  if(name IN_LIST TANDEM_BIN_PROGRAMS)
    install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  else()
    install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_SBINDIR})
  endif()
  add_dependencies(product ${name})
endfunction()

# A program that is built but never installed: benchmarks, test drivers.
function(tandem_tool name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${TANDEM_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
endfunction()

# A GoogleTest binary; each TEST becomes its own ctest entry labelled "unit".
function(tandem_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT TANDEM_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${TANDEM_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit)
endfunction()

# A libFuzzer target, built only with TANDEM_FUZZ. Its seed corpus lives in
# tests/fuzz/corpus/<name>; ctest runs it over the corpus plus RUNS generated
# inputs (default 50000), stopping after MAX_SECONDS (default 60) so one slow
# target cannot eat CI's budget. Long campaigns are run by hand.
function(tandem_fuzz name)
  cmake_parse_arguments(ARG "" "RUNS;MAX_SECONDS" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_RUNS)
    set(ARG_RUNS 50000)
  endif()
  if(NOT ARG_MAX_SECONDS)
    set(ARG_MAX_SECONDS 60)
  endif()
  if(NOT TANDEM_FUZZ)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  # `ninja fuzzers` builds every fuzz target and nothing else.
  if(NOT TARGET fuzzers)
    add_custom_target(fuzzers)
  endif()
  add_dependencies(fuzzers ${name})
  set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/${name}-work)
  set(dirs ${CMAKE_CURRENT_BINARY_DIR}/${name}-work)
  if(EXISTS ${corpus})
    list(APPEND dirs ${corpus})
  endif()
  add_test(NAME fuzz.${name}
    COMMAND ${name} -runs=${ARG_RUNS} -max_total_time=${ARG_MAX_SECONDS} -max_len=4096
            -timeout=10 ${dirs})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz)
endfunction()
