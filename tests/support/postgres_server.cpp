#include "support/postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace cloakroom::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kBin = "/usr/lib/postgresql/15/bin/";

// Whom PostgreSQL runs as: the `postgres` system user (made by the Debian
// package) when we are root, else ourselves.
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

RunAs run_as() {
  if (::geteuid() != 0) return {};
  const passwd* pw = ::getpwnam("postgres");
  if (!pw) throw std::runtime_error("running as root, and there is no `postgres` user to run PostgreSQL as");
  return RunAs{true, pw->pw_uid, pw->pw_gid};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// fork + exec as `as`, output appended to `log`. With `die_with_parent` the
// child gets SIGINT (fast shutdown) when the thread that forked it ends.
pid_t spawn(const std::vector<std::string>& argv, const RunAs& as, const std::string& log, bool die_with_parent) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {  // only async-signal-safe calls from here to exec
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    if (as.switch_user && (::setgroups(0, nullptr) != 0 || ::setgid(as.gid) != 0 || ::setuid(as.uid) != 0)) ::_exit(126);
    // After setuid: changing credentials clears the parent-death signal.
    if (die_with_parent && (::prctl(PR_SET_PDEATHSIG, SIGINT) != 0 || ::getppid() != parent)) ::_exit(125);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(in);
  if (pid < 0) throw std::runtime_error("fork failed");
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A port nobody listens on right now (postgres may still lose a race for it: start() retries).
int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("cannot find a free port");
  ::close(s);
  return ntohs(a.sin_port);
}

}  // namespace

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  return server;
}

PostgresServer::PostgresServer() {
  if (!fs::exists(std::string(kBin) + "postgres"))
    throw std::runtime_error(std::string("PostgreSQL 15 is not installed (") + kBin + "postgres); run scripts/bootstrap.sh");
  // Under /tmp, not TMPDIR: the postgres user must be able to reach it.
  std::string pattern = "/tmp/cloakroom-pg-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
  dir_ = pattern;
  data_ = dir_ + "/data";
  run_initdb();
  start();
}

PostgresServer::~PostgresServer() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void PostgresServer::run_initdb() {
  const RunAs as = run_as();
  const std::string pwfile = dir_ + "/pwfile";
  std::ofstream(pwfile) << kPassword << "\n";
  if (as.switch_user && (::chown(dir_.c_str(), as.uid, as.gid) != 0 || ::chown(pwfile.c_str(), as.uid, as.gid) != 0))
    throw std::runtime_error("cannot hand " + dir_ + " to the postgres user");
  // Local (socket) connections trusted, TCP ones by password (scram), as a
  // deployment would: the tests' URLs carry the password.
  const pid_t pid = spawn({std::string(kBin) + "initdb", "-D", data_, "-N", "-U", kUser, "--pwfile=" + pwfile,
                           "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C"},
                          as, dir_ + "/initdb.log", false);
  if (wait_exit(pid) != 0) throw std::runtime_error("initdb failed:\n" + read_file(dir_ + "/initdb.log"));
}

void PostgresServer::start() {
  const RunAs as = run_as();
  const bool restart = port_ != 0;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (!restart) port_ = free_port();
    // Durability off: a test server loses nothing worth keeping, and starts and writes faster.
    pid_ = spawn({std::string(kBin) + "postgres", "-D", data_, "-p", std::to_string(port_), "-c",
                  "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + dir_, "-c", "fsync=off", "-c",
                  "synchronous_commit=off", "-c", "full_page_writes=off"},
                 as, dir_ + "/postgres.log", true);
    const std::string ping = url("postgres");
    for (int i = 0; i < 1500; ++i) {  // up to 15 s
      if (PQping(ping.c_str()) == PQPING_OK) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;  // it exited: most likely the port was taken meanwhile
      }
      std::this_thread::sleep_for(10ms);
    }
    stop();
    std::this_thread::sleep_for(100ms);
  }
  throw std::runtime_error("PostgreSQL did not start:\n" + read_file(dir_ + "/postgres.log"));
}

void PostgresServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);  // fast shutdown: clients are disconnected, nothing waits
  for (int i = 0; i < 1000; ++i) {  // up to 10 s
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid_, SIGKILL);
  wait_exit(pid_);
  pid_ = -1;
}

std::string PostgresServer::url(const std::string& database) const {
  return std::string("postgres://") + kUser + ":" + kPassword + "@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::fresh_database() {
  if (!recycled_.empty()) {
    std::string url = std::move(recycled_.back());
    recycled_.pop_back();
    return url;
  }
  const std::string name = "test_" + std::to_string(++databases_);
  PGconn* c = PQconnectdb(url("postgres").c_str());
  PGresult* r = PQexec(c, ("CREATE DATABASE " + name).c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string error = PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  if (!ok) throw std::runtime_error("CREATE DATABASE failed: " + error);
  return url(name);
}

void PostgresServer::recycle(const std::string& url) {
  PGconn* c = PQconnectdb(url.c_str());
  PGresult* r = PQexec(c, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  if (PQresultStatus(r) == PGRES_COMMAND_OK) recycled_.push_back(url);  // else: not reused
  PQclear(r);
  PQfinish(c);
}

TempPostgres::TempPostgres() : url_(PostgresServer::shared().fresh_database()), db_(open(postgres::kPoolSize)) {}

TempPostgres::~TempPostgres() {
  db_.reset();  // its connections close first
  PostgresServer::shared().recycle(url_);
}

std::shared_ptr<postgres::Database> TempPostgres::open(int pool_size) const {
  auto db = postgres::Database::open(url_, pool_size);
  if (!db) throw std::runtime_error("cannot open " + url_ + ": " + std::string(db.error().text()));
  return *db;
}

}  // namespace cloakroom::testing
