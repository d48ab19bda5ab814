# cmake -DSOURCE_DIR=... -DBUILD_DIR=... -DPREFIX=... -DUSE_BOOST=ON|OFF -DGENERATOR=...
#       -P install_into_prefix.cmake
# Configures liveness (no tests, no examples) and installs it into a fresh PREFIX.
file(REMOVE_RECURSE "${PREFIX}" "${BUILD_DIR}")
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BUILD_DIR}" -G "${GENERATOR}"
                        -DLIVENESS_BUILD_TESTS=OFF -DLIVENESS_BUILD_EXAMPLES=OFF
                        -DLIVENESS_INSTALL=ON -DLIVENESS_USE_BOOST_ASIO=${USE_BOOST}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring liveness failed")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E env --unset=DESTDIR
                        "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "installing liveness failed")
endif()
