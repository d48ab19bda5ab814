//
// liveness/detail/keepalive_windows.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Windows keeps two ways to configure keepalive:
//  - setsockopt(IPPROTO_TCP, TCP_KEEPIDLE / TCP_KEEPINTVL) in seconds from Windows 10
//    version 1709 (build 16299), TCP_KEEPCNT (1..255) from 1703 (build 15063); readable
//    with getsockopt;
//  - WSAIoctl(SIO_KEEPALIVE_VALS) everywhere: both times in milliseconds on every call, the
//    probe count fixed at 10, nothing readable afterwards.
// The choice is made at run time from the real build number (RtlGetVersion: GetVersionEx
// lies to unmanifested programs), never from SDK macros, and a refused setsockopt (old
// Windows, Wine) falls back to the ioctl. TCP_MAXRT (seconds) bounds unacknowledged data.
// Accepted sockets do not inherit these settings: set them on each one.
//
#ifndef LIVENESS_DETAIL_KEEPALIVE_WINDOWS_HPP
#define LIVENESS_DETAIL_KEEPALIVE_WINDOWS_HPP

#include <liveness/detail/asio.hpp>
#include <liveness/detail/keepalive_limits.hpp>
#include <liveness/detail/keepalive_time.hpp>
#include <liveness/detail/socket_option.hpp>
#include <liveness/error.hpp>

#include <winsock2.h>
#include <ws2tcpip.h>
#include <mstcpip.h>
#include <windows.h>

#include <chrono>
#include <string>

