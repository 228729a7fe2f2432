#pragma once
// A QR code as a small SVG document, drawn here from libqrencode's module
// matrix: the enrolment page shows the otpauth:// URI without sending the
// secret to a third-party QR service, and the SVG refers to nothing outside
// itself (no scripts, links or fonts), so it can be inlined in our page.
//
//   auto svg = qr_svg(otpauth_uri(secret, issuer, name));
//   if (!svg) -> internal (the text does not fit a QR code: over ~2.3 kB)
//   body["qr_svg"] = *svg;   // "<svg xmlns=... viewBox=\"0 0 45 45\">...</svg>"
//
// Error correction level M (15%), the version (size) libqrencode picks for
// the text, a quiet zone of 4 modules (ISO/IEC 18004 asks for it), black on
// white. The dark modules are one <path>, a horizontal run of modules per
// subpath, one unit per module: the viewer scales it.
#include <string>
#include <string_view>

#include "core/result.h"

namespace cloakroom {

inline constexpr int kQrQuietZone = 4;

Result<std::string> qr_svg(std::string_view text);

}  // namespace cloakroom
