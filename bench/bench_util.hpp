//
// bench/bench_util.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Small helpers shared by the benchmark programs: process CPU time and resident memory,
// command-line flags, percentiles, and the `key=value` result lines that scripts/bench.sh
// collects and bench_report turns into docs/benchmarks.md. No Asio here.
//
#ifndef LIVENESS_BENCH_BENCH_UTIL_HPP
#define LIVENESS_BENCH_BENCH_UTIL_HPP

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace bench {

/// User + system CPU seconds this process has used so far.
inline double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/// A line of /proc/self/status ("VmRSS", "VmHWM"), in KiB; 0 when unavailable.
inline long status_kb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size() + 1, key + ":") == 0) {
      return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
    }
  }
  return 0;
}

/// Resident set size of this process in KiB.
inline long rss_kb() { return status_kb("VmRSS"); }

/// Seconds on the steady clock since an arbitrary epoch.
inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// `--name value` flags. Unknown flags are an error (a typo must not silently change a run).
class flags {
 public:
  flags(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a.rfind("--", 0) != 0 || i + 1 >= argc) usage("bad argument: " + a);
      values_[a.substr(2)] = argv[++i];
    }
  }
  std::string str(const std::string& name, const std::string& def) {
    used_.push_back(name);
    auto it = values_.find(name);
    return it == values_.end() ? def : it->second;
  }
  double num(const std::string& name, double def) {
    const auto s = str(name, "");
    if (s.empty()) return def;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end) usage("not a number: --" + name + " " + s);
    return v;
  }
  /// Call after all lookups: fails on a flag nobody asked for.
  void check() const {
    for (const auto& kv : values_) {
      if (std::find(used_.begin(), used_.end(), kv.first) == used_.end()) {
        usage("unknown flag --" + kv.first);
      }
    }
  }

 private:
  [[noreturn]] static void usage(const std::string& what) {
    std::cerr << "error: " << what << "\n";
    std::exit(2);
  }
  std::map<std::string, std::string> values_;
  std::vector<std::string> used_;
};

/// One result line: `kind=... key=value ...`, appended to a file (and echoed to stdout).
class record {
 public:
  explicit record(const std::string& kind) { out_ << "kind=" << kind; }
  template <class T>
  record& operator()(const std::string& key, const T& value) {
    out_ << ' ' << key << '=' << value;
    return *this;
  }
  void write(const std::string& path) const {
    std::cout << out_.str() << std::endl;
    if (path.empty()) return;
    std::ofstream f(path, std::ios::app);
    f << out_.str() << '\n';
  }

 private:
  std::ostringstream out_;
};

/// The q-quantile (0..1) of `v` by nearest rank; sorts `v`. 0 for an empty vector.
inline double quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(q * static_cast<double>(v.size()) + 0.999999);
  if (rank < 1) rank = 1;
  if (rank > v.size()) rank = v.size();
  return v[rank - 1];
}

/// Whether `Options` (a `liveness::session_options<P>`) has `use_timer_wheel` (the shared
/// timer wheel landed after these benchmarks were written; they build either way).
template <class Options, class = void>
struct has_timer_wheel_option : std::false_type {};
template <class Options>
struct has_timer_wheel_option<Options,
                              std::void_t<decltype(std::declval<Options&>().use_timer_wheel)>>
    : std::true_type {};

/// Asks for the wheel (`on`) or one steady_timer per session; returns what is in force:
/// "wheel" or "steady_timer".
template <class Options>
std::string set_timer_wheel(Options& o, bool on) {
  if constexpr (has_timer_wheel_option<Options>::value) {
    o.use_timer_wheel = on;
    return on ? "wheel" : "steady_timer";
  } else {
    (void)o;
    (void)on;
    return "steady_timer";
  }
}

}  // namespace bench

#endif  // LIVENESS_BENCH_BENCH_UTIL_HPP
