//
// liveness/impl/accept.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
#ifndef LIVENESS_IMPL_ACCEPT_HPP
#define LIVENESS_IMPL_ACCEPT_HPP

#include <liveness/detail/asio.hpp>
#include <liveness/detail/composed_op.hpp>

#include <cerrno>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace liveness {

namespace detail {

/// The executor of the next accepted socket: the acceptor's (`void`), or a callable's.
template <class Acceptor, class NextExecutor>
struct accept_socket_executor {
  using type = std::decay_t<std::invoke_result_t<NextExecutor&>>;
};
template <class Acceptor>
struct accept_socket_executor<Acceptor, void> {
  using type = typename Acceptor::executor_type;
};

struct no_next_executor {};

/// True when `Acceptor` can take a connection without waiting (Asio's acceptors; not a test
/// double with `async_accept` alone): `non_blocking`, `accept(socket, peer, ec)` and the
/// `enable_connection_aborted` option. Not on Windows: there Asio accepts through IOCP
/// (AcceptEx), and draining has been measured and tested on the POSIX reactors only.
template <class Acceptor, class Socket, class Endpoint, class = void>
struct can_drain : std::false_type {};
#if !defined(_WIN32)
template <class Acceptor, class Socket, class Endpoint>
struct can_drain<
    Acceptor, Socket, Endpoint,
    std::void_t<decltype(std::declval<Acceptor&>().non_blocking()),
                decltype(std::declval<Acceptor&>().non_blocking(true,
                                                                std::declval<error_code&>())),
                decltype(std::declval<Acceptor&>().accept(std::declval<Socket&>(),
                                                          std::declval<Endpoint&>(),
                                                          std::declval<error_code&>())),
                decltype(std::declval<Acceptor&>().set_option(
                    net::socket_base::enable_connection_aborted(true),
                    std::declval<error_code&>()))>> : std::true_type {};
#endif

/// The allocator of the loop's own accept operation when the completion handler has none
/// of its own: plain operator new. Asio's default recycles a completed operation's memory
/// (about 540 bytes for an accept) for the next operation the thread starts, which here is
/// the first one the new connection's handler starts: an operation a session keeps
/// pending for its whole life (its background wait) would hold the accept's block.
template <class T>
struct accept_allocator {
  using value_type = T;
  accept_allocator() noexcept = default;
  template <class U>
  accept_allocator(const accept_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p); }
  friend bool operator==(const accept_allocator&, const accept_allocator&) noexcept {
    return true;
  }
  friend bool operator!=(const accept_allocator&, const accept_allocator&) noexcept {
    return false;
  }
};

/// The loop's composed operation as the handler of one accept: the same executor and
/// cancellation slot, always a continuation of the loop, memory from `accept_allocator`.
template <class Self>
struct accept_step {
  Self self;

  using executor_type = decltype(std::declval<const Self&>().get_executor());
  executor_type get_executor() const noexcept { return self.get_executor(); }
  using cancellation_slot_type = net::associated_cancellation_slot_t<Self>;
  cancellation_slot_type get_cancellation_slot() const noexcept {
    return net::get_associated_cancellation_slot(self);
  }
  using allocator_type = accept_allocator<void>;
  allocator_type get_allocator() const noexcept { return {}; }
  friend bool asio_handler_is_continuation(accept_step*) { return true; }

  template <class Socket>
  void operator()(error_code ec, Socket&& socket) {
    self(ec, std::forward<Socket>(socket));
  }
};

template <class Acceptor, class SocketHandler, class EventHandler, class NextExecutor = void>
class accept_loop_op {
 public:
  using executor_type = typename Acceptor::executor_type;
  using socket_type = typename Acceptor::protocol_type::socket::template rebind_executor<
      typename accept_socket_executor<Acceptor, NextExecutor>::type>::other;
  using next_executor_type =
      std::conditional_t<std::is_void_v<NextExecutor>, no_next_executor, NextExecutor>;
  using endpoint_type = typename Acceptor::endpoint_type;
  using socket_executor_type = typename accept_socket_executor<Acceptor, NextExecutor>::type;
  using timer_type =
      net::basic_waitable_timer<core::clock_type, net::wait_traits<core::clock_type>,
                                executor_type>;

  accept_loop_op(Acceptor& acceptor, const accept_options& options, SocketHandler on_socket,
                 EventHandler on_event, next_executor_type next_executor = {})
      : acceptor_(&acceptor),
        next_executor_(std::move(next_executor)),
        options_(options),
        on_socket_(std::move(on_socket)),
        on_event_(std::move(on_event)),
        // Held by pointer: the operation moves from step to step, a pending wait must not.
        timer_(std::make_unique<timer_type>(acceptor.get_executor())),
        peer_(std::make_unique<endpoint_type>()) {}

  /// Start, or the posted completion of a loop that could not start.
  template <class Self>
  void operator()(Self& self) {
    if (starting_) {
      starting_ = false;
      self.reset_cancellation_state(net::enable_total_cancellation());
      result_ = options_.validate();
      if (!result_ && !acceptor_->is_open()) result_ = net::error::bad_descriptor;
      if (result_) {
        // Never complete inline: the handler runs as if posted.
        const auto ex = acceptor_->get_executor();
        net::post(ex, std::move(self));
        return;
      }
      begin_draining();
      accept(self);
      return;
    }
    self.complete(result_);
  }

