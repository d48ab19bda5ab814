# cmake -DNM=<nm> -DCXXFILT=<c++filt> -DOBJECTS=<object files> -P check_separate_instances.cmake
#
# Separate compilation: the probe unit (separate_instances_probe.cpp), which uses a session
# of each pre-instantiated policy and a registry of each, must define none of the functions
# of the classes that impl/session_instances.hpp declares `extern template` (session,
# session_impl, deadline, session_engine, parked_list, session_config_cache, registry, and
# the state machines of reads and writes of one buffer, of async_write_message and of
# async_wait_dead: they are compiled in src.hpp), nor any of op_step and op_result (the
# handlers of the Asio operations its operations start, which with the default allocator
# are the session state's members), and must refer to them (else the probe proves
# nothing).
#
# Read on the mangled names (`nm -p`), which name the class that owns a function. Allowed:
# member function templates (not covered by an explicit instantiation; their demangled name
# begins with a return type), the implicit destructor of a nested class (`added`), a state
# machine's implicit destructor and async_write_message's constructor template. An object
# file of link-time optimisation lists inline functions as defined: the probe is compiled
# without it.
set(owner "^_ZNK?8liveness(6detail12session_implI|6engine14session_engineI|6detail8deadlineI")
string(APPEND owner "|6detail11parked_listI|6detail20session_config_cacheI|7sessionI|8registryI")
string(APPEND owner "|6detail12read_machineI|6detail13write_machineI")
string(APPEND owner "|6detail21write_message_machineI|6detail17wait_dead_machineI")
# Not declared extern, but with the default allocator only the session's members (compiled
# in src.hpp) start the Asio operations whose handlers these are.
string(APPEND owner "|6detail7op_stepI|6detail9op_resultI)")
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
    if(name MATCHES "E[0-9]+[a-z_]+D[012]Ev$")  # a nested class's destructor
      continue()
    endif()
    # A state machine's implicit destructor (defined where it is used), and
    # async_write_message's constructor template (per buffer type).
    if(name MATCHES "^_ZN8liveness6detail[0-9]+[a-z_]+machineI.*ED[012]Ev$" OR
       name MATCHES "^_ZN8liveness6detail21write_message_machineI.*EC[12]I.*ERKT_$")
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
foreach(class 7sessionI 6detail12session_implI 6engine14session_engineI 8registryI
              6detail12read_machineI 6detail13write_machineI 6detail21write_message_machineI
              6detail17wait_dead_machineI)
  if(NOT all MATCHES "U _ZNK?8liveness${class}")
    message(FATAL_ERROR "the unit refers to no function of ${class}: the probe is broken")
  endif()
endforeach()
# The Asio operations of its operations (default allocator) are the session state's.
foreach(member 9post_step 15read_socket_for 16write_socket_for 15dispatch_result)
  if(NOT all MATCHES "U _ZN8liveness6detail12session_implI[^ ]*${member}E")
    message(FATAL_ERROR "the unit does not start its operations' Asio operations through "
                        "the session state's ${member}: the probe is broken")
  endif()
endforeach()
message(STATUS "the unit defines no function of the pre-instantiated classes and refers to "
               "${referenced}")
