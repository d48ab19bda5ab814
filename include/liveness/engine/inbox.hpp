//
// liveness/engine/inbox.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// engine::inbox: the user bytes a session has received and the application not yet read,
// with the message boundaries among them, bounded together. Sans-I/O: no Asio include.
//
#ifndef LIVENESS_ENGINE_INBOX_HPP
#define LIVENESS_ENGINE_INBOX_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace liveness {
namespace engine {

/// Held user bytes and message boundaries. What it holds costs its bytes plus 8 bytes per
/// whole message (so that empty or tiny messages cannot escape the limit); `full()` at the
/// limit. Storage is compacted as the application reads, so a reader that keeps up never
/// lets it grow.
///
/// Memory: an inbox that has never held anything is two words (a session whose user bytes
/// all go straight into the application's buffer, or that receives only heartbeats, pays
/// nothing more). Its storage is allocated when it first holds something, and given back
/// when it empties if it grew past `kept_capacity` (a burst that filled a large buffer does
/// not keep it for the rest of the connection); a smaller one is kept for the next bytes.
class inbox {
 public:
  /// Storage up to this many bytes is kept when the inbox empties; more is freed.
  static constexpr std::size_t kept_capacity = 4096;

  explicit inbox(std::size_t limit) noexcept : limit_(limit) {}

  /// Appends received user bytes.
  void append(const char* data, std::size_t size) {
    if (size == 0) return;
    store& s = storage();
    s.bytes.insert(s.bytes.end(), data, data + size);
    s.received_total += size;
  }

  /// `size` user bytes went to the application without being held (read straight into
  /// its buffer, while nothing was held): counted as received and read, so that the
  /// message boundaries after them stay in place. (With no storage nothing is held, and
  /// no boundary depends on the counts.)
  void pass(std::size_t size) noexcept {
    if (!s_) return;
    s_->received_total += size;
    s_->consumed_total += size;
  }

  /// The bytes received so far end a message.
  void end_message() {
    store& s = storage();
    s.ends.push_back(s.received_total);
  }

  /// Bytes held (the application has not read them).
  std::size_t held() const noexcept { return s_ ? s_->bytes.size() - s_->pos : 0; }
  /// The held bytes, `held()` of them (null when none is).
  const char* data() const noexcept { return s_ ? s_->bytes.data() + s_->pos : nullptr; }

  /// Whole messages held.
  std::size_t messages_held() const noexcept { return s_ ? s_->ends.size() - s_->ends_pos : 0; }
  /// A whole message is held.
  bool message_ready() const noexcept { return s_ && s_->ends_pos < s_->ends.size(); }
  /// The size of the next whole message (only when `message_ready()`).
  std::size_t message_size() const noexcept {
    return static_cast<std::size_t>(s_->ends[s_->ends_pos] - s_->consumed_total);
  }

  /// What is held: bytes plus the bookkeeping of each whole message.
  std::size_t cost() const noexcept {
    return held() + messages_held() * sizeof(std::uint64_t);
  }
  /// The limit is reached: reading should pause.
  bool full() const noexcept { return cost() >= limit_; }
  std::size_t limit() const noexcept { return limit_; }

  /// The bytes of storage allocated now (the inbox's own block and its buffers' capacity):
  /// what `kept_capacity` bounds once the inbox is empty.
  std::size_t allocated() const noexcept {
    return s_ ? sizeof(store) + s_->bytes.capacity() +
                    s_->ends.capacity() * sizeof(std::uint64_t)
              : 0;
  }

  /// The application read `n` bytes (byte reads: boundaries passed are forgotten).
  void consume(std::size_t n) {
    if (!s_) return;
    advance(n);
    while (message_ready() && s_->ends[s_->ends_pos] <= s_->consumed_total) pop_end();
    trim();
  }

  /// Drops everything held and frees the storage (nothing will be read any more).
  void discard() noexcept { s_.reset(); }

  /// The application read the next whole message.
  void consume_message() {
    advance(message_size());
    pop_end();
    trim();
  }

 private:
  struct store {
    std::vector<char> bytes;
    std::size_t pos = 0;
    std::uint64_t received_total = 0;  // user bytes appended (or passed) so far
    std::uint64_t consumed_total = 0;  // user bytes read by the application
    std::vector<std::uint64_t> ends;   // received_total at each message end
    std::size_t ends_pos = 0;          // ends[ends_pos..] are still held
  };

  store& storage() {
    if (!s_) s_ = std::make_unique<store>();
    return *s_;
  }

  void advance(std::size_t n) {
    store& s = *s_;
    s.pos += n;
    s.consumed_total += n;
    if (s.pos == s.bytes.size()) {
      s.bytes.clear();
      s.pos = 0;
    } else if (s.pos > s.bytes.size() / 2) {
      s.bytes.erase(s.bytes.begin(), s.bytes.begin() + static_cast<std::ptrdiff_t>(s.pos));
      s.pos = 0;
    }
  }

  void pop_end() {
    store& s = *s_;
    if (++s.ends_pos == s.ends.size()) {
      s.ends.clear();
      s.ends_pos = 0;
    } else if (s.ends_pos > s.ends.size() / 2) {
      // Ends already passed go, so that a reader that keeps up never lets them pile up.
      s.ends.erase(s.ends.begin(), s.ends.begin() + static_cast<std::ptrdiff_t>(s.ends_pos));
      s.ends_pos = 0;
    }
  }

  // Empty: storage grown past kept_capacity goes (nothing held, so no count matters).
  void trim() noexcept {
    if (s_ && held() == 0 && !message_ready() && allocated() > kept_capacity) s_.reset();
  }

  std::size_t limit_;
  std::unique_ptr<store> s_;  // null until something is held
};

}  // namespace engine
}  // namespace liveness

#endif  // LIVENESS_ENGINE_INBOX_HPP
