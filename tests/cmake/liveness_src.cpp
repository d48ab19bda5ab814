// A consumer's one file that compiles the library's non-template code
// (LIVENESS_SEPARATE_COMPILATION; docs/separate_compilation.md).
#include <liveness/src.hpp>
