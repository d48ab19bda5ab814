// Shared by the test sources: Catch2 v2 or v3, and small helpers.
#ifndef LIVENESS_TESTS_SUPPORT_TEST_SUPPORT_HPP
#define LIVENESS_TESTS_SUPPORT_TEST_SUPPORT_HPP

#if LIVENESS_CATCH2_MAJOR >= 3
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

#endif
