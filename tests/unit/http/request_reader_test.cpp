#include "http/request_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace cloakroom::http {
namespace {

using Progress = RequestReader::Progress;

// Drives a reader the way the server's connection loop does: bytes arrive
// `piece` at a time into a buffer, the reader consumes what it parsed, and
// the header is read before the body. Returns what is left in the buffer.
std::string drive(RequestReader& reader, std::string_view input, std::size_t piece = 1 << 20) {
  std::string buffer;
  std::size_t next = 0;
  for (Progress goal : {Progress::reading_body, Progress::complete}) {
    for (;;) {
      buffer.erase(0, reader.feed(buffer));
      if (reader.progress() >= goal) break;
      if (next >= input.size()) return buffer;  // the client stopped sending
      buffer.append(input.substr(next, piece));
      next += piece;
    }
  }
  if (next < input.size()) buffer.append(input.substr(next));
  return buffer;
}

ReaderLimits limits(std::size_t header = 8192, std::size_t body = 65536) {
  return {.header_bytes = header, .body_bytes = body};
}

void expect_failed(const RequestReader& r, ErrorCode code, std::string_view message = {}) {
  ASSERT_EQ(r.progress(), Progress::failed);
  EXPECT_EQ(r.error().code, code) << r.error().text();
  if (!message.empty()) {
    EXPECT_NE(r.error().text().find(message), std::string_view::npos) << r.error().text();
  }
}

const std::string kChunkedLogin =
    "POST /auth/login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

// A whole request in one read: header, fields and body are all there.
TEST(RequestReader, ReadsACompleteRequest) {
  RequestReader r(limits());
  std::string rest = drive(r, "POST /a?b=1 HTTP/1.1\r\nHost: t\r\nX-Id: 7\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_EQ(r.progress(), Progress::complete);
  EXPECT_EQ(rest, "");
  EXPECT_EQ(r.method(), "POST");
  EXPECT_EQ(r.target(), "/a?b=1");
  EXPECT_EQ(r.header("x-id"), "7");
  EXPECT_EQ(r.version(), 11);
  EXPECT_TRUE(r.keep_alive());
  Request req;
  r.view(req);
  EXPECT_EQ(req.path, "/a");
  EXPECT_EQ(req.body, "abc");
  EXPECT_EQ(req.header("host"), "t");
}

// Byte-at-a-time arrival gives the same result as one read.
TEST(RequestReader, ReadsByteByByte) {
  RequestReader r(limits());
  EXPECT_EQ(drive(r, kChunkedLogin, 1), "");
  ASSERT_EQ(r.progress(), Progress::complete);
  Request req;
  r.view(req);
  EXPECT_EQ(req.body, "hello world");
}

// Stops at the end of the header, so a request can be refused before its body is read.
TEST(RequestReader, StopsAfterTheHeader) {
  RequestReader r(limits());
  std::string input = "POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc";
  std::size_t used = r.feed(input);
  EXPECT_EQ(r.progress(), Progress::reading_body);
  EXPECT_EQ(input.substr(used), "abc");
  EXPECT_TRUE(r.expects_continue());
  EXPECT_EQ(r.feed(input.substr(used)), 3u);
  EXPECT_EQ(r.progress(), Progress::complete);
}

// A pipelined second request is left in the buffer for the next reader.
TEST(RequestReader, LeavesTheNextRequestAlone) {
  RequestReader r(limits());
  std::string rest = drive(r, "GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_EQ(r.progress(), Progress::complete);
  EXPECT_EQ(rest, "GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
}

// One reader serves a connection's requests: reset() forgets the last one
// (its fields, its failure, its header budget) and reads the next.
TEST(RequestReader, ResetReadsTheNextRequest) {
  RequestReader r(limits(1024));
  std::string rest = drive(r, "GET /a HTTP/1.1\r\nHost: t\r\nX-Old: 1\r\n\r\nPOST /b HTTP/1.1\r\nHost: u\r\n"
                              "Content-Length: 2\r\n\r\nhi");
  ASSERT_EQ(r.progress(), Progress::complete);
  EXPECT_EQ(r.target(), "/a");
  r.reset();
  EXPECT_EQ(r.progress(), Progress::reading_header);
  EXPECT_EQ(r.target(), "");
  EXPECT_EQ(drive(r, rest), "");
  ASSERT_EQ(r.progress(), Progress::complete);
  Request req;
  r.view(req);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/b");
  EXPECT_EQ(req.header("host"), "u");
  EXPECT_EQ(req.header("x-old"), "");
  EXPECT_EQ(req.headers.size(), 2u);
  EXPECT_EQ(req.body, "hi");

  // After a failure too; and each request gets the whole header limit again.
  r.reset();
  drive(r, "GET / HTTP/1.1\r\nHost: t\r\nX-Pad: " + std::string(1100, 'a') + "\r\n\r\n");
  expect_failed(r, ErrorCode::headers_too_large);
  for (int i = 0; i < 3; ++i) {
    r.reset();
    drive(r, "GET /c HTTP/1.1\r\nHost: t\r\nX-Pad: " + std::string(900, 'a') + "\r\n\r\n");
    ASSERT_EQ(r.progress(), Progress::complete);
    EXPECT_EQ(r.header("x-pad").size(), 900u);
  }
}

// Fields past the reader's own buffer (a few KiB) spill to the heap intact.
TEST(RequestReader, ReadsFieldsPastItsInlineBuffer) {
  RequestReader r(limits(65536));
  std::string input = "GET / HTTP/1.1\r\nHost: t\r\n";
  for (int i = 0; i < 200; ++i) input += "X-F" + std::to_string(i) + ": " + std::string(100, char('a' + i % 26)) + "\r\n";
  input += "\r\n";
  for (int round = 0; round < 2; ++round) {
    r.reset();
    drive(r, input);
    ASSERT_EQ(r.progress(), Progress::complete);
    Request req;
    r.view(req);
    ASSERT_EQ(req.headers.size(), 201u);
    for (int i = 0; i < 200; ++i)
      EXPECT_EQ(req.header("x-f" + std::to_string(i)), std::string(100, char('a' + i % 26))) << i;
  }
}

// HEAD and Connection: close are reported to the server.
TEST(RequestReader, ReportsHeadAndClose) {
  RequestReader r(limits());
  drive(r, "HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(r.progress(), Progress::complete);
  EXPECT_TRUE(r.is_head());
  EXPECT_FALSE(r.keep_alive());
}

// A header block over the limit is 431, whether it arrives at once or a byte at a time.
TEST(RequestReader, HeaderOverLimitIs431) {
  std::string big = "GET / HTTP/1.1\r\nHost: t\r\nX-A: " + std::string(600, 'a') + "\r\nX-B: " +
                    std::string(600, 'b') + "\r\n\r\n";
  for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{100000}}) {
    RequestReader r(limits(1024));
    drive(r, big, piece);
    expect_failed(r, ErrorCode::headers_too_large);
  }
  RequestReader fits(limits(2048));
  drive(fits, big, 1);
  EXPECT_EQ(fits.progress(), Progress::complete);
}

// A header that never ends fails once it reaches the limit, not when the client stops.
TEST(RequestReader, EndlessHeaderFailsAtTheLimit) {
  RequestReader r(limits(1024));
  std::string input = "GET / HTTP/1.1\r\nX: " + std::string(1100, 'a');
  drive(r, input, 64);
  expect_failed(r, ErrorCode::headers_too_large);
}

// The review's crash: a 65,535-byte trailer field made Beast throw
// length_error out of the parser. It is refused before Beast sees it.
TEST(RequestReader, HugeTrailerIs431NotAThrow) {
  std::string input = "POST /auth/login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "1\r\nx\r\n0\r\nX-Big: " + std::string(65535, 'a') + "\r\n\r\n";
  for (std::size_t piece : {std::size_t{4096}, std::size_t{1 << 20}}) {
    RequestReader r(limits(65535));
    drive(r, input, piece);
    expect_failed(r, ErrorCode::headers_too_large);
  }
}

// Should Beast throw anyway (a limit above what its fields hold), the reader
// turns it into an error: one request fails, nothing propagates.
TEST(RequestReader, ParserExceptionsBecomeErrors) {
  RequestReader r(limits(1 << 20));
  drive(r, "GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n");
  expect_failed(r, ErrorCode::headers_too_large);
}

// Trailer fields are refused: Beast would merge them into the header fields.
TEST(RequestReader, TrailerFieldsAreRefused) {
  RequestReader r(limits());
  drive(r, "POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
           "1\r\nx\r\n0\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n");
  expect_failed(r, ErrorCode::bad_request, "Trailer");
}

// A chunk-size line that never ends cannot grow the buffer past the header limit.
TEST(RequestReader, EndlessChunkLineIs431) {
  RequestReader r(limits(1024));
  drive(r, "POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=" + std::string(2000, 'e'), 100);
  expect_failed(r, ErrorCode::headers_too_large);
}

// Bodies over the limit are 413, declared or chunked.
TEST(RequestReader, BodyOverLimitIs413) {
  RequestReader declared(limits(8192, 256));
  drive(declared, "POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 257\r\n\r\n");
  expect_failed(declared, ErrorCode::body_too_large);
  RequestReader chunked(limits(8192, 256));
  drive(chunked, "POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n" + std::string(256, 'x') +
                     "\r\n1\r\nx\r\n0\r\n\r\n");
  expect_failed(chunked, ErrorCode::body_too_large);
}

// A request over a limit is told the limit and the key that sets it (a new
// user's 413 said only "larger than this server accepts").
TEST(RequestReader, OverLimitMessagesNameTheLimitAndItsKey) {
  RequestReader body(limits(8192, 64 * 1024));
  drive(body, "POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 65537\r\n\r\n");
  ASSERT_EQ(body.progress(), Progress::failed);
  EXPECT_EQ(body.error().text(), "The request body is over the 64 KiB limit (http.max_body_bytes).");
  RequestReader odd(limits(8192, 1000));
  drive(odd, "POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n\r\n");
  ASSERT_EQ(odd.progress(), Progress::failed);
  EXPECT_EQ(odd.error().text(), "The request body is over the 1000-byte limit (http.max_body_bytes).");
  RequestReader headers(limits(1024));
  drive(headers, "GET / HTTP/1.1\r\nHost: t\r\nX: " + std::string(1100, 'a') + "\r\n\r\n");
  ASSERT_EQ(headers.progress(), Progress::failed);
  EXPECT_EQ(headers.error().text(), "The request line and headers are over the 1 KiB limit (http.max_header_bytes).");
}

// RFC 9112 §6.3: a final coding other than chunked leaves the body's end
// unknown; the request is refused rather than read as bodiless.
TEST(RequestReader, TransferEncodingMustEndInChunked) {
  for (std::string_view te :
       {"gzip", "identity", "xchunked", "chunked, identity", "", "chunked, chunked", "chunked;x=1"}) {
    RequestReader r(limits());
    drive(r, "POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: " + std::string(te) +
                 "\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n");
    SCOPED_TRACE(te);
    expect_failed(r, ErrorCode::bad_request, "chunked");
  }
  RequestReader two_lines(limits());
  drive(two_lines, "POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n");
  expect_failed(two_lines, ErrorCode::bad_request);
}

// Codings before a final chunked keep framing sound but are not implemented: 501.
TEST(RequestReader, OtherCodingsAre501) {
  RequestReader r(limits());
  drive(r, "POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  expect_failed(r, ErrorCode::not_implemented, "chunked");
  RequestReader split(limits());
  drive(split, "POST /a HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n");
  expect_failed(split, ErrorCode::not_implemented);
}

// Transfer-Encoding with Content-Length is refused in either order and with any coding.
TEST(RequestReader, TransferEncodingWithContentLengthIs400) {
  for (std::string_view fields : {"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                                  "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                                  "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n"}) {
    RequestReader r(limits());
    drive(r, "POST /a HTTP/1.1\r\nHost: t\r\n" + std::string(fields) + "\r\n0\r\n\r\n");
    SCOPED_TRACE(fields);
    expect_failed(r, ErrorCode::bad_request);
  }
}

// HTTP/1.0 has no chunked coding: Transfer-Encoding there is refused.
TEST(RequestReader, Http10WithTransferEncodingIs400) {
  RequestReader r(limits());
  drive(r, "POST /a HTTP/1.0\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  expect_failed(r, ErrorCode::bad_request, "HTTP/1.0");
}

// RFC 9112 §3.2: HTTP/1.1 needs exactly one Host; HTTP/1.0 may omit it, never double it.
TEST(RequestReader, HostRules) {
  RequestReader missing(limits());
  drive(missing, "GET / HTTP/1.1\r\n\r\n");
  expect_failed(missing, ErrorCode::bad_request, "Host");
  RequestReader twice(limits());
  drive(twice, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  expect_failed(twice, ErrorCode::bad_request, "Host");
  RequestReader old(limits());
  drive(old, "GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.progress(), Progress::complete);
  RequestReader old_twice(limits());
  drive(old_twice, "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n");
  expect_failed(old_twice, ErrorCode::bad_request, "Host");
}

// Bytes that are not HTTP are 400.
TEST(RequestReader, GarbageIs400) {
  RequestReader r(limits());
  drive(r, "\x16\x03\x01 hello\r\n\r\n");
  expect_failed(r, ErrorCode::bad_request);
}

// The Transfer-Encoding list rules on their own.
TEST(RequestReader, ClassifiesTransferEncoding) {
  EXPECT_EQ(classify_transfer_encoding("chunked"), TransferCoding::chunked);
  EXPECT_EQ(classify_transfer_encoding(" CHUNKED ,"), TransferCoding::chunked);
  EXPECT_EQ(classify_transfer_encoding("gzip,chunked,"), TransferCoding::unsupported);
  EXPECT_EQ(classify_transfer_encoding(""), TransferCoding::invalid);
  EXPECT_EQ(classify_transfer_encoding(" , "), TransferCoding::invalid);
  EXPECT_EQ(classify_transfer_encoding("chunked, gzip"), TransferCoding::invalid);
  EXPECT_EQ(classify_transfer_encoding("chunked, chunked"), TransferCoding::invalid);
  EXPECT_EQ(classify_transfer_encoding("xchunked"), TransferCoding::invalid);
}

}  // namespace
}  // namespace cloakroom::http
