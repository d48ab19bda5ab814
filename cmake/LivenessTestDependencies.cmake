# Catch2 for the test suite: v3 when installed, otherwise v2 (Debian bookworm ships 2.13),
# and only when neither is installed, FetchContent (needs a network).
include_guard(GLOBAL)

find_package(Catch2 3 CONFIG QUIET)
if(Catch2_FOUND)
  set(LIVENESS_CATCH2_MAJOR 3)
else()
  find_package(Catch2 2 CONFIG QUIET)
  if(Catch2_FOUND)
    set(LIVENESS_CATCH2_MAJOR 2)
  else()
    message(STATUS "liveness: Catch2 not installed (Debian: apt-get install catch2); "
                   "fetching Catch2 v3 with FetchContent")
    include(FetchContent)
    FetchContent_Declare(Catch2
      GIT_REPOSITORY https://github.com/catchorg/Catch2.git
      GIT_TAG v3.7.1
      GIT_SHALLOW TRUE)
    FetchContent_MakeAvailable(Catch2)
    list(APPEND CMAKE_MODULE_PATH "${catch2_SOURCE_DIR}/extras")
    set(LIVENESS_CATCH2_MAJOR 3)
  endif()
endif()
include(Catch)
message(STATUS "liveness: tests use Catch2 v${LIVENESS_CATCH2_MAJOR}")

if(LIVENESS_CATCH2_MAJOR EQUAL 2)
  # Catch2 v2's implementation, compiled once (tests/support/catch_impl.cpp), and a main()
  # that costs nothing to compile (catch_main.cpp).
  add_library(liveness_catch_impl OBJECT "${CMAKE_CURRENT_LIST_DIR}/../tests/support/catch_impl.cpp")
  target_link_libraries(liveness_catch_impl PUBLIC Catch2::Catch2)
  target_compile_features(liveness_catch_impl PUBLIC cxx_std_17)
  add_library(liveness_catch_main OBJECT "${CMAKE_CURRENT_LIST_DIR}/../tests/support/catch_main.cpp")
  target_compile_features(liveness_catch_main PUBLIC cxx_std_17)
endif()

# Links Catch2 and its main() (the test sources hold no main).
function(liveness_link_catch_main target)
  if(LIVENESS_CATCH2_MAJOR EQUAL 3)
    target_link_libraries(${target} PRIVATE Catch2::Catch2WithMain)
  else()
    target_link_libraries(${target} PRIVATE liveness_catch_impl liveness_catch_main Catch2::Catch2)
  endif()
  target_compile_definitions(${target} PRIVATE LIVENESS_CATCH2_MAJOR=${LIVENESS_CATCH2_MAJOR})
endfunction()

# Links Catch2 without a main(): for an executable that brings its own.
function(liveness_link_catch_impl target)
  if(LIVENESS_CATCH2_MAJOR EQUAL 2)
    target_link_libraries(${target} PRIVATE liveness_catch_impl)
  endif()
  liveness_link_catch(${target})
endfunction()

# Catch2's headers and version only (object libraries; targets that compile the
# implementation themselves).
function(liveness_link_catch target)
  target_link_libraries(${target} PRIVATE Catch2::Catch2)
  target_compile_definitions(${target} PRIVATE LIVENESS_CATCH2_MAJOR=${LIVENESS_CATCH2_MAJOR})
endfunction()
