//
// liveness/codec/impl/line.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_CODEC_IMPL_LINE_HPP
#define LIVENESS_CODEC_IMPL_LINE_HPP

#include <algorithm>
#include <cstring>
#include <utility>

namespace liveness {
namespace codec {
namespace detail {

/// The (empty) payload handed to on_ping/on_pong by codecs without payloads.
inline constexpr char empty_payload[1] = {'\0'};

}  // namespace detail

// ---- line_decoder -------------------------------------------------------------------------

template <class Handler>
error_code line_decoder::feed(const char* data, std::size_t size, Handler&& handler) {
  if (too_large_ || size == 0) return error();
  if (state_->options.framing == line_framing::bare)
    feed_bare(data, size, handler);
  else
    feed_newline(data, size, handler);
  return error();
}

template <class Handler>
error_code line_decoder::finish(Handler&& handler) {
  if (too_large_) return error();
  if (held_ != 0) emit_held(handler);  // newline framing only: bare framing holds nothing
  new_line();
  return error();
}

// Newline framing: the held bytes are the current line so far, a prefix of the ping and/or
// pong text (whichever `can_*` says), possibly followed by '\r'.
template <class Handler>
void line_decoder::emit_held(Handler& handler) {
  const std::size_t text_size = held_ - (cr_ ? 1 : 0);
  if (text_size != 0) handler.on_data(text(can_ping_).data(), text_size);
  if (cr_) handler.on_data("\r", 1);
}

// User bytes [p, end), pending since `run`, up to and including the next '\n', counted
// against max_line_length. Returns where the next line starts, or `end`; nullptr when the
// limit was exceeded: the bytes within it were delivered from `run`, and too_large_ is set.
template <class Handler>
const char* line_decoder::pass_line(const char* p, const char* end, const char* run,
                                    Handler& handler) {
  const std::size_t max = state_->options.max_line_length;
  const auto* nl =
      static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
  const char* const stop = nl != nullptr ? nl : end;
  const auto n = static_cast<std::size_t>(stop - p);
  if (n > max - line_len_) {
    // Deliver the bytes within the limit, then fail on the first excess byte.
    const char* const excess = p + (max - line_len_);
    if (excess > run) handler.on_data(run, static_cast<std::size_t>(excess - run));
    line_len_ = max;
    too_large_ = true;
    return nullptr;
  }
  line_len_ += n;
  if (nl == nullptr) return end;
  new_line();
  ++lines_ended_;
  return nl + 1;
}

template <class Handler>
void line_decoder::feed_newline(const char* data, std::size_t size, Handler& handler) {
  const char* p = data;
  const char* const end = data + size;
  const char* run = nullptr;  // start of the pending run of user bytes in [data, end)

  while (p != end) {
    if (candidate_) {
      const char c = *p;
      if (c == '\n') {
        const std::size_t text_size = held_ - (cr_ ? 1 : 0);
        const bool is_ping = held_ != 0 && can_ping_ && text_size == state_->options.ping.size();
        const bool is_pong =
            held_ != 0 && !is_ping && can_pong_ && text_size == state_->options.pong.size();
        if (is_ping || is_pong) {
          // No run is pending: it was delivered when this line's first byte was held.
          new_line();
          ++lines_ended_;
          ++p;
          if (is_ping)
            handler.on_ping(detail::empty_payload, 0);
          else
            handler.on_pong(detail::empty_payload, 0);
          continue;
        }
        // A user line that looked like a heartbeat up to here (or an empty line).
        if (held_ != 0) {
          emit_held(handler);
          run = p;
        } else if (run == nullptr) {
          run = p;
        }
        new_line();
        ++lines_ended_;
        ++p;
        continue;
      }

      bool keep = false;
      if (!cr_) {
        if (c == '\r') {
          if (state_->options.accept_crlf) {
            const bool full_ping = can_ping_ && held_ == state_->options.ping.size();
            const bool full_pong = can_pong_ && held_ == state_->options.pong.size();
            if (full_ping || full_pong) {
              can_ping_ = full_ping;
              can_pong_ = full_pong;
              cr_ = true;
              keep = true;
            }
          }
        } else {
          const bool next_ping =
              can_ping_ && held_ < state_->options.ping.size() && state_->options.ping[held_] == c;
          const bool next_pong =
              can_pong_ && held_ < state_->options.pong.size() && state_->options.pong[held_] == c;
          if (next_ping || next_pong) {
            can_ping_ = next_ping;
            can_pong_ = next_pong;
            keep = true;
          }
        }
      }
      if (keep) {
        if (held_ == 0 && run != nullptr) {
          handler.on_data(run, static_cast<std::size_t>(p - run));
          run = nullptr;
        }
        ++held_;
        ++line_len_;  // held_ <= max_text_size + 1 <= max_line_length
        ++p;
        continue;
      }

      // Not a heartbeat line: what was held is user data, and so is the rest of the line.
      if (held_ != 0) emit_held(handler);
      candidate_ = false;
      held_ = 0;
      cr_ = false;
      if (run == nullptr) run = p;
      // Fall through: this byte is part of the user line.
    }

    // Inside a user line: everything up to and including the next '\n' passes through.
    if (run == nullptr) run = p;
    p = pass_line(p, end, run, handler);
    if (p == nullptr) return;
  }
  if (run != nullptr && end > run) handler.on_data(run, static_cast<std::size_t>(end - run));
}

// Bare framing: one call is one read. A read that is exactly a sequence of whole texts
// ("OK", "OKOK", "OKMsgtest") is heartbeats; any other read is user data, byte for byte.
template <class Handler>
void line_decoder::feed_bare(const char* data, std::size_t size, Handler& handler) {
  const char* const end = data + size;
  const char* p = data;
  while (p != end) {
    const std::string* t = bare_text_at(p, end);
    if (t == nullptr) break;
    p += t->size();
  }
  if (p == end) {
    for (p = data; p != end;) {
      const bool is_ping = bare_text_at(p, end) == &state_->options.ping;
      p += is_ping ? state_->options.ping.size() : state_->options.pong.size();
      ++lines_ended_;
      if (is_ping)
        handler.on_ping(detail::empty_payload, 0);
      else
        handler.on_pong(detail::empty_payload, 0);
    }
    return;
  }

  // User data. `max_line_length` bounds the bytes between two '\n' (across reads).
  for (p = data; p != end;) {
    p = pass_line(p, end, data, handler);
    if (p == nullptr) return;
  }
  handler.on_data(data, size);
}

}  // namespace codec
}  // namespace liveness

#endif  // LIVENESS_CODEC_IMPL_LINE_HPP
