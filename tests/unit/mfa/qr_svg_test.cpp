#include "mfa/qr_svg.h"

#include <gtest/gtest.h>

#include <regex>

namespace cloakroom {
namespace {

std::size_t count(const std::string& s, std::string_view what) {
  std::size_t n = 0;
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

const std::string kUri =
    "otpauth://totp/cloakroom:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=cloakroom"
    "&algorithm=SHA1&digits=6&period=30";

// One self-contained SVG: a white square, one black <path>, nothing that
// loads or runs anything.
TEST(QrSvg, IsOneSelfContainedPath) {
  auto svg = qr_svg(kUri);
  ASSERT_TRUE(svg) << svg.error().text();
  EXPECT_TRUE(svg->starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "));
  EXPECT_TRUE(svg->ends_with("</svg>"));
  EXPECT_EQ(count(*svg, "<path"), 1u);
  EXPECT_EQ(count(*svg, "<rect"), 1u);
  EXPECT_EQ(count(*svg, "<"), 4u);  // svg, rect, path, /svg: nothing else
  EXPECT_EQ(count(*svg, "http"), 1u);  // the namespace name only
  for (const char* never : {"href", "script", "<image", "<use", "url(", "style"})
    EXPECT_EQ(svg->find(never), std::string::npos) << never;
  EXPECT_LT(svg->size(), 8000u);  // compact: runs, not one element per module
}

// The size is a QR version's (17 + 4v modules) plus the quiet zone on both
// sides, and the top-left finder pattern starts where the quiet zone ends:
// a run of 7 dark modules at (4,4).
TEST(QrSvg, SizeAndFinderPattern) {
  auto svg = qr_svg(kUri);
  ASSERT_TRUE(svg);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*svg, m, std::regex("viewBox=\"0 0 (\\d+) (\\d+)\"")));
  const int size = std::stoi(m[1]);
  EXPECT_EQ(m[1], m[2]);
  const int modules = size - 2 * kQrQuietZone;
  EXPECT_EQ((modules - 17) % 4, 0) << modules;
  EXPECT_GE(modules, 21);
  EXPECT_LE(modules, 177);
  EXPECT_NE(svg->find("d=\"M4 4h7v1h-7z"), std::string::npos);
  // Every subpath stays inside the code, off the quiet zone.
  const std::regex move("M(\\d+) (\\d+)h(\\d+)");
  for (auto it = std::sregex_iterator(svg->begin(), svg->end(), move); it != std::sregex_iterator(); ++it) {
    const int x = std::stoi((*it)[1]), y = std::stoi((*it)[2]), run = std::stoi((*it)[3]);
    EXPECT_GE(x, kQrQuietZone);
    EXPECT_GE(y, kQrQuietZone);
    EXPECT_LE(x + run, size - kQrQuietZone);
    EXPECT_LT(y, size - kQrQuietZone);
  }
}

// Text no QR code can hold is an error, not a truncated code.
TEST(QrSvg, TooLongIsAnError) {
  EXPECT_EQ(qr_svg(std::string(4000, 'x')).error().code, ErrorCode::internal);
  EXPECT_EQ(qr_svg(std::string("a\0b", 3)).error().code, ErrorCode::internal);
}

}  // namespace
}  // namespace cloakroom
