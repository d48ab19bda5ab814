# Finding liveness's dependencies, shared by the build tree and the installed package.
#
# liveness_find_asio([REQUIRED]) defines the imported target asio::asio for standalone Asio.
# Asio ships no CMake package of its own on most systems (Debian's libasio-dev does not), so
# a config package is tried first and the header is searched for after that.
#
# liveness_find_boost_asio([REQUIRED]) makes Boost::headers available (Boost.Asio is header
# only since Boost 1.69 together with Boost.System).
include_guard(GLOBAL)

function(liveness_find_asio)
  cmake_parse_arguments(arg "REQUIRED" "" "" ${ARGN})
  if(TARGET asio::asio)
    set(asio_FOUND TRUE PARENT_SCOPE)
    return()
  endif()
  find_package(asio CONFIG QUIET)
  if(TARGET asio::asio)
    set(asio_FOUND TRUE PARENT_SCOPE)
    return()
  endif()
  find_path(LIVENESS_ASIO_INCLUDE_DIR asio.hpp
    HINTS "${ASIO_ROOT}" "$ENV{ASIO_ROOT}"
    PATH_SUFFIXES include asio/include
    DOC "Directory holding standalone Asio's asio.hpp")
  if(NOT LIVENESS_ASIO_INCLUDE_DIR)
    set(asio_FOUND FALSE PARENT_SCOPE)
    if(arg_REQUIRED)
      message(FATAL_ERROR
        "liveness: standalone Asio (asio.hpp) was not found.\n"
        "  On Debian/Ubuntu:  sudo apt-get install libasio-dev\n"
        "  Elsewhere: set ASIO_ROOT to the directory that holds asio.hpp,\n"
        "  or configure with -DLIVENESS_USE_BOOST_ASIO=ON to use Boost.Asio instead.")
    endif()
    return()
  endif()
  add_library(asio::asio INTERFACE IMPORTED GLOBAL)
  set_target_properties(asio::asio PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${LIVENESS_ASIO_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS "ASIO_STANDALONE")
  set(asio_FOUND TRUE PARENT_SCOPE)
endfunction()

function(liveness_find_boost_asio)
  cmake_parse_arguments(arg "REQUIRED" "" "" ${ARGN})
  if(TARGET Boost::headers)
    set(Boost_FOUND TRUE PARENT_SCOPE)
    return()
  endif()
  find_package(Boost 1.70 QUIET CONFIG)
  if(NOT TARGET Boost::headers)
    set(Boost_FOUND FALSE PARENT_SCOPE)
    if(arg_REQUIRED)
      message(FATAL_ERROR
        "liveness: LIVENESS_USE_BOOST_ASIO is ON but Boost (>= 1.70) was not found.\n"
        "  On Debian/Ubuntu:  sudo apt-get install libboost-dev\n"
        "  Elsewhere: set Boost_ROOT, or turn LIVENESS_USE_BOOST_ASIO off.")
    endif()
    return()
  endif()
  set(Boost_FOUND TRUE PARENT_SCOPE)
endfunction()