namespace liveness {
namespace detail {

// Old mingw-w64 headers lack these; the values are fixed by the Windows ABI.
#if defined(TCP_KEEPIDLE)
inline constexpr int win_tcp_keepidle = TCP_KEEPIDLE;
#else
inline constexpr int win_tcp_keepidle = 3;
#endif
#if defined(TCP_KEEPCNT)
inline constexpr int win_tcp_keepcnt = TCP_KEEPCNT;
#else
inline constexpr int win_tcp_keepcnt = 16;
#endif
#if defined(TCP_KEEPINTVL)
inline constexpr int win_tcp_keepintvl = TCP_KEEPINTVL;
#else
inline constexpr int win_tcp_keepintvl = 17;
#endif
#if defined(TCP_MAXRT)
inline constexpr int win_tcp_maxrt = TCP_MAXRT;
#else
inline constexpr int win_tcp_maxrt = 5;
#endif

inline constexpr unsigned long win_build_keepcnt = 15063;     // Windows 10 1703
inline constexpr unsigned long win_build_keepidle = 16299;    // Windows 10 1709
inline constexpr int win_ioctl_probe_count = 10;
// TCP_MAXRT does not change how keepalive counts its probes.
inline constexpr bool native_user_timeout_overrides_probes = false;

/// The real Windows build number (0 if it cannot be had).
inline unsigned long windows_build_number() noexcept {
  using rtl_get_version_fn = LONG(WINAPI*)(PRTL_OSVERSIONINFOW);
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  if (!ntdll) return 0;
  FARPROC proc = ::GetProcAddress(ntdll, "RtlGetVersion");
  if (!proc) return 0;
  auto fn = reinterpret_cast<rtl_get_version_fn>(reinterpret_cast<void*>(proc));
  RTL_OSVERSIONINFOW info{};
  info.dwOSVersionInfoSize = sizeof(info);
  if (fn(&info) != 0) return 0;
  return info.dwBuildNumber;
}

inline bool is_option_refusal(const error_code& ec) {
  return ec == net::error::no_protocol_option || ec == net::error::invalid_argument ||
         ec == net::error::operation_not_supported;
}

/// "10042 (WSAENOPROTOOPT)": Wine's messages for these codes are empty of meaning.
inline std::string win_error_text(const error_code& ec) {
  const char* name = nullptr;
  switch (ec.value()) {
    case 10042: name = "WSAENOPROTOOPT"; break;
    case 10022: name = "WSAEINVAL"; break;
    case 10045: name = "WSAEOPNOTSUPP"; break;
    default: break;
  }
  return std::to_string(ec.value()) + " (" + (name ? std::string(name) : ec.message()) + ")";
}

/// True when running under Wine (its ntdll exports wine_get_version).
inline bool running_under_wine() noexcept {
  HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  return ntdll && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

template <class Socket>
error_code win_set_keepalive_vals(Socket& s, bool on, std::chrono::milliseconds idle,
                                  std::chrono::milliseconds interval) {
  tcp_keepalive vals{};
  vals.onoff = on ? 1 : 0;
  vals.keepalivetime = static_cast<ULONG>(idle.count());
  vals.keepaliveinterval = static_cast<ULONG>(interval.count());
  DWORD returned = 0;
  if (::WSAIoctl(s.native_handle(), SIO_KEEPALIVE_VALS, &vals, sizeof(vals), nullptr, 0,
                 &returned, nullptr, nullptr) != 0)
    return error_code(::WSAGetLastError(), net::error::get_system_category());
  return {};
}

template <class Socket>
void native_apply_keepalive(Socket& s, const keepalive_options& o, keepalive_report& r,
                            error_code& ec) {
  using ms = std::chrono::milliseconds;
  const unsigned long build = windows_build_number();

  if ((ec = set_int_option(s, SOL_SOCKET, SO_KEEPALIVE, o.enabled ? 1 : 0))) {
    if (is_option_refusal(ec)) ec = error::keepalive_not_supported;
    return;
  }

  ms idle{0}, interval{0};
  int probes = 0;
  if (o.enabled) {
    bool use_sockopt = build >= win_build_keepidle;
    if (use_sockopt) {
      const ms idle_rounded = ceil_to_seconds(o.idle);
      const ms interval_rounded = ceil_to_seconds(o.interval);
      const int idle_s = static_cast<int>(idle_rounded.count() / 1000);
      const int interval_s = static_cast<int>(interval_rounded.count() / 1000);
      error_code oec;
      const char* refused = nullptr;
      if ((oec = set_int_option(s, IPPROTO_TCP, win_tcp_keepidle, idle_s)))
        refused = "TCP_KEEPIDLE";
      else if ((oec = set_int_option(s, IPPROTO_TCP, win_tcp_keepintvl, interval_s)))
        refused = "TCP_KEEPINTVL";
      else if ((oec = set_int_option(s, IPPROTO_TCP, win_tcp_keepcnt, o.probes)))
        refused = "TCP_KEEPCNT";
      if (refused && !is_option_refusal(oec)) {
        ec = oec;
        return;
      }
      if (refused) {
        r.notes.push_back(std::string("Windows build ") + std::to_string(build) +
                          " refused setsockopt(" + refused + "), error " +
                          win_error_text(oec) + "; fell back to SIO_KEEPALIVE_VALS");
        use_sockopt = false;
      } else {
        idle = idle_rounded;
        interval = interval_rounded;
        note_rounded_up(r.notes, "idle", o.idle, idle, "TCP_KEEPIDLE counts whole seconds");
        note_rounded_up(r.notes, "interval", o.interval, interval,
                        "TCP_KEEPINTVL counts whole seconds");
        probes = o.probes;
        r.mechanism = keepalive_mechanism::setsockopt;
        r.idle = {idle, value_source::requested};
        r.interval = {interval, value_source::requested};
        r.probes = {probes, value_source::requested};
      }
    }
    if (!use_sockopt) {
      idle = o.idle;
      interval = o.interval;
      probes = win_ioctl_probe_count;
      if ((ec = win_set_keepalive_vals(s, true, idle, interval))) {
        if (is_option_refusal(ec)) ec = error::keepalive_not_supported;
        return;
      }
      r.mechanism = keepalive_mechanism::sio_keepalive_vals;
      r.idle = {idle, value_source::requested};
      r.interval = {interval, value_source::requested};
      r.probes = {probes, value_source::platform_fixed};
      r.notes.push_back("probe count is fixed at 10 with SIO_KEEPALIVE_VALS (Windows build " +
                        std::to_string(build) + ")" +
                        (o.probes != 10 ? "; " + std::to_string(o.probes) +
                                              " were asked, so the bound is idle + 10 x interval"
                                        : std::string()));
      if (running_under_wine())
        r.notes.push_back(
            "running under Wine: it applies SIO_KEEPALIVE_VALS to the host's Linux socket with "
            "idle and interval rounded to whole seconds and the host's probe count (Linux "
            "default 9), so detection comes no later than reported");
      r.notes.push_back(
          "SIO_KEEPALIVE_VALS settings cannot be read back: idle and interval are reported as "
          "set");
    }
    r.enabled = true;
  }

  // Derived from what the kernel really got: rounded times, and the fixed 10 probes of
  // SIO_KEEPALIVE_VALS.
  const ms timeout = user_timeout_to_apply(o.user_timeout, o.enabled, idle, interval, probes);
  const ms timeout_rounded = ceil_to_seconds(timeout);
  const int timeout_s = static_cast<int>(timeout_rounded.count() / 1000);
  note_rounded_up(r.notes, "user timeout", timeout, timeout_rounded,
                  "TCP_MAXRT counts whole seconds");
  // TCP_MAXRT 0 restores the system default.
  if (auto mec = set_int_option(s, IPPROTO_TCP, win_tcp_maxrt, timeout_s)) {
    if (!is_option_refusal(mec)) {
      ec = mec;
      return;
    }
    r.user_timeout.source = value_source::unsupported;
    if (timeout.count() > 0)
      r.notes.push_back("this Windows refused TCP_MAXRT, error " + win_error_text(mec) +
                        ": the time data may stay unacknowledged is the system's own");
    return;
  }
  r.user_timeout = {timeout_rounded, value_source::requested};
}

template <class Socket>
void native_read_keepalive(Socket& s, keepalive_report& r, error_code& ec) {
  using ms = std::chrono::milliseconds;
  int v = 0;
  if ((ec = get_int_option(s, SOL_SOCKET, SO_KEEPALIVE, v))) return;
  // SIO_KEEPALIVE_VALS turns keepalive on without SO_KEEPALIVE always showing it.
  r.enabled = v != 0 || r.mechanism == keepalive_mechanism::sio_keepalive_vals;
  if (!r.enabled) r.mechanism = keepalive_mechanism::disabled;
  if (r.mechanism != keepalive_mechanism::sio_keepalive_vals) {
    // After SIO_KEEPALIVE_VALS, getsockopt would show values rounded down to seconds, or the
    // defaults: keep what was set.
    const bool readable = !get_int_option(s, IPPROTO_TCP, win_tcp_keepidle, v);
    if (readable)
      r.idle = {ms(v * 1000LL), value_source::kernel};
    else if (r.idle.source == value_source::not_set)
      r.idle.source = value_source::unsupported;
    if (!get_int_option(s, IPPROTO_TCP, win_tcp_keepintvl, v))
      r.interval = {ms(v * 1000LL), value_source::kernel};
    else if (r.interval.source == value_source::not_set)
      r.interval.source = value_source::unsupported;
    if (!get_int_option(s, IPPROTO_TCP, win_tcp_keepcnt, v))
      r.probes = {v, value_source::kernel};
    else if (r.probes.source == value_source::not_set)
      r.probes.source = value_source::unsupported;
    if (r.enabled && r.mechanism == keepalive_mechanism::disabled) {
      r.mechanism = readable ? keepalive_mechanism::setsockopt : keepalive_mechanism::unknown;
      if (!readable)
        r.notes.push_back(
            "keepalive is on, but this Windows cannot report its timing (it was set with "
            "SIO_KEEPALIVE_VALS, or the system defaults apply)");
    }
  }
  if (!get_int_option(s, IPPROTO_TCP, win_tcp_maxrt, v))
    r.user_timeout = {ms(v > 0 ? v * 1000LL : 0), value_source::kernel};
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_KEEPALIVE_WINDOWS_HPP
