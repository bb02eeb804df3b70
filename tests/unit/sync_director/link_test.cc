// director/sync's attach() end to end in one process: a Runner loop on a
// thread, two InlineShards, and a fake syncd listening on the stream socket.
// Checks the snapshot on connect, live events, and that a record from syncd
// is installed in exactly the shard that owns its client.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <filesystem>
#include <future>
#include <thread>

#include "common/ipc/frame_decoder.h"
#include "common/runner/runner.h"
#include "common/sync/record.h"
#include "director/core/shards.h"
#include "director/sync/attach.h"
#include "director/sync/convert.h"

namespace tandem::director {
namespace {

using namespace std::chrono_literals;

constexpr net::Ipv4 kVip{0xC6120064u};  // 198.18.0.100
net::Ipv4 client(std::uint32_t n) {
  return net::Ipv4{0xC6120000u + n};
}
net::Ipv4 real(std::uint32_t n) {
  return net::Ipv4{0xC6120100u + n};
}

class SyncLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tandem-synclink-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.config = dir_ + "/t.yaml";
    options_.run_dir = dir_ + "/run";
    options_.node = "d1";
    options_.log_level = log::Level::kError;
    std::filesystem::create_directories(options_.run_dir);
    for (std::size_t i = 0; i < shards_.size(); ++i) {
      Director& d = shards_.shard(i);
      ServiceConfig sc;
      sc.vip = kVip;
      sc.port = 80;
      sc.scheduler = SchedulerKind::rr;
      const auto s = d.add_service(sc).id;
      RealServerConfig rc;
      rc.address = real(11);
      rc.port = 80;
      rc.method = Forwarding::nat;
      d.add_server(s, rc);
    }
    listen_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const std::string path = options_.run_dir + "/syncd.stream.sock";
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    ASSERT_EQ(::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listen_, 1), 0);
  }
  void TearDown() override {
    if (peer_ >= 0) ::close(peer_);
    ::close(listen_);
    std::filesystem::remove_all(dir_);
  }

  // Runs fn on the loop thread (where the shards live) and waits for it.
  template <class F>
  void on_loop(runner::Runner& r, F fn) {
    std::promise<void> done;
    boost::asio::post(r.io(), [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  void syn(Director& d, std::uint32_t cl, std::uint16_t port) {
    PacketMeta m;
    m.src = client(cl);
    m.sport = port;
    m.dst = kVip;
    m.dport = 80;
    m.tcp_flags = tcp_flag::syn;
    d.on_packet(m, SteadyClock().now());
  }

  // Records the fake syncd receives until pred is satisfied (or 20 s pass).
  template <class P>
  std::vector<tandem::sync::ConnRecord> read_until(P pred) {
    std::vector<tandem::sync::ConnRecord> got;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!pred(got) && std::chrono::steady_clock::now() < deadline) {
      pollfd p{peer_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      std::uint8_t buf[4096];
      const ssize_t n = ::read(peer_, buf, sizeof buf);
      if (n <= 0) break;
      decoder_.feed(std::span(buf, static_cast<std::size_t>(n)));
      std::vector<std::uint8_t> frame;
      while (decoder_.next(frame) == ipc::FrameDecoder::Status::kFrame) {
        tandem::sync::ConnRecord r;
        if (tandem::sync::decode_stream_record(frame, r) == tandem::sync::SyncError::kOk)
          got.push_back(r);
      }
    }
    return got;
  }

  std::string dir_;
  runner::Options options_;
  InlineShards shards_{2};
  int listen_ = -1;
  int peer_ = -1;
  ipc::FrameDecoder decoder_{4096};
};

TEST_F(SyncLinkTest, SnapshotLiveEventsAndInstallInTheOwningShard) {
  config::Config cfg;
  cfg.sync.enabled = true;
  runner::Runner r("director", options_, cfg,
                   [](const std::string&) { return config::LoadResult{}; });
  // A connection that exists before syncd is reached: it must come in the snapshot.
  syn(shards_.shard(0), 1, 1001);
  sync::attach(r, shards_);
  auto serving = std::make_shared<std::promise<bool>>();
  std::thread loop([&r, serving] {
    if (r.run([serving] { serving->set_value(true); }) != 0) serving->set_value(false);
  });
  ASSERT_TRUE(serving->get_future().get());

  pollfd p{listen_, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 20000), 1) << "the director never connected";
  peer_ = ::accept(listen_, nullptr, nullptr);
  ASSERT_GE(peer_, 0);
  auto has_port = [](std::uint16_t port) {
    return [port](const std::vector<tandem::sync::ConnRecord>& v) {
      for (const auto& x : v)
        if (x.cport == port) return true;
      return false;
    };
  };
  auto snap = read_until(has_port(1001));
  ASSERT_TRUE(has_port(1001)(snap));

  on_loop(r, [&] { syn(shards_.shard(1), 2, 2002); });
  auto live = read_until(has_port(2002));
  ASSERT_TRUE(has_port(2002)(live));
  for (const auto& x : live) {
    if (x.cport != 2002) continue;
    EXPECT_EQ(x.state, static_cast<std::uint16_t>(TcpState::syn_recv));
    EXPECT_EQ(x.daddr.to_v4(), real(11));
    EXPECT_EQ(x.flags & tandem::sync::kFlagFwdMask, 0u);  // NAT
  }

  // From the peer: an established connection of client 7, to be installed.
  SyncConn c;
  c.caddr = client(7);
  c.cport = 7007;
  c.vaddr = kVip;
  c.vport = 80;
  c.daddr = real(11);
  c.dport = 80;
  c.state = TcpState::established;
  c.method = Forwarding::nat;
  c.timeout_s = 900;
  std::vector<std::uint8_t> rec, out;
  ASSERT_EQ(tandem::sync::append_record(sync::to_record(c), rec), tandem::sync::SyncError::kOk);
  ipc::append_frame(out, rec);
  ASSERT_EQ(::write(peer_, out.data(), out.size()), static_cast<ssize_t>(out.size()));

  const std::uint32_t owner = shard_of(client(7), 0xFFFFFFFFu, 2);
  const ConnKey key{Protocol::tcp, false, client(7), 7007, kVip, 80};
  bool installed = false;
  for (int i = 0; i < 200 && !installed; ++i) {
    std::this_thread::sleep_for(50ms);
    on_loop(r, [&] { installed = shards_.shard(owner).table().find(key) != kNone; });
  }
  EXPECT_TRUE(installed);
  on_loop(r, [&] {
    EXPECT_EQ(shards_.shard(1 - owner).table().find(key), kNone);
    EXPECT_EQ(shards_.shard(owner).audit(), "");
  });
  boost::asio::post(r.io(), [&r] { r.stop(); });
  loop.join();
}

}  // namespace
}  // namespace tandem::director
