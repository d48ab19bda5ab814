// liveness::diagnose, the pure rule behind session::diagnosis(): every verdict from made-up
// evidence shaped like what Linux, Windows and macOS report (the Linux figures are those
// measured on loopback in private network namespaces: a blackhole while idle or sending, a
// SIGSTOPped peer pinged or probed, a peer whose window is shut). Sans-I/O: no Asio here.
#include <liveness/diagnosis.hpp>

#if defined(ASIO_VERSION) || defined(BOOST_ASIO_VERSION)
#error "liveness/diagnosis.hpp must not include Asio"
#endif

#include "test_support.hpp"

#include <cerrno>
#include <chrono>
#include <string>

namespace diagnosis_rules_test {

using namespace std::chrono_literals;
using liveness::error;
using liveness::tcp_evidence;
using liveness::tcp_state;
using liveness::verdict;

/// A healthy established Linux connection: 30 us RTT, window open, nothing in flight.
inline tcp_evidence linux_idle() {
  tcp_evidence e;
  e.state = tcp_state::established;
  e.last_data_received = 800ms;
  e.last_ack_received = 800ms;
  e.last_data_sent = 800ms;
  e.unacked_segments = 0;
  e.unsent_bytes = 0;
  e.retransmits = 0;
  e.total_retransmits = 0;
  e.probes = 0;
  e.backoff = 0;
  e.rtt = 33us;
  e.rttvar = 18us;
  e.rto = 204000us;
  e.peer_window = 65536;
  return e;
}

inline verdict judge(error reason, const tcp_evidence& e) {
  return liveness::diagnose(reason, e).verdict;
}

TEST_CASE("diagnosis: verdict names", "[diagnosis]") {
  CHECK(std::string(to_string(verdict::peer_unreachable)) == "peer_unreachable");
  CHECK(std::string(to_string(verdict::peer_unresponsive)) == "peer_unresponsive");
  CHECK(std::string(to_string(verdict::peer_not_reading)) == "peer_not_reading");
  CHECK(std::string(to_string(verdict::peer_closed_or_reset)) == "peer_closed_or_reset");
  CHECK(std::string(to_string(verdict::unknown)) == "unknown");
  CHECK(std::string(to_string(static_cast<verdict>(42))) == "unknown");
  CHECK(std::string(to_string(tcp_state::close_wait)) == "close_wait");
  CHECK(std::string(to_string(static_cast<tcp_state>(42))) == "unknown");
}

TEST_CASE("diagnosis: not a death gives unknown whatever the evidence", "[diagnosis]") {
  tcp_evidence e = linux_idle();
  e.retransmits = 5;  // would be peer_unreachable for a timeout
  const auto none = liveness::diagnose(liveness::error_code(), e);
  CHECK(none.verdict == verdict::unknown);
  CHECK(none.basis == "no death reported");
  CHECK(liveness::diagnose(liveness::make_error_code(error::replaced), e).verdict ==
        verdict::unknown);
  CHECK(liveness::diagnose(liveness::error_code(ECANCELED, liveness::sys::generic_category()), e).verdict ==
        verdict::unknown);
  CHECK(judge(error::budget_too_small, e) == verdict::unknown);
}

TEST_CASE("diagnosis: FIN and RST are peer_closed_or_reset with or without evidence",
          "[diagnosis]") {
  CHECK(judge(error::peer_closed, {}) == verdict::peer_closed_or_reset);
  CHECK(judge(error::peer_reset, {}) == verdict::peer_closed_or_reset);
  tcp_evidence e = linux_idle();
  e.state = tcp_state::close_wait;
  e.retransmits = 3;  // the reason wins
  CHECK(judge(error::peer_closed, e) == verdict::peer_closed_or_reset);
  CHECK(liveness::diagnose(make_error_code(error::peer_reset), e).basis.find("RST") !=
        std::string::npos);
}

TEST_CASE("diagnosis: a peer that broke the protocol gives unknown", "[diagnosis]") {
  for (auto r : {error::protocol_error, error::frame_too_large, error::ping_flood}) {
    tcp_evidence e = linux_idle();
    e.retransmits = 2;
    CHECK(judge(r, e) == verdict::unknown);
  }
}

TEST_CASE("diagnosis: unacknowledged data after a retransmission timeout is peer_unreachable",
          "[diagnosis]") {
  // Blackhole while a ping was in flight (measured: unacked 1, retransmits 2 at 0.9 s).
  tcp_evidence e = linux_idle();
  e.unacked_segments = 1;
  e.retransmits = 2;
  e.backoff = 2;
  e.total_retransmits = 3;
  e.last_ack_received = 904ms;
  e.last_data_received = 904ms;
  for (auto r : {error::heartbeat_timeout, error::idle_timeout, error::message_timeout,
                 error::keepalive_timeout}) {
    CHECK(judge(r, e) == verdict::peer_unreachable);
  }
  const auto d = liveness::diagnose(make_error_code(error::heartbeat_timeout), e);
  CHECK(d.basis == "our data went unacknowledged through 2 retransmission timeout(s), last "
                   "ACK 904 ms ago");
  // After the kernel's own user timeout the queue is purged (unacked 0, state closed) but
  // the retransmission count stays.
  e.unacked_segments = 0;
  e.state = tcp_state::closed;
  e.retransmits = 4;
  CHECK(judge(error::keepalive_timeout, e) == verdict::peer_unreachable);
  // Retransmissions beat even a recent-looking ACK after the peer's data.
  e.last_ack_received = 10ms;
  e.last_data_received = 2000ms;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::peer_unreachable);
  // Past retransmissions (total) alone are not evidence of anything now.
  tcp_evidence past = linux_idle();
  past.total_retransmits = 40;
  CHECK(judge(error::heartbeat_timeout, past) == verdict::unknown);
}

