#pragma once
// Who sent a request, as the audit log records it.
//
//   audit.record(AuditEvent::logout, http::audit_context(req), user_id, {...});
#include "core/audit_log.h"
#include "http/request.h"

namespace cloakroom::http {

// The client address (after http.trusted_proxies), User-Agent and request id
// of `req`, actor "api". Views into `req`: use while it lives.
inline AuditContext audit_context(const Request& req) {
  return AuditContext::api(req.remote_ip, req.header("user-agent"), req.request_id);
}

}  // namespace cloakroom::http
