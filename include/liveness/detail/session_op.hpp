//
// liveness/detail/session_op.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// A session operation without async_compose: one node, allocated once through the
// handler's associated allocator, that holds the handler, the operation's state machine
// (which does not depend on the handler) and, only when the handler's executor is not the
// session's, outstanding work on it. Asio's reactive operations and Beast's saved_handler
// are the model. The node is what a parked list holds while the operation waits, so that
// parking allocates nothing more; the session keeps its own executor busy while an
// operation is parked and none of its own reads is pending (session_impl::keep_busy).
//
// The state machines (impl/session/read.hpp, write.hpp, wait_dead.hpp) are compiled once
// per session type and buffer type (one type for any single buffer); per handler type only
// this thin shell is compiled: store, post, invoke. With the handler's default allocator,
// the Asio operations the shell starts (its steps posted, its socket reads and writes, its
// result dispatched to another executor) are the session's members
// (impl/session/state_ops.hpp), compiled with the session too.
//
#ifndef LIVENESS_DETAIL_SESSION_OP_HPP
#define LIVENESS_DETAIL_SESSION_OP_HPP

#include <liveness/config.hpp>
#include <liveness/detail/asio.hpp>
#include <liveness/detail/parked_op.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace liveness {
namespace detail {

/// Which parked list of its session an operation waits on (0: none).
enum class park_list : unsigned char { none, dead, read, write };

/// What a session's state machines see of their operation, whatever its handler.
template <class Impl>
class session_op : public parked_op<typename Impl::executor_type> {
 public:
  using executor_type = typename Impl::executor_type;

  /// The session; only valid while the operation runs on a live session (never null
  /// once the operation has passed its first step: a moved-from session's operations
  /// complete there).
  Impl& impl() const noexcept { return *impl_; }
  /// The operation's cancellation slot was emitted with a type it accepts.
  bool cancelled() const noexcept { return cancelled_ != net::cancellation_type::none; }

  /// Runs the operation's next step (on the session's executor): its first, after a wake-up,
  /// or with the result of its socket read or write.
  virtual void step(error_code ec, std::size_t n) = 0;
  /// Frees the operation, then calls its handler with (`ec`, `n`) (`n` is dropped for a
  /// void(error_code) signature) on the handler's associated executor; a read or write
  /// stops being counted by the session after the handler has run.
  virtual void complete(error_code ec, std::size_t n) = 0;
  /// Frees the operation and calls its handler here (on the handler's executor).
  virtual void invoke(error_code ec, std::size_t n) = 0;
  /// The socket reads into `b` for this operation; its next step gets the result.
  /// Cancellation of the operation goes to that read.
  virtual void socket_read(net::mutable_buffer b) = 0;
  /// async_write of `b` for this operation (not cancellable: a half-written frame would
  /// corrupt the stream); its next step gets the result.
  virtual void socket_write(const std::array<net::const_buffer, 2>& b) = 0;
  /// The same for a frame of any number of pieces (async_write_message).
  virtual void socket_write(const std::vector<net::const_buffer>& b) = 0;
  /// The cancellation slot of the socket read in progress (empty when the handler's slot
  /// is not connected): the read's step handler asks for it when the read starts.
  virtual net::cancellation_slot read_slot() noexcept = 0;

  /// The cancellation slot's handler: records an accepted type; a parked operation is
  /// taken out of its list and goes on (from the session's executor).
  void on_cancel(net::cancellation_type t) {
    t = t & allowed_;
    if (t == net::cancellation_type::none) return;
    cancelled_ = cancelled_ | t;
    if (parked_ != park_list::none) {
      impl_->unpark(*this);
      return;
    }
    forward_cancel(t);
  }

  park_list parked() const noexcept { return parked_; }

  /// Takes the counting of a user read or write away from `invoke` (which would end it
  /// where the handler runs): -1, or what the caller must end, on the session's executor.
  signed char release_user_op() noexcept {
    return std::exchange(user_op_, static_cast<signed char>(-1));
  }
  void set_parked(park_list l) noexcept { parked_ = l; }

