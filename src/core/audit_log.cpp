#include "core/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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

namespace {

// Whom the audit file must belong to: the process's user, or, for root
// working on a data directory another user owns, that user (so the root CLI
// never leaves a file the service cannot append to).
struct AuditOwner {
  uid_t uid;
  gid_t gid;
};
AuditOwner audit_owner(const std::string& data_dir) {
  struct stat st{};
  if (::geteuid() == 0 && !data_dir.empty() && ::stat(data_dir.c_str(), &st) == 0 && st.st_uid != 0)
    return {st.st_uid, st.st_gid};
  return {::geteuid(), ::getegid()};
}

Error audit_refused(const std::string& path, const std::string& why) {
  return Error{ErrorCode::config_invalid, "log.audit: " + path + " " + why};
}

// Opens `path` for appending under the rules in the header and returns the
// fd (or -1 when `create` is false and the file does not exist yet). Why
// O_NOFOLLOW: a link planted where the log goes would aim root's appends at
// any file; O_NONBLOCK: a FIFO without reader must be refused, not hang
// start-up (cleared once the fd is known to be a regular file).
Result<int> open_audit_file(const std::string& path, const std::string& data_dir, bool create) {
  const AuditOwner owner = audit_owner(data_dir);
  const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  bool created = false;
  int fd = ::open(path.c_str(), flags);
  if (fd < 0 && errno == ENOENT && create) {
    // 0600: the log names users, addresses and what they did. O_EXCL: we know we made it.
    fd = ::open(path.c_str(), flags | O_CREAT | O_EXCL, 0600);
    created = fd >= 0;
    if (fd < 0 && errno == EEXIST) fd = ::open(path.c_str(), flags);  // another process made it first
  }
  if (fd < 0) {
    const int err = errno;
    if (err == ELOOP) return audit_refused(path, "is a symbolic link; name the file itself");
    if (err == ENXIO || err == EISDIR) return audit_refused(path, "is not a regular file");
    if (err == ENOENT && !create) {
      // config check: serve would create it; the folder must let it.
      const auto slash = path.rfind('/');
      const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
      if (::access(dir.c_str(), W_OK | X_OK) == 0) return -1;
      return Error{ErrorCode::config_invalid,
                   "log.audit: cannot create " + path + ": " + std::strerror(errno)};
    }
    return Error{ErrorCode::config_invalid, "log.audit: cannot open " + path + " for appending: " + std::strerror(err)};
  }
  struct stat st{};
  std::string refusal;
  if (::fstat(fd, &st) != 0) refusal = std::string("cannot be examined: ") + std::strerror(errno);
  else if (!S_ISREG(st.st_mode)) refusal = "is not a regular file";
  else if (created && st.st_uid != owner.uid && ::fchown(fd, owner.uid, owner.gid) != 0)
    refusal = "was created by root but could not be given to uid " + std::to_string(owner.uid) +
              " (the data directory's owner): " + std::strerror(errno);
  else if (!created && st.st_uid != owner.uid)
    refusal = "belongs to uid " + std::to_string(st.st_uid) + ", not to uid " + std::to_string(owner.uid) +
              " that cloakroom writes it as; give it to that user or name another file";
  else if (st.st_mode & (S_IWGRP | S_IWOTH))
    // Anyone who may write the file may forge or erase the record.
    refusal = "can be written by other users (mode " + [&] {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
      return std::string(mode);
    }() + "); chmod go-w it or name another file";
  if (refusal.empty() && ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
    refusal = std::string("cannot be made blocking: ") + std::strerror(errno);
  if (!refusal.empty()) {
    ::close(fd);
    if (created) ::unlink(path.c_str());
    return audit_refused(path, refusal);
  }
  return fd;
}

}  // namespace

Result<void> check_audit_target(const std::string& where, const std::string& data_dir) {
  if (where == "stderr") return {};
  auto fd = open_audit_file(where, data_dir, /*create=*/false);
  if (!fd) return fd.error();
  if (*fd >= 0) ::close(*fd);
  return {};
}

Result<std::unique_ptr<FileAuditSink>> FileAuditSink::open(std::string path, const std::string& data_dir) {
  auto fd = open_audit_file(path, data_dir, /*create=*/true);
  if (!fd) return fd.error();
  return std::unique_ptr<FileAuditSink>(new FileAuditSink(std::move(path), *fd));
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

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& where, const std::string& data_dir,
                                                 LogLevel threshold) {
  if (where == "stderr") return std::make_unique<AuditLog>(std::make_unique<StderrAuditSink>(), threshold);
  auto file = FileAuditSink::open(where, data_dir);
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
