#include "core/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/json.h"

namespace cloakroom {

namespace {

constexpr AuditEventSpec kEvents[] = {
#define CLOAKROOM_AUDIT_ROW(name, level, outcome, fields, when) {#name, LogLevel::level, #outcome, fields, when},
    CLOAKROOM_AUDIT_EVENTS(CLOAKROOM_AUDIT_ROW)
#undef CLOAKROOM_AUDIT_ROW
};

}  // namespace

const AuditEventSpec& audit_spec(AuditEvent event) { return kEvents[static_cast<std::size_t>(event)]; }

std::span<const AuditEventSpec> audit_events() { return kEvents; }

std::string audit_reference_markdown() {
  std::string out = "| event | level | outcome | its own fields | when |\n|---|---|---|---|---|\n";
  for (const AuditEventSpec& e : kEvents) {
    std::string fields;
    std::string_view rest = e.fields;
    while (!rest.empty()) {
      const auto space = rest.find(' ');
      fields += (fields.empty() ? "`" : ", `") + std::string(rest.substr(0, space)) + "`";
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
    out += "| `" + std::string(e.name) + "` | " + std::string(level_name(e.level)) + " | " + std::string(e.outcome) +
           " | " + fields + " | " + std::string(e.when) + " |\n";
  }
  return out;
}

void StderrAuditSink::write(std::string_view line) { write_stderr_line(line); }

Result<std::unique_ptr<FileAuditSink>> FileAuditSink::open(std::string path) {
  // 0600: the log names users, addresses and what they did.
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return Error{ErrorCode::config_invalid, "log.audit: cannot open " + path + " for appending: " + std::strerror(errno)};
  return std::unique_ptr<FileAuditSink>(new FileAuditSink(std::move(path), fd));
}

FileAuditSink::~FileAuditSink() { ::close(fd_); }

void FileAuditSink::write(std::string_view line) {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk must not take logins down
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& where, LogLevel threshold) {
  if (where == "stderr") return std::make_unique<AuditLog>(std::make_unique<StderrAuditSink>(), threshold);
  auto file = FileAuditSink::open(where);
  if (!file) return file.error();
  return std::make_unique<AuditLog>(std::move(*file), threshold);
}

void AuditLog::record(AuditEvent event, const AuditContext& from, std::string_view user_id,
                      std::initializer_list<LogField> fields) const {
  const AuditEventSpec& spec = audit_spec(event);
  // Never filtered by log.level: an operator quietening the operational log
  // (level = "error") must not lose the security record with it.
  json::Writer w;
  w.begin_object();
  w.key("ts"); w.string(iso8601_now());
  w.key("log"); w.string("audit");
  w.key("level"); w.string(level_name(spec.level));
  w.key("event"); w.string(spec.name);
  w.key("outcome"); w.string(spec.outcome);
  w.key("actor"); w.string(from.actor);
  if (!user_id.empty()) { w.key("user_id"); w.string(user_id); }
  if (!from.ip.empty()) { w.key("ip"); w.string(from.ip); }
  if (!from.user_agent.empty()) { w.key("user_agent"); w.string(from.user_agent.substr(0, kUserAgentMax)); }
  if (!from.request_id.empty()) { w.key("request_id"); w.string(from.request_id); }
  for (const auto& [k, v] : fields) { w.key(k); w.string(v); }
  w.end_object();
  w.str() += '\n';
  sink_->write(w.str());
}

}  // namespace cloakroom