 protected:
  session_op(Impl* impl, net::cancellation_type allowed, signed char user_op) noexcept
      : impl_(impl), allowed_(allowed), user_op_(user_op) {}
  ~session_op() = default;

  virtual void forward_cancel(net::cancellation_type t) = 0;

  /// A read (0) or write (1) is counted by the session from its initiation.
  void begin_user_op() {
    if (impl_ && user_op_ >= 0) impl_->engine_.on_user_op_begin(user_op_ == 1);
    else user_op_ = -1;
  }

  Impl* impl_;
  net::cancellation_type cancelled_ = net::cancellation_type::none;
  net::cancellation_type allowed_;
  park_list parked_ = park_list::none;
  signed char user_op_;  // -1: not a read or write of the application's
};

/// Ends the counting of a user read or write when it goes out of scope (after the
/// handler has run). `Ptr`: a raw or shared pointer to the session.
template <class Ptr>
class user_op_end {
 public:
  user_op_end(Ptr s, signed char user_op) noexcept : s_(std::move(s)), user_op_(user_op) {}
  user_op_end(user_op_end&& o) noexcept
      : s_(std::move(o.s_)), user_op_(std::exchange(o.user_op_, static_cast<signed char>(-1))) {}
  user_op_end& operator=(user_op_end&&) = delete;
  ~user_op_end() {
    if (s_ && user_op_ >= 0) s_->on_user_op_end(user_op_ == 1);
  }

 private:
  Ptr s_;
  signed char user_op_;
};

/// Holds an allocator without a byte of its own when it is empty (as std::allocator is).
template <class Alloc, bool = std::is_empty<Alloc>::value && !std::is_final<Alloc>::value>
class alloc_holder : private Alloc {
 protected:
  explicit alloc_holder(const Alloc& a) noexcept : Alloc(a) {}
  const Alloc& alloc() const noexcept { return *this; }
};
template <class Alloc>
class alloc_holder<Alloc, false> {
 protected:
  explicit alloc_holder(const Alloc& a) noexcept : alloc_(a) {}
  const Alloc& alloc() const noexcept { return alloc_; }

 private:
  Alloc alloc_;
};

/// The next step of an operation, as a handler: posted, or the completion of the socket
/// read or write it started. Keeps the session alive; frees the operation if it is
/// destroyed without being called (an io_context shut down). `Reads`: the step of a socket
/// read, whose cancellation slot is the operation's (`session_op::read_slot`). 24 bytes
/// with the default allocator: the size of each pending socket read's Asio operation.
template <class Impl, class Alloc, bool Reads = false>
class op_step : private alloc_holder<Alloc> {
 public:
  using allocator_type = Alloc;
  using cancellation_slot_type = net::cancellation_slot;

  op_step(std::shared_ptr<Impl> s, session_op<Impl>* op, const Alloc& alloc) noexcept
      : alloc_holder<Alloc>(alloc), s_(std::move(s)), op_(op) {}
  op_step(op_step&& o) noexcept
      : alloc_holder<Alloc>(o.alloc()), s_(std::move(o.s_)), op_(std::exchange(o.op_, nullptr)) {}
  op_step& operator=(op_step&&) = delete;
  ~op_step() {
    if (op_) op_->destroy();
  }

  allocator_type get_allocator() const noexcept { return this->alloc(); }
  cancellation_slot_type get_cancellation_slot() const noexcept {
    if constexpr (Reads) {
      if (op_) return op_->read_slot();
    }
    return {};
  }

  void operator()(error_code ec = {}, std::size_t n = 0) {
    std::exchange(op_, nullptr)->step(ec, n);
  }

