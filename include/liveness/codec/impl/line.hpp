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

// ---- line_options -------------------------------------------------------------------------

inline error_code line_options::validate() const {
  const auto bad_text = [](const std::string& t) {
    return t.empty() || t.size() > max_text_size || t.find_first_of("\r\n") != std::string::npos;
  };
  if (bad_text(ping) || bad_text(pong) || ping == pong) return error_code(error::codec_invalid_options);
  switch (framing) {
    case line_framing::newline:
      break;
    case line_framing::bare:
      // Otherwise one text could complete inside the other and the stream would be
      // ambiguous.
      if (ping.find(pong) != std::string::npos || pong.find(ping) != std::string::npos)
        return error_code(error::codec_invalid_options);
      break;
    default:
      return error_code(error::codec_invalid_options);
  }
  if (max_line_length < std::max(ping.size(), pong.size()) + 1)
    return error_code(error::codec_invalid_options);
  return {};
}

// ---- line_decoder -------------------------------------------------------------------------

inline line_decoder::line_decoder(line_options options) : opts_(std::move(options)) {
  if (auto ec = opts_.validate())
    throw system_error(ec, "liveness::codec::line_decoder: invalid line_options");
}

inline void line_decoder::new_line() noexcept {
  line_len_ = 0;
  held_ = 0;
  candidate_ = true;
  can_ping_ = true;
  can_pong_ = true;
  cr_ = false;
}

inline void line_decoder::reset() noexcept {
  new_line();
  ec_ = error_code();
}

template <class Handler>
error_code line_decoder::feed(const char* data, std::size_t size, Handler&& handler) {
  if (ec_ || size == 0) return ec_;
  if (opts_.framing == line_framing::bare)
    feed_bare(data, size, handler);
  else
    feed_newline(data, size, handler);
  return ec_;
}

template <class Handler>
error_code line_decoder::finish(Handler&& handler) {
  if (ec_) return ec_;
  if (held_ != 0) {
    if (opts_.framing == line_framing::bare) {
      if (!emit_text_data(text(can_ping_).data(), held_, handler)) return ec_;
    } else {
      emit_held(handler);
    }
  }
  new_line();
  return ec_;
}

// Newline framing: the held bytes are the current line so far, a prefix of the ping and/or
// pong text (whichever `can_*` says), possibly followed by '\r'.
template <class Handler>
void line_decoder::emit_held(Handler& handler) {
  const std::size_t text_size = held_ - (cr_ ? 1 : 0);
  if (text_size != 0) handler.on_data(text(can_ping_).data(), text_size);
  if (cr_) handler.on_data("\r", 1);
}

// Bare framing: user bytes that come from a heartbeat text (held bytes that turned out not
// to be one). Enforces max_line_length; false when it was exceeded.
template <class Handler>
bool line_decoder::emit_text_data(const char* data, std::size_t size, Handler& handler) {
  const std::size_t room = opts_.max_line_length - line_len_;
  if (size > room) {
    if (room != 0) handler.on_data(data, room);
    line_len_ = opts_.max_line_length;
    ec_ = make_error_code(error::frame_too_large);
    return false;
  }
  if (size != 0) handler.on_data(data, size);
  line_len_ += size;  // heartbeat texts contain no '\n'
  return true;
}

