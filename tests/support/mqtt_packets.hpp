// MQTT 3.1.1 control packets built by hand, for the codec::mqtt tests (tests/unit) and the
// real-broker tests (tests/mqtt). Sans-I/O: no Asio.
#ifndef LIVENESS_TESTS_SUPPORT_MQTT_PACKETS_HPP
#define LIVENESS_TESTS_SUPPORT_MQTT_PACKETS_HPP

#include <liveness/codec/mqtt.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace liveness_test {
namespace mqtt {

const std::string pingreq("\xC0\x00", 2);
const std::string pingresp("\xD0\x00", 2);
/// CONNACK, session not present, connection accepted.
const std::string connack_accepted("\x20\x02\x00\x00", 4);

/// The remaining-length bytes of `n`.
inline std::string varint(std::uint32_t n) {
  char b[4];
  const std::size_t k = liveness::codec::mqtt_encoder::put_remaining_length(n, b);
  if (k == 0) throw std::invalid_argument("MQTT remaining length over 268435455");
  return std::string(b, k);
}

/// A packet: type-and-flags byte, remaining length, `body`.
inline std::string packet(unsigned char type, const std::string& body) {
  return std::string(1, static_cast<char>(type)) +
         varint(static_cast<std::uint32_t>(body.size())) + body;
}

/// A UTF-8 string field: two length bytes, the bytes.
inline std::string field(const std::string& s) {
  return std::string{static_cast<char>(s.size() >> 8), static_cast<char>(s.size() & 0xFF)} + s;
}

/// CONNECT, protocol level 4 (3.1.1), clean session, keep-alive `keep_alive_s` seconds.
inline std::string connect(const std::string& client_id, std::uint16_t keep_alive_s) {
  std::string body = field("MQTT");
  body.push_back('\x04');  // protocol level: 3.1.1
  body.push_back('\x02');  // clean session
  body.push_back(static_cast<char>(keep_alive_s >> 8));
  body.push_back(static_cast<char>(keep_alive_s & 0xFF));
  body += field(client_id);
  return packet(0x10, body);
}

/// SUBSCRIBE to `topic` at QoS 0, packet identifier `id`.
inline std::string subscribe(std::uint16_t id, const std::string& topic) {
  std::string body{static_cast<char>(id >> 8), static_cast<char>(id & 0xFF)};
  body += field(topic);
  body.push_back('\x00');
  return packet(0x82, body);
}

/// SUBACK for packet identifier `id`, one topic granted QoS 0.
inline std::string suback(std::uint16_t id) {
  return packet(0x90, std::string{static_cast<char>(id >> 8), static_cast<char>(id & 0xFF), '\0'});
}

/// A QoS 0 PUBLISH of `payload` to `topic`.
inline std::string publish(const std::string& topic, const std::string& payload) {
  return packet(0x30, field(topic) + payload);
}

}  // namespace mqtt
}  // namespace liveness_test

#endif  // LIVENESS_TESTS_SUPPORT_MQTT_PACKETS_HPP