 private:
  std::shared_ptr<Impl> s_;  // declared first: destroyed after the operation
  session_op<Impl>* op_;
};

/// The cancellation slot's handler of an operation.
template <class Impl>
struct op_cancel_handler {
  session_op<Impl>* op;
  void operator()(net::cancellation_type t) const { op->on_cancel(t); }
};

/// Outstanding work on the handler's associated executor, only when it is not the
/// session's (whose work the operation itself, a pending socket operation or the session
/// keeps). Same type: compared at run time, and held on the heap only when different.
template <class HandlerEx, class IoEx, bool = std::is_same<HandlerEx, IoEx>::value>
class handler_work {
 public:
  handler_work(const HandlerEx& h, const IoEx&) : work_(h) {}
  bool direct() const noexcept { return false; }
  HandlerEx executor() const { return work_.get_executor(); }

 private:
  net::executor_work_guard<HandlerEx> work_;
};
template <class HandlerEx, class IoEx>
class handler_work<HandlerEx, IoEx, true> {
 public:
  handler_work(const HandlerEx& h, const IoEx& io) {
    if (h != io) work_.reset(new net::executor_work_guard<HandlerEx>(h));
  }
  bool direct() const noexcept { return !work_; }
  HandlerEx executor() const { return work_->get_executor(); }

 private:
  std::unique_ptr<net::executor_work_guard<HandlerEx>> work_;
};

/// The completion of an operation whose handler's executor is not the session's: runs
/// there and calls the handler (session_op::invoke); frees the operation if it is
/// destroyed without being called.
template <class Impl, class Alloc>
class op_result {
 public:
  using allocator_type = Alloc;

  op_result(std::shared_ptr<Impl> s, session_op<Impl>* op, const Alloc& alloc, error_code ec,
            std::size_t n) noexcept
      : s_(std::move(s)), op_(op), alloc_(alloc), ec_(ec), n_(n) {}
  op_result(op_result&& o) noexcept
      : s_(std::move(o.s_)), op_(std::exchange(o.op_, nullptr)), alloc_(o.alloc_), ec_(o.ec_),
        n_(o.n_) {}
  op_result& operator=(op_result&&) = delete;
  ~op_result() {
    if (op_) op_->destroy();
  }

  allocator_type get_allocator() const noexcept { return alloc_; }

  void operator()() {
    // The handler runs here; the end of its operation's counting is the session's state,
    // so it goes back to the session's executor (after the handler, as in `invoke`, and
    // also when the handler throws).
    session_op<Impl>* op = std::exchange(op_, nullptr);
    const post_end_count end{std::move(s_), op->release_user_op()};
    op->invoke(ec_, n_);
  }

 private:
  struct end_count {
    std::shared_ptr<Impl> s;
    bool write;
    void operator()() const { s->on_user_op_end(write); }
  };
  struct post_end_count {
    std::shared_ptr<Impl> s;
    signed char user_op;
    ~post_end_count() {
      if (!s || user_op < 0) return;
      try {
        auto ex = s->get_executor();
        net::post(ex, end_count{s, user_op == 1});
      } catch (...) {
        // Out of memory: the operation stays counted as pending (a drain after the peer's
        // FIN then lasts until its linger deadline; the background read waits for a read
        // of the application's).
      }
    }
  };

  std::shared_ptr<Impl> s_;  // a user operation's session, counted until after the handler
  session_op<Impl>* op_;
  Alloc alloc_;
  error_code ec_;
  std::size_t n_;
};

/// The shell of an operation of `Machine` (its state machine) for one handler type.
/// `Machine` provides: `static constexpr net::cancellation_type cancellation` (the types it
/// accepts), `static constexpr signed char user_op` (-1, or a read 0 / write 1 of the
/// application's), `static constexpr bool reads_socket, writes_socket, writes_sequence`
/// (whether it reads the socket itself, writes it, and writes frames of any number of
/// pieces), `void step(session_op<Impl>&, error_code, std::size_t)`,
/// `void forward_cancel(net::cancellation_type)` and `net::cancellation_slot inner_slot()`.
template <class Impl, class Machine, class Handler, bool WithSize>
class session_op_impl final : public session_op<Impl> {
  using base = session_op<Impl>;
  using executor_type = typename Impl::executor_type;
  using handler_allocator = net::associated_allocator_t<Handler>;
  using alloc_type =
      typename std::allocator_traits<handler_allocator>::template rebind_alloc<session_op_impl>;
  using traits = std::allocator_traits<alloc_type>;
  using handler_executor = net::associated_executor_t<Handler, executor_type>;
  using step_type = op_step<Impl, handler_allocator>;
  // With the default allocator the Asio operations whose handler is the session's own
  // step (or result) do not depend on this handler: the session's members start them
  // (compiled once with the session when it is pre-instantiated,
  // impl/session_instances.hpp).
  static constexpr bool default_alloc =
      std::is_same<handler_allocator, std::allocator<void>>::value;

