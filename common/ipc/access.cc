#include "common/ipc/access.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace tandem::ipc {

std::optional<std::string> check_peer(const PeerCred& peer, const AccessPolicy& policy,
                                      const std::vector<gid_t>& peer_groups) {
  if (peer.uid == 0 || peer.uid == policy.self_uid) return std::nullopt;
  if (policy.group) {
    if (peer.gid == *policy.group) return std::nullopt;
    if (std::find(peer_groups.begin(), peer_groups.end(), *policy.group) != peer_groups.end())
      return std::nullopt;
    return "uid " + std::to_string(peer.uid) +
           " is not root, not the daemon's user and not in gid " + std::to_string(*policy.group);
  }
  return "uid " + std::to_string(peer.uid) + " is not root or the daemon's user";
}

std::optional<PeerCred> peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred)
    return std::nullopt;
  return PeerCred{cred.pid, cred.uid, cred.gid};
}

std::vector<gid_t> groups_of_user(uid_t uid, gid_t primary) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) return {};
  int count = 64;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  if (getgrouplist(pw.pw_name, primary, groups.data(), &count) < 0) {
    groups.resize(static_cast<std::size_t>(count));
    if (getgrouplist(pw.pw_name, primary, groups.data(), &count) < 0) return {};
  }
  groups.resize(static_cast<std::size_t>(count));
  return groups;
}

std::optional<gid_t> lookup_group(const std::string& name) {
  std::vector<char> buf(16384);
  group gr{};
  group* found = nullptr;
  if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || found == nullptr)
    return std::nullopt;
  return gr.gr_gid;
}

AccessPolicy default_policy(const std::string& group_name) {
  return AccessPolicy{geteuid(), group_name.empty() ? std::nullopt : lookup_group(group_name)};
}

std::optional<std::string> clear_stale_socket(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    return path + ": " + std::strerror(errno);
  }
  if (!S_ISSOCK(st.st_mode)) return path + " exists and is not a socket";
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return path + ": path too long for a Unix socket";
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  const int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  close(fd);
  if (rc == 0) return path + ": already running (another process accepts on this socket)";
  if (err != ECONNREFUSED) return path + ": cannot probe existing socket: " + std::strerror(err);
  if (unlink(path.c_str()) != 0 && errno != ENOENT)
    return path + ": cannot remove stale socket: " + std::strerror(errno);
  return std::nullopt;
}

}  // namespace tandem::ipc
