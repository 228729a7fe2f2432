#include "api/json_body.h"

#include "core/ascii.h"

namespace cloakroom::api {
namespace {

std::string_view type_name(json::Type t) {
  switch (t) {
    case json::Type::null: return "null";
    case json::Type::boolean: return "a boolean";
    case json::Type::number: return "a number";
    case json::Type::string: return "a string";
    case json::Type::array: return "an array";
    case json::Type::object: return "an object";
  }
  return "a value";
}

bool is_json_media_type(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return iequals_ascii(media, "application/json");
}

}  // namespace

Result<json::Value> read_json_object(const http::Request& req, std::initializer_list<FieldSpec> fields) {
  if (!is_json_media_type(req.header("content-type"))) return ErrorCode::unsupported_media_type;
  if (req.body.empty()) return Error{ErrorCode::malformed_json, "The request body is empty; send a JSON object."};
  // Why 1000 members: our bodies have a handful of fields (unknown ones are
  // refused below); the cap bounds what a 64 KiB body can cost before that.
  auto doc = json::parse(req.body, {.max_bytes = req.body.size(), .max_depth = 8, .max_members = 1000});
  if (!doc) return doc.error();
  if (!doc->is_object()) return Error{ErrorCode::malformed_json, "The request body must be a JSON object."};
  for (const auto& [name, value] : doc->members) {
    const FieldSpec* spec = nullptr;
    for (const auto& f : fields)
      if (f.name == name) spec = &f;
    // Why: the name is client-controlled; cap what we echo back.
    std::string shown = name.size() > 64 ? name.substr(0, 64) + "..." : name;
    if (!spec) return Error{ErrorCode::unknown_field, "Unknown field \"" + shown + "\"."};
    if (value.type != spec->type)
      return Error{ErrorCode::invalid_field, std::string(name) + " must be " + std::string(type_name(spec->type)) + "."};
  }
  for (const auto& f : fields)
    if (f.required && !doc->find(f.name))
      return Error{ErrorCode::missing_field, std::string(f.name) + " is required."};
  return doc;
}

Result<void> read_no_fields(const http::Request& req) {
  if (req.body.empty()) return {};
  auto body = read_json_object(req, {});
  if (!body) return body.error();
  return {};
}

Result<void> check_field_length(std::string_view field, const std::string& value, std::size_t max) {
  if (value.empty() || value.size() > max)
    return Error{ErrorCode::invalid_field, std::string(field) + " must be 1 to " + std::to_string(max) + " characters."};
  return {};
}

}  // namespace cloakroom::api
