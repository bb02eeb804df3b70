#include "common/ipc/access.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

namespace tandem::ipc {
namespace {

TEST(CheckPeer, RootAndTheDaemonsOwnUserAreAllowed) {
  const AccessPolicy policy{1000, std::nullopt};
  EXPECT_EQ(check_peer({1, 0, 0}, policy, {}), std::nullopt);
  EXPECT_EQ(check_peer({1, 1000, 1000}, policy, {}), std::nullopt);
}

TEST(CheckPeer, OthersAreRefusedWithoutAGroup) {
  auto refusal = check_peer({42, 1001, 1001}, AccessPolicy{1000, std::nullopt}, {7});
  ASSERT_TRUE(refusal.has_value());
  EXPECT_NE(refusal->find("uid 1001"), std::string::npos);
}

TEST(CheckPeer, GroupMembershipByPrimaryOrSupplementaryGroup) {
  const AccessPolicy policy{1000, gid_t{500}};
  EXPECT_EQ(check_peer({1, 1001, 500}, policy, {}), std::nullopt);
  EXPECT_EQ(check_peer({1, 1001, 1001}, policy, {20, 500}), std::nullopt);
  auto refusal = check_peer({1, 1001, 1001}, policy, {20, 501});
  ASSERT_TRUE(refusal.has_value());
  EXPECT_NE(refusal->find("gid 500"), std::string::npos);
}

TEST(PeerCredentials, ReportsTheConnectedProcess) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  auto cred = peer_credentials(fds[0]);
  close(fds[0]);
  close(fds[1]);
  ASSERT_TRUE(cred.has_value());
  EXPECT_EQ(cred->pid, getpid());
  EXPECT_EQ(cred->uid, geteuid());
}

class SocketFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tandem-ipc-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/d.sock";
  }
  void TearDown() override {
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  int bind_socket(bool do_listen) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path_.c_str());
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    if (do_listen) {
      EXPECT_EQ(listen(fd, 1), 0);
    }
    return fd;
  }
  std::string dir_, path_;
};

TEST_F(SocketFile, MissingFileIsFine) {
  EXPECT_EQ(clear_stale_socket(path_), std::nullopt);
}

TEST_F(SocketFile, StaleSocketIsRemoved) {
  close(bind_socket(false));  // the file stays, nobody accepts
  EXPECT_EQ(clear_stale_socket(path_), std::nullopt);
  struct stat st {};
  EXPECT_NE(lstat(path_.c_str(), &st), 0);
}

TEST_F(SocketFile, LiveSocketIsRefusedAsAlreadyRunning) {
  int fd = bind_socket(true);
  auto err = clear_stale_socket(path_);
  close(fd);
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("already running"), std::string::npos);
}

TEST_F(SocketFile, RegularFileIsNeverDeleted) {
  std::ofstream(path_) << "keep me";
  auto err = clear_stale_socket(path_);
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("not a socket"), std::string::npos);
  struct stat st {};
  EXPECT_EQ(lstat(path_.c_str(), &st), 0);
}

}  // namespace
}  // namespace tandem::ipc
