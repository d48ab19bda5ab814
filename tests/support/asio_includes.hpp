// The whole of the chosen Asio backend, for tests and examples.
#ifndef LIVENESS_TESTS_SUPPORT_ASIO_INCLUDES_HPP
#define LIVENESS_TESTS_SUPPORT_ASIO_INCLUDES_HPP

#include <liveness/config.hpp>

#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/asio.hpp>
#else
#include <asio.hpp>
#endif

#endif
