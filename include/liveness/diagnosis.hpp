//
// liveness/diagnosis.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Why a peer died, as far as the kernel can tell: a verdict (unreachable, unresponsive,
// not reading, closed or reset, unknown) from the death reason and the kernel's view of the
// TCP connection at the moment of death (Linux TCP_INFO, Windows SIO_TCP_INFO, macOS
// TCP_CONNECTION_INFO). `session::diagnosis()` reads the evidence; `diagnose()` is the
// pure rule, sans-I/O (this header includes no Asio), so that it can be tested with made-up
// evidence. docs/diagnosis.md explains each verdict and where it can be wrong.
//
#ifndef LIVENESS_DIAGNOSIS_HPP
#define LIVENESS_DIAGNOSIS_HPP

#include <liveness/config.hpp>
#include <liveness/error.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace liveness {

/// What the death of a peer most likely was.
enum class verdict {
  /// Our data or probes went unacknowledged: the host is down, the cable pulled, a NAT or
  /// firewall dropped the flow.
  peer_unreachable,
  /// The peer's kernel acknowledges our bytes or probes, its process says nothing (hung,
  /// stopped, deadlocked, busy).
  peer_unresponsive,
  /// The peer's receive window stays shut: its process does not read.
  peer_not_reading,
  /// The peer's TCP ended the connection: FIN (graceful close) or RST (crash, reboot,
  /// refused write).
  peer_closed_or_reset,
  /// Not enough evidence, or not a death (see `diagnosis::basis`).
  unknown,
};

/// "peer_unreachable", "peer_unresponsive", "peer_not_reading", "peer_closed_or_reset",
/// "unknown".
constexpr const char* to_string(verdict v) noexcept {
  return v == verdict::peer_unreachable       ? "peer_unreachable"
         : v == verdict::peer_unresponsive    ? "peer_unresponsive"
         : v == verdict::peer_not_reading     ? "peer_not_reading"
         : v == verdict::peer_closed_or_reset ? "peer_closed_or_reset"
                                              : "unknown";
}

/// The TCP state of the connection (RFC 793 names; each platform's numbering is mapped).
enum class tcp_state {
  closed,
  listen,
  syn_sent,
  syn_received,
  established,
  fin_wait_1,
  fin_wait_2,
  close_wait,
  closing,
  last_ack,
  time_wait,
};

/// "established", "close_wait", ... ("unknown" for a value not listed).
const char* to_string(tcp_state s) noexcept;

/// What the kernel said about the connection when the peer was declared dead. Every field
/// is optional: each platform reports a different subset (docs/diagnosis.md has the table),
/// and a field is empty when the platform does not report it.
struct tcp_evidence {
  /// Time since the peer's last data arrived (Linux tcpi_last_data_recv).
  std::optional<std::chrono::milliseconds> last_data_received;
  /// Time since the last ACK from the peer's kernel was processed (Linux
  /// tcpi_last_ack_recv): ACKs of our data, of keepalive and zero-window probes.
  std::optional<std::chrono::milliseconds> last_ack_received;
  /// Time since we last sent data (Linux tcpi_last_data_sent; retransmissions count).
  std::optional<std::chrono::milliseconds> last_data_sent;
  /// Our segments sent and not yet acknowledged (Linux tcpi_unacked).
  std::optional<std::uint32_t> unacked_segments;
  /// Our bytes sent and not yet acknowledged (Windows BytesInFlight).
  std::optional<std::uint64_t> unacked_bytes;
  /// Our bytes queued and not yet sent (Linux tcpi_notsent_bytes; macOS: every byte in the
  /// send buffer, sent or not, tcpi_snd_sbbytes).
  std::optional<std::uint64_t> unsent_bytes;
  /// Retransmission timeouts in a row for the oldest unacknowledged data, reset when the
  /// peer acknowledges it (Linux tcpi_retransmits).
  std::optional<std::uint32_t> retransmits;
  /// Segments retransmitted over the connection's life (Linux tcpi_total_retrans, macOS
  /// tcpi_txretransmitpackets).
  std::optional<std::uint32_t> total_retransmits;
  /// Probes sent and not answered yet: keepalive probes, or zero-window probes while the
  /// peer's window is shut; an answer resets the count (Linux tcpi_probes).
  std::optional<std::uint32_t> probes;
  /// Exponential backoff of the retransmission or zero-window probe timer (Linux
  /// tcpi_backoff).
  std::optional<std::uint32_t> backoff;
  /// Smoothed round-trip time and its variation (Linux tcpi_rtt / tcpi_rttvar, Windows
  /// RttUs, macOS tcpi_srtt / tcpi_rttvar).
  std::optional<std::chrono::microseconds> rtt;
  std::optional<std::chrono::microseconds> rttvar;
  /// The current retransmission timeout (Linux tcpi_rto, macOS tcpi_rto).
  std::optional<std::chrono::microseconds> rto;
  /// The peer's receive window as last advertised, in bytes (Linux tcpi_snd_wnd where the
  /// kernel reports it, Windows SndWnd, macOS tcpi_snd_wnd). Zero: the peer's buffer is
  /// full.
  std::optional<std::uint64_t> peer_window;
  /// The connection's TCP state (closed once the kernel itself gave up).
  std::optional<tcp_state> state;

