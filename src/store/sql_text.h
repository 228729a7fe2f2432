#pragma once
// A constant SQL text glued from pieces at compile time, so a shared column
// list needs no macro and the text has one address (SQLite's statement
// cache keys on it). Used by the sqlite:// and postgres:// stores.
//
//   constexpr char kColumns[] = "id, name";
//   constexpr auto kFind = sql("SELECT ", kColumns, " FROM users WHERE id = ?1");
//   c.one(kFind, read, id);   // converts to const char*
#include <cstddef>

namespace cloakroom {

template <std::size_t N>
struct SqlText {
  char text[N]{};
  constexpr operator const char*() const { return text; }  // NOLINT: used where a const char* SQL goes
};
template <std::size_t... N>
constexpr auto sql(const char (&... parts)[N]) {
  SqlText<(N + ...) - sizeof...(N) + 1> out;
  std::size_t at = 0;
  auto append = [&](const char* part, std::size_t size) {
    for (std::size_t i = 0; i + 1 < size; ++i) out.text[at++] = part[i];
  };
  (append(parts, N), ...);
  return out;
}

}  // namespace cloakroom
