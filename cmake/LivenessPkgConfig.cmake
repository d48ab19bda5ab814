# liveness_configure_pkgconfig(<output file> <install dir>)
# Configures cmake/liveness.pc.in into <output file>, for installation into <install dir>
# (relative to the install prefix). The Asio flavour is the one this build was configured
# with (LIVENESS_USE_BOOST_ASIO), as in the CMake package:
#   standalone Asio: -DASIO_STANDALONE, and Asio's include directory
#   Boost.Asio:      -DLIVENESS_USE_BOOST_ASIO, and Boost's include directory
# The flags are read from the imported targets asio::asio / Boost::headers, so that what
# pkg-config gives is what target_link_libraries(liveness::liveness) gives. Include
# directories the compiler searches anyway (/usr/include) are left out. The prefix is
# ${pcfiledir}-relative, so that the installed tree can be moved (and `cmake --install
# --prefix` honoured), unless a GNUInstallDirs path is absolute.
include_guard(GLOBAL)

function(_liveness_pc_add_includes target out)
  set(flags "${${out}}")
  get_target_property(dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  if(dirs)
    foreach(dir IN LISTS dirs)
      if(dir MATCHES "\\$<" OR dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
        continue()
      endif()
      string(APPEND flags " -I${dir}")
    endforeach()
  endif()
  set(${out} "${flags}" PARENT_SCOPE)
endfunction()

function(liveness_configure_pkgconfig output install_dir)
  set(cflags "")
  if(LIVENESS_USE_BOOST_ASIO)
    set(LIVENESS_PC_FLAVOUR "Boost.Asio")
    set(LIVENESS_PC_FLAVOUR_ID boost)
    string(APPEND cflags " -DLIVENESS_USE_BOOST_ASIO")
    _liveness_pc_add_includes(Boost::headers cflags)
  else()
    set(LIVENESS_PC_FLAVOUR "standalone Asio")
    set(LIVENESS_PC_FLAVOUR_ID standalone)
    string(APPEND cflags " -DASIO_STANDALONE")
    _liveness_pc_add_includes(asio::asio cflags)
  endif()
  # Anything else the liveness target defines for its users (none today).
  get_target_property(defs liveness INTERFACE_COMPILE_DEFINITIONS)
  if(defs)
    foreach(def IN LISTS defs)
      if(NOT def MATCHES "\\$<" AND NOT cflags MATCHES " -D${def}( |$)")
        string(APPEND cflags " -D${def}")
      endif()
    endforeach()
  endif()
  set(LIVENESS_PC_CFLAGS "${cflags}")

  set(LIVENESS_PC_LIBS "-pthread")
  if(WIN32)
    string(APPEND LIVENESS_PC_LIBS " -lws2_32 -lmswsock")
  endif()

  if(IS_ABSOLUTE "${install_dir}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
    set(LIVENESS_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
    set(LIVENESS_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
  else()
    file(RELATIVE_PATH up "/p/${install_dir}" "/p")
    string(REGEX REPLACE "/$" "" up "${up}")
    set(LIVENESS_PC_PREFIX "\${pcfiledir}/${up}")
    set(LIVENESS_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
  endif()
  configure_file("${PROJECT_SOURCE_DIR}/cmake/liveness.pc.in" "${output}" @ONLY)
endfunction()