 public:
  template <class... Args>
  session_op_impl(Impl* impl, Handler&& h, const executor_type& io_ex, Args&&... args)
      : base(impl, Machine::cancellation, Machine::user_op),
        handler_(std::move(h)),
        work_(net::get_associated_executor(handler_, io_ex), io_ex),
        machine_(std::forward<Args>(args)...) {}

  /// Stores the operation (memory from the handler's allocator) and posts its first step
  /// to `ex` (the session's executor): it never completes inside the initiating call.
  /// `s` null: a moved-from session, the operation completes with bad_descriptor.
  template <class... Args>
  static void start(std::shared_ptr<Impl> s, const executor_type& ex, Handler&& h,
                    Args&&... args) {
    alloc_type alloc(net::get_associated_allocator(h));
    session_op_impl* p = traits::allocate(alloc, 1);
    try {
      traits::construct(alloc, p, s.get(), std::move(h), ex, std::forward<Args>(args)...);
    } catch (...) {
      traits::deallocate(alloc, p, 1);
      throw;
    }
    p->begin_user_op();
    auto slot = net::get_associated_cancellation_slot(p->handler_);
    if (slot.is_connected()) slot.template emplace<op_cancel_handler<Impl>>(op_cancel_handler<Impl>{p});
    if constexpr (default_alloc) {
      Impl::post_step(std::move(s), ex, p);
    } else {
      net::post(ex, step_type(std::move(s), p, net::get_associated_allocator(p->handler_)));
    }
  }

  void step(error_code ec, std::size_t n) override {
    if (!this->impl_) return complete(net::error::bad_descriptor, 0);
    machine_.step(*this, ec, n);
  }

  void resume(const executor_type& ex, bool) override {
    this->parked_ = park_list::none;
    if constexpr (default_alloc) {
      Impl::post_step(this->impl_->shared_from_this(), ex, this);
    } else {
      net::post(ex, step_type(this->impl_->shared_from_this(), this,
                              net::get_associated_allocator(handler_)));
    }
  }

  void destroy() noexcept override {
    // Not counted any longer: the session may be going (its destructor frees what is
    // parked).
    this->user_op_ = -1;
    free();
  }

  void complete(error_code ec, std::size_t n) override {
    if (work_.direct()) return invoke(ec, n);
    // Another executor: the handler goes there, with its memory freed only then. The
    // dispatched function does not depend on the handler (compiled once per executor).
    auto s = this->user_op_ >= 0 ? this->impl_->shared_from_this() : nullptr;
    if constexpr (default_alloc && std::is_same<handler_executor, executor_type>::value) {
      Impl::dispatch_result(work_.executor(), std::move(s), this, ec, n);
    } else {
      net::dispatch(work_.executor(),
                    op_result<Impl, handler_allocator>(
                        std::move(s), this, net::get_associated_allocator(handler_), ec, n));
    }
  }

  void invoke(error_code ec, std::size_t n) override {
    Impl* s = this->impl_;
    const signed char user_op = this->user_op_;
    // The slot and the allocator are the handler's: taken before it moves out.
    clear_slot();
    alloc_type alloc(net::get_associated_allocator(handler_));
    Handler h(std::move(handler_));
    traits::destroy(alloc, this);
    traits::deallocate(alloc, this, 1);
    const user_op_end<Impl*> end(s, user_op);  // after the handler
    if constexpr (WithSize) {
      std::move(h)(ec, n);
    } else {
      (void)n;
      std::move(h)(ec);
    }
  }

