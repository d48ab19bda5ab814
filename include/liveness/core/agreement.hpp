//
// liveness/core/agreement.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Two ends that agree on their heartbeat: the payloads of the hello and of the "too many
// pings" notice. Sans-I/O: bytes in, values out.
//
// Both travel as the payload of a pong (a codec that can carry a pong payload: today
// `codec::length_prefixed`), so that an end that knows nothing of them (liveness 0.2, or
// any peer that follows docs/codec.md) takes them for an ordinary pong: proof of life, an
// unasked pong, or the answer to its ping. Payload layout (integers big-endian):
//
//   hello (17 bytes; a longer one is read up to here, so later versions can append):
//     0  'L' 'V' 'H' 0x01          tag and version
//     4  u32 interval ms           this end pings after this much silence
//     8  u32 timeout ms            and waits this long for the answer
//    12  u32 min_ping_interval ms  it cuts off pings that come faster (0: accepts any)
//    16  u8  flags                 bit 0: this end sends pings
//   too many pings (4 bytes):
//     0  'L' 'V' 'T' 0x01
//
// Durations are whole milliseconds, rounded up; 0xFFFFFFFF means "49.7 days or more"
// (read back as `duration::max()`, never). A payload that does not match either is an
// ordinary pong payload.
//
#ifndef LIVENESS_CORE_AGREEMENT_HPP
#define LIVENESS_CORE_AGREEMENT_HPP

#include <liveness/config.hpp>
#include <liveness/core/clock.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace liveness {
namespace core {

/// What an end announces in its hello: its heartbeat expectations.
struct hello_values {
  /// It pings after this much silence (its `ping_pong_options::interval`).
  duration interval = duration::zero();
  /// It waits this long for the answer (its `timeout`).
  duration timeout = duration::zero();
  /// Pings that come faster than this are strikes there (zero: it accepts any rate).
  duration min_ping_interval = duration::zero();
  /// It sends pings at all (by its `pinger` and its role).
  bool pings = false;
};

/// The kinds of agreement payload.
enum class agreement_kind : std::uint8_t {
  /// Not an agreement payload: an ordinary pong.
  none,
  /// A hello (`hello_values`).
  hello,
  /// "Too many pings": the sender will cut us off with `error::ping_flood` if we keep
  /// pinging this fast.
  too_many_pings,
};

/// A parsed pong payload.
struct agreement_frame {
  agreement_kind kind = agreement_kind::none;
  hello_values hello;  // kind == hello
};

/// Sizes of the payloads (both well within a pong's 64 bytes).
constexpr std::size_t hello_payload_size = 17;
constexpr std::size_t too_many_pings_payload_size = 4;

/// A payload, held by value.
struct agreement_payload {
  std::array<char, hello_payload_size> bytes{};
  std::size_t size = 0;
  const char* data() const noexcept { return bytes.data(); }
};

/// The hello payload announcing `v`.
agreement_payload encode_hello(const hello_values& v) noexcept;

/// The "too many pings" payload.
agreement_payload encode_too_many_pings() noexcept;

/// What the pong payload at `data` (`size` bytes) carries: `agreement_kind::none` for
/// anything that is not one of the two payloads above (never an error).
agreement_frame parse_agreement(const char* data, std::size_t size) noexcept;

}  // namespace core
}  // namespace liveness

#include <liveness/core/impl/agreement.hpp>
#if defined(LIVENESS_HEADER_ONLY)
#include <liveness/core/impl/agreement.ipp>
#endif

#endif  // LIVENESS_CORE_AGREEMENT_HPP
