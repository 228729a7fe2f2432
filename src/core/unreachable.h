#pragma once
// Marks the end of a switch that names every value of an enum class.
//
//   switch (alg) {
//     case Alg::HS256: return "SHA256";
//     ...                                // every value, no `default:`
//   }
//   unreachable();
//
// Without `default:` -Wswitch (in -Wall, an error under -Werror) names the
// case a new enum value forgot; GCC still wants something after the switch,
// because an enum class may hold other values. Only a corrupted value gets
// here, and then we stop rather than guess: fail closed.
#include <cstdlib>

namespace cloakroom {

[[noreturn]] inline void unreachable() { std::abort(); }

}  // namespace cloakroom
