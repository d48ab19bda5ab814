//
// liveness/impl/diagnosis.ipp
//
// The non-template code of <liveness/diagnosis.hpp>: included by that header when
// header-only, compiled once by <liveness/src.hpp> with LIVENESS_SEPARATE_COMPILATION.
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_DIAGNOSIS_IPP
#define LIVENESS_IMPL_DIAGNOSIS_IPP

#include <liveness/diagnosis.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace liveness {

LIVENESS_DECL const char* to_string(tcp_state s) noexcept {
  switch (s) {
    case tcp_state::closed: return "closed";
    case tcp_state::listen: return "listen";
    case tcp_state::syn_sent: return "syn_sent";
    case tcp_state::syn_received: return "syn_received";
    case tcp_state::established: return "established";
    case tcp_state::fin_wait_1: return "fin_wait_1";
    case tcp_state::fin_wait_2: return "fin_wait_2";
    case tcp_state::close_wait: return "close_wait";
    case tcp_state::closing: return "closing";
    case tcp_state::last_ack: return "last_ack";
    case tcp_state::time_wait: return "time_wait";
  }
  return "unknown";
}

LIVENESS_DECL bool tcp_evidence::empty() const noexcept {
  return !last_data_received && !last_ack_received && !last_data_sent && !unacked_segments &&
         !unacked_bytes && !unsent_bytes && !retransmits && !total_retransmits && !probes &&
         !backoff && !rtt && !rttvar && !rto && !peer_window && !state;
}

namespace detail {

inline std::string evidence_value(std::uint64_t v) { return std::to_string(v); }
inline std::string evidence_value(std::chrono::milliseconds v) {
  return std::to_string(v.count()) + "ms";
}
inline std::string evidence_value(std::chrono::microseconds v) {
  return std::to_string(v.count()) + "us";
}

template <class T>
void append_field(std::string& out, const char* name, const std::optional<T>& v) {
  if (!v) return;
  if (!out.empty()) out += ' ';
  out += name;
  out += '=';
  out += evidence_value(*v);
}

inline std::string evidence_ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

}  // namespace detail

LIVENESS_DECL std::string tcp_evidence::to_string() const {
  std::string s;
  if (state) s = std::string("state=") + liveness::to_string(*state);
  detail::append_field(s, "last_data_received", last_data_received);
  detail::append_field(s, "last_ack_received", last_ack_received);
  detail::append_field(s, "last_data_sent", last_data_sent);
  detail::append_field(s, "unacked_segments", unacked_segments);
  detail::append_field(s, "unacked_bytes", unacked_bytes);
  detail::append_field(s, "unsent_bytes", unsent_bytes);
  detail::append_field(s, "retransmits", retransmits);
  detail::append_field(s, "total_retransmits", total_retransmits);
  detail::append_field(s, "probes", probes);
  detail::append_field(s, "backoff", backoff);
  detail::append_field(s, "rtt", rtt);
  detail::append_field(s, "rttvar", rttvar);
  detail::append_field(s, "rto", rto);
  detail::append_field(s, "peer_window", peer_window);
  return s;
}

LIVENESS_DECL std::string diagnosis::to_string() const {
  std::string s = liveness::to_string(verdict);
  s += " (";
  s += reason ? error_name(reason) : std::string("not dead");
  s += ')';
  if (!basis.empty()) s += ": " + basis;
  const std::string e = evidence.to_string();
  if (!e.empty()) s += " [" + e + "]";
  if (!note.empty()) s += " (" + note + ")";
  return s;
}

