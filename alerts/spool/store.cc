#include "alerts/spool/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tandem::alerts {

namespace {

bool write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

DirStore::~DirStore() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

bool DirStore::open() {
  if (::mkdir(dir_.c_str(), 0700) == 0) {
    if (!sync_dir()) return false;
  } else {
    if (errno != EEXIST) return false;
    struct stat st {};
    if (::stat(dir_.c_str(), &st) != 0) return false;
    if (!S_ISDIR(st.st_mode)) {
      errno = ENOTDIR;
      return false;
    }
  }
  return lock();
}

bool DirStore::lock() {
  if (lock_fd_ >= 0) return true;
  // Two alertds on one spool would hand out the same job ids and overwrite
  // each other's records; the second one is refused instead. flock dies
  // with the process, so a kill -9 leaves no stale lock.
  int fd = ::open((dir_ + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ::close(fd);
    errno = e;
    return false;
  }
  lock_fd_ = fd;
  return true;
}

bool DirStore::sync_dir() {
  int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

bool DirStore::put(const std::string& name, const std::string& data) {
  std::string final_path = dir_ + "/" + name;
  std::string tmp = dir_ + "/.tmp-" + name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = write_all(fd, data) && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), final_path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  return sync_dir();
}

std::optional<std::string> DirStore::get(const std::string& name) {
  std::string path = dir_ + "/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    // A record is small; a huge file is not one of ours.
    if (out.size() > (4u << 20)) {
      ::close(fd);
      return std::nullopt;
    }
  }
  ::close(fd);
  return out;
}

bool DirStore::erase(const std::string& name) {
  std::string path = dir_ + "/" + name;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return false;
  return sync_dir();
}

std::vector<std::string> DirStore::names() {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    // Temp files are half-written puts from a crash: never records.
    if (n == "." || n == ".." || n == ".lock" || n.rfind(".tmp-", 0) == 0) continue;
    out.push_back(std::move(n));
  }
  ::closedir(d);
  return out;
}

}  // namespace tandem::alerts
