//
// liveness/detail/tcp_info_windows.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Windows: WSAIoctl(SIO_TCP_INFO) with version 0 (Windows 10 1703 and later): TCP_INFO_v0.
// mingw-w64 declares the structure only for NTDDI_VERSION >= NTDDI_WIN10_RS2, so its layout
// (fixed by the Windows ABI, natural alignment) is mirrored here, and the ioctl code defined
// when missing. Older Windows and Wine refuse the ioctl: the evidence is then empty and the
// note says so. TCP_INFO_v0 has the state, the RTT, the bytes in flight and the peer's
// window, but no ACK timings and no count of the current retransmissions or probes.
//
#ifndef LIVENESS_DETAIL_TCP_INFO_WINDOWS_HPP
#define LIVENESS_DETAIL_TCP_INFO_WINDOWS_HPP

#include <liveness/detail/asio.hpp>
#include <liveness/diagnosis.hpp>

#include <winsock2.h>
#include <ws2tcpip.h>
#include <mstcpip.h>
#include <windows.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace liveness {
namespace detail {

/// TCP_INFO_v0 (mstcpip.h), field for field.
struct win_tcp_info_v0 {
  int State;  // TCPSTATE: closed, listen, syn_sent, syn_rcvd, established, fin_wait_1,
              // fin_wait_2, close_wait, closing, last_ack, time_wait
  ULONG Mss;
  ULONG64 ConnectionTimeMs;
  BOOLEAN TimestampsEnabled;
  ULONG RttUs;
  ULONG MinRttUs;
  ULONG BytesInFlight;
  ULONG Cwnd;
  ULONG SndWnd;
  ULONG RcvWnd;
  ULONG RcvBuf;
  ULONG64 BytesOut;
  ULONG64 BytesIn;
  ULONG BytesReordered;
  ULONG BytesRetrans;
  ULONG FastRetrans;
  ULONG DupAcksIn;
  ULONG TimeoutEpisodes;
  UCHAR SynRetrans;
};

#if defined(SIO_TCP_INFO)
inline constexpr DWORD win_sio_tcp_info = SIO_TCP_INFO;
#else
inline constexpr DWORD win_sio_tcp_info = 0xD8000027;  // _WSAIORW(IOC_VENDOR, 39)
#endif

inline tcp_evidence read_tcp_evidence(SOCKET s, std::string& note) {
  tcp_evidence e;
  DWORD version = 0;
  win_tcp_info_v0 info{};
  DWORD returned = 0;
  if (::WSAIoctl(s, win_sio_tcp_info, &version, sizeof version, &info, sizeof info, &returned,
                 nullptr, nullptr) != 0) {
    note = "WSAIoctl(SIO_TCP_INFO) refused (error " + std::to_string(::WSAGetLastError()) +
           "): Windows before 10 1703, or Wine; no TCP evidence";
    return e;
  }
  if (returned < sizeof info) {
    note = "SIO_TCP_INFO returned " + std::to_string(returned) + " bytes only";
    return e;
  }
  if (info.State >= 0 && info.State <= static_cast<int>(tcp_state::time_wait)) {
    e.state = static_cast<tcp_state>(info.State);  // same order as liveness::tcp_state
  }
  e.rtt = std::chrono::microseconds(info.RttUs);
  e.unacked_bytes = info.BytesInFlight;
  e.peer_window = info.SndWnd;
  note = "Windows reports no ACK timings and no retransmission or probe count";
  return e;
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_TCP_INFO_WINDOWS_HPP