  void socket_read(net::mutable_buffer b) override {
    if constexpr (Machine::reads_socket && default_alloc) {
      this->impl_->read_socket_for(*this, b);
    } else if constexpr (Machine::reads_socket) {
      this->impl_->socket_.async_read_some(
          b, op_step<Impl, handler_allocator, true>(this->impl_->shared_from_this(), this,
                                                    net::get_associated_allocator(handler_)));
    } else {
      (void)b;
    }
  }

  net::cancellation_slot read_slot() noexcept override {
    if (!net::get_associated_cancellation_slot(handler_).is_connected()) return {};
    return machine_.inner_slot();
  }

  void socket_write(const std::array<net::const_buffer, 2>& b) override {
    if constexpr (Machine::writes_socket && !Machine::writes_sequence && default_alloc) {
      this->impl_->write_socket_for(*this, b);
    } else if constexpr (Machine::writes_socket && !Machine::writes_sequence) {
      net::async_write(this->impl_->socket_, b,
                       step_type(this->impl_->shared_from_this(), this,
                                 net::get_associated_allocator(handler_)));
    } else {
      (void)b;
    }
  }

  void socket_write(const std::vector<net::const_buffer>& b) override {
    if constexpr (Machine::writes_sequence && default_alloc) {
      this->impl_->write_socket_for(*this, b);
    } else if constexpr (Machine::writes_sequence) {
      net::async_write(this->impl_->socket_, b,
                       step_type(this->impl_->shared_from_this(), this,
                                 net::get_associated_allocator(handler_)));
    } else {
      (void)b;
    }
  }

 private:
  void forward_cancel(net::cancellation_type t) override { machine_.forward_cancel(t); }

  /// Clears the cancellation slot (its handler points here), then frees the memory.
  void free() noexcept {
    clear_slot();
    alloc_type alloc(net::get_associated_allocator(handler_));
    traits::destroy(alloc, this);
    traits::deallocate(alloc, this, 1);
  }

  void clear_slot() noexcept {
    auto slot = net::get_associated_cancellation_slot(handler_);
    if (slot.is_connected()) slot.clear();
  }

  Handler handler_;
  handler_work<handler_executor, executor_type> work_;
  Machine machine_;
};

/// The initiation of a session operation (one type whether or not the session was moved
/// from, so that deferred tokens see one return type).
template <class Impl, class Machine, bool WithSize>
struct initiate_session_op {
  std::shared_ptr<Impl> s;
  typename Impl::executor_type ex;  // the session's (a moved-from session keeps it)

  template <class Handler, class... Args>
  void operator()(Handler&& h, Args&&... args) const {
    using handler = std::decay_t<Handler>;
    handler moved(std::forward<Handler>(h));
    session_op_impl<Impl, Machine, handler, WithSize>::start(s, ex, std::move(moved),
                                                             std::forward<Args>(args)...);
  }
};

/// Every type of cancellation (an operation that has taken nothing ends without side
/// effect).
constexpr net::cancellation_type any_cancellation = net::cancellation_type::terminal |
                                                   net::cancellation_type::partial |
                                                   net::cancellation_type::total;

/// What a state machine that neither reads the socket itself nor passes cancellation on
/// needs.
struct machine_base {
  static constexpr bool reads_socket = false;
  static constexpr bool writes_socket = false;
  static constexpr bool writes_sequence = false;  // its frames have any number of pieces
  void forward_cancel(net::cancellation_type) noexcept {}
  net::cancellation_slot inner_slot() noexcept { return {}; }
};

}  // namespace detail
}  // namespace liveness

#endif  // LIVENESS_DETAIL_SESSION_OP_HPP
