#include "api/login_challenge.h"

#include "core/digest.h"
#include "core/json.h"

namespace cloakroom::api {

std::string client_binding(std::string_view client_network, std::string_view user_agent) {
  const Sha256 ua = sha256(user_agent);
  return std::string(client_network) + " " +
         lower_hex(std::string_view(reinterpret_cast<const char*>(ua.data()), ua.size()));
}

std::string challenge_hash(std::string_view id, std::string_view binding) {
  std::string keyed(id);
  keyed += '\n';
  keyed += binding;
  const Sha256 h = sha256(keyed);
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

std::string password_fingerprint(std::string_view password_hash) {
  const Sha256 h = sha256(password_hash);
  return lower_hex(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

std::string encode(const LoginChallenge& c) {
  json::Writer w;
  w.begin_object();
  w.key("user_id"); w.string(c.user_id);
  w.key("token_mode"); w.boolean(c.token_mode);
  w.key("cookie_transport"); w.boolean(c.cookie_transport);
  w.key("remember"); w.boolean(c.remember);
  w.key("client"); w.string(c.client);
  w.key("password"); w.string(c.password);
  w.end_object();
  return w.take();
}

std::optional<LoginChallenge> decode_login_challenge(std::string_view payload) {
  auto v = json::parse(payload);
  if (!v || !v->is_object()) return std::nullopt;
  auto text = [&](std::string_view k) -> const std::string* {
    const json::Value* f = v->find(k);
    return f && f->is_string() ? &f->text : nullptr;
  };
  auto flag = [&](std::string_view k) -> std::optional<bool> {
    const json::Value* f = v->find(k);
    if (!f || f->type != json::Type::boolean) return std::nullopt;
    return f->boolean;
  };
  const std::string* user_id = text("user_id");
  const std::string* client = text("client");
  const std::string* password = text("password");
  auto token_mode = flag("token_mode");
  auto cookie_transport = flag("cookie_transport");
  auto remember = flag("remember");
  // A challenge without a fingerprint (written before there was one) is refused: it cannot be checked.
  if (!user_id || user_id->empty() || !client || !password || password->empty() || !token_mode ||
      !cookie_transport || !remember)
    return std::nullopt;
  return LoginChallenge{*user_id, *token_mode, *cookie_transport, *remember, *client, *password};
}

}  // namespace cloakroom::api
