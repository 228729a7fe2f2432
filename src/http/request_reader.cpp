// The only translation unit that includes Beast's HTTP parser (heavy templates).
#include "http/request_reader.h"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/string_body.hpp>
#include <array>
#include <cstddef>
#include <iterator>
#include <memory_resource>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>

#include "core/ascii.h"

namespace cloakroom::http {

namespace bhttp = boost::beast::http;

namespace {

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "64 KiB", "1 MiB" or "1000-byte": how a limit reads in "the ... limit".
std::string size_text(std::size_t n) {
  if (n >= 1024 * 1024 && n % (1024 * 1024) == 0) return std::to_string(n / (1024 * 1024)) + " MiB";
  if (n >= 1024 && n % 1024 == 0) return std::to_string(n / 1024) + " KiB";
  return std::to_string(n) + "-byte";
}

// A request over a limit, with the limit and the key that sets it: the
// client (or the operator reading its report) learns what to change. The
// limits are no secret, a client can measure them.
Error over_limit(ErrorCode code, const ReaderLimits& limits) {
  if (code == ErrorCode::body_too_large)
    return Error{code, "The request body is over the " + size_text(limits.body_bytes) + " limit (http.max_body_bytes)."};
  return Error{code, "The request line and headers are over the " + size_text(limits.header_bytes) +
                         " limit (http.max_header_bytes)."};
}

Error error_for(const boost::system::error_code& ec, const ReaderLimits& limits) {
  if (ec == bhttp::error::header_limit) return over_limit(ErrorCode::headers_too_large, limits);
  if (ec == bhttp::error::body_limit) return over_limit(ErrorCode::body_too_large, limits);
  return ErrorCode::bad_request;
}

}  // namespace

TransferCoding classify_transfer_encoding(std::string_view joined_values) {
  std::size_t codings = 0, chunked = 0;
  bool last_is_chunked = false;
  while (true) {
    std::size_t comma = joined_values.find(',');
    std::string_view element = trim_ows(joined_values.substr(0, comma));
    if (!element.empty()) {  // RFC 9110 §5.6.1: empty list elements do not count
      ++codings;
      last_is_chunked = iequals_ascii(element, "chunked");
      if (last_is_chunked) ++chunked;
    }
    if (comma == std::string_view::npos) break;
    joined_values.remove_prefix(comma + 1);
  }
  // Anything but a single, final chunked leaves the body's end unknown.
  if (!last_is_chunked || chunked != 1) return TransferCoding::invalid;
  return codings == 1 ? TransferCoding::chunked : TransferCoding::unsupported;
}

// Beast's fields allocate once per field (and once for the request line);
// here they take their memory from a buffer inside the reader, released
// whole by reset(). Why 2 KiB: it holds a typical API or browser request's
// fields (each costs its name, value and ~70 bytes of bookkeeping) while a
// connection's idle footprint stays small. A bigger header spills to the heap
// in a few growing blocks: up to ~12x header_bytes for a header of tiny
// fields (the bookkeeping), as Beast's own per-field blocks were; the server
// resets the reader as soon as it has answered, so no idle connection keeps it.
constexpr std::size_t kInlineFieldBytes = 2048;

struct RequestReader::Impl {
  using Fields = std::pmr::polymorphic_allocator<char>;
  using Parser = bhttp::request_parser<bhttp::string_body, Fields>;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // A new parser for the next message (Beast's parsers are single-use).
  void start(const ReaderLimits& limits) {
    parser.reset();  // first, as its fields live in `memory`
    memory.release();
    parser.emplace(std::piecewise_construct, std::make_tuple(), std::make_tuple(Fields(&memory)));
    parser->header_limit(static_cast<std::uint32_t>(limits.header_bytes));
    parser->body_limit(limits.body_bytes);
  }

