# cmake -DNM=<nm> -DOBJECTS=<object files> -P check_separate_instances.cmake
#
# Separate compilation: the probe unit (separate_instances_probe.cpp) must not define the
# own functions of `session<tcp::socket, ping_pong<line>>` and its registry (the handle,
# the session's state and engine, the registry and its state are declared `extern
# template` in impl/session_instances.hpp and compiled in src.hpp), and must refer to them
# (else the probe proves nothing).
foreach(object IN LISTS OBJECTS)
  execute_process(COMMAND "${NM}" -C "${object}" OUTPUT_VARIABLE symbols
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} failed on ${object}")
  endif()
  string(APPEND all "${symbols}")
endforeach()
string(REPLACE "\n" ";" lines "${all}")
set(defined "")
set(referenced 0)
set(class "liveness::(detail::session_impl|engine::session_engine|session|registry)<")
set(members "(start|apply|on_readable|shut_down|keep_busy|on_time|on_received|open|close")
string(APPEND members "|add|broadcast|on_offline)")
foreach(line IN LISTS lines)
  if(line MATCHES " [TWtw] .*${class}.*>::${members}\\(")
    list(APPEND defined "${line}")
  elseif(line MATCHES " U .*${class}")
    math(EXPR referenced "${referenced} + 1")
  endif()
endforeach()
if(defined)
  string(REPLACE ";" "\n" defined "${defined}")
  message(FATAL_ERROR "the unit compiled the session's or registry's own code (the extern "
                      "template declarations did not apply):\n${defined}")
endif()
if(referenced EQUAL 0)
  message(FATAL_ERROR "the unit refers to no function of the session: the probe is broken")
endif()
if(NOT all MATCHES " U [^\n]*liveness::registry<[^\n]*>::add\\(")
  message(FATAL_ERROR "the unit does not call the registry's add: the probe is broken")
endif()
message(STATUS "the unit defines none of the session's and registry's functions and "
               "refers to ${referenced}")