template <class Handler>
void line_decoder::feed_newline(const char* data, std::size_t size, Handler& handler) {
  const char* p = data;
  const char* const end = data + size;
  const char* run = nullptr;  // start of the pending run of user bytes in [data, end)
  const std::size_t max = opts_.max_line_length;

  while (p != end) {
    if (candidate_) {
      const char c = *p;
      if (c == '\n') {
        const std::size_t text_size = held_ - (cr_ ? 1 : 0);
        const bool is_ping = held_ != 0 && can_ping_ && text_size == opts_.ping.size();
        const bool is_pong =
            held_ != 0 && !is_ping && can_pong_ && text_size == opts_.pong.size();
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
          if (opts_.accept_crlf) {
            const bool full_ping = can_ping_ && held_ == opts_.ping.size();
            const bool full_pong = can_pong_ && held_ == opts_.pong.size();
            if (full_ping || full_pong) {
              can_ping_ = full_ping;
              can_pong_ = full_pong;
              cr_ = true;
              keep = true;
            }
          }
        } else {
          const bool next_ping =
              can_ping_ && held_ < opts_.ping.size() && opts_.ping[held_] == c;
          const bool next_pong =
              can_pong_ && held_ < opts_.pong.size() && opts_.pong[held_] == c;
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
    const auto* nl =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* const stop = nl != nullptr ? nl : end;
    const auto n = static_cast<std::size_t>(stop - p);
    if (n > max - line_len_) {
      // Deliver the bytes within the limit, then fail on the first excess byte.
      const char* const excess = p + (max - line_len_);
      if (excess > run) handler.on_data(run, static_cast<std::size_t>(excess - run));
      line_len_ = max;
      ec_ = make_error_code(error::frame_too_large);
      return;
    }
    line_len_ += n;
    if (nl != nullptr) {
      p = nl + 1;
      new_line();
      ++lines_ended_;
    } else {
      p = end;
    }
  }
  if (run != nullptr && end > run) handler.on_data(run, static_cast<std::size_t>(end - run));
}

// Bare framing: a scanner that keeps the longest suffix of the stream that is a prefix of
// the ping or pong text (held, `can_ping_` says which text); bytes falling out of it are
// user data. Texts are at most 64 bytes, so a mismatch costs at most 64 * 64 compares.
template <class Handler>
void line_decoder::feed_bare(const char* data, std::size_t size, Handler& handler) {
  const char* p = data;
  const char* const end = data + size;
  const char* run = nullptr;
  const std::string& ping = opts_.ping;
  const std::string& pong = opts_.pong;

  const auto flush_run = [&](const char* upto) {
    if (run != nullptr && upto > run)
      handler.on_data(run, static_cast<std::size_t>(upto - run));
    run = nullptr;
  };
  // *p is a user byte from the input.
  const auto user_byte = [&]() -> bool {
    if (*p == '\n') {
      line_len_ = 0;
    } else if (line_len_ == opts_.max_line_length) {
      flush_run(p);
      ec_ = make_error_code(error::frame_too_large);
      return false;
    } else {
      ++line_len_;
    }
    if (run == nullptr) run = p;
    ++p;
    return true;
  };
  const auto complete = [&]() {
    if (held_ != text(can_ping_).size()) return;
    held_ = 0;
    if (can_ping_)
      handler.on_ping(detail::empty_payload, 0);
    else
      handler.on_pong(detail::empty_payload, 0);
  };

  while (p != end) {
    const char c = *p;
    if (held_ == 0) {
      if (c != ping[0] && c != pong[0]) {
        if (!user_byte()) return;
        continue;
      }
      flush_run(p);
      can_ping_ = c == ping[0];
      held_ = 1;
      ++p;
      complete();
      continue;
    }

    const std::string& held_text = text(can_ping_);  // held bytes == held_text[0, held_)
    const std::string& other = text(!can_ping_);
    if (held_ < held_text.size() && held_text[held_] == c) {
      ++held_;
      ++p;
      complete();
      continue;
    }
    if (held_ < other.size() && other[held_] == c &&
        other.compare(0, held_, held_text, 0, held_) == 0) {
      can_ping_ = !can_ping_;
      ++held_;
      ++p;
      complete();
      continue;
    }

    // Mismatch: drop the fewest leading held bytes (they are user data) so that the rest
    // plus c is again a prefix of a text.
    std::size_t drop = 1;
    bool found = false;
    bool which = true;
    for (; drop <= held_; ++drop) {
      const std::size_t keep = held_ - drop;
      for (const bool w : {true, false}) {
        const std::string& t = text(w);
        if (keep < t.size() && t[keep] == c &&
            t.compare(0, keep, held_text, drop, keep) == 0) {
          found = true;
          which = w;
          break;
        }
      }
      if (found) break;
    }
    if (found) {
      if (!emit_text_data(held_text.data(), drop, handler)) return;
      held_ = held_ - drop + 1;
      can_ping_ = which;
      ++p;
      complete();
      continue;
    }
    // Every held byte is user data, and c starts no text.
    if (!emit_text_data(held_text.data(), held_, handler)) return;
    held_ = 0;
    if (!user_byte()) return;
  }
  flush_run(end);
}

// ---- line_encoder -------------------------------------------------------------------------

inline line_encoder::line_encoder(line_options options) : opts_(std::move(options)) {
  if (auto ec = opts_.validate())
    throw system_error(ec, "liveness::codec::line_encoder: invalid line_options");
  const char* terminator = "";
  if (opts_.framing == line_framing::newline) terminator = opts_.send_crlf ? "\r\n" : "\n";
  ping_ = opts_.ping + terminator;
  pong_ = opts_.pong + terminator;
}

inline void line_encoder::on_data(const char* data, std::size_t size) noexcept {
  if (size == 0 || opts_.framing == line_framing::bare) return;
  at_boundary_ = data[size - 1] == '\n';
}

inline std::size_t line_encoder::chunk_size(const char* data, std::size_t size,
                                            std::size_t max_chunk) const noexcept {
  if (max_chunk == 0) max_chunk = 1;
  if (size <= max_chunk) return size;
  if (opts_.framing == line_framing::newline) {
    for (std::size_t i = max_chunk; i > 0; --i)
      if (data[i - 1] == '\n') return i;
  }
  return max_chunk;
}

}  // namespace codec
}  // namespace liveness

#endif  // LIVENESS_CODEC_IMPL_LINE_HPP
