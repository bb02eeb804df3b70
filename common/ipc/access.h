#pragma once
// Who may talk to a control socket, and how its file is put in place. The
// decision is a pure function of the peer's credentials so it is testable
// without other users on the machine; the lookups that feed it are separate.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace tandem::ipc {

struct PeerCred {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

struct AccessPolicy {
  uid_t self_uid = 0;
  std::optional<gid_t> group;  // members may connect; none = root and self only
};

// nullopt when allowed, else the reason for the refusal. peer_groups are the
// peer user's supplementary groups (its primary gid is in `peer`).
std::optional<std::string> check_peer(const PeerCred& peer, const AccessPolicy& policy,
                                      const std::vector<gid_t>& peer_groups);

std::optional<PeerCred> peer_credentials(int fd);
std::vector<gid_t> groups_of_user(uid_t uid, gid_t primary);
std::optional<gid_t> lookup_group(const std::string& name);

// The policy a daemon uses: itself, root, and group `group_name` if it exists.
AccessPolicy default_policy(const std::string& group_name);

// Makes `path` free for bind(): a stale socket left by a dead process is
// removed; a socket somebody still accepts on, or any non-socket file, is
// refused with the reason.
std::optional<std::string> clear_stale_socket(const std::string& path);

}  // namespace tandem::ipc