TEST_CASE("diagnosis: keepalive probes unanswered are peer_unreachable", "[diagnosis]") {
  // Idle blackhole, keepalive 1 s / 1 s / 2 (measured after ETIMEDOUT: probes 2, closed).
  tcp_evidence e = linux_idle();
  e.probes = 2;
  e.state = tcp_state::closed;
  e.last_ack_received = 3116ms;
  e.last_data_received = 3116ms;
  CHECK(judge(error::keepalive_timeout, e) == verdict::peer_unreachable);
  CHECK(judge(error::heartbeat_timeout, e) == verdict::peer_unreachable);
  // One probe out, no ACK for longer than the RTO (TCP_KEEPCNT 1, or caught between
  // probes).
  e.probes = 1;
  e.state = tcp_state::established;
  e.last_ack_received = 1716ms;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::peer_unreachable);
  // One probe just sent, its answer not due yet: no verdict from it.
  e.last_ack_received = 150ms;
  e.last_data_received = 150ms;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::unknown);
  // The RTO sets how long an answer may take: 1.5 s here, so 1 s of silence proves nothing.
  e.rto = 1500000us;
  e.last_ack_received = 1000ms;
  e.last_data_received = 1000ms;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::unknown);
  e.last_ack_received = 1600ms;
  e.last_data_received = 1600ms;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::peer_unreachable);
  // Without an RTO: rtt + 4 rttvar, at least 200 ms.
  e.rto.reset();
  e.rtt = 100000us;
  e.rttvar = 50000us;  // 300 ms
  e.last_ack_received = 250ms;
  e.last_data_received = 250ms;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::unknown);
  e.last_ack_received = 350ms;
  e.last_data_received = 350ms;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::peer_unreachable);
}

TEST_CASE("diagnosis: a shut window is peer_not_reading", "[diagnosis]") {
  // A peer that stopped reading while we wrote (measured: snd_wnd 0, 4 MB not sent, window
  // probes answered every backoff period, probes 0 or 1 on loopback).
  tcp_evidence e = linux_idle();
  e.peer_window = 0;
  e.unsent_bytes = 4163072;
  e.last_ack_received = 1040ms;
  e.last_data_received = 1508ms;
  e.probes = 1;
  e.backoff = 2;
  for (auto r : {error::heartbeat_timeout, error::idle_timeout, error::message_timeout,
                 error::keepalive_timeout}) {
    CHECK(judge(r, e) == verdict::peer_not_reading);
  }
  CHECK(liveness::diagnose(make_error_code(error::heartbeat_timeout), e).basis ==
        "the peer's receive window is zero with 4163072 bytes of ours waiting, its kernel last "
        "answered 1040 ms ago");
  e.probes = 0;
  e.last_ack_received = 60ms;  // an ACK after its data: still the window decides
  CHECK(judge(error::heartbeat_timeout, e) == verdict::peer_not_reading);
  // The user timeout ended the zero-window connection (Linux 5.11+): closed, window 0.
  e.state = tcp_state::closed;
  CHECK(judge(error::keepalive_timeout, e) == verdict::peer_not_reading);
  // Windows: the window and the bytes in flight, nothing else.
  tcp_evidence w;
  w.state = tcp_state::established;
  w.peer_window = 0;
  w.unacked_bytes = 0;
  w.rtt = 120us;
  CHECK(judge(error::heartbeat_timeout, w) == verdict::peer_not_reading);
}

TEST_CASE("diagnosis: a shut window whose probes go unanswered is peer_unreachable",
          "[diagnosis]") {
  // The peer stopped reading, then its host went (measured: probes 2, 3 ... growing).
  tcp_evidence e = linux_idle();
  e.peer_window = 0;
  e.unsent_bytes = 4163072;
  e.probes = 2;
  e.last_ack_received = 1548ms;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::peer_unreachable);
  CHECK(judge(error::keepalive_timeout, e) == verdict::peer_unreachable);
}

TEST_CASE("diagnosis: keepalive_timeout without contrary evidence is peer_unreachable",
          "[diagnosis]") {
  CHECK(judge(error::keepalive_timeout, {}) == verdict::peer_unreachable);
  tcp_evidence w;  // Windows: state and RTT only
  w.state = tcp_state::closed;
  w.rtt = 200us;
  w.peer_window = 65535;
  w.unacked_bytes = 0;
  CHECK(judge(error::keepalive_timeout, w) == verdict::peer_unreachable);
}