  /// True when no field is set.
  bool empty() const noexcept;
  /// The fields that are set, "name=value" separated by spaces ("" when empty), for
  /// example "state=established last_data_received=812ms unacked_segments=1
  /// retransmits=2 rtt=41us".
  std::string to_string() const;
};

/// A verdict on a peer's death, with the reason, the evidence it rests on, the rule that
/// decided, and what the platform could not tell.
struct diagnosis {
  /// The verdict; `verdict::unknown` for a session that is not dead.
  liveness::verdict verdict = liveness::verdict::unknown;
  /// The death reason the session reported (`session::reason()`); empty when not dead.
  error_code reason;
  /// What the kernel said at the moment of death (empty fields: not reported).
  tcp_evidence evidence;
  /// The rule that gave the verdict, in words, with the figures it used (see `diagnose`).
  std::string basis;
  /// What is missing and why, when it is: the platform has no such report (Windows before
  /// 10 1703, Wine), the call failed, the session is not dead. Empty otherwise.
  std::string note;

  /// One line: "peer_unreachable (heartbeat_timeout): <basis> [<evidence>] (<note>)".
  std::string to_string() const;
};

/// The verdict for a death `reason` and the kernel's `evidence`; sans-I/O, pure. Sets
/// `verdict`, `reason`, `evidence` and `basis`; `note` is left empty. The rules, first
/// match wins (docs/diagnosis.md explains them):
///
///  1. `reason` is not a dead-peer reason (empty, `operation_aborted`, a registry
///     decision) -> unknown.
///  2. `peer_closed`, `peer_reset` -> peer_closed_or_reset.
///  3. `protocol_error`, `frame_too_large`, `ping_flood` -> unknown: the peer was
///     reachable and sending; it broke the protocol.
///  For the timeouts (`heartbeat_timeout`, `idle_timeout`, `message_timeout`,
///  `keepalive_timeout`):
///  4. `retransmits` >= 1: our oldest data went unacknowledged through a retransmission
///     timeout -> peer_unreachable.
///  5. `probes` >= 2, or `probes` == 1 with the window open and no ACK for at least a
///     retransmission timeout (`rto`, else rtt + 4 rttvar, at least 200 ms): keepalive or
///     window probes unanswered -> peer_unreachable.
///  6. `peer_window` == 0: the peer's kernel keeps advertising a full buffer (its ACKs to
///     our window probes say so) -> peer_not_reading.
///  7. `keepalive_timeout`: the kernel itself gave up (probes or retransmissions
///     unanswered, or the network said unreachable), even without evidence ->
///     peer_unreachable.
///  8. an ACK from the peer's kernel arrived after its last data by more than a delayed
///     ACK could explain (`last_data_received - last_ack_received >= max(10 ms, min(250 ms,
///     last_data_received / 4))`), with nothing retransmitted or probed in vain ->
///     peer_unresponsive.
///  9. otherwise -> unknown (nothing of ours waited for the peer's kernel, or the platform
///     reports no timings).
diagnosis diagnose(const error_code& reason, const tcp_evidence& evidence);

}  // namespace liveness

#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/impl/diagnosis.ipp>
#endif

#endif  // LIVENESS_DIAGNOSIS_HPP
