#include "core/audit_log.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/json.h"
#include "support/audit_capture.h"

namespace cloakroom {
namespace {

// A line's members, in order, as "name=value" (ts only checked present).
std::vector<std::string> members(const std::string& line) {
  EXPECT_EQ(line.back(), '\n');
  auto v = json::parse(line);
  EXPECT_TRUE(v && v->is_object()) << line;
  std::vector<std::string> out;
  if (!v) return out;
  for (const auto& m : v->members) out.push_back(m.name == "ts" ? "ts" : m.name + "=" + m.value.text);
  return out;
}

// An API event: the common fields in their order, then the event's own.
TEST(AuditLog, ApiEventCarriesEveryCommonFieldThenItsOwn) {
  testing::AuditCapture audit;
  audit.log().record(AuditEvent::login_failed, AuditContext::api("203.0.113.9", "curl/8", "req-1"), "u1",
                     {{"username", "alice"}, {"reason", "wrong_password"}});
  ASSERT_EQ(audit.lines().size(), 1u);
  EXPECT_EQ(members(audit.lines()[0]),
            (std::vector<std::string>{"ts", "log=audit", "level=warn", "event=login_failed", "outcome=failure",
                                      "actor=api", "user_id=u1", "ip=203.0.113.9", "user_agent=curl/8",
                                      "request_id=req-1", "username=alice", "reason=wrong_password"}));
}

// A CLI event has no address, user agent or request id; an unknown user no user_id.
TEST(AuditLog, CliEventHasNoRequestFields) {
  testing::AuditCapture audit;
  audit.log().record(AuditEvent::user_disabled, AuditContext::cli(), "u1", {{"username", "alice"}});
  audit.log().record(AuditEvent::key_retired, AuditContext::cli(), "", {{"kid", "k1"}});
  ASSERT_EQ(audit.lines().size(), 2u);
  EXPECT_EQ(members(audit.lines()[0]),
            (std::vector<std::string>{"ts", "log=audit", "level=info", "event=user_disabled", "outcome=success",
                                      "actor=cli", "user_id=u1", "username=alice"}));
  EXPECT_EQ(members(audit.lines()[1]),
            (std::vector<std::string>{"ts", "log=audit", "level=info", "event=key_retired", "outcome=success",
                                      "actor=cli", "kid=k1"}));
}

// log.level: events below it are not written; at or above it they are.
// log.level quietens the operational log only: every audit event is
// written whatever it says (a quiet log must not lose the security record).
TEST(AuditLog, LogLevelNeverDropsAuditEvents) {
  testing::AuditCapture audit(LogLevel::error);
  audit.log().record(AuditEvent::login_succeeded, AuditContext::cli(), "u1", {{"mode", "session"}, {"credential_id", "s"}});
  audit.log().record(AuditEvent::csrf_refused, AuditContext::cli(), "", {});
  ASSERT_EQ(audit.lines().size(), 2u);
  EXPECT_NE(audit.lines()[0].find(R"("event":"login_succeeded")"), std::string::npos);
  EXPECT_NE(audit.lines()[1].find(R"("event":"csrf_refused")"), std::string::npos);
}

// A client's User-Agent is cut to 256 bytes and escaped: one line, valid JSON, whatever it sends.
TEST(AuditLog, UserAgentIsBoundedAndEscaped) {
  testing::AuditCapture audit;
  const std::string ua = "evil\"\n{\"event\":\"login_succeeded\"}\x01" + std::string(1000, 'a');
  audit.log().record(AuditEvent::logout, AuditContext::api("192.0.2.1", ua, "r"), "u1", {{"mode", "session"}, {"credential_id", "s"}});
  ASSERT_EQ(audit.lines().size(), 1u);
  const std::string line = audit.lines()[0];
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  auto v = json::parse(line);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->find("user_agent")->text, ua.substr(0, AuditLog::kUserAgentMax));
  EXPECT_EQ(v->find("event")->text, "logout");
}

// The list: unique names, a known outcome, fields that are plain words and
// never name a credential (the audit log must not carry one).
TEST(AuditLog, EventListIsWellFormedAndCarriesNoCredential) {
  std::set<std::string_view> names;
  const std::set<std::string_view> common{"ts", "log", "level", "event", "outcome", "actor", "user_id", "ip",
                                          "user_agent", "request_id"};
  for (const AuditEventSpec& e : audit_events()) {
    EXPECT_TRUE(names.insert(e.name).second) << e.name;
    EXPECT_TRUE(e.outcome == "success" || e.outcome == "failure" || e.outcome == "refused") << e.name;
    EXPECT_FALSE(e.when.empty()) << e.name;
    std::istringstream in{std::string(e.fields)};
    for (std::string f; in >> f;) {
      EXPECT_EQ(common.count(f), 0u) << e.name << " repeats the common field " << f;
      for (std::string_view bad : {"password", "token", "cookie", "secret", "hash"})
        EXPECT_EQ(f.find(bad), std::string::npos) << e.name << "." << f;
    }
  }
  EXPECT_EQ(audit_spec(AuditEvent::refresh_token_reused).name, "refresh_token_reused");
}

// log.audit = a path: appended to (a second opening keeps the first's lines), created owner-only.
TEST(AuditLog, FileSinkAppendsAndIsOwnerOnly) {
  const std::string path = ::testing::TempDir() + "/cloakroom-audit-" + std::to_string(::getpid()) + ".log";
  ::unlink(path.c_str());
  for (int round = 0; round < 2; ++round) {
    auto audit = AuditLog::open(path, "", LogLevel::info);
    ASSERT_TRUE(audit);
    (*audit)->record(AuditEvent::key_rotated, AuditContext::cli(), "", {{"kid", "k" + std::to_string(round)}});
  }
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(path);
  std::vector<std::string> kids;
  for (std::string line; std::getline(in, line);) kids.push_back(json::parse(line)->find("kid")->text);
  EXPECT_EQ(kids, (std::vector<std::string>{"k0", "k1"}));
  ::unlink(path.c_str());
}

// A path that cannot be opened is a configuration error, said in one sentence.
TEST(AuditLog, UnopenableFileIsAConfigError) {
  auto audit = AuditLog::open("/nonexistent-dir/audit.log", "", LogLevel::info);
  ASSERT_FALSE(audit);
  EXPECT_EQ(audit.error().code, ErrorCode::config_invalid);
}

// A scratch folder for the file-rule tests, removed with what it holds.
struct ScratchDir {
  std::string path = ::testing::TempDir() + "/cloakroom-audit-dir-" + std::to_string(::getpid());
  ScratchDir() {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() { std::filesystem::remove_all(path); }
};

// A symbolic link at log.audit is refused (it would aim our appends at any
// file), by serve and by config check alike, and its target is left alone.
TEST(AuditLog, SymlinkIsRefused) {
  ScratchDir dir;
  const std::string target = dir.path + "/target", link = dir.path + "/audit.log";
  { std::ofstream(target) << "x"; }
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  const std::string want = "log.audit: " + link + " is a symbolic link; name the file itself";
  auto audit = AuditLog::open(link, "", LogLevel::info);
  ASSERT_FALSE(audit);
  EXPECT_EQ(audit.error().code, ErrorCode::config_invalid);
  EXPECT_EQ(audit.error().message, want);
  auto checked = check_audit_target(link, "");
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message, want);
  EXPECT_EQ(std::filesystem::file_size(target), 1u);
}

// A FIFO (which would hang start-up) and a directory are not regular files.
TEST(AuditLog, NonRegularFileIsRefused) {
  ScratchDir dir;
  const std::string fifo = dir.path + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {fifo, dir.path}) {
    auto audit = AuditLog::open(path, "", LogLevel::info);
    ASSERT_FALSE(audit) << path;
    EXPECT_EQ(audit.error().message, "log.audit: " + path + " is not a regular file");
    auto checked = check_audit_target(path, "");
    ASSERT_FALSE(checked) << path;
    EXPECT_EQ(checked.error().message, "log.audit: " + path + " is not a regular file");
  }
}