  alignas(std::max_align_t) std::array<std::byte, kInlineFieldBytes> inline_fields;
  std::pmr::monotonic_buffer_resource memory{inline_fields.data(), inline_fields.size(),
                                             std::pmr::new_delete_resource()};
  std::optional<Parser> parser;
};

RequestReader::RequestReader(ReaderLimits limits) : impl_(std::make_unique<Impl>()), limits_(limits) {
  impl_->start(limits_);
}

RequestReader::~RequestReader() = default;

void RequestReader::reset() {
  impl_->start(limits_);
  progress_ = Progress::reading_header;
  error_ = Error{ErrorCode::bad_request};
  header_consumed_ = 0;
  header_fields_ = 0;
}

void RequestReader::fail(Error e) {
  progress_ = Progress::failed;
  error_ = std::move(e);
}

std::size_t RequestReader::feed(std::string_view bytes) {
  auto& parser = *impl_->parser;
  std::size_t consumed = 0;
  // Beast throws from inside put() in a few places (a field longer than its
  // 16-bit offsets, allocation failure); a client must never reach them, but
  // if one does, only this request fails.
  try {
    while (progress_ == Progress::reading_header || progress_ == Progress::reading_body) {
      bool in_header = progress_ == Progress::reading_header;
      // Beast waits until a whole header block, chunk-size line or trailer
      // section is buffered, and limits only the first (and that only per
      // call, as it takes complete fields early). Offering it no more than
      // what the header limit leaves bounds all three, before it parses them.
      std::size_t window = limits_.header_bytes - (in_header ? header_consumed_ : 0);
      if (window == 0) {
        fail(over_limit(ErrorCode::headers_too_large, limits_));
        break;
      }
      std::string_view offered = bytes.substr(consumed, window);
      if (offered.empty()) break;
      boost::system::error_code ec;
      std::size_t used = parser.put(boost::asio::const_buffer(offered.data(), offered.size()), ec);
      consumed += used;
      if (in_header) header_consumed_ += used;
      if (ec == bhttp::error::need_more) {
        // A full window that still does not hold the end: over the limit.
        if (offered.size() == window) fail(over_limit(ErrorCode::headers_too_large, limits_));
        break;
      }
      if (ec) {
        fail(error_for(ec, limits_));
        break;
      }
      if (in_header && parser.is_header_done()) {
        if (!check_framing()) break;
        header_fields_ = field_count();
        parser.eager(true);
        progress_ = parser.is_done() ? Progress::complete : Progress::reading_body;
        break;
      }
      if (parser.is_done()) {
        // Beast merges trailer fields into the header fields, where a client
        // could slip in a field a proxy in front checks only in the header.
        if (field_count() != header_fields_) {
          fail(Error{ErrorCode::bad_request, "Trailer fields are not accepted."});
          break;
        }
        progress_ = Progress::complete;
        break;
      }
      if (used == 0) break;  // no progress without an error: wait for more bytes
    }
  } catch (const std::length_error&) {
    fail(over_limit(ErrorCode::headers_too_large, limits_));
  } catch (const std::exception&) {
    fail(ErrorCode::bad_request);
  }
  return consumed;
}

// RFC 9112 §3.2 (Host) and §6.1/§6.3 (Transfer-Encoding), enforced strictly:
// where the RFC lets a server guess, we refuse and close, since a proxy in
// front may have guessed differently (request smuggling).
std::size_t RequestReader::field_count() const {
  const auto& msg = impl_->parser->get();
  return static_cast<std::size_t>(std::distance(msg.begin(), msg.end()));
}

bool RequestReader::check_framing() {
  const auto& msg = impl_->parser->get();
  std::size_t hosts = msg.count(bhttp::field::host);
  // HTTP/1.0 predates Host: it may omit it, but never send two.
  if (hosts > 1 || (hosts == 0 && msg.version() >= 11)) {
    fail(Error{ErrorCode::bad_request, "A request must carry exactly one Host header."});
    return false;
  }
  if (msg.count(bhttp::field::transfer_encoding) == 0) return true;
  if (msg.version() < 11) {
    fail(Error{ErrorCode::bad_request, "Transfer-Encoding is not allowed in an HTTP/1.0 request."});
    return false;
  }
  if (msg.count(bhttp::field::content_length) > 0) {
    fail(Error{ErrorCode::bad_request, "Transfer-Encoding and Content-Length must not both be sent."});
    return false;
  }
  std::string joined;
  for (auto it = msg.find(bhttp::field::transfer_encoding);
       it != msg.end() && it->name() == bhttp::field::transfer_encoding; ++it) {
    joined += it->value();
    joined += ',';
  }
  switch (classify_transfer_encoding(joined)) {
    case TransferCoding::chunked:
      return true;
    case TransferCoding::unsupported:
      fail(Error{ErrorCode::not_implemented, "Only the chunked transfer coding is supported."});
      return false;
    case TransferCoding::invalid:
      fail(Error{ErrorCode::bad_request, "Transfer-Encoding must end with a single chunked coding."});
      return false;
  }
  return false;
}

std::string_view RequestReader::method() const {
  if (progress_ == Progress::reading_header) return {};
  return impl_->parser->get().method_string();
}

std::string_view RequestReader::target() const {
  if (progress_ == Progress::reading_header) return {};
  return impl_->parser->get().target();
}

int RequestReader::version() const { return impl_->parser->get().version(); }

bool RequestReader::is_head() const {
  return progress_ != Progress::reading_header && impl_->parser->get().method() == bhttp::verb::head;
}

bool RequestReader::keep_alive() const { return impl_->parser->get().keep_alive(); }

bool RequestReader::expects_continue() const {
  return bhttp::token_list(impl_->parser->get()[bhttp::field::expect]).exists("100-continue");
}

std::string_view RequestReader::header(std::string_view name) const { return impl_->parser->get()[name]; }

void RequestReader::view(Request& out) const {
  const auto& msg = impl_->parser->get();
  out.method = method();
  out.target = target();
  out.path = out.target.substr(0, out.target.find('?'));
  out.body = msg.body();
  out.headers.clear();
  out.headers.reserve(16);
  for (const auto& f : msg) out.headers.emplace_back(f.name_string(), f.value());
}

}  // namespace cloakroom::http
