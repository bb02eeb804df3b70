// dns: one question over UDP to the target, retried once with a fresh id
// when half the time has passed. Replies with another id, another question
// or a malformed body are counted and ignored (they may be spoofed or late),
// so only a well-formed answer to our question decides. Over TCP (RFC 1035
// 4.2.2: two-byte length, then the message) there is one query on one
// connection, and a wrong reply fails the check: nobody else can inject it.
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <random>

#include "healthd/monitors/dns_codec.h"
#include "healthd/monitors/factories.h"
#include "healthd/monitors/session.h"

namespace tandem::health {

namespace {

namespace asio = boost::asio;
using Ec = boost::system::error_code;

struct DnsConfig {
  DnsParams p;
  std::optional<DnsType> type;
  std::string query_name;  // lower case, no trailing dot
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

DnsConfig build_config(const DnsParams& p) {
  DnsConfig c{p, dns_type_from_name(p.type), lower(p.name)};
  if (!c.query_name.empty() && c.query_name.back() == '.') c.query_name.pop_back();
  return c;
}

std::uint16_t fresh_id() {
  // Unpredictable ids make blind spoofing of a "healthy" answer harder.
  static thread_local std::mt19937 rng{std::random_device{}()};
  return static_cast<std::uint16_t>(rng());
}

class DnsSession final : public Session {
 public:
  DnsSession(asio::io_context& io, MonoTime deadline, Callback done,
             std::shared_ptr<const DnsConfig> c)
      : Session(io, deadline, std::move(done)),
        c_(std::move(c)),
        socket_(io),
        stream_(io),
        retry_(io) {}

 private:
  void begin(const net::Endpoint& target) override {
    if (!c_->type) return finish(false, "unsupported query type " + c_->p.type);
    if (c_->p.tcp) return begin_tcp(target);
    Ec ec;
    socket_.open(asio::ip::udp::v4(), ec);
    if (!ec) socket_.connect({asio::ip::address_v4(target.address.value), target.port}, ec);
    if (ec) return finish(false, connect_error_summary(ec));
    phase_ = "waiting for answer";
    if (!send()) return;
    retry_.expires_at(started_ + (deadline_ - started_) / 2);
    retry_.async_wait([s = self<DnsSession>()](const Ec& e) {
      if (!e && !s->finished()) s->send();
    });
    receive();
  }

  bool send() {
    id_ = fresh_id();
    query_ = dns_encode_query(id_, c_->query_name, *c_->type);
    if (query_.empty()) {
      finish(false, "invalid query name \"" + c_->p.name + "\"");
      return false;
    }
    ++sent_;
    socket_.async_send(asio::buffer(query_), [s = self<DnsSession>()](const Ec& ec, std::size_t) {
      if (!s->finished() && ec) s->finish(false, "send failed: " + ec.message());
    });
    return true;
  }

  void begin_tcp(const net::Endpoint& target) {
    id_ = fresh_id();
    const auto q = dns_encode_query(id_, c_->query_name, *c_->type);
    if (q.empty()) return finish(false, "invalid query name \"" + c_->p.name + "\"");
    query_ = {static_cast<std::uint8_t>(q.size() >> 8), static_cast<std::uint8_t>(q.size())};
    query_.insert(query_.end(), q.begin(), q.end());
    phase_ = "connecting";
    stream_.async_connect(to_tcp(target), [s = self<DnsSession>()](const Ec& ec) {
      if (s->finished()) return;
      if (ec) return s->finish(false, connect_error_summary(ec));
      s->phase_ = "waiting for answer";
      ++s->sent_;
      asio::async_write(s->stream_, asio::buffer(s->query_), [s](const Ec& wec, std::size_t) {
        if (s->finished()) return;
        if (wec) return s->finish(false, "send failed: " + wec.message());
        s->read_length();
      });
    });
  }

