// http and https: one request with Connection: close, the response parsed
// with bounded reads, then status, body substring and regex checked. https
// adds SNI, optional verification and a certificate-expiry warning.
#include <openssl/asn1.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <regex.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <optional>

#include "healthd/monitors/factories.h"
#include "healthd/monitors/poller.h"
#include "healthd/monitors/session.h"

namespace tandem::health {

namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

// What every run of one configured check shares: the compiled regex and the
// TLS context, built once instead of per run.
// POSIX extended regex (glibc), not std::regex: libstdc++'s matcher recurses
// per input character and overflows the stack on a 64 KiB body with a
// pattern as plain as ".*c", so a hostile server could crash healthd.
struct Regex {
  regex_t re{};
  bool compiled = false;
  ~Regex() {
    if (compiled) regfree(&re);
  }
};

struct HttpConfig {
  HttpParams p;
  std::shared_ptr<Regex> regex;
  std::string config_error;  // set: every run fails with it
  std::shared_ptr<ssl::context> tls;
  // The request and host name of the last target: a monitor probes one
  // target run after run, and formatting them each time was a visible part
  // of a check's CPU. Runs of one monitor never overlap (one loop thread).
  mutable std::optional<net::Endpoint> cached_for;
  mutable std::string request;
  mutable std::string host_name;  // the Host header without its port
};

std::uint16_t default_port(const HttpConfig& c) {
  return c.tls ? 443 : 80;
}

// Fills the config's request cache for `target`.
void prepare_request(const HttpConfig& c, const net::Endpoint& target) {
  if (c.cached_for && *c.cached_for == target) return;
  std::string host = c.p.host;
  if (host.empty()) {
    host = target.address.to_string();
    if (target.port != default_port(c)) host += ":" + std::to_string(target.port);
  }
  c.request = c.p.method + " " + c.p.path + " HTTP/1.1\r\nHost: " + host +
              "\r\nUser-Agent: tandem-healthd\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  c.host_name =
      host.substr(0, host.rfind(':') == std::string::npos ? host.size() : host.rfind(':'));
  c.cached_for = target;
}

// Judges a complete response against the config: ok and summary, detail.
struct Verdict {
  bool ok;
  std::string summary;
  std::string detail;
};
Verdict judge_response(const HttpConfig& c, const HttpResponseParser& parser);

bool has_ctl(const std::string& s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

std::string ranges_text(const std::vector<StatusRange>& rs) {
  std::string out;
  for (const auto& r : rs) {
    if (!out.empty()) out += ",";
    out += r.low == r.high ? std::to_string(r.low)
                           : std::to_string(r.low) + "-" + std::to_string(r.high);
  }
  return out;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 60)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  if (s.size() > 60) out += "...";
  return out + "\"";
}

HttpConfig build_config(const HttpParams& p) {
  HttpConfig c;
  c.p = p;
  if (p.method != "GET" && p.method != "HEAD") c.config_error = "method must be GET or HEAD";
  if (p.path.empty() || p.path[0] != '/' || has_ctl(p.path) ||
      p.path.find(' ') != std::string::npos || has_ctl(p.host)) {
    c.config_error = "invalid path or host";
  }
  if (!p.expect_regex.empty()) {
    auto r = std::make_unique<Regex>();
    const int rc = regcomp(&r->re, p.expect_regex.c_str(), REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
      char msg[128];
      regerror(rc, &r->re, msg, sizeof msg);
      c.config_error = std::string("invalid regex: ") + msg;
    } else {
      r->compiled = true;
      c.regex = std::move(r);
    }
  }
  if (p.tls) {
    c.tls = std::make_shared<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    if (p.tls->verify) {
      c.tls->set_verify_mode(ssl::verify_peer, ec);
      if (!p.tls->ca_file.empty()) {
        c.tls->load_verify_file(p.tls->ca_file, ec);
      } else {
        c.tls->set_default_verify_paths(ec);
      }
      if (ec) c.config_error = "cannot load CA file " + p.tls->ca_file + ": " + ec.message();
    } else {
      c.tls->set_verify_mode(ssl::verify_none, ec);
    }
  }
  return c;
}

Verdict judge_response(const HttpConfig& c, const HttpResponseParser& parser) {
  const int code = parser.status();  // three digits: the parser checked
  // Formatted in place: to_string and operator+ temporaries were most of
  // this function's cost on every passing check.
  char text[] = "HTTP 000";
  text[5] = static_cast<char>('0' + code / 100 % 10);
  text[6] = static_cast<char>('0' + code / 10 % 10);
  text[7] = static_cast<char>('0' + code % 10);
  std::string status(text, 8);
  std::string detail;
  detail.reserve(9 + parser.reason().size());
  detail.append(status).append(1, ' ').append(parser.reason());
  bool status_ok = false;
  for (const auto& r : c.p.expect_status) status_ok |= code >= r.low && code <= r.high;
  if (!status_ok) {
    return {false, status + " (expected " + ranges_text(c.p.expect_status) + ")",
            std::move(detail)};
  }
  const std::string& body = parser.body();
  if (!c.p.expect_body.empty() && body.find(c.p.expect_body) == std::string::npos) {
    return {false, status + " but body lacks " + quoted(c.p.expect_body), std::move(detail)};
  }
  if (c.regex) {
    // REG_STARTEND: the body's length is explicit, so a NUL in it is just a byte.
    regmatch_t span{0, static_cast<regoff_t>(body.size())};
    const bool match = regexec(&c.regex->re, body.c_str(), 1, &span, REG_STARTEND) == 0;
    if (!match) {
      return {false, status + " but body does not match " + quoted(c.p.expect_regex),
              std::move(detail)};
    }
  }
  return {true, std::move(status), std::move(detail)};
}

class HttpSession final : public Session {
 public:
  HttpSession(asio::io_context& io, MonoTime deadline, Callback done,
              std::shared_ptr<const HttpConfig> cfg)
      : Session(io, deadline, std::move(done)),
        cfg_(std::move(cfg)),
        socket_(io),
        parser_(cfg_->p.limits, cfg_->p.method == "HEAD") {
    if (cfg_->tls) tls_.emplace(socket_, *cfg_->tls);
  }

