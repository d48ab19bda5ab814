//
// liveness/impl/session_instances.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Separate compilation: the sessions most programs use, compiled once.
//
// With LIVENESS_SEPARATE_COMPILATION, a session over a plain `net::ip::tcp::socket` with
// one of the policies <liveness/session.hpp> brings (heartbeat::none, idle_timeout,
// ping_pong<codec::line>, ping_pong<codec::length_prefixed>) is instantiated explicitly in
// the library's file (<liveness/src.hpp>), and every other unit sees only explicit
// instantiation declarations (`extern template`): a unit that uses such a session compiles
// each operation's thin shell for its handler (and, when optimising, inline copies of the
// small members it calls), not the session's own machinery (its state, engine, deadline,
// the handle's members, the state machines of single-buffer reads and writes, of
// async_write_message and async_wait_dead, and the Asio operations that operations with
// the default allocator start). The same for the registries of these sessions
// (`registry<session<tcp::socket, P>>`). Any other session (TLS, another socket or
// executor type, the MQTT codec) is compiled where it is used, except what it shares with
// these (the engine of the same codec, the parked list of the same executor type).
//
// Not a header of its own: impl/session.hpp includes it at its end (the declarations need
// every session template defined), impl/registry.hpp uses its registry list.
//
#ifndef LIVENESS_IMPL_SESSION_INSTANCES_HPP
#define LIVENESS_IMPL_SESSION_INSTANCES_HPP

namespace liveness {
namespace detail {
namespace instances {
using socket = net::ip::tcp::socket;
using executor = socket::executor_type;
using none = heartbeat::none;
using idle_timeout = heartbeat::idle_timeout;
using line = heartbeat::ping_pong<codec::line>;
using length_prefixed = heartbeat::ping_pong<codec::length_prefixed>;
}  // namespace instances
}  // namespace detail
}  // namespace liveness

// The policies, each as `X(prefix, P)` with `P` a name in liveness::detail::instances.
#define LIVENESS_DETAIL_FOR_EACH_INSTANCE(X, prefix)                                      \
  X(prefix, none) X(prefix, idle_timeout) X(prefix, line) X(prefix, length_prefixed)

// One policy: its engine, the session's state and deadline, the state machines of
// async_read_some and async_write_some into / from a single buffer and of
// async_wait_dead, the handle. `prefix` is
// `extern` (declarations) or empty (the definitions, in src.hpp). Written inside
// namespace liveness.
#define LIVENESS_DETAIL_SESSION_INSTANCE(prefix, P)                                       \
  prefix template class engine::session_engine<detail::instances::P::codec,               \
                                               detail::policy_detector<                    \
                                                   detail::instances::P>::type>;          \
  prefix template class detail::deadline<                                                 \
      detail::session_impl<detail::instances::socket, detail::instances::P>,              \
      detail::instances::executor>;                                                       \
  prefix template class detail::session_impl<detail::instances::socket,                   \
                                             detail::instances::P>;                       \
  prefix template struct detail::read_machine<                                            \
      detail::session_impl<detail::instances::socket, detail::instances::P>,              \
      net::mutable_buffer>;                                                               \
  prefix template struct detail::write_machine<                                           \
      detail::session_impl<detail::instances::socket, detail::instances::P>,              \
      net::const_buffer>;                                                                 \
  prefix template struct detail::wait_dead_machine<                                       \
      detail::session_impl<detail::instances::socket, detail::instances::P>>;             \
  prefix template class session<detail::instances::socket, detail::instances::P>;

// Every instance; the parked-operation list and the configuration caches are shared by
// several policies (raw serves none and idle_timeout); async_write_message's state machine
// is the one policy's with messages.
#define LIVENESS_DETAIL_SESSION_INSTANCES(prefix)                                         \
  prefix template class detail::parked_list<detail::instances::executor>;                 \
  prefix template class detail::session_config_cache<codec::raw>;                         \
  prefix template class detail::session_config_cache<codec::line>;                        \
  prefix template class detail::session_config_cache<codec::length_prefixed>;             \
  prefix template struct detail::write_message_machine<                                   \
      detail::session_impl<detail::instances::socket, detail::instances::length_prefixed>>; \
  LIVENESS_DETAIL_FOR_EACH_INSTANCE(LIVENESS_DETAIL_SESSION_INSTANCE, prefix)

// The registries of those sessions (declared `extern` by <liveness/registry.hpp>).
#define LIVENESS_DETAIL_REGISTRY_INSTANCE(prefix, P)                                      \
  prefix template class registry<session<detail::instances::socket, detail::instances::P>>;
#define LIVENESS_DETAIL_REGISTRY_INSTANCES(prefix)                                        \
  LIVENESS_DETAIL_FOR_EACH_INSTANCE(LIVENESS_DETAIL_REGISTRY_INSTANCE, prefix)

#if !defined(LIVENESS_HEADER_ONLY)
namespace liveness {
LIVENESS_DETAIL_SESSION_INSTANCES(extern)
}  // namespace liveness
#endif

#endif  // LIVENESS_IMPL_SESSION_INSTANCES_HPP
