// Catch2 v2's main() for the test executables without one of their own (the implementation
// is catch_impl.cpp's, compiled once); Catch2 v3 brings its own (Catch2::Catch2WithMain).
namespace liveness_test {
int catch_session_run(int argc, char* argv[]);
}

int main(int argc, char* argv[]) { return liveness_test::catch_session_run(argc, argv); }
