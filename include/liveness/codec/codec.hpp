//
// liveness/codec/codec.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// What the session asks of a codec (the Codec named requirements, docs/codec.md), and the
// trait that checks them: `codec::is_codec<C>`.
//
#ifndef LIVENESS_CODEC_CODEC_HPP
#define LIVENESS_CODEC_CODEC_HPP

#include <liveness/config.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

namespace liveness {
namespace codec {

/// The frame header an encoder puts before a chunk of user data (empty for codecs that
/// frame user data without one). Held by value: no allocation.
struct chunk_header {
  static constexpr std::size_t capacity = 8;
  std::array<char, capacity> bytes{};
  std::size_t size = 0;
  const char* data() const noexcept { return bytes.data(); }
};

namespace detail {

// A decoder handler that accepts every event, for the requirement checks.
struct any_events {
  void on_data(const char*, std::size_t) {}
  void on_ping(const char*, std::size_t) {}
  void on_pong(const char*, std::size_t) {}
  void on_message_begin() {}
  void on_message_end() {}
};

template <class C, class = void>
struct has_codec_types : std::false_type {};
template <class C>
struct has_codec_types<
    C, std::void_t<typename C::options, typename C::decoder, typename C::encoder,
                   decltype(C::has_messages)>> : std::true_type {};

template <class C, class = void>
struct meets_codec : std::false_type {};
template <class C>
struct meets_codec<
    C,
    std::void_t<
        // options: a standard() preset and validate().
        decltype(C::options::standard()),
        decltype(std::declval<const typename C::options&>().validate()),
        // decoder: constructed from options; feed/finish report events to a handler;
        // where the current line, frame or message stands.
        decltype(typename C::decoder(std::declval<const typename C::options&>())),
        decltype(std::declval<typename C::decoder&>().feed(
            static_cast<const char*>(nullptr), std::size_t{}, std::declval<any_events&>())),
        decltype(std::declval<typename C::decoder&>().finish(std::declval<any_events&>())),
        decltype(bool{std::declval<const typename C::decoder&>().data_completes_unit()}),
        decltype(bool{std::declval<const typename C::decoder&>().mid_unit()}),
        decltype(std::uint64_t{std::declval<const typename C::decoder&>().units_ended()}),
        // encoder: constructed from options; frames user chunks; heartbeats.
        decltype(typename C::encoder(std::declval<const typename C::options&>())),
        decltype(std::size_t{std::declval<typename C::encoder&>().frame_chunk(
            static_cast<const char*>(nullptr), std::size_t{}, std::size_t{}, bool{},
            std::declval<chunk_header&>())}),
        decltype(bool{std::declval<const typename C::encoder&>().heartbeat_allowed()}),
        decltype(std::declval<const typename C::encoder&>().append_heartbeat(
            bool{}, std::declval<std::string&>()))>> : std::true_type {};

}  // namespace detail

/// True when `C` meets the Codec requirements (docs/codec.md): the types `options`,
/// `decoder`, `encoder`, the constant `has_messages`, and the members the session calls.
template <class C>
struct is_codec
    : std::bool_constant<detail::has_codec_types<C>::value && detail::meets_codec<C>::value> {};

template <class C>
inline constexpr bool is_codec_v = is_codec<C>::value;

namespace detail {
template <class C, class = void>
struct has_pong_payload : std::false_type {};
template <class C>
struct has_pong_payload<
    C, std::void_t<decltype(std::declval<const typename C::encoder&>().append_pong_payload(
           static_cast<const char*>(nullptr), std::size_t{}, std::declval<std::string&>()))>>
    : std::true_type {};
}  // namespace detail

/// True when the codec can carry agreement frames (the hello and the "too many pings"
/// notice, docs/session.md): its encoder has the optional member
/// `append_pong_payload(const char* payload, std::size_t size, std::string& out)` (a pong
/// carrying up to 64 payload bytes) and its decoder hands pong payloads to `on_pong`.
/// Among the library's codecs, `codec::length_prefixed`.
template <class C>
inline constexpr bool carries_agreement_v = is_codec_v<C> && detail::has_pong_payload<C>::value;

/// True when the codec carries user messages with boundaries (`async_read_message`,
/// `async_write_message`, the registry's message sends).
template <class C>
inline constexpr bool has_messages_v = is_codec_v<C> && C::has_messages;

}  // namespace codec
}  // namespace liveness

#endif  // LIVENESS_CODEC_CODEC_HPP
