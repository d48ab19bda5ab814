// detail::describe (impl/error.hpp) is the one place a liveness::error becomes text: the
// name that error_name returns and the message of the "liveness" category both come from
// it. These cases prove that every value the enum can hold gets both or neither.
#include <liveness/error.hpp>

#include "test_support.hpp"

#include <set>
#include <string>

namespace error_text_test {

using liveness::error;
using liveness::error_code;

TEST_CASE("error texts: every enumerator has a name and a message from one table",
          "[error]") {
  std::set<std::string> names, messages;
  int described = 0;
  // The enum's values lie in 1-99, 100-199 and 200-299.
  for (int v = -1; v < 300; ++v) {
    const auto e = static_cast<error>(v);
    const auto t = liveness::detail::describe(e);
    const error_code ec(v, liveness::error_category());
    INFO("value " << v);
    if (!t.name) {
      CHECK(t.message == nullptr);
      CHECK(std::string(liveness::error_name(e)) == "unknown");
      CHECK(ec.message() == "liveness error " + std::to_string(v));
      continue;
    }
    ++described;
    REQUIRE(t.message != nullptr);
    CHECK(std::string(liveness::error_name(e)) == t.name);
    CHECK(liveness::error_name(ec) == t.name);
    // A message that quotes this platform's limits starts with what is out of range.
    CHECK(ec.message().rfind(t.message, 0) == 0);
    CHECK(names.insert(t.name).second);
    CHECK(messages.insert(ec.message()).second);
  }
  // 9 dead-peer reasons, 11 refused configurations, 3 registry decisions.
  CHECK(described == 23);
}

TEST_CASE("error texts: range messages quote this platform's limits", "[error]") {
  const auto& l = liveness::detail::native_keepalive_limits;
  const std::string idle = error_code(error::keepalive_idle_out_of_range).message();
  CHECK(idle.find(" is out of range: ") != std::string::npos);
  CHECK(idle.find(l.platform) != std::string::npos);
  const std::string probes = error_code(error::keepalive_probes_out_of_range).message();
  CHECK(probes.find(std::to_string(l.probes_max)) != std::string::npos);
  const std::string user = error_code(error::keepalive_user_timeout_out_of_range).message();
  CHECK(user.find("0 (off)") != std::string::npos);
}

}  // namespace error_text_test
