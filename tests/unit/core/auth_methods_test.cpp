#include "core/auth_methods.h"

#include <gtest/gtest.h>

namespace cloakroom {
namespace {

AuthMethods of(std::initializer_list<AuthMethod> ms) {
  AuthMethods out;
  for (AuthMethod m : ms) out = out.with(m);
  return out;
}

// Multi-factor means two kinds of factor: knowledge (pwd), possession (otp,
// hwk), the user verified (user). A passkey with user verification counts.
TEST(AuthMethods, MultiFactorNeedsTwoKindsOfFactor) {
  EXPECT_FALSE(AuthMethods{}.multi_factor());
  EXPECT_FALSE(AuthMethods::password().multi_factor());
  EXPECT_FALSE(of({AuthMethod::otp}).multi_factor());
  EXPECT_FALSE(of({AuthMethod::hwk}).multi_factor());                  // a security key alone: user presence only
  EXPECT_FALSE(of({AuthMethod::otp, AuthMethod::hwk}).multi_factor());  // two possessions
  EXPECT_TRUE(of({AuthMethod::pwd, AuthMethod::otp}).multi_factor());
  EXPECT_TRUE(of({AuthMethod::pwd, AuthMethod::hwk}).multi_factor());
  EXPECT_TRUE(of({AuthMethod::hwk, AuthMethod::user}).multi_factor());  // a passkey with UV
}

// The JWT's names are RFC 8176's, in a fixed order, with the derived "mfa" last.
TEST(AuthMethods, NamesAddMfaWhenMultiFactor) {
  EXPECT_EQ(AuthMethods::password().names(), (std::vector<std::string_view>{"pwd"}));
  EXPECT_EQ(of({AuthMethod::otp, AuthMethod::pwd}).names(), (std::vector<std::string_view>{"pwd", "otp", "mfa"}));
  EXPECT_EQ(of({AuthMethod::user, AuthMethod::hwk}).names(), (std::vector<std::string_view>{"hwk", "user", "mfa"}));
  EXPECT_TRUE(AuthMethods{}.names().empty());
}

// What the stores keep round-trips, and never records "mfa".
TEST(AuthMethods, TextRoundTrip) {
  for (AuthMethods m : {AuthMethods{}, AuthMethods::password(), of({AuthMethod::pwd, AuthMethod::otp}),
                        of({AuthMethod::pwd, AuthMethod::otp, AuthMethod::hwk, AuthMethod::user})}) {
    EXPECT_EQ(AuthMethods::parse(m.text()), m) << m.text();
    EXPECT_EQ(m.text().find("mfa"), std::string::npos);
  }
  EXPECT_EQ(of({AuthMethod::pwd, AuthMethod::otp}).text(), "pwd,otp");
}

// A claim that merely says "mfa", or names we do not know, proves nothing.
TEST(AuthMethods, MfaAndUnknownNamesAreSkipped) {
  EXPECT_TRUE(AuthMethods::from_names({"mfa"}).empty());
  EXPECT_FALSE(AuthMethods::from_names({"pwd", "mfa"}).multi_factor());
  EXPECT_EQ(AuthMethods::from_names({"pwd", "sms", "otp"}), of({AuthMethod::pwd, AuthMethod::otp}));
  EXPECT_EQ(AuthMethods::parse("pwd,mfa,,x"), AuthMethods::password());
  EXPECT_FALSE(AuthMethods::named("PWD"));  // case matters: RFC 8176 values are lower case
}

}  // namespace
}  // namespace cloakroom
