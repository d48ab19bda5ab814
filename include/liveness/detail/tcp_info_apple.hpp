//
// liveness/detail/tcp_info_apple.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// macOS: getsockopt(IPPROTO_TCP, TCP_CONNECTION_INFO), struct tcp_connection_info of
// <netinet/tcp.h> (macOS 10.11+). Written from the header's documented fields and NOT
// compiled in this project's CI (no macOS machine): treat as untested. It has the state
// (BSD numbering), RTO, smoothed RTT and its variation (ms), the peer's window, the bytes
// in the send buffer and the retransmitted packets; no ACK timings, no probe count.
//
#ifndef LIVENESS_DETAIL_TCP_INFO_APPLE_HPP
#define LIVENESS_DETAIL_TCP_INFO_APPLE_HPP

#include <liveness/diagnosis.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

namespace liveness {
namespace detail {

inline std::optional<tcp_state> bsd_tcp_state(unsigned s) noexcept {
  // TCPS_CLOSED 0, LISTEN 1, SYN_SENT 2, SYN_RECEIVED 3, ESTABLISHED 4, CLOSE_WAIT 5,
  // FIN_WAIT_1 6, CLOSING 7, LAST_ACK 8, FIN_WAIT_2 9, TIME_WAIT 10 (<netinet/tcp_fsm.h>).
  constexpr tcp_state map[] = {tcp_state::closed,      tcp_state::listen,
                               tcp_state::syn_sent,    tcp_state::syn_received,
                               tcp_state::established, tcp_state::close_wait,
                               tcp_state::fin_wait_1,  tcp_state::closing,
                               tcp_state::last_ack,    tcp_state::fin_wait_2,
                               tcp_state::time_wait};
  if (s < sizeof map / sizeof map[0]) return map[s];
  return std::nullopt;
}

inline tcp_evidence read_tcp_evidence(int fd, std::string& note) {
  using std::chrono::milliseconds;
  tcp_evidence e;
  tcp_connection_info info;
  std::memset(&info, 0, sizeof info);
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_CONNECTION_INFO, &info, &len) != 0) {
    note = std::string("getsockopt(TCP_CONNECTION_INFO) failed: ") + std::strerror(errno);
    return e;
  }
  e.state = bsd_tcp_state(info.tcpi_state);
  e.rto = milliseconds(info.tcpi_rto);
  e.rtt = milliseconds(info.tcpi_srtt);
  e.rttvar = milliseconds(info.tcpi_rttvar);
  e.peer_window = info.tcpi_snd_wnd;
  e.unsent_bytes = info.tcpi_snd_sbbytes;
  e.total_retransmits = static_cast<std::uint32_t>(info.tcpi_txretransmitpackets);
  note = "macOS reports no ACK timings and no retransmission or probe count (untested reader)";
  return e;
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_TCP_INFO_APPLE_HPP
