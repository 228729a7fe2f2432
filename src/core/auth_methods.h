#pragma once
// How a user signed in: the RFC 8176 authentication method references a
// session or refresh family records at login and every credential it
// yields carries (sessions in the cached record, access JWTs as `amr`).
//
//   AuthMethods m = AuthMethods{}.with(AuthMethod::pwd);   // a password login
//   m = m.with(AuthMethod::otp);                           // ... then a TOTP code
//   m.multi_factor();                                      // true: a knowledge and a possession factor
//   m.names();                                             // {"pwd", "otp", "mfa"}: the JWT's `amr`
//   store.write(m.text()); AuthMethods::parse(text);       // "pwd,otp": how the stores keep it
//
// `mfa` is never recorded: it is derived (multi_factor()) from the factors,
// so a token or row that merely says "mfa" proves nothing. Factors come in
// three kinds: knowledge (pwd), possession (otp, hwk) and the user verified
// by the authenticator itself (user: a WebAuthn UV flag, not mere
// presence). Two kinds make multi-factor: pwd+otp, pwd+hwk, and a passkey
// with user verification (hwk+user); otp+hwk is two possessions, one kind.
// In core because the store records carry it and stores sit below identity.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cloakroom {

enum class AuthMethod : std::uint8_t {
  pwd = 1,   // a password
  otp = 2,   // a one-time code (TOTP)
  hwk = 4,   // a proof-of-possession hardware key (WebAuthn)
  user = 8,  // the authenticator verified the user (WebAuthn UV: PIN or biometric)
};

class AuthMethods {
 public:
  constexpr AuthMethods() = default;
  static constexpr AuthMethods password() { return AuthMethods{}.with(AuthMethod::pwd); }

  constexpr AuthMethods with(AuthMethod m) const { return AuthMethods(bits_ | static_cast<std::uint8_t>(m)); }
  constexpr bool has(AuthMethod m) const { return (bits_ & static_cast<std::uint8_t>(m)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  // Two of the three kinds of factor (see above).
  constexpr bool multi_factor() const {
    const int kinds = int{has(AuthMethod::pwd)} + int{has(AuthMethod::otp) || has(AuthMethod::hwk)} +
                      int{has(AuthMethod::user)};
    return kinds >= 2;
  }
  constexpr bool operator==(const AuthMethods&) const = default;

  // The RFC 8176 values in a fixed order, "mfa" last when multi_factor().
  std::vector<std::string_view> names() const;
  // The recorded methods joined by ',' (no "mfa"): what the stores keep.
  std::string text() const;
  // The methods named in `names` (a JWT's `amr`). Names we do not know and
  // "mfa" (derived, never trusted as a claim) are skipped: RFC 8176 says a
  // relying party ignores values it does not understand.
  static AuthMethods from_names(const std::vector<std::string>& names);
  // text() back; the same skipping.
  static AuthMethods parse(std::string_view text);
  static std::optional<AuthMethod> named(std::string_view name);

 private:
  constexpr explicit AuthMethods(std::uint8_t bits) : bits_(bits) {}
  std::uint8_t bits_ = 0;
};

}  // namespace cloakroom
