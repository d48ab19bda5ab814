//
// liveness/detail/session_config.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// What sessions share instead of copying: the engine's immutable configuration (limits,
// the codec's options or shared state such as the line codec's texts) and the keepalive
// report. One cache per execution context (an io_context service) and session type keeps
// the latest of each; a session made from equal options (and with an equal keepalive
// report) takes it instead of a copy of its own. Sessions made alternately from two
// different options objects get a block per session (still correct, only not shared).
//
#ifndef LIVENESS_DETAIL_SESSION_CONFIG_HPP
#define LIVENESS_DETAIL_SESSION_CONFIG_HPP

#include <liveness/config.hpp>
#include <liveness/detail/asio.hpp>
#include <liveness/engine/session_engine.hpp>
#include <liveness/keepalive.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

namespace liveness {
namespace detail {

template <class T, class = void>
struct equality_comparable : std::false_type {};
template <class T>
struct equality_comparable<T, std::void_t<decltype(std::declval<const T&>() ==
                                                   std::declval<const T&>())>>
    : std::true_type {};

/// True when `a` and `b` are known to be equal (false when the type cannot tell).
template <class T>
bool same_options(const T& a, const T& b) {
  if constexpr (std::is_empty_v<T>) {
    return true;
  } else if constexpr (equality_comparable<T>::value) {
    return a == b;
  } else {
    return false;  // a user codec's options without ==: never shared
  }
}

inline bool same_limits(const engine::limits& a, const engine::limits& b) noexcept {
  return a.max_write_chunk == b.max_write_chunk && a.read_buffer_limit == b.read_buffer_limit &&
         a.message_timeout == b.message_timeout &&
         a.first_message_timeout == b.first_message_timeout && a.close_linger == b.close_linger;
}

template <class T>
bool same_value(const keepalive_value<T>& a, const keepalive_value<T>& b) noexcept {
  return a.value == b.value && a.source == b.source;
}

inline bool same_report(const keepalive_report& a, const keepalive_report& b) {
  return a.mechanism == b.mechanism && a.enabled == b.enabled && same_value(a.idle, b.idle) &&
         same_value(a.interval, b.interval) && same_value(a.probes, b.probes) &&
         same_value(a.user_timeout, b.user_timeout) && a.detection_bound == b.detection_bound &&
         a.detection_bound_in_flight == b.detection_bound_in_flight && a.notes == b.notes;
}

/// The values the kernel holds (`read_keepalive` gives these, without `apply_keepalive`'s
/// notes on rounding).
inline bool same_kernel_values(const keepalive_report& a, const keepalive_report& b) noexcept {
  return a.enabled == b.enabled && same_value(a.idle, b.idle) &&
         same_value(a.interval, b.interval) && same_value(a.probes, b.probes) &&
         same_value(a.user_timeout, b.user_timeout);
}

/// Whether sockets accepted from a listening socket carry its keepalive settings: Linux
/// and FreeBSD copy them all; Windows sets none, macOS not the idle time (docs/keepalive.md).
#if defined(__linux__) || defined(__FreeBSD__)
inline constexpr bool accepted_sockets_inherit_keepalive = true;
#else
inline constexpr bool accepted_sockets_inherit_keepalive = false;
#endif

/// What the sessions of an execution context know of `session_options::keepalive_inherited`
/// for the options they apply.
enum class keepalive_inheritance {
  unchecked,  // no session has checked a socket yet (for these options)
  carried,    // the first socket checked carried them: set nothing
  missing,    // it did not: apply them
};

inline bool same_keepalive_options(const keepalive_options& a,
                                   const keepalive_options& b) noexcept {
  return a.enabled == b.enabled && a.idle == b.idle && a.interval == b.interval &&
         a.probes == b.probes && a.user_timeout == b.user_timeout;
}

/// The cache of one execution context for sessions whose codec is `Codec`.
template <class Codec>
class session_config_cache final : public net::execution_context::service {
 public:
  using config_type = engine::config<Codec>;
  using codec_options = typename Codec::options;

  static inline net::execution_context::id id;

  explicit session_config_cache(net::execution_context& ctx)
      : net::execution_context::service(ctx) {}

  /// The cache of the execution context behind `ex`.
  template <class Executor>
  static session_config_cache& of(const Executor& ex) {
    return net::use_service<session_config_cache>(net::query(ex, net::execution::context));
  }

