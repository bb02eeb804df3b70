// http and https: one request with Connection: close, the response parsed
// with bounded reads, then status, body substring and regex checked. https
// adds SNI, optional verification and a certificate-expiry warning.
#include <openssl/asn1.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <regex.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <optional>

#include "healthd/monitors/factories.h"
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
};

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
  HttpConfig c{p, nullptr, {}, nullptr};
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
    std::string host = cfg_->p.host;
    if (host.empty()) {
      host = target.address.to_string();
      const std::uint16_t dflt = cfg_->tls ? 443 : 80;
      if (target.port != dflt) host += ":" + std::to_string(target.port);
    }
    request_ = cfg_->p.method + " " + cfg_->p.path + " HTTP/1.1\r\nHost: " + host +
               "\r\nUser-Agent: tandem-healthd\r\nAccept: */*\r\nConnection: close\r\n\r\n";
    verify_name_ =
        host.substr(0, host.rfind(':') == std::string::npos ? host.size() : host.rfind(':'));
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
      asio::async_write(stream, asio::buffer(request_),
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
    const int code = parser_.status();
    const std::string status = "HTTP " + std::to_string(code);
    std::string detail = status + " " + parser_.reason();
    bool status_ok = false;
    for (const auto& r : cfg_->p.expect_status) status_ok |= code >= r.low && code <= r.high;
    if (!status_ok) {
      return finish(false, status + " (expected " + ranges_text(cfg_->p.expect_status) + ")",
                    detail);
    }
    const std::string& body = parser_.body();
    if (!cfg_->p.expect_body.empty() && body.find(cfg_->p.expect_body) == std::string::npos) {
      return finish(false, status + " but body lacks " + quoted(cfg_->p.expect_body), detail);
    }
    if (cfg_->regex) {
      // REG_STARTEND: the body's length is explicit, so a NUL in it is just a byte.
      regmatch_t span{0, static_cast<regoff_t>(body.size())};
      const bool match = regexec(&cfg_->regex->re, body.c_str(), 1, &span, REG_STARTEND) == 0;
      if (!match) {
        return finish(false, status + " but body does not match " + quoted(cfg_->p.expect_regex),
                      detail);
      }
    }
    finish(true, status + expiry_note_, detail);
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
  std::string request_;
  std::string verify_name_;
  std::string expiry_note_;
  std::array<char, 4096> buf_{};
};

}  // namespace

std::unique_ptr<Monitor> make_http_monitor(asio::io_context& io, const HttpParams& p) {
  return std::make_unique<SessionMonitor<HttpSession, HttpConfig>>(io, build_config(p));
}

}  // namespace tandem::health
