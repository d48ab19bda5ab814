//
// liveness/impl/keepalive.ipp
//
// The non-template code of <liveness/keepalive.hpp>: included by that
// header when header-only, compiled once by <liveness/src.hpp> with
// LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_KEEPALIVE_IPP
#define LIVENESS_IMPL_KEEPALIVE_IPP

#include <liveness/keepalive.hpp>

namespace liveness {

namespace detail {

LIVENESS_DECL error_code check_range(ka_ms value, bool whole_seconds, std::int64_t lo,
                                     std::int64_t hi,
                                     error e) {
  if (value.count() > hi) return e;
  const auto v = whole_seconds ? ceil_to_seconds(value) : value;
  if (v.count() < lo || v.count() > hi) return e;
  return {};
}

LIVENESS_DECL error_code validate_keepalive(const keepalive_options& o, const keepalive_limits& l) {
  if (o.enabled) {
    if (o.idle.count() <= 0 || o.interval.count() <= 0) return error::keepalive_zero_time;
    if (auto ec = check_range(o.idle, l.whole_seconds, l.idle_min_ms, l.idle_max_ms,
                              error::keepalive_idle_out_of_range))
      return ec;
    if (auto ec = check_range(o.interval, l.whole_seconds, l.interval_min_ms, l.interval_max_ms,
                              error::keepalive_interval_out_of_range))
      return ec;
    if (o.probes < l.probes_min || o.probes > l.probes_max)
      return error::keepalive_probes_out_of_range;
  }
  if (o.user_timeout && *o.user_timeout != keepalive_options::no_user_timeout) {
    if (o.user_timeout->count() < 0) return error::keepalive_user_timeout_out_of_range;
    if (auto ec = check_range(*o.user_timeout, l.user_timeout_whole_seconds, 1,
                              l.user_timeout_max_ms, error::keepalive_user_timeout_out_of_range))
      return ec;
  }
  return {};
}

LIVENESS_DECL std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

LIVENESS_DECL error_code parse_duration_field(std::string_view s, ka_ms& out, error range_error) {
  error_code ec;
  const auto d = parse_duration(s, ec, unitless::seconds);
  if (!ec) {
    out = d;
    return {};
  }
  if (ec == sys::errc::result_out_of_range) return range_error;
  return error::invalid_keepalive_spec;
}

LIVENESS_DECL void add_note(keepalive_report& r,
                            std::string note) { r.notes.push_back(std::move(note)); }

LIVENESS_DECL std::string ms_text(ka_ms d) { return std::to_string(d.count()) + " ms"; }

LIVENESS_DECL ka_ms keepalive_bound_with_user_timeout(ka_ms idle, ka_ms interval,
                                                      ka_ms user_timeout) noexcept {
  std::int64_t k = 1;
  if (user_timeout > idle && interval.count() > 0)
    k = (std::max)(std::int64_t(1),
                   ((user_timeout - idle).count() + interval.count() - 1) / interval.count());
  return keepalive_bound(idle, interval, k);
}

LIVENESS_DECL void finish_report(keepalive_report& r) {
  if (r.enabled && r.idle.known() && r.interval.known() && r.probes.known()) {
    const auto by_probes = keepalive_bound(r.idle.value, r.interval.value, r.probes.value);
    r.detection_bound = by_probes;
    if (native_user_timeout_overrides_probes && r.user_timeout.known() &&
        r.user_timeout.value.count() > 0) {
      r.detection_bound =
          keepalive_bound_with_user_timeout(r.idle.value, r.interval.value, r.user_timeout.value);
      if (*r.detection_bound != by_probes)
        add_note(r, "with a user timeout set, Linux ignores the probe count: a silent peer is "
                    "dropped at the first probe after the user timeout, at " +
                        ms_text(*r.detection_bound) + " instead of " + ms_text(by_probes) +
                        " (idle + interval x probes)");
    }
  }
  if (r.user_timeout.known() && r.user_timeout.value.count() > 0)
    r.detection_bound_in_flight = r.user_timeout.value;
  if (r.enabled && !r.detection_bound_in_flight)
    add_note(r,
             "no user timeout is in force: while our data is unacknowledged the kernel sends "
             "no keepalive probes and retransmits until the system's own limit (15-30 min on "
             "Linux)");
}

}  // namespace detail

LIVENESS_DECL keepalive_options keepalive_options::parse(std::string_view spec, error_code& ec) {
  ec = {};
  const auto s = detail::trim(spec);
  if (s == "on") return standard();
  if (s == "off") return disabled();

  std::string_view fields[5];
  std::size_t count = 0;
  std::string_view rest = s;
  for (;;) {
    const auto colon = rest.find(':');
    if (count == 4) {  // a fifth field
      ec = error::invalid_keepalive_spec;
      return standard();
    }
    fields[count++] = detail::trim(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  if (count < 3) {
    ec = error::invalid_keepalive_spec;
    return standard();
  }

  keepalive_options o = standard();
  if (!fields[0].empty() && (ec = detail::parse_duration_field(
                                 fields[0], o.idle, error::keepalive_idle_out_of_range)))
    return standard();
  if (!fields[1].empty() && (ec = detail::parse_duration_field(
                                 fields[1], o.interval, error::keepalive_interval_out_of_range)))
    return standard();
  if (!fields[2].empty()) {
    std::int64_t n = 0;
    const char* first = fields[2].data();
    const char* last = first + fields[2].size();
    auto [p, err] = std::from_chars(first, last, n);
    if (p != last || (err != std::errc() && err != std::errc::result_out_of_range)) {
      ec = error::invalid_keepalive_spec;
      return standard();
    }
    if (err == std::errc::result_out_of_range || n < std::numeric_limits<int>::min() ||
        n > std::numeric_limits<int>::max()) {
      ec = error::keepalive_probes_out_of_range;
      return standard();
    }
    o.probes = static_cast<int>(n);
  }
  if (count == 4 && !fields[3].empty() && fields[3] != "auto") {
    duration timeout{0};
    if (fields[3] == "off") {
      o.user_timeout = no_user_timeout;
    } else if ((ec = detail::parse_duration_field(fields[3], timeout,
                                                  error::keepalive_user_timeout_out_of_range))) {
      return standard();
    } else {
      o.user_timeout = timeout;
    }
  }
  if ((ec = o.validate())) return standard();
  return o;
}

LIVENESS_DECL keepalive_options keepalive_options::parse(std::string_view spec) {
  error_code ec;
  auto o = parse(spec, ec);
  if (ec) throw system_error(ec, "keepalive spec \"" + std::string(spec) + "\"");
  return o;
}

LIVENESS_DECL error_code keepalive_options::validate() const {
  return detail::validate_keepalive(*this, detail::native_keepalive_limits);
}

LIVENESS_DECL keepalive_options::duration keepalive_options::detection_bound() const noexcept {
  return detail::keepalive_bound(idle, interval, probes);
}

LIVENESS_DECL keepalive_options::duration keepalive_options::effective_user_timeout() const
    noexcept {
  return detail::user_timeout_to_apply(user_timeout, enabled, idle, interval, probes);
}

LIVENESS_DECL std::optional<keepalive_report::duration> keepalive_report::worst_case() const {
  if (!detection_bound || !detection_bound_in_flight) return std::nullopt;
  return (std::max)(*detection_bound, *detection_bound_in_flight);
}

LIVENESS_DECL const char* to_string(keepalive_mechanism m) noexcept {
  switch (m) {
    case keepalive_mechanism::disabled:
      return "disabled";
    case keepalive_mechanism::setsockopt:
      return "setsockopt";
    case keepalive_mechanism::sio_keepalive_vals:
      return "SIO_KEEPALIVE_VALS";
    case keepalive_mechanism::unknown:
      return "unknown";
  }
  return "unknown";
}

LIVENESS_DECL const char* to_string(value_source s) noexcept {
  switch (s) {
    case value_source::kernel:
      return "kernel";
    case value_source::requested:
      return "requested";
    case value_source::platform_fixed:
      return "platform fixed";
    case value_source::unsupported:
      return "unsupported";
    case value_source::not_set:
      return "not set";
  }
  return "unknown";
}

LIVENESS_DECL std::string keepalive_report::to_string() const {
  auto value = [](const auto& v, std::string text) {
    return (v.known() ? text + " " : std::string()) + "(" + liveness::to_string(v.source) + ")";
  };
  std::string out;
  out += "mechanism: ";
  out += liveness::to_string(mechanism);
  out += "\nenabled: ";
  out += enabled ? "yes" : "no";
  out += "\nidle: " + value(idle, detail::ms_text(idle.value));
  out += "\ninterval: " + value(interval, detail::ms_text(interval.value));
  out += "\nprobes: " + value(probes, std::to_string(probes.value));
  out += "\nuser timeout: " + value(user_timeout, detail::ms_text(user_timeout.value));
  out += "\ndetection bound (idle): " +
         (detection_bound ? detail::ms_text(*detection_bound) : std::string("none"));
  out += "\ndetection bound (data in flight): " +
         (detection_bound_in_flight ? detail::ms_text(*detection_bound_in_flight)
                                    : std::string("kernel default"));
  for (const auto& n : notes) out += "\nnote: " + n;
  return out;
}

}  // namespace liveness

#endif  // LIVENESS_IMPL_KEEPALIVE_IPP
