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
#include <vector>

namespace liveness {
namespace engine {

/// Held user bytes and message boundaries. What it holds costs its bytes plus 8 bytes per
/// whole message (so that empty or tiny messages cannot escape the limit); `full()` at the
/// limit. Storage is compacted as the application reads, so a reader that keeps up never
/// lets it grow.
class inbox {
 public:
  explicit inbox(std::size_t limit) noexcept : limit_(limit) {}

  /// Appends received user bytes.
  void append(const char* data, std::size_t size) {
    bytes_.insert(bytes_.end(), data, data + size);
    received_total_ += size;
  }

  /// `size` user bytes went to the application without being held (read straight into
  /// its buffer, while nothing was held): counted as received and read, so that the
  /// message boundaries after them stay in place.
  void pass(std::size_t size) noexcept {
    received_total_ += size;
    consumed_total_ += size;
  }

  /// The bytes received so far end a message.
  void end_message() { ends_.push_back(received_total_); }

  /// Bytes held (the application has not read them).
  std::size_t held() const noexcept { return bytes_.size() - pos_; }
  /// The held bytes, `held()` of them.
  const char* data() const noexcept { return bytes_.data() + pos_; }

  /// Whole messages held.
  std::size_t messages_held() const noexcept { return ends_.size() - ends_pos_; }
  /// A whole message is held.
  bool message_ready() const noexcept { return ends_pos_ < ends_.size(); }
  /// The size of the next whole message (only when `message_ready()`).
  std::size_t message_size() const noexcept {
    return static_cast<std::size_t>(ends_[ends_pos_] - consumed_total_);
  }

  /// What is held: bytes plus the bookkeeping of each whole message.
  std::size_t cost() const noexcept {
    return held() + messages_held() * sizeof(std::uint64_t);
  }
  /// The limit is reached: reading should pause.
  bool full() const noexcept { return cost() >= limit_; }
  std::size_t limit() const noexcept { return limit_; }

  /// The application read `n` bytes (byte reads: boundaries passed are forgotten).
  void consume(std::size_t n) {
    advance(n);
    while (message_ready() && ends_[ends_pos_] <= consumed_total_) pop_end();
  }

  /// The application read the next whole message.
  void consume_message() {
    advance(message_size());
    pop_end();
  }

 private:
  void advance(std::size_t n) {
    pos_ += n;
    consumed_total_ += n;
    if (pos_ == bytes_.size()) {
      bytes_.clear();
      pos_ = 0;
    } else if (pos_ > bytes_.size() / 2) {
      bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(pos_));
      pos_ = 0;
    }
  }

  void pop_end() {
    if (++ends_pos_ == ends_.size()) {
      ends_.clear();
      ends_pos_ = 0;
    } else if (ends_pos_ > ends_.size() / 2) {
      // Ends already passed go, so that a reader that keeps up never lets them pile up.
      ends_.erase(ends_.begin(), ends_.begin() + static_cast<std::ptrdiff_t>(ends_pos_));
      ends_pos_ = 0;
    }
  }

  std::size_t limit_;
  std::vector<char> bytes_;
  std::size_t pos_ = 0;
  std::uint64_t received_total_ = 0;  // user bytes appended so far
  std::uint64_t consumed_total_ = 0;  // user bytes read by the application
  std::vector<std::uint64_t> ends_;   // received_total_ at each message end
  std::size_t ends_pos_ = 0;          // ends_[ends_pos_..] are still held
};

}  // namespace engine
}  // namespace liveness

#endif  // LIVENESS_ENGINE_INBOX_HPP
