//
// tests/fuzz/keepalive_parse_fuzz.cpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// libFuzzer target for keepalive_options::parse (the whole input is the spec). Invariants:
//  - a spec that parses yields options whose validate() succeeds, and parsing is
//    deterministic;
//  - a refused spec gives a parse error (invalid_keepalive_spec, keepalive_zero_time or a
//    keepalive_*_out_of_range value) with a message that names the problem, and the
//    returned options are exactly standard();
//  - the throwing overload throws liveness::system_error with the same code, or returns
//    the same options.
#include <liveness/keepalive.hpp>

#include "fuzz_common.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using liveness::error;
using liveness::keepalive_options;

bool same(const keepalive_options& a, const keepalive_options& b) {
  return a.enabled == b.enabled && a.idle == b.idle && a.interval == b.interval &&
         a.probes == b.probes && a.user_timeout == b.user_timeout;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view spec(reinterpret_cast<const char*>(bytes), size);
  liveness::error_code ec;
  const keepalive_options o = keepalive_options::parse(spec, ec);

  if (!ec) {
    LIVENESS_FUZZ_CHECK(!o.validate());
    (void)o.detection_bound();
    (void)o.effective_user_timeout();
    liveness::error_code again;
    LIVENESS_FUZZ_CHECK(same(keepalive_options::parse(spec, again), o) && !again);
  } else {
    LIVENESS_FUZZ_CHECK(ec == error::invalid_keepalive_spec || ec == error::keepalive_zero_time ||
                        ec == error::keepalive_idle_out_of_range ||
                        ec == error::keepalive_interval_out_of_range ||
                        ec == error::keepalive_probes_out_of_range ||
                        ec == error::keepalive_user_timeout_out_of_range);
    liveness_fuzz::check_named_error(ec);
    LIVENESS_FUZZ_CHECK(same(o, keepalive_options::standard()));
  }

  bool threw = false;
  try {
    const keepalive_options t = keepalive_options::parse(spec);
    LIVENESS_FUZZ_CHECK(!ec && same(t, o));
  } catch (const liveness::system_error& e) {
    threw = true;
    LIVENESS_FUZZ_CHECK(e.code() == ec);
    LIVENESS_FUZZ_CHECK(e.what() != nullptr && e.what()[0] != '\0');
  }
  LIVENESS_FUZZ_CHECK(threw == static_cast<bool>(ec));
  return 0;
}
