//
// liveness/config.hpp
//
// Copyright (c) 2026 The liveness authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at https://www.boost.org/LICENSE_1_0.txt)
//
// Backend selection, version macros and the few aliases every other header uses.
//
// Backend: standalone Asio (<asio.hpp>) by default. Define LIVENESS_USE_BOOST_ASIO (the CMake
// option of the same name does it for you) to build on Boost.Asio instead. The choice must be
// the same in every translation unit of a program.
//
#ifndef LIVENESS_CONFIG_HPP
#define LIVENESS_CONFIG_HPP

#define LIVENESS_VERSION_MAJOR 0
#define LIVENESS_VERSION_MINOR 1
#define LIVENESS_VERSION_PATCH 0
/// Single comparable number: major * 10000 + minor * 100 + patch.
#define LIVENESS_VERSION \
  (LIVENESS_VERSION_MAJOR * 10000 + LIVENESS_VERSION_MINOR * 100 + LIVENESS_VERSION_PATCH)
#define LIVENESS_VERSION_STRING "0.1.0"

#if __cplusplus < 201703L && !(defined(_MSVC_LANG) && _MSVC_LANG >= 201703L)
#error "liveness requires C++17 or later"
#endif

// No Asio header here: the sans-I/O layers (core/, codec/) include only this and
// error.hpp. Declaring the namespace is enough for the alias below. The Asio headers
// themselves are included in one place, liveness/detail/asio.hpp.
#if defined(LIVENESS_USE_BOOST_ASIO)
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
namespace boost { namespace asio {} }
#else
#include <system_error>
namespace asio {}
#endif

// Header-only by default. Define LIVENESS_SEPARATE_COMPILATION (in every translation unit,
// as the CMake target liveness::separate does) to compile the library's non-template code
// once, in the one translation unit that includes <liveness/src.hpp>, instead of in every
// unit that includes a liveness header (docs/separate_compilation.md).
#if defined(LIVENESS_SEPARATE_COMPILATION)
#if !defined(LIVENESS_DECL)
/// Empty when separately compiled; a program may define it first (e.g. as an export or
/// visibility attribute, the same in every translation unit).
#define LIVENESS_DECL
#endif
#else
/// Defined when the non-template code is compiled in every unit (the default).
#define LIVENESS_HEADER_ONLY 1
/// How a non-template function of the library is declared and defined: `inline` when
/// header-only, nothing with LIVENESS_SEPARATE_COMPILATION.
#define LIVENESS_DECL inline
#endif

namespace liveness {

#if defined(LIVENESS_USE_BOOST_ASIO)
/// The Asio flavour liveness is built on: `boost::asio` here.
namespace net = ::boost::asio;
/// The error-code vocabulary of the chosen backend: `boost::system` here.
namespace sys = ::boost::system;
/// True when liveness is built on Boost.Asio.
inline constexpr bool uses_boost_asio = true;
#else
/// The Asio flavour liveness is built on: standalone `asio` here.
namespace net = ::asio;
/// The error-code vocabulary of the chosen backend: `std` here.
namespace sys = ::std;
/// True when liveness is built on Boost.Asio.
inline constexpr bool uses_boost_asio = false;
#endif

/// The error_code type that every liveness operation reports, matching the backend's.
using error_code = sys::error_code;
/// The exception thrown by the throwing overloads.
using system_error = sys::system_error;

}  // namespace liveness

#endif  // LIVENESS_CONFIG_HPP