LIVENESS_DECL diagnosis diagnose(const error_code& reason, const tcp_evidence& evidence) {
  using std::chrono::milliseconds;
  diagnosis d;
  d.reason = reason;
  d.evidence = evidence;
  const tcp_evidence& e = evidence;
  auto decide = [&](liveness::verdict v, std::string why) {
    d.verdict = v;
    d.basis = std::move(why);
    return d;
  };

  // 1-3: the reason alone.
  if (!is_dead_peer_reason(reason)) {
    return decide(verdict::unknown, reason ? "not a death of the peer" : "no death reported");
  }
  if (reason == error::peer_closed) {
    return decide(verdict::peer_closed_or_reset, "the peer's TCP closed the connection (FIN)");
  }
  if (reason == error::peer_reset) {
    return decide(verdict::peer_closed_or_reset, "the peer's TCP reset the connection (RST)");
  }
  if (reason == error::protocol_error || reason == error::frame_too_large ||
      reason == error::ping_flood) {
    return decide(verdict::unknown,
                  "the peer was reachable and sending; it broke the protocol");
  }

  // 4: retransmission timeouts for our oldest data.
  if (e.retransmits && *e.retransmits >= 1) {
    std::string why = "our data went unacknowledged through " +
                      std::to_string(*e.retransmits) + " retransmission timeout(s)";
    if (e.last_ack_received) why += ", last ACK " + detail::evidence_ms_text(*e.last_ack_received) + " ago";
    return decide(verdict::peer_unreachable, std::move(why));
  }

  // 5: probes unanswered. One probe counts only once its answer is overdue, and not while
  // the window is shut (a window probe is counted when sent; its answer may come first).
  const bool window_shut = e.peer_window && *e.peer_window == 0;
  milliseconds overdue{200};
  if (e.rto) {
    overdue = std::max(overdue, std::chrono::duration_cast<milliseconds>(*e.rto));
  } else if (e.rtt) {
    const auto var = e.rttvar ? *e.rttvar : std::chrono::microseconds(0);
    overdue = std::max(overdue, std::chrono::duration_cast<milliseconds>(*e.rtt + 4 * var));
  }
  if (e.probes && (*e.probes >= 2 || (*e.probes == 1 && !window_shut && e.last_ack_received &&
                                      *e.last_ack_received >= overdue))) {
    std::string why = std::to_string(*e.probes) + " probe(s) unanswered";
    if (e.last_ack_received) why += ", last ACK " + detail::evidence_ms_text(*e.last_ack_received) + " ago";
    return decide(verdict::peer_unreachable, std::move(why));
  }

  // 6: the peer's window stays shut.
  if (window_shut) {
    std::string why = "the peer's receive window is zero";
    const std::uint64_t waiting = (e.unsent_bytes ? *e.unsent_bytes : 0) +
                                  (e.unacked_bytes ? *e.unacked_bytes : 0);
    if (waiting > 0) why += " with " + std::to_string(waiting) + " bytes of ours waiting";
    if (e.last_ack_received) {
      why += ", its kernel last answered " + detail::evidence_ms_text(*e.last_ack_received) + " ago";
    }
    return decide(verdict::peer_not_reading, std::move(why));
  }

  // 7: the kernel gave up.
  if (reason == error::keepalive_timeout) {
    return decide(verdict::peer_unreachable,
                  "the kernel timed the connection out (keepalive probes or retransmissions "
                  "unanswered, or the network reported the peer unreachable)");
  }

  // 8: the peer's kernel answered after its process went silent.
  if (e.last_data_received && e.last_ack_received &&
      *e.last_ack_received < *e.last_data_received) {
    const milliseconds gap = *e.last_data_received - *e.last_ack_received;
    // More than a delayed ACK (at most 200 ms on Linux and Windows) or, for a short
    // silence, a quarter of it.
    const milliseconds needed =
        std::max(milliseconds(10), std::min(milliseconds(250), *e.last_data_received / 4));
    if (gap >= needed) {
      return decide(verdict::peer_unresponsive,
                    "the peer's kernel acknowledged " + detail::evidence_ms_text(*e.last_ack_received) +
                        " ago, its process last sent data " +
                        detail::evidence_ms_text(*e.last_data_received) + " ago");
    }
  }

  // 9.
  if (e.empty()) return decide(verdict::unknown, "no TCP evidence");
  if (!e.last_data_received || !e.last_ack_received) {
    return decide(verdict::unknown,
                  "no retransmission, probe or shut window, and no ACK timings on this "
                  "platform");
  }
  return decide(verdict::unknown,
                "nothing of ours waited for the peer's kernel: no retransmission, no probe, "
                "no ACK after the peer's last data");
}

}  // namespace liveness

#endif  // LIVENESS_IMPL_DIAGNOSIS_IPP