  void read_length() {
    asio::async_read(stream_, asio::buffer(buf_.data(), 2),
                     [s = self<DnsSession>()](const Ec& ec, std::size_t) {
                       if (s->finished()) return;
                       if (ec) return s->finish(false, "connection closed without an answer");
                       const std::size_t len = (std::size_t{s->buf_[0]} << 8) | s->buf_[1];
                       if (len == 0 || len > s->buf_.size()) {
                         return s->finish(false, "bad answer length " + std::to_string(len));
                       }
                       s->read_body(len);
                     });
  }

  void read_body(std::size_t len) {
    asio::async_read(stream_, asio::buffer(buf_.data(), len),
                     [s = self<DnsSession>()](const Ec& ec, std::size_t n) {
                       if (s->finished()) return;
                       if (ec) return s->finish(false, "connection closed mid-answer");
                       const auto parsed = dns_parse_response(std::span(s->buf_.data(), n));
                       const auto& r = parsed.response;
                       if (parsed.error != DnsError::kNone || r.id != s->id_ ||
                           r.question_name != s->c_->query_name ||
                           r.question_type != static_cast<std::uint16_t>(*s->c_->type)) {
                         return s->finish(false, "malformed or mismatched answer");
                       }
                       s->judge(r);
                     });
  }

  void on_deadline() override {
    // Garbage counts vary run to run, so they go in the detail.
    finish(false, "no answer (" + std::to_string(sent_) + " queries)",
           std::to_string(ignored_) + " bad replies ignored");
  }

  void receive() {
    socket_.async_receive(
        asio::buffer(buf_),
        [s = self<DnsSession>()](const Ec& ec, std::size_t n) { s->on_reply(ec, n); });
  }

  void on_reply(const Ec& ec, std::size_t n) {
    if (finished()) return;
    if (ec == asio::error::connection_refused) {
      return finish(false, "connection refused (port unreachable)");
    }
    if (ec) return finish(false, "receive failed: " + ec.message());
    const auto parsed = dns_parse_response(std::span(buf_.data(), n));
    const auto& r = parsed.response;
    if (parsed.error != DnsError::kNone || r.id != id_ || r.question_name != c_->query_name ||
        r.question_type != static_cast<std::uint16_t>(*c_->type)) {
      ++ignored_;
      return receive();
    }
    judge(r);
  }

  void judge(const DnsResponse& r) {
    const std::string rcode = dns_rcode_name(r.rcode);
    if (r.rcode != c_->p.expect_rcode) {
      return finish(false, rcode + " (expected " + dns_rcode_name(c_->p.expect_rcode) + ")");
    }
    std::string values;
    bool found = false;
    for (const auto& a : r.answers) {
      if (a.type != static_cast<std::uint16_t>(*c_->type)) continue;
      if (!values.empty()) values += " ";
      values += a.value;
      found |= lower(a.value) == lower(c_->p.expect_value);
    }
    if (r.truncated && values.empty()) return finish(false, rcode + " but truncated (TC)");
    if (c_->p.require_answer && values.empty()) return finish(false, rcode + " with no answer");
    if (!c_->p.expect_value.empty() && !found) {
      return finish(false, rcode + " without " + c_->p.expect_value +
                               " (got: " + (values.empty() ? "no answer" : values) + ")");
    }
    finish(true, rcode + (values.empty() ? "" : " " + values));
  }

  void close() override {
    retry_.cancel();
    Ec ignored;
    socket_.close(ignored);
    stream_.close(ignored);
  }

  std::shared_ptr<const DnsConfig> c_;
  asio::ip::udp::socket socket_;
  asio::ip::tcp::socket stream_;
  asio::steady_timer retry_;
  std::uint16_t id_ = 0;
  std::vector<std::uint8_t> query_;
  int sent_ = 0;
  int ignored_ = 0;
  std::array<std::uint8_t, 4096> buf_{};
};

}  // namespace

std::unique_ptr<Monitor> make_dns_monitor(asio::io_context& io, const DnsParams& p) {
  return std::make_unique<SessionMonitor<DnsSession, DnsConfig>>(io, build_config(p));
}

}  // namespace tandem::health