 private:
  using Ec = boost::system::error_code;

  void begin(const net::Endpoint& target) override {
    if (!cfg_->config_error.empty()) return finish(false, cfg_->config_error);
    prepare_request(*cfg_, target);
    verify_name_ = cfg_->host_name;
    phase_ = "connecting";
    socket_.async_connect(to_tcp(target), [s = self<HttpSession>()](const Ec& ec) {
      if (s->finished()) return;
      if (ec) return s->finish(false, connect_error_summary(ec));
      s->tls_ ? s->handshake() : s->send();
    });
  }

  void handshake() {
    const auto& t = *cfg_->p.tls;
    SSL* ssl_handle = tls_->native_handle();
    if (!t.sni.empty()) SSL_set_tlsext_host_name(ssl_handle, t.sni.c_str());
    if (t.verify) {
      tls_->set_verify_callback(ssl::host_name_verification(t.sni.empty() ? verify_name_ : t.sni));
    }
    phase_ = "TLS handshake";
    tls_->async_handshake(ssl::stream_base::client, [s = self<HttpSession>()](const Ec& ec) {
      if (s->finished()) return;
      if (ec) return s->finish(false, s->handshake_error(ec));
      s->note_expiry();
      s->send();
    });
  }

  std::string handshake_error(const Ec& ec) {
    const long v = SSL_get_verify_result(tls_->native_handle());
    if (v != X509_V_OK) {
      return std::string("TLS certificate not trusted: ") + X509_verify_cert_error_string(v);
    }
    return "TLS handshake failed: " + ec.message();
  }

