// The dns monitor against a scripted UDP server on 127.0.0.1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <set>
#include <vector>

#include "healthd/monitors/monitor.h"
#include "tests/unit/health/loopback.h"

namespace tandem::health {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
namespace asio = boost::asio;
using udp = asio::ip::udp;

enum class Mode {
  kAnswer,
  kNxdomain,
  kIgnoreFirst,
  kSilent,
  kGarbageThenAnswer,
  kWrongIdOnly,
  kEmpty
};

// Answers `lab.tandem.test A` with 198.18.0.100, built from the query itself:
// flags 81 80, an=1, then c0 0c 00 01 00 01 00 00 00 3c 00 04 c6 12 00 64.
class DnsServer {
 public:
  DnsServer(asio::io_context& io, Mode mode)
      : socket_(io, udp::endpoint(asio::ip::address_v4::loopback(), 0)), mode_(mode) {
    receive();
  }
  std::uint16_t port() const { return socket_.local_endpoint().port(); }
  const std::vector<std::uint16_t>& ids() const { return ids_; }

 private:
  void receive() {
    socket_.async_receive_from(asio::buffer(buf_), peer_,
                               [this](const boost::system::error_code& ec, std::size_t n) {
                                 if (ec) return;
                                 reply(std::vector<std::uint8_t>(buf_.begin(), buf_.begin() + n));
                                 receive();
                               });
  }

  void send(const std::vector<std::uint8_t>& m) {
    boost::system::error_code ignored;
    socket_.send_to(asio::buffer(m), peer_, 0, ignored);
  }

  void reply(std::vector<std::uint8_t> q) {
    if (q.size() < 12) return;
    ids_.push_back(static_cast<std::uint16_t>(q[0] << 8 | q[1]));
    auto answer = q;
    answer[2] = 0x81;
    answer[3] = 0x80;
    answer[7] = 1;
    const std::uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0x3c, 0, 4, 198, 18, 0, 100};
    answer.insert(answer.end(), std::begin(rr), std::end(rr));
    switch (mode_) {
      case Mode::kAnswer:
        return send(answer);
      case Mode::kNxdomain:
        q[2] = 0x81;
        q[3] = 0x83;
        return send(q);
      case Mode::kIgnoreFirst:
        if (ids_.size() > 1) send(answer);
        return;
      case Mode::kSilent:
        return;
      case Mode::kGarbageThenAnswer: {
        send({0xde, 0xad});
        auto truncated = answer;
        truncated.resize(answer.size() - 3);
        send(truncated);
        return send(answer);
      }
      case Mode::kWrongIdOnly:
        answer[1] ^= 0xff;
        return send(answer);
      case Mode::kEmpty:  // NOERROR, no records (NODATA)
        q[2] = 0x81;
        q[3] = 0x80;
        return send(q);
    }
  }

  udp::socket socket_;
  Mode mode_;
  udp::endpoint peer_;
  std::array<std::uint8_t, 1500> buf_{};
  std::vector<std::uint16_t> ids_;
};

DnsParams lab_a() {
  DnsParams p;
  p.name = "lab.tandem.test";
  p.type = "A";
  return p;
}

CheckResult dns_run(Mode mode, DnsParams p, std::chrono::milliseconds timeout = 5s,
                    std::vector<std::uint16_t>* ids = nullptr) {
  asio::io_context io;
  DnsServer srv(io, mode);
  auto m = make_monitor(io, p);
  auto r = lb::run_check(io, *m, lb::loopback(srv.port()), timeout);
  if (ids != nullptr) *ids = srv.ids();
  return r;
}

TEST(DnsMonitor, AnswerIsOk) {
  auto r = dns_run(Mode::kAnswer, lab_a());
  EXPECT_TRUE(r.ok) << r.summary;
  EXPECT_EQ(r.summary, "NOERROR 198.18.0.100");
}

TEST(DnsMonitor, ExpectedValueMatches) {
  auto p = lab_a();
  p.expect_value = "198.18.0.100";
  EXPECT_TRUE(dns_run(Mode::kAnswer, p).ok);
  p.expect_value = "198.18.0.101";
  auto r = dns_run(Mode::kAnswer, p);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "NOERROR without 198.18.0.101 (got: 198.18.0.100)");
}

TEST(DnsMonitor, UnexpectedRcode) {
  auto r = dns_run(Mode::kNxdomain, lab_a());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "NXDOMAIN (expected NOERROR)");
  auto p = lab_a();
  p.expect_rcode = 3;
  EXPECT_TRUE(dns_run(Mode::kNxdomain, p).ok);
}

TEST(DnsMonitor, RetriesOnceWithAFreshId) {
  std::vector<std::uint16_t> ids;
  auto r = dns_run(Mode::kIgnoreFirst, lab_a(), 600ms, &ids);
  EXPECT_TRUE(r.ok) << r.summary;
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids[0], ids[1]);
}