  /// An accept completed: hand it over, then take what else waits in the accept queue.
  template <class Self>
  void operator()(Self& self, error_code ec, socket_type socket) {
    if (!on_accepted(self, ec, std::move(socket))) return;
    drain(self);
  }

  /// A pause ended.
  template <class Self>
  void operator()(Self& self, error_code) {
    // The timer is ours: only the loop's cancellation ends its wait early.
    if (paused_) ++retries_;
    next(self);
  }

 private:
  /// The most connections taken from the accept queue without waiting, after one accept
  /// completed: then the loop goes back to `async_accept`, so that the other handlers of
  /// the executor run between batches (a burst of 18,000 connects is not served as one
  /// long handler).
  static constexpr int drain_batch = 64;

  /// One accept's result. True: accept again at once; false: the loop completed or waits
  /// out a pause (`self` has moved on).
  template <class Self>
  bool on_accepted(Self& self, error_code ec, socket_type&& socket) {
    const auto now = core::clock_type::now();
    if (!ec) {
      failures_ = 0;
      if (paused_) {
        paused_ = false;
        accept_event e;
        e.kind = accept_event_kind::resumed;
        e.error = episode_error_;
        e.pause = now - episode_start_;
        e.retries = retries_;
        on_event_(static_cast<const accept_event&>(e));
      }
      // The peer's address as accept() returned it: unlike a later remote_endpoint(), it
      // is there even when the peer has already reset the connection.
      if constexpr (std::is_invocable_v<SocketHandler&, socket_type, const endpoint_type&>)
        on_socket_(std::move(socket), static_cast<const endpoint_type&>(*peer_));
      else
        on_socket_(std::move(socket));
      if (ended(self)) {
        finish(self, net::error::operation_aborted);
        return false;
      }
      return true;
    }
    if (ec == net::error::operation_aborted || cancelled(self)) {
      finish(self, net::error::operation_aborted);
      return false;
    }
    if (ec == net::error::bad_descriptor || ec == net::error::invalid_argument) {
      finish(self, ec);
      return false;
    }
    // A connection reset while it waited in the queue: nothing was accepted. Asio's accept
    // retries these itself unless `enable_connection_aborted` is set, which the loop sets
    // while it drains (see `begin_draining`): the same silent retry here.
    if (is_connection_aborted(ec)) return true;
    if (failures_ < UINT32_MAX) ++failures_;
    const core::duration pause = options_.pause(failures_);
    if (is_accept_resource_error(ec)) {
      if (!paused_) {
        paused_ = true;
        episode_error_ = ec;
        episode_start_ = now;
        retries_ = 0;
        on_event_(static_cast<const accept_event&>(
            accept_event{accept_event_kind::paused, ec, pause, 0}));
      }
    } else {
      on_event_(static_cast<const accept_event&>(
          accept_event{accept_event_kind::failed, ec, pause, 0}));
    }
    if (ended(self)) {
      finish(self, net::error::operation_aborted);
      return false;
    }
    timer_->expires_after(pause);
    timer_->async_wait(std::move(self));
    return false;
  }

  static bool is_connection_aborted(const error_code& ec) noexcept {
#if defined(EPROTO)
    if (ec == error_code(EPROTO, net::error::get_system_category())) return true;
#endif
    return ec == net::error::connection_aborted;
  }

  /// After one accept completed, the connections already waiting in the accept queue are
  /// taken with non-blocking accept() calls, at most `drain_batch`, instead of one
  /// `async_accept` (a trip through the reactor and the scheduler) each: what a burst of
  /// reconnecting clients needs. Each is handed over exactly as an asynchronous accept's
  /// (same order, same events, same checks for cancellation and a closed acceptor).
  template <class Self>
  void drain(Self& self) {
    if constexpr (can_drain<Acceptor, socket_type, endpoint_type>::value) {
      for (int i = 0; draining_ && i < drain_batch; ++i) {
        socket_type socket(socket_executor());
        error_code ec;
        acceptor_->accept(socket, *peer_, ec);
        if (ec == net::error::would_block || ec == net::error::try_again) {
          // The queue is empty. The executor chosen for this attempt goes to the next
          // accept: `next_executor()` is called once per accepted socket (and failure),
          // so that a round robin over threads stays one.
          keep_executor(socket.get_executor());
          break;
        }
        if (!on_accepted(self, ec, std::move(socket))) return;
      }
    }
    accept(self);
  }

