//
// liveness/impl/session/state_data.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// The session state's data path, defined out of its class (state.hpp): a read decoded in
// place in the application's buffer, and heartbeats sent at once with one non-blocking
// send.
//
#ifndef LIVENESS_IMPL_SESSION_STATE_DATA_HPP
#define LIVENESS_IMPL_SESSION_STATE_DATA_HPP

#include <liveness/impl/session/state.hpp>

namespace liveness {
namespace detail {

template <class Socket, class Policy>
std::size_t session_impl<Socket, Policy>::on_read_in_place(const error_code& ec, std::size_t n,
                                                          net::mutable_buffer b,
                                                          bool& blocked) {
  blocked = false;
  if (over()) return 0;
  if (ec == net::error::would_block || ec == net::error::try_again) {
    blocked = true;
    return 0;
  }
  if (ec == net::error::operation_aborted) return 0;
  const auto now = clock::now();
  if (ec == net::error::eof) {
    apply(engine_.on_eof(now));
    return 0;
  }
  if (ec) {
    const error_code reason = classify(ec);
    apply(reason == error::peer_closed ? engine_.on_eof(now)
                                       : engine_.on_transport_error(now, reason));
    return 0;
  }
  std::size_t delivered = 0;
  apply(engine_.on_received_in_place(now, static_cast<char*>(b.data()), n, delivered));
  return delivered;
}

template <class Socket, class Policy>
void session_impl<Socket, Policy>::flush_heartbeats() {
  // A socket: the frames (a few bytes) go with one non-blocking send, done at once, as a
  // server's own ping loop would send them: no write operation, no completion to run.
  // The rest of what the kernel did not take waits with async_write. (Twice at most:
  // the write done may ask for a heartbeat that was held back meanwhile.)
  for (int round = 0; round < 2; ++round) {
    auto frames = engine_.take_heartbeats();
    if (frames.empty()) return;
    std::size_t at_once = 0;
    if constexpr (direct_io) {
      error_code ec;
      at_once = write_at_once(net::buffer(frames.data(), frames.size()), ec);
      if (ec) return act(engine_.on_write_failed(clock::now(), classify(ec)));
      if (at_once == frames.size()) {
        act(engine_.on_heartbeats_written(clock::now(), at_once));
        if (over()) return;
        continue;
      }
    }
    // What the kernel did not take waits in the write's handler (the session keeps no
    // buffer for heartbeats): on the heap, so that it stays put while the handler moves.
    frames.erase(0, at_once);
    auto rest = std::make_unique<std::string>(std::move(frames));
    const auto out = net::buffer(rest->data(), rest->size());
    net::async_write(socket_, out,
                     [self = this->shared_from_this(), at_once, rest = std::move(rest)](
                         error_code ec, std::size_t n) {
                       const auto now = clock::now();
                       self->apply(ec ? self->engine_.on_write_failed(now, classify(ec))
                                      : self->engine_.on_heartbeats_written(now, at_once + n));
                     });
    return;
  }
}

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_IMPL_SESSION_STATE_DATA_HPP
