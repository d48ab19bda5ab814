# cmake -DNM=<nm> -DCXXFILT=<c++filt> -DOBJECTS=<object files> -P check_separate_instances.cmake
#
# Separate compilation: the probe unit (separate_instances_probe.cpp), which uses a session
# of each pre-instantiated policy and a registry of each, must define none of the functions
# of the classes that impl/session_instances.hpp declares `extern template` (session,
# session_impl, deadline, session_engine, parked_list, session_config_cache, registry: they
# are compiled in src.hpp), and must refer to them (else the probe proves nothing).
#
# Read on the mangled names (`nm -p`), which name the class that owns a function. Allowed:
# member function templates (not covered by an explicit instantiation; their demangled name
# begins with a return type) and the implicit destructor of a nested class (`added`). An
# object file of link-time optimisation lists inline functions as defined: the probe is
# compiled without it.
set(owner "^_ZNK?8liveness(6detail12session_implI|6engine14session_engineI|6detail8deadlineI")
string(APPEND owner "|6detail11parked_listI|6detail20session_config_cacheI|7sessionI|8registryI)")
set(defined "")
set(referenced 0)
set(all "")
foreach(object IN LISTS OBJECTS)
  execute_process(COMMAND "${NM}" -p "${object}" OUTPUT_VARIABLE symbols RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${object}")
  endif()
  string(APPEND all "${symbols}")
  string(REPLACE "\n" ";" lines "${symbols}")
  foreach(line IN LISTS lines)
    if(NOT line MATCHES "([A-Za-z]) ([^ ]+)$")
      continue()
    endif()
    set(type "${CMAKE_MATCH_1}")
    set(name "${CMAKE_MATCH_2}")
    if(NOT name MATCHES "${owner}")
      continue()
    endif()
    if(type STREQUAL "U")
      math(EXPR referenced "${referenced} + 1")
      continue()
    endif()
    if(NOT type MATCHES "^[TtWwVvuDdBbRr]$")  # code or data (not a comdat group's name: n)
      continue()
    endif()
    if(name MATCHES "E[0-9]+[A-Za-z_][A-Za-z_0-9]*D[012]Ev$")  # a nested class's destructor
      continue()
    endif()
    execute_process(COMMAND "${CXXFILT}" "${name}" OUTPUT_VARIABLE pretty
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT pretty MATCHES "^liveness::")  # a return type first: a member template
      continue()
    endif()
    list(APPEND defined "${type} ${pretty}")
  endforeach()
endforeach()
if(defined)
  string(REPLACE ";" "\n" defined "${defined}")
  message(FATAL_ERROR "the unit compiled code of the pre-instantiated sessions or registries "
                      "(an extern template declaration is missing or did not apply):\n"
                      "${defined}")
endif()
# The classes the probe calls directly, each referred to at least once.
foreach(class 7sessionI 6detail12session_implI 6engine14session_engineI 8registryI)
  if(NOT all MATCHES "U _ZNK?8liveness${class}")
    message(FATAL_ERROR "the unit refers to no function of ${class}: the probe is broken")
  endif()
endforeach()
message(STATUS "the unit defines no function of the pre-instantiated classes and refers to "
               "${referenced}")
