#pragma once
// Result<T>: a value or an Error, shaped like C++23 std::expected.
//
//   Result<User> r = store.find_by_name("alice");
//   if (!r) return r.error();        // propagate
//   use(*r);
//
// Result<void> carries only success or an Error. No exceptions on the request path.
// A module with its own closed set of reasons may use Result<T, ItsEnum>
// (jose does, so tests can assert the exact reason a token was refused).
#include <cassert>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/error.h"

namespace cloakroom {

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  template <class C = E, class = std::enable_if_t<std::is_same_v<C, Error>>>
  Result(ErrorCode code) : v_(std::in_place_index<1>, Error{code}) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { assert(has_value()); return std::get<0>(v_); }
  const T& value() const& { assert(has_value()); return std::get<0>(v_); }
  T&& value() && { assert(has_value()); return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const { assert(!has_value()); return std::get<1>(v_); }

 private:
  std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(E error) : error_(std::move(error)) {}  // NOLINT
  template <class C = E, class = std::enable_if_t<std::is_same_v<C, Error>>>
  Result(ErrorCode code) : error_(Error{code}) {}  // NOLINT

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  const E& error() const { assert(error_); return *error_; }

 private:
  std::optional<E> error_;
};

}  // namespace cloakroom
