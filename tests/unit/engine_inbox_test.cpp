// engine::inbox: held user bytes and message boundaries, bounded, and what they cost in
// memory: nothing until something is held, and a burst's large storage given back once the
// application has read it. Sans-I/O, no clock needed.
#include <liveness/engine/inbox.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace engine_inbox_test {

using liveness::engine::inbox;

std::string take(inbox& in, std::size_t n) {
  std::string out(in.data(), n);
  in.consume(n);
  return out;
}

TEST_CASE("inbox: an inbox that never held anything allocates nothing", "[engine][inbox]") {
  inbox in(1024);
  CHECK(in.allocated() == 0);
  in.pass(100);  // bytes read straight into the application's buffer
  in.append("", 0);
  CHECK(in.allocated() == 0);
  CHECK(in.held() == 0);
  CHECK(!in.message_ready());
  CHECK(!in.full());
}

TEST_CASE("inbox: a burst's storage is given back once read, small storage is kept",
          "[engine][inbox]") {
  inbox in(1 << 20);
  const std::string burst(64 * 1024, 'x');
  in.append(burst.data(), burst.size());
  CHECK(in.held() == burst.size());
  CHECK(in.allocated() > inbox::kept_capacity);
  CHECK(take(in, 1000) == burst.substr(0, 1000));
  CHECK(in.allocated() > 0);  // still holding bytes
  CHECK(take(in, burst.size() - 1000).size() == burst.size() - 1000);
  CHECK(in.held() == 0);
  CHECK(in.allocated() == 0);

  // A reader that keeps up with small messages keeps its small buffer (no allocation per
  // message), bounded by kept_capacity.
  for (int i = 0; i < 100; ++i) {
    in.append("hello\n", 6);
    CHECK(take(in, 6) == "hello\n");
    CHECK(in.allocated() <= inbox::kept_capacity);
  }
  CHECK(in.allocated() > 0);
}

TEST_CASE("inbox: message boundaries survive bytes passed around it and storage freed in "
          "between",
          "[engine][inbox]") {
  inbox in(1 << 20);
  in.append("ab", 2);
  in.end_message();
  in.append("cde", 3);
  in.end_message();
  REQUIRE(in.messages_held() == 2);
  CHECK(in.message_size() == 2);
  in.consume_message();
  CHECK(in.message_size() == 3);
  CHECK(std::string(in.data(), 3) == "cde");
  in.consume_message();
  CHECK(!in.message_ready());
  CHECK(in.held() == 0);

  // Bytes that went straight to the application, then a large message that frees the
  // storage when read, then one more: each size is still its own.
  in.pass(7);
  const std::string big(10000, 'b');
  in.append(big.data(), big.size());
  in.end_message();
  in.append("fg", 2);
  in.end_message();
  CHECK(in.message_size() == big.size());
  in.consume_message();
  CHECK(in.message_size() == 2);
  in.consume_message();
  CHECK(in.allocated() == 0);
  in.pass(3);
  in.append("hij", 3);
  in.end_message();
  CHECK(in.message_size() == 3);
  CHECK(in.cost() == 3 + sizeof(std::uint64_t));
}

TEST_CASE("inbox: byte reads forget the boundaries they pass, the limit counts both",
          "[engine][inbox]") {
  inbox in(16);
  in.append("abcd", 4);
  in.end_message();
  in.append("ef", 2);
  in.end_message();
  CHECK(in.cost() == 6 + 2 * sizeof(std::uint64_t));
  CHECK(in.full());  // 22 >= 16
  CHECK(take(in, 5) == "abcde");
  CHECK(in.messages_held() == 1);
  CHECK(in.message_size() == 1);
  CHECK(!in.full());
  CHECK(take(in, 1) == "f");
  CHECK(!in.message_ready());
}

}  // namespace engine_inbox_test
