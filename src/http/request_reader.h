#pragma once
// Reads one HTTP/1.x request from raw bytes under the server's limits, with
// strict message framing. The connection loop in server.cpp and the fuzz
// target drive this same code; Beast's parser stays inside request_reader.cpp.
//
//   RequestReader reader({.header_bytes = 8192, .body_bytes = 65536});  // one per connection
//   reader.reset();                                  // before each request
//   buffer.consume(reader.feed(bytes_of(buffer)));   // until progress() != reading_header
//   if (reader.progress() == RequestReader::Progress::failed) -> error_response(reader.error()), close
//   route on reader.method() / reader.target(); feed more until complete or failed
//   Request req; reader.view(req);                   // method, target, path, headers, body
//
// feed() never throws and never lets more than `header_bytes` of an
// unfinished line or field block wait for its end, in the header or in a
// chunked body's size lines and trailer. Trailer fields are refused (400).
// The header fields live in the reader's own buffer (heap only past it), so a
// connection's typical request allocates nothing for its header.
#include <cstddef>
#include <memory>
#include <string_view>

#include "core/error.h"
#include "http/request.h"

namespace cloakroom::http {

struct ReaderLimits {
  std::size_t header_bytes = 8 * 1024;  // request line + header fields; also a chunked trailer
  std::size_t body_bytes = 64 * 1024;   // decoded body
};

class RequestReader {
 public:
  // In order: a caller waiting for the header is done once progress() is
  // past reading_header; one waiting for the message once it is complete or failed.
  enum class Progress { reading_header, reading_body, complete, failed };

  explicit RequestReader(ReaderLimits limits);
  ~RequestReader();
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  // Forgets the last request (everything it returned dangles) and starts on
  // the next one, keeping the reader's memory: a connection reuses one reader.
  void reset();

  // Parses from the start of `bytes` and returns how many it consumed (the
  // caller drops those and calls again with more). Stops at the end of the
  // header, so the caller can refuse a request before reading its body; the
  // next calls read the body. Bytes after a complete message are left alone
  // (a pipelined next request).
  std::size_t feed(std::string_view bytes);

  Progress progress() const { return progress_; }
  // Why the request failed: bad_request (400), headers_too_large (431),
  // body_too_large (413) or not_implemented (501, a transfer coding other
  // than chunked). Only meaningful when progress() == failed.
  const Error& error() const { return error_; }

  // The parsed header; empty strings until the header is complete.
  std::string_view method() const;
  std::string_view target() const;
  int version() const;  // 10 or 11
  bool is_head() const;
  bool keep_alive() const;
  bool expects_continue() const;
  // First field with this name (case-insensitive), or "".
  std::string_view header(std::string_view name) const;
  // Fills method, target, path, headers and body; they stay valid while the reader lives.
  void view(Request& out) const;

 private:
  void fail(Error e);
  bool check_framing();  // after the header: Host and Transfer-Encoding rules
  std::size_t field_count() const;

  struct Impl;
  std::unique_ptr<Impl> impl_;
  ReaderLimits limits_;
  Progress progress_ = Progress::reading_header;
  Error error_{ErrorCode::bad_request};
  std::size_t header_consumed_ = 0;  // header bytes the parser already took
  std::size_t header_fields_ = 0;    // fields in the header (trailer fields come after)
};

// RFC 9112 §6.1/§6.3 on the Transfer-Encoding field values of a request
// (all lines, in order): `chunked` must be the final coding and appear once.
enum class TransferCoding { chunked, unsupported, invalid };
TransferCoding classify_transfer_encoding(std::string_view joined_values);

}  // namespace cloakroom::http