TEST(DnsMonitor, SilentServerTimesOutAfterTwoQueries) {
  std::vector<std::uint16_t> ids;
  auto r = dns_run(Mode::kSilent, lab_a(), 300ms, &ids);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "no answer (2 queries)");
  EXPECT_EQ(ids.size(), 2u);
}

TEST(DnsMonitor, GarbageIsIgnoredAndTheRealAnswerCounts) {
  auto r = dns_run(Mode::kGarbageThenAnswer, lab_a());
  EXPECT_TRUE(r.ok) << r.summary;
}

TEST(DnsMonitor, AnswersWithAnotherIdAreIgnored) {
  auto r = dns_run(Mode::kWrongIdOnly, lab_a(), 300ms);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "no answer (2 queries)");
  EXPECT_EQ(r.detail, "2 bad replies ignored");
}

TEST(DnsMonitor, ClosedPortIsRefused) {
  asio::io_context io;
  std::uint16_t port;
  {
    udp::socket s(io, udp::endpoint(asio::ip::address_v4::loopback(), 0));
    port = s.local_endpoint().port();
  }
  auto m = make_monitor(io, lab_a());
  auto r = lb::run_check(io, *m, lb::loopback(port), 5s);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "connection refused (port unreachable)");
}

TEST(DnsMonitor, BadConfigFails) {
  auto p = lab_a();
  p.type = "PTR";
  EXPECT_EQ(dns_run(Mode::kAnswer, p).summary, "unsupported query type PTR");
  p = lab_a();
  p.name = "a..b";
  EXPECT_EQ(dns_run(Mode::kAnswer, p).summary, "invalid query name \"a..b\"");
}

TEST(DnsMonitor, RequireAnswerFailsAnEmptyAnswer) {
  auto p = lab_a();
  auto r = dns_run(Mode::kEmpty, p);
  EXPECT_TRUE(r.ok) << r.summary;  // NODATA is a NOERROR answer
  EXPECT_EQ(r.summary, "NOERROR");
  p.require_answer = true;
  r = dns_run(Mode::kEmpty, p);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "NOERROR with no answer");
  EXPECT_TRUE(dns_run(Mode::kAnswer, p).ok);
}

// DNS over TCP: reads one length-prefixed query, answers as DnsServer does
// (or with a wrong id, or closes without answering).
class DnsTcpServer {
 public:
  enum class Reply { kAnswer, kWrongId, kClose };
  DnsTcpServer(asio::io_context& io, Reply reply)
      : acceptor_(io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
        sock_(io),
        reply_(reply) {
    acceptor_.async_accept(sock_, [this](const boost::system::error_code& ec) {
      if (!ec) read_query();
    });
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void read_query() {
    asio::async_read(sock_, asio::buffer(len_), [this](const boost::system::error_code& ec,
                                                      std::size_t) {
      if (ec) return;
      query_.resize(std::size_t{len_[0]} << 8 | len_[1]);
      asio::async_read(sock_, asio::buffer(query_), [this](const boost::system::error_code& rec,
                                                          std::size_t) {
        if (rec) return;
        if (reply_ == Reply::kClose) return sock_.close();
        auto a = query_;
        a[2] = 0x81;
        a[3] = 0x80;
        a[7] = 1;
        if (reply_ == Reply::kWrongId) a[1] ^= 0xff;
        const std::uint8_t rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 0x3c, 0, 4, 198, 18, 0, 100};
        a.insert(a.end(), std::begin(rr), std::end(rr));
        out_ = {static_cast<std::uint8_t>(a.size() >> 8), static_cast<std::uint8_t>(a.size())};
        out_.insert(out_.end(), a.begin(), a.end());
        asio::async_write(sock_, asio::buffer(out_), [](const boost::system::error_code&,
                                                        std::size_t) {});
      });
    });
  }

  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::socket sock_;
  Reply reply_;
  std::array<std::uint8_t, 2> len_{};
  std::vector<std::uint8_t> query_, out_;
};

CheckResult dns_tcp_run(DnsTcpServer::Reply reply, DnsParams p) {
  asio::io_context io;
  DnsTcpServer srv(io, reply);
  p.tcp = true;
  auto m = make_monitor(io, p);
  return lb::run_check(io, *m, lb::loopback(srv.port()), 5s);
}

TEST(DnsMonitor, OverTcp) {
  auto p = lab_a();
  p.expect_value = "198.18.0.100";
  auto r = dns_tcp_run(DnsTcpServer::Reply::kAnswer, p);
  EXPECT_TRUE(r.ok) << r.summary;
  EXPECT_EQ(r.summary, "NOERROR 198.18.0.100");
  r = dns_tcp_run(DnsTcpServer::Reply::kWrongId, p);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "malformed or mismatched answer");
  r = dns_tcp_run(DnsTcpServer::Reply::kClose, p);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "connection closed without an answer");
  asio::io_context io;
  p.tcp = true;
  auto m = make_monitor(io, p);
  r = lb::run_check(io, *m, lb::loopback(lb::closed_port()), 5s);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "connection refused");
}

}  // namespace
}  // namespace tandem::health
