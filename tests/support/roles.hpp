// The end a test's session plays (`session_options::role`), set on a copy of its options:
// `with_role(opts, role::server)`, or `as_role(role::server)` for default options of any
// policy. Shared by the socket-level, netns and Wine tests.
#ifndef LIVENESS_TESTS_SUPPORT_ROLES_HPP
#define LIVENESS_TESTS_SUPPORT_ROLES_HPP

#include <liveness/session.hpp>

namespace liveness_test {

/// A copy of `o` for end `r` (the session's end is `options.role`).
template <class Policy>
liveness::session_options<Policy> with_role(liveness::session_options<Policy> o,
                                            liveness::role r) {
  o.role = r;
  return o;
}

/// Default options for end `r`, for any policy: converts to `session_options<Policy>`.
struct role_only {
  liveness::role r;
  template <class Policy>
  operator liveness::session_options<Policy>() const {
    liveness::session_options<Policy> o;
    o.role = r;
    return o;
  }
};
inline role_only as_role(liveness::role r) { return role_only{r}; }

}  // namespace liveness_test

#endif  // LIVENESS_TESTS_SUPPORT_ROLES_HPP
