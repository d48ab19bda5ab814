// Shared by the multi-threaded tests (session_tokens_test.cpp, lifetime_test.cpp): counts how
// often each started operation's handler ran, from any thread.
#ifndef LIVENESS_TESTS_SUPPORT_HANDLER_LOG_HPP
#define LIVENESS_TESTS_SUPPORT_HANDLER_LOG_HPP

#include <map>
#include <mutex>

namespace liveness_test {

/// Counts handler invocations per operation id. Thread-safe.
class handler_log {
 public:
  /// A new operation id (its handler has run 0 times).
  int start() {
    std::lock_guard<std::mutex> lock(mutex_);
    const int id = next_++;
    calls_[id] = 0;
    return id;
  }
  void ran(int id) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls_[id];
  }
  int started() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return next_;
  }
  /// Operations whose handler did not run exactly once: id -> times it ran.
  std::map<int, int> wrong() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<int, int> out;
    for (const auto& c : calls_)
      if (c.second != 1) out.insert(c);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  int next_ = 0;
  std::map<int, int> calls_;
};

}  // namespace liveness_test

#endif  // LIVENESS_TESTS_SUPPORT_HANDLER_LOG_HPP