// A file that belongs to another user is refused (they could read or forge
// the record). Needs root to make such a file; skipped otherwise.
TEST(AuditLog, FileOfAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  ScratchDir dir;
  const std::string path = dir.path + "/audit.log";
  { std::ofstream(path) << ""; }
  ASSERT_EQ(::chown(path.c_str(), 65534, 65534), 0);
  const std::string want = "log.audit: " + path + " belongs to uid 65534, not to uid 0 that cloakroom writes it as; "
                           "give it to that user or name another file";
  auto audit = AuditLog::open(path, dir.path, LogLevel::info);
  ASSERT_FALSE(audit);
  EXPECT_EQ(audit.error().message, want);
  auto checked = check_audit_target(path, dir.path);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message, want);
}

// Root (the CLI) creating the file for a data directory the service user
// owns gives it to that user, so the service can append; root may then
// append to it too, and config check accepts it.
TEST(AuditLog, RootCreatesTheFileForTheDataDirOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  ScratchDir dir;
  const std::string data = dir.path + "/data", path = dir.path + "/audit.log";
  std::filesystem::create_directories(data);
  ASSERT_EQ(::chown(data.c_str(), 65534, 65534), 0);
  EXPECT_TRUE(check_audit_target(path, data));  // missing, in a writable folder: serve would create it
  EXPECT_FALSE(std::filesystem::exists(path));  // and config check did not
  for (int round = 0; round < 2; ++round) {
    auto audit = AuditLog::open(path, data, LogLevel::info);
    ASSERT_TRUE(audit) << audit.error().message;
    (*audit)->record(AuditEvent::key_rotated, AuditContext::cli(), "", {{"kid", "k"}});
  }
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(check_audit_target(path, data));
  // The same file with root's own data directory belongs to the wrong user.
  EXPECT_FALSE(check_audit_target(path, dir.path));
}

// log.level names, any case; log_line honours the threshold.
TEST(LogLevel, ParsesAnyCaseAndFiltersLogLine) {
  EXPECT_EQ(parse_log_level("WARN"), LogLevel::warn);
  EXPECT_EQ(parse_log_level("Debug"), LogLevel::debug);
  EXPECT_EQ(parse_log_level("warning"), std::nullopt);
  set_log_threshold(LogLevel::warn);
  ::testing::internal::CaptureStderr();
  log_line("info", "dropped", {});
  log_line("warn", "kept", {});
  std::string out = ::testing::internal::GetCapturedStderr();
  set_log_threshold(LogLevel::info);
  EXPECT_EQ(out.find("dropped"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("event":"kept")"), std::string::npos) << out;
}

}  // namespace
}  // namespace cloakroom
