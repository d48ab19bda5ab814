// Default options of the sanitizers, linked into the sanitizer test variants. They live in
// the executable rather than in ctest's ENVIRONMENT so that a test run by hand behaves like
// one run by ctest. An environment variable set by the user still adds to them.
extern "C" {
const char* __asan_default_options() {
  return "detect_leaks=1:abort_on_error=0:halt_on_error=1";
}
const char* __ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1";
}
const char* __tsan_default_options() {
  return "halt_on_error=1:second_deadlock_stack=1";
}
// libstdc++ is not instrumented: the reference count of an exception_ptr is changed inside
// libstdc++.so, where ThreadSanitizer does not see it. A std::future that carries an error
// (use_future) is then reported as a race between the reader of the exception (the
// future's thread) and the thread that drops the promise's last reference after setting
// it. Only that free is suppressed.
const char* __tsan_default_suppressions() {
  return "race:std::__exception_ptr::exception_ptr::_M_release\n";
}
}