  void note_expiry() {
    const int warn = cfg_->p.tls->expiry_warning_days;
    if (warn <= 0) return;
    X509* cert = SSL_get1_peer_certificate(tls_->native_handle());
    if (cert == nullptr) return;
    int days = 0, secs = 0;
    if (ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(cert)) == 1) {
      if (days < 0 || (days == 0 && secs < 0)) {
        warning_ = "certificate expired " + std::to_string(-days) + " days ago";
      } else if (days < warn) {
        warning_ = "certificate expires in " + std::to_string(days) + " days";
      }
      if (!warning_.empty()) expiry_note_ = "; " + warning_;
    }
    X509_free(cert);
  }

  template <class F>
  void with_stream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(socket_);
    }
  }

  void send() {
    phase_ = "sending request";
    with_stream([&](auto& stream) {
      asio::async_write(stream, asio::buffer(cfg_->request),
                        [s = self<HttpSession>()](const Ec& ec, std::size_t) {
                          if (s->finished()) return;
                          if (ec) return s->finish(false, "send failed: " + ec.message());
                          s->phase_ = "waiting for response";
                          s->receive();
                        });
    });
  }

  void receive() {
    with_stream([&](auto& stream) {
      stream.async_read_some(
          asio::buffer(buf_),
          [s = self<HttpSession>()](const Ec& ec, std::size_t n) { s->on_read(ec, n); });
    });
  }

  void on_read(const Ec& ec, std::size_t n) {
    if (finished()) return;
    if (n > 0) parser_.feed(std::string_view(buf_.data(), n));
    if (ec && parser_.state() != HttpResponseParser::State::kDone &&
        parser_.state() != HttpResponseParser::State::kError) {
      // A TLS peer that closes without close_notify is still a close here.
      if (ec != asio::error::eof && ec != ssl::error::stream_truncated) {
        return finish(false, "receive failed: " + ec.message());
      }
      parser_.finish();
    }
    switch (parser_.state()) {
      case HttpResponseParser::State::kDone:
        return judge();
      case HttpResponseParser::State::kError:
        return finish(false, "bad HTTP response: " + parser_.error());
      default:
        return receive();
    }
  }

  void judge() {
    auto v = judge_response(*cfg_, parser_);
    if (v.ok) v.summary += expiry_note_;
    finish(v.ok, std::move(v.summary), std::move(v.detail));
  }

  void close() override {
    Ec ignored;
    // An abortive close (RST), as HAProxy's checks do: the answer is in, and
    // a FIN would leave a TIME_WAIT socket per check on this host (600,000
    // of them at 10,000 checks/s).
    if (socket_.is_open()) socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
  }

  std::shared_ptr<const HttpConfig> cfg_;
  tcp::socket socket_;
  std::optional<ssl::stream<tcp::socket&>> tls_;
  HttpResponseParser parser_;
  std::string verify_name_;
  std::string expiry_note_;
  std::array<char, 4096> buf_{};
};

// Plain http on raw non-blocking sockets driven by the io_context's Poller
// (see poller.h for why not Asio's socket operations). Same phases, results
// and wording as HttpSession; https keeps HttpSession, whose cost is the TLS.
class PlainHttpSession final : public Session, public Poller::Client {
 public:
  PlainHttpSession(asio::io_context& io, MonoTime deadline, Callback done,
                   std::shared_ptr<const HttpConfig> cfg)
      : Session(io, deadline, std::move(done)),
        cfg_(std::move(cfg)),
        parser_(cfg_->p.limits, cfg_->p.method == "HEAD") {}
  ~PlainHttpSession() override { close(); }

