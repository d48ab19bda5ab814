// The library's non-template code, compiled once: the source of the CMake target
// liveness::separate (LIVENESS_SEPARATE_COMPILATION; docs/separate_compilation.md).
#include <liveness/src.hpp>
