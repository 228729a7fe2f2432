#include "mfa/qr_svg.h"

#include <qrencode.h>

#include <memory>

namespace cloakroom {

Result<std::string> qr_svg(std::string_view text) {
  // QRcode_encodeString wants a NUL-terminated string; a NUL inside would cut the text short.
  if (text.find('\0') != std::string_view::npos) return Error{ErrorCode::internal, "QR text holds a NUL byte."};
  const std::string owned(text);
  std::unique_ptr<QRcode, void (*)(QRcode*)> code(
      QRcode_encodeString(owned.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, /*casesensitive=*/1), QRcode_free);
  if (!code) return Error{ErrorCode::internal, "The text does not fit in a QR code."};
  const int width = code->width;
  const int size = width + 2 * kQrQuietZone;
  std::string path;
  for (int y = 0; y < width; ++y) {
    for (int x = 0; x < width;) {
      // Bit 0 of each module byte is "dark"; the other bits say what the module is for.
      if (!(code->data[y * width + x] & 1)) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < width && (code->data[y * width + x + run] & 1)) ++run;
      path += "M" + std::to_string(x + kQrQuietZone) + " " + std::to_string(y + kQrQuietZone) + "h" +
              std::to_string(run) + "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  const std::string n = std::to_string(size);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + n + " " + n +
         "\" shape-rendering=\"crispEdges\"><rect width=\"" + n + "\" height=\"" + n + "\" fill=\"#fff\"/><path d=\"" +
         path + "\" fill=\"#000\"/></svg>";
}

}  // namespace cloakroom