  void on_events(std::uint32_t events) override {
    if (finished()) return;
    if (!sent_) {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      if (events & EPOLLERR) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
        return finish(false, connect_error_summary(ec_of(err != 0 ? err : ECONNRESET)));
      }
      connected_ = true;
      if (!send()) return;
    } else if (!sent_all()) {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      if (!send()) return;
    }
    // The answer may already be queued; otherwise the next edge brings it.
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) receive();
  }

 private:
  static boost::system::error_code ec_of(int err) {
    return {err, asio::error::get_system_category()};
  }
  bool sent_all() const { return sent_ && offset_ == cfg_->request.size(); }

  void begin(const net::Endpoint& target) override {
    if (!cfg_->config_error.empty()) return finish(false, cfg_->config_error);
    prepare_request(*cfg_, target);
    phase_ = "connecting";
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return finish(false, "connect failed: " + ec_of(errno).message());
    // The handshake's last ACK waits to ride on the request, as HAProxy's
    // checks do: one packet less for both ends per check.
    const int off = 0;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_QUICKACK, &off, sizeof off);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(target.port);
    sa.sin_addr.s_addr = htonl(target.address.value);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0 &&
        errno != EINPROGRESS) {
      return finish(false, connect_error_summary(ec_of(errno)));
    }
    auto token = poller_->add(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP,
                              std::shared_ptr<Poller::Client>(self<PlainHttpSession>()));
    if (!token) return finish(false, "connect failed: " + ec_of(errno).message());
    token_ = token;
  }

  // False when the run ended (a send error).
  bool send() {
    if (!sent_) phase_ = "sending request";
    sent_ = true;
    const std::string& req = cfg_->request;
    while (offset_ < req.size()) {
      const ssize_t n = ::send(fd_, req.data() + offset_, req.size() - offset_, MSG_NOSIGNAL);
      if (n > 0) {
        offset_ += static_cast<std::size_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return true;  // the next EPOLLOUT edge resumes
      } else {
        const int err = n < 0 ? errno : EPIPE;
        // A connect that failed shows first here (the socket was writable
        // because it failed): report it as the connect failure it is.
        if (!connected_ || (offset_ == 0 && err == ECONNREFUSED)) {
          finish(false, connect_error_summary(ec_of(err)));
        } else {
          finish(false, "send failed: " + ec_of(err).message());
        }
        return false;
      }
    }
    phase_ = "waiting for response";
    return true;
  }

  void receive() {
    if (!sent_all()) return;
    for (;;) {
      char* buf = poller_->scratch();
      const ssize_t n = ::recv(fd_, buf, Poller::kScratch, 0);
      if (n > 0) {
        parser_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;  // the next EPOLLIN edge resumes
      } else if (n < 0) {
        if (parser_.state() == HttpResponseParser::State::kDone) return judge();
        if (parser_.state() == HttpResponseParser::State::kError) break;
        return finish(false, "receive failed: " + ec_of(errno).message());
      } else {
        parser_.finish();
      }
      const auto st = parser_.state();
      if (st == HttpResponseParser::State::kDone) return judge();
      if (st == HttpResponseParser::State::kError) break;
    }
    finish(false, "bad HTTP response: " + parser_.error());
  }

  void judge() {
    auto v = judge_response(*cfg_, parser_);
    finish(v.ok, std::move(v.summary), std::move(v.detail));
  }

  void close() override {
    if (fd_ < 0) return;
    if (token_) poller_->remove(*token_);
    token_.reset();
    // An abortive close (RST) once connected, as HttpSession and HAProxy's
    // checks do: no TIME_WAIT socket per check on this host.
    if (connected_) {
      const linger lg{1, 0};
      ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    ::close(fd_);
    fd_ = -1;
  }

  std::shared_ptr<const HttpConfig> cfg_;
  std::shared_ptr<Poller> poller_ = deadlines_;  // the same io_context's
  int fd_ = -1;
  std::optional<Poller::Token> token_;
  bool connected_ = false;
  bool sent_ = false;
  std::size_t offset_ = 0;
  HttpResponseParser parser_;
};

}  // namespace

std::unique_ptr<Monitor> make_http_monitor(asio::io_context& io, const HttpParams& p) {
  if (!p.tls) {
    return std::make_unique<SessionMonitor<PlainHttpSession, HttpConfig>>(io, build_config(p));
  }
  return std::make_unique<SessionMonitor<HttpSession, HttpConfig>>(io, build_config(p));
}

}  // namespace tandem::health
