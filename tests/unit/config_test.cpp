#include <liveness/config.hpp>

#include "test_support.hpp"

#include <string>
#include <type_traits>

namespace config_test {

TEST_CASE("version macros agree with each other", "[config]") {
  const std::string s = std::to_string(LIVENESS_VERSION_MAJOR) + "." +
                        std::to_string(LIVENESS_VERSION_MINOR) + "." +
                        std::to_string(LIVENESS_VERSION_PATCH);
  CHECK(s == LIVENESS_VERSION_STRING);
  CHECK(LIVENESS_VERSION == LIVENESS_VERSION_MAJOR * 10000 + LIVENESS_VERSION_MINOR * 100 +
                                LIVENESS_VERSION_PATCH);
}

TEST_CASE("the backend macro selects the namespace and error_code type", "[config]") {
#if defined(LIVENESS_USE_BOOST_ASIO)
  CHECK(liveness::uses_boost_asio);
  CHECK(std::is_same_v<liveness::error_code, boost::system::error_code>);
#else
  CHECK_FALSE(liveness::uses_boost_asio);
  CHECK(std::is_same_v<liveness::error_code, std::error_code>);
#endif
}

}  // namespace config_test