TEST_CASE("diagnosis: ACKs after the peer's last data are peer_unresponsive", "[diagnosis]") {
  // SIGSTOPped peer, pinged every 300 ms (measured: last ACK 200 ms, last data 1456 ms).
  tcp_evidence e = linux_idle();
  e.last_ack_received = 200ms;
  e.last_data_received = 1456ms;
  for (auto r : {error::heartbeat_timeout, error::idle_timeout, error::message_timeout}) {
    CHECK(judge(r, e) == verdict::peer_unresponsive);
  }
  CHECK(liveness::diagnose(make_error_code(error::heartbeat_timeout), e).basis ==
        "the peer's kernel acknowledged 200 ms ago, its process last sent data 1456 ms ago");
  // SIGSTOPped peer, we silent, keepalive probes answered (measured: 492 ms vs 1504 ms).
  e.last_ack_received = 492ms;
  e.last_data_received = 1504ms;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::peer_unresponsive);
  // A ping in flight, not yet retransmitted, while the kernel answered before: still
  // unresponsive (the ping may be answered by the kernel any moment).
  e.unacked_segments = 1;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::peer_unresponsive);
  // The boundary: the ACK must follow the data by max(10 ms, min(250 ms, silence / 4)).
  e.unacked_segments = 0;
  e.last_data_received = 800ms;
  e.last_ack_received = 600ms;  // gap 200 ms = 800 / 4
  CHECK(judge(error::heartbeat_timeout, e) == verdict::peer_unresponsive);
  e.last_ack_received = 601ms;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::unknown);
  e.last_data_received = 30ms;
  e.last_ack_received = 21ms;  // gap 9 ms < 10 ms
  CHECK(judge(error::heartbeat_timeout, e) == verdict::unknown);
  e.last_ack_received = 20ms;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::peer_unresponsive);
  // A delayed ACK just after the peer's last data, then silence (a cable cut on the end
  // that only answers): not enough, however long the silence.
  e.last_data_received = 2000ms;
  e.last_ack_received = 1960ms;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::unknown);
  e.last_data_received = 60000ms;
  e.last_ack_received = 59800ms;  // the longest delayed ACK, 200 ms
  CHECK(judge(error::heartbeat_timeout, e) == verdict::unknown);
  // A long silence needs 250 ms, not a quarter of it (a ping 300 ms into 1.3 s).
  e.last_data_received = 1300ms;
  e.last_ack_received = 1050ms;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::peer_unresponsive);
  e.last_ack_received = 1051ms;
  CHECK(judge(error::heartbeat_timeout, e) == verdict::unknown);
}

TEST_CASE("diagnosis: no evidence either way is unknown, saying what was missing",
          "[diagnosis]") {
  // Both ends silent, no keepalive probe yet: neither kernel was asked anything.
  tcp_evidence e = linux_idle();
  const auto d = liveness::diagnose(make_error_code(error::heartbeat_timeout), e);
  CHECK(d.verdict == verdict::unknown);
  CHECK(d.basis.find("nothing of ours waited") != std::string::npos);
  // No evidence at all (the reader failed, Wine).
  const auto none = liveness::diagnose(make_error_code(error::heartbeat_timeout), {});
  CHECK(none.verdict == verdict::unknown);
  CHECK(none.basis == "no TCP evidence");
  // Windows, window open: no timings to go on.
  tcp_evidence w;
  w.state = tcp_state::established;
  w.peer_window = 65535;
  w.unacked_bytes = 12;
  w.rtt = 120us;
  const auto wd = liveness::diagnose(make_error_code(error::heartbeat_timeout), w);
  CHECK(wd.verdict == verdict::unknown);
  CHECK(wd.basis.find("no ACK timings") != std::string::npos);
}

TEST_CASE("diagnosis: to_string shows verdict reason basis evidence and note",
          "[diagnosis]") {
  tcp_evidence e;
  CHECK(e.empty());
  CHECK(e.to_string().empty());
  e.state = tcp_state::established;
  e.last_ack_received = 200ms;
  e.last_data_received = 1456ms;
  e.unacked_segments = 0;
  e.rtt = 33us;
  e.peer_window = 65536;
  CHECK_FALSE(e.empty());
  CHECK(e.to_string() ==
        "state=established last_data_received=1456ms last_ack_received=200ms "
        "unacked_segments=0 rtt=33us peer_window=65536");
  auto d = liveness::diagnose(make_error_code(error::heartbeat_timeout), e);
  d.note = "a note";
  CHECK(d.to_string() ==
        "peer_unresponsive (heartbeat_timeout): the peer's kernel acknowledged 200 ms ago, its "
        "process last sent data 1456 ms ago [state=established last_data_received=1456ms "
        "last_ack_received=200ms unacked_segments=0 rtt=33us peer_window=65536] (a note)");
  liveness::diagnosis alive;
  CHECK(alive.to_string() == "unknown (not dead)");
}

}  // namespace diagnosis_rules_test
