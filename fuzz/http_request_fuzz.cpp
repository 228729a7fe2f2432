// libFuzzer target for the server's request reader (http/request_reader.h),
// driven the way server.cpp's connection loop drives it: bytes arrive a read
// at a time into a buffer, the header is read before the body, and what
// follows a complete request is read as the next one (keep-alive), by the
// same reader after reset().
// The first input byte picks the limits (the defaults, and the smallest and
// largest the config accepts), the second the size of each read.
// Built with BOOST_NO_EXCEPTIONS, so a throw inside Beast aborts here even
// though the reader would catch it: with the config's limits, the reader's
// own bounds must stop every input before Beast throws.
// Invariants: never crashes or throws (Beast's exceptions included); consumes
// only bytes it was offered; while it waits for more, less than the header
// limit stays buffered; a complete request's body is within the body limit;
// a failure is 400, 413, 431 or 501.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/assert.hpp>
#include <boost/throw_exception.hpp>

#include "config/config.h"
#include "http/request_reader.h"

namespace {

using cloakroom::ErrorCode;
using cloakroom::http::ReaderLimits;
using cloakroom::http::Request;
using cloakroom::http::RequestReader;
using Progress = RequestReader::Progress;

void check(bool ok) {
  if (!ok) std::abort();
}

ReaderLimits pick_limits(std::uint8_t b) {
  cloakroom::HttpConfig defaults;
  switch (b % 3) {
    case 0: return {.header_bytes = defaults.max_header_bytes, .body_bytes = defaults.max_body_bytes};
    case 1: return {.header_bytes = 1024, .body_bytes = 256};  // config.cpp's minimums
    default: return {.header_bytes = cloakroom::kLargestHeaderLimit, .body_bytes = 16 * 1024 * 1024};
  }
}

// One request; returns false when the connection would end.
bool one_request(RequestReader& reader, const ReaderLimits& limits, std::string& buffer, std::string_view& input,
                 std::size_t read_size) {
  reader.reset();
  for (Progress goal : {Progress::reading_body, Progress::complete}) {
    for (;;) {
      std::size_t used = reader.feed(buffer);
      check(used <= buffer.size());
      buffer.erase(0, used);
      if (reader.progress() >= goal) break;
      check(buffer.size() < limits.header_bytes);  // what waits for its line's end stays bounded
      if (input.empty()) return false;  // the client stopped sending
      std::size_t n = std::min(read_size, input.size());
      buffer.append(input.substr(0, n));
      input.remove_prefix(n);
    }
    if (reader.progress() == Progress::failed) {
      ErrorCode c = reader.error().code;
      check(c == ErrorCode::bad_request || c == ErrorCode::headers_too_large || c == ErrorCode::body_too_large ||
            c == ErrorCode::not_implemented);
      return false;
    }
    // What the server reads between the two steps.
    (void)reader.method();
    (void)reader.target();
    (void)reader.header("X-Request-ID");
    (void)reader.expects_continue();
  }
  Request req;
  reader.view(req);
  check(req.body.size() <= limits.body_bytes);
  check(req.path.size() <= req.target.size());
  return reader.keep_alive();
}

}  // namespace

namespace boost {
void throw_exception(const std::exception&) { std::abort(); }
void throw_exception(const std::exception&, const boost::source_location&) { std::abort(); }

// Beast's asserts stay on (they catch misuse of its parser), but one is wrong:
// when a body's first chunk is the last one and arrives in pieces,
// parse_chunk_header asserts 5 buffered bytes where 4 can be; the code after
// it handles 4, and release builds (the server's) compile the assert out.
void assertion_failed(const char* expr, const char*, const char* file, long) {
  if (std::string_view(expr) == "n >= 5" && std::string_view(file).ends_with("basic_parser.ipp")) return;
  std::abort();
}
void assertion_failed_msg(const char*, const char*, const char*, const char*, long) { std::abort(); }
}  // namespace boost

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr std::size_t kReadSizes[] = {1, 2, 7, 64, 1000, 4096, 16 * 1024};
  ReaderLimits limits = pick_limits(data[0]);
  std::size_t read_size = kReadSizes[data[1] % std::size(kReadSizes)];
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::string buffer;
  RequestReader reader(limits);  // one per connection, as in server.cpp
  for (int i = 0; i < 16 && one_request(reader, limits, buffer, input, read_size); ++i) {
  }
  return 0;
}
