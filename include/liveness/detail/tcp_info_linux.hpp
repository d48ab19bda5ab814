//
// liveness/detail/tcp_info_linux.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Linux: getsockopt(IPPROTO_TCP, TCP_INFO). glibc's struct tcp_info (<netinet/tcp.h>) stops
// at tcpi_total_retrans; the kernel's (<linux/tcp.h>, which cannot be included next to
// glibc's) goes on with tcpi_notsent_bytes and, in later kernels, tcpi_snd_wnd (the peer's
// window). The fields after glibc's are mirrored here from the kernel's ABI (fields are
// only ever appended); the kernel copies min(our size, its size) and returns the length,
// so a field is used only when the returned length covers it.
//
#ifndef LIVENESS_DETAIL_TCP_INFO_LINUX_HPP
#define LIVENESS_DETAIL_TCP_INFO_LINUX_HPP

#include <liveness/diagnosis.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace liveness {
namespace detail {

/// glibc's struct tcp_info followed by the kernel's later fields (uapi <linux/tcp.h>).
struct linux_tcp_info {
  ::tcp_info base;
  std::uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
  std::uint32_t segs_out, segs_in, notsent_bytes, min_rtt, data_segs_in, data_segs_out;
  std::uint64_t delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
  std::uint32_t delivered, delivered_ce;
  std::uint64_t bytes_sent, bytes_retrans;
  std::uint32_t dsack_dups, reord_seen, rcv_ooopack, snd_wnd;
};
// The kernel's offsets (uapi struct tcp_info): glibc's part is 104 bytes.
static_assert(offsetof(linux_tcp_info, pacing_rate) == 104, "tcp_info layout");
static_assert(offsetof(linux_tcp_info, notsent_bytes) == 144, "tcp_info layout");
static_assert(offsetof(linux_tcp_info, snd_wnd) == 228, "tcp_info layout");

inline std::optional<tcp_state> linux_tcp_state(unsigned s) noexcept {
  switch (s) {
    case 1: return tcp_state::established;
    case 2: return tcp_state::syn_sent;
    case 3: return tcp_state::syn_received;
    case 4: return tcp_state::fin_wait_1;
    case 5: return tcp_state::fin_wait_2;
    case 6: return tcp_state::time_wait;
    case 7: return tcp_state::closed;
    case 8: return tcp_state::close_wait;
    case 9: return tcp_state::last_ack;
    case 10: return tcp_state::listen;
    case 11: return tcp_state::closing;
    default: return std::nullopt;
  }
}

/// The kernel's view of the connection on `fd`; on failure, empty evidence and `note` says
/// why.
inline tcp_evidence read_tcp_evidence(int fd, std::string& note) {
  using std::chrono::microseconds;
  using std::chrono::milliseconds;
  tcp_evidence e;
  linux_tcp_info info;
  std::memset(&info, 0, sizeof info);
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) {
    note = std::string("getsockopt(TCP_INFO) failed: ") + std::strerror(errno);
    return e;
  }
  const auto has = [len](std::size_t offset, std::size_t size) {
    return static_cast<std::size_t>(len) >= offset + size;
  };
  if (!has(offsetof(::tcp_info, tcpi_total_retrans), sizeof(std::uint32_t))) {
    note = "TCP_INFO returned " + std::to_string(len) + " bytes only";
    return e;
  }
  const ::tcp_info& t = info.base;
  e.state = linux_tcp_state(t.tcpi_state);
  e.last_data_received = milliseconds(t.tcpi_last_data_recv);
  e.last_ack_received = milliseconds(t.tcpi_last_ack_recv);
  e.last_data_sent = milliseconds(t.tcpi_last_data_sent);
  e.unacked_segments = t.tcpi_unacked;
  e.retransmits = t.tcpi_retransmits;
  e.total_retransmits = t.tcpi_total_retrans;
  e.probes = t.tcpi_probes;
  e.backoff = t.tcpi_backoff;
  e.rtt = microseconds(t.tcpi_rtt);
  e.rttvar = microseconds(t.tcpi_rttvar);
  e.rto = microseconds(t.tcpi_rto);
  if (has(offsetof(linux_tcp_info, notsent_bytes), sizeof(std::uint32_t))) {
    e.unsent_bytes = info.notsent_bytes;
  }
  if (has(offsetof(linux_tcp_info, snd_wnd), sizeof(std::uint32_t))) {
    e.peer_window = info.snd_wnd;
  } else {
    note = "this kernel's TCP_INFO has no tcpi_snd_wnd: a shut window cannot be seen";
  }
  return e;
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_TCP_INFO_LINUX_HPP