  /// The configuration for `o` and `l`: the latest one when equal, else a new one (which
  /// becomes the latest). Throws `system_error` when the codec options are invalid.
  std::shared_ptr<const config_type> config(const codec_options& o, const engine::limits& l) {
    std::lock_guard<std::mutex> lock(mutex_);
    return config_locked(o, l);
  }

  /// `r` as a shared report: the latest one when equal, else a new one.
  std::shared_ptr<const keepalive_report> report(keepalive_report&& r) {
    std::lock_guard<std::mutex> lock(mutex_);
    return report_locked(std::move(r));
  }

  /// What a session takes when it starts, under one lock (one lookup of the cache and one
  /// lock per session start).
  struct start_config {
    /// The configuration for `o` and `l`: the latest one when equal, else a new one (which
    /// becomes the latest).
    std::shared_ptr<const config_type> config;
    /// `keepalive` not null: the report that applying `*keepalive` and reading the socket
    /// back gave the latest session made with equal keepalive options, or null. Setting
    /// the same options always leaves a socket with the same values, so a session that
    /// applies them without an error takes this report instead of reading its socket back.
    /// `keepalive` null (the session leaves keepalive alone): the shared empty report.
    std::shared_ptr<const keepalive_report> report;
    /// `keepalive` not null: what a first session found out about sockets said to carry
    /// `*keepalive` already (`session_options::keepalive_inherited`).
    keepalive_inheritance inherited = keepalive_inheritance::unchecked;
  };
  /// Throws `system_error` when the codec options are invalid.
  start_config on_start(const codec_options& o, const engine::limits& l,
                        const keepalive_options* keepalive) {
    std::lock_guard<std::mutex> lock(mutex_);
    start_config out;
    out.config = config_locked(o, l);
    if (!keepalive) {
      out.report = report_locked(keepalive_report{});
    } else {
      out.report = known_locked(*keepalive);
      if (inherited_options_ && same_keepalive_options(*inherited_options_, *keepalive))
        out.inherited = inherited_;
    }
    return out;
  }

  /// As `report(r, o)`, for the first session that checked whether its socket carried `o`
  /// already (`carried`): known from now on for sessions that say theirs do.
  std::shared_ptr<const keepalive_report> checked_inheritance(keepalive_report&& r,
                                                              const keepalive_options& o,
                                                              bool carried) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto shared = report_locked(std::move(r));
    known_options_ = o;
    inherited_options_ = o;
    inherited_ = carried ? keepalive_inheritance::carried : keepalive_inheritance::missing;
    return shared;
  }

  /// `r`, read back after applying `o`, as a shared report (the latest one when equal,
  /// else a new one), known from now on for sessions that apply `o` (see `on_start`).
  std::shared_ptr<const keepalive_report> report(keepalive_report&& r,
                                                 const keepalive_options& o) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto shared = report_locked(std::move(r));
    known_options_ = o;
    return shared;
  }

 private:
  std::shared_ptr<const config_type> config_locked(const codec_options& o,
                                                   const engine::limits& l) {
    if (config_ && same_limits(config_->session_limits, l) && same_options(*options_, o))
      return config_;
    auto made = std::make_shared<const config_type>(o, l);
    options_ = o;
    config_ = made;
    return made;
  }

  std::shared_ptr<const keepalive_report> known_locked(const keepalive_options& o) const {
    if (known_options_ && report_ && same_keepalive_options(*known_options_, o)) return report_;
    return nullptr;
  }

  std::shared_ptr<const keepalive_report> report_locked(keepalive_report&& r) {
    if (report_ && same_report(*report_, r)) return report_;
    report_ = std::make_shared<const keepalive_report>(std::move(r));
    known_options_.reset();
    return report_;
  }

  void shutdown() override {
    std::lock_guard<std::mutex> lock(mutex_);
    config_.reset();
    report_.reset();
    known_options_.reset();
    inherited_options_.reset();
  }

  std::mutex mutex_;
  std::optional<codec_options> options_;  // what config_ was made from
  std::shared_ptr<const config_type> config_;
  std::shared_ptr<const keepalive_report> report_;
  std::optional<keepalive_options> known_options_;  // what report_ was applied from, if known
  std::optional<keepalive_options> inherited_options_;  // what inherited_ was checked for
  keepalive_inheritance inherited_ = keepalive_inheritance::unchecked;
};

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_SESSION_CONFIG_HPP
