#include "core/private_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace cloakroom {

Result<bool> write_private_file(const std::string& path, std::string_view text, bool replace) {
  std::filesystem::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  // Why a unique temporary name: two processes writing at once must not write into one file.
  static std::atomic<unsigned> counter{0};
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error{ErrorCode::io_error, std::strerror(errno)};
  bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  const bool placed = ok && (replace ? ::rename(tmp.c_str(), path.c_str()) : ::link(tmp.c_str(), path.c_str())) == 0;
  const int error = errno;
  ::unlink(tmp.c_str());  // after a rename it is gone already; after a link, path keeps the file
  if (placed) return true;
  if (ok && !replace && error == EEXIST) return false;
  return Error{ErrorCode::io_error, std::strerror(error)};
}

}  // namespace cloakroom