  /// Non-blocking mode and `enable_connection_aborted` on the acceptor while the loop
  /// runs (a blocking accept() must never wait here, and Asio's would wait on a
  /// connection reset in the queue without the second); restored by `finish`. Without
  /// them (a test double, or the acceptor refuses), the loop only uses `async_accept`.
  void begin_draining() {
    if constexpr (can_drain<Acceptor, socket_type, endpoint_type>::value) {
      error_code ec;
      saved_non_blocking_ = acceptor_->non_blocking();
      net::socket_base::enable_connection_aborted aborted;
      acceptor_->get_option(aborted, ec);
      if (ec) return;
      saved_connection_aborted_ = aborted.value();
      if (!saved_non_blocking_) acceptor_->non_blocking(true, ec);
      if (ec) return;
      if (!saved_connection_aborted_) {
        acceptor_->set_option(net::socket_base::enable_connection_aborted(true), ec);
      }
      if (ec) {
        if (!saved_non_blocking_) acceptor_->non_blocking(false, ec);
        return;
      }
      draining_ = true;
    }
  }

  /// Completes the loop, the acceptor's modes as they were before it.
  template <class Self>
  void finish(Self& self, error_code result) {
    if constexpr (can_drain<Acceptor, socket_type, endpoint_type>::value) {
      if (draining_ && acceptor_->is_open()) {
        error_code ignored;
        if (!saved_connection_aborted_) {
          acceptor_->set_option(net::socket_base::enable_connection_aborted(false), ignored);
        }
        if (!saved_non_blocking_) acceptor_->non_blocking(false, ignored);
      }
      draining_ = false;
    }
    self.complete(result);
  }

  /// The executor of the next accepted socket: the acceptor's, or `next_executor()`'s (or
  /// the one an attempt that found no connection kept).
  auto socket_executor() {
    if constexpr (std::is_void_v<NextExecutor>) {
      return acceptor_->get_executor();
    } else {
      if (kept_executor_) {
        auto ex = std::move(*kept_executor_);
        kept_executor_.reset();
        return ex;
      }
      return next_executor_();
    }
  }

  template <class Executor>
  void keep_executor(Executor&& ex) {
    if constexpr (!std::is_void_v<NextExecutor>) kept_executor_.emplace(std::forward<Executor>(ex));
  }

  /// Cancelled, or the acceptor closed (by a handler, or while the loop paused).
  template <class Self>
  bool ended(Self& self) const {
    return cancelled(self) || !acceptor_->is_open();
  }

  template <class Self>
  void next(Self& self) {
    if (ended(self)) return finish(self, net::error::operation_aborted);
    accept(self);
  }

  template <class Self>
  void accept(Self& self) {
    // Everything the accept needs is taken from this operation before it moves.
    endpoint_type& peer = *peer_;
    if constexpr (std::is_void_v<NextExecutor>) {
      accept_with(*acceptor_, peer, self);
    } else {
      accept_with(*acceptor_, peer, self, socket_executor());
    }
  }

  template <class Self, class... Executor>
  static void accept_with(Acceptor& acceptor, endpoint_type& peer, Self& self,
                          Executor&&... ex) {
    if constexpr (std::is_same_v<net::associated_allocator_t<Self>, std::allocator<void>>) {
      acceptor.async_accept(std::forward<Executor>(ex)..., peer,
                            accept_step<Self>{std::move(self)});
    } else {
      acceptor.async_accept(std::forward<Executor>(ex)..., peer, std::move(self));
    }
  }

  Acceptor* acceptor_;
  next_executor_type next_executor_;
  accept_options options_;
  SocketHandler on_socket_;
  EventHandler on_event_;
  std::unique_ptr<timer_type> timer_;
  std::unique_ptr<endpoint_type> peer_;  // written by the pending accept: a stable address
  bool starting_ = true;
  error_code result_;
  std::uint32_t failures_ = 0;  // failed accepts in a row
  bool paused_ = false;         // inside a resource episode
  error_code episode_error_;
  core::time_point episode_start_{};
  std::uint64_t retries_ = 0;
  bool draining_ = false;  // non-blocking accepts after each completion (begin_draining)
  bool saved_non_blocking_ = false;
  bool saved_connection_aborted_ = false;
  std::optional<socket_executor_type> kept_executor_;  // async_accept_loop_on only
};

}  // namespace detail

template <class Acceptor, class SocketHandler, class EventHandler, class CompletionToken>
auto async_accept_loop(Acceptor& acceptor, const accept_options& options,
                       SocketHandler on_socket, EventHandler on_event,
                       CompletionToken&& token) {
  using op = detail::accept_loop_op<Acceptor, std::decay_t<SocketHandler>,
                                    std::decay_t<EventHandler>>;
  return net::async_compose<CompletionToken, void(error_code)>(
      op(acceptor, options, std::move(on_socket), std::move(on_event)), token, acceptor);
}

template <class Acceptor, class NextExecutor, class SocketHandler, class EventHandler,
          class CompletionToken>
auto async_accept_loop_on(Acceptor& acceptor, const accept_options& options,
                          NextExecutor next_executor, SocketHandler on_socket,
                          EventHandler on_event, CompletionToken&& token) {
  using op = detail::accept_loop_op<Acceptor, std::decay_t<SocketHandler>,
                                    std::decay_t<EventHandler>, std::decay_t<NextExecutor>>;
  return net::async_compose<CompletionToken, void(error_code)>(
      op(acceptor, options, std::move(on_socket), std::move(on_event), std::move(next_executor)),
      token, acceptor);
}

}  // namespace liveness

#endif  // LIVENESS_IMPL_ACCEPT_HPP
