// The https monitor against a TLS server on 127.0.0.1 whose certificates the
// test makes itself (OpenSSL API): trusted, untrusted, wrong name, expiring.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <boost/asio/ssl.hpp>
#include <cstdio>
#include <fstream>

#include "healthd/monitors/monitor.h"
#include "tests/unit/health/loopback.h"

namespace tandem::health {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

struct Cert {
  std::string cert_pem, key_pem, path;
};

std::string bio_string(BIO* b) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

// A self-signed P-256 certificate for lab.tandem.test and 127.0.0.1, valid
// from an hour ago for `seconds`; written to a temp file so it can be a CA file.
Cert make_cert(long seconds, const std::string& tag) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), seconds);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("lab.tandem.test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:lab.tandem.test,IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  BIO* cb = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cb, x);
  BIO* kb = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
  Cert c{bio_string(cb), bio_string(kb),
         ::testing::TempDir() + "tandem-health-" + tag + "-" + std::to_string(::getpid()) + ".pem"};
  BIO_free(cb);
  BIO_free(kb);
  X509_free(x);
  EVP_PKEY_free(key);
  std::ofstream(c.path) << c.cert_pem;
  return c;
}

// Handshakes, answers every request with `reply`, then closes the TCP
// connection without close_notify (as many servers do).
class TlsServer {
 public:
  TlsServer(asio::io_context& io, const Cert& cert, std::string reply)
      : ctx_(ssl::context::tls_server),
        acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
        reply_(std::move(reply)) {
    ctx_.use_certificate_chain(asio::buffer(cert.cert_pem));
    ctx_.use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  const std::string& sni() const { return sni_; }

 private:
  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket s) {
      if (ec) return;
      auto st = std::make_shared<ssl::stream<tcp::socket>>(std::move(s), ctx_);
      st->async_handshake(ssl::stream_base::server, [this, st](const boost::system::error_code& e) {
        if (e) return;
        const char* name = SSL_get_servername(st->native_handle(), TLSEXT_NAMETYPE_host_name);
        sni_ = name != nullptr ? name : "";
        auto buf = std::make_shared<std::array<char, 2048>>();
        st->async_read_some(
            asio::buffer(*buf), [this, st, buf](const boost::system::error_code& e2, std::size_t) {
              if (e2) return;
              asio::async_write(*st, asio::buffer(reply_),
                                [st](const boost::system::error_code&, std::size_t) {
                                  boost::system::error_code ignored;
                                  st->lowest_layer().close(ignored);
                                });
            });
      });
      accept();
    });
  }

  ssl::context ctx_;
  tcp::acceptor acceptor_;
  std::string reply_;
  std::string sni_;
};

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";

class HttpsMonitor : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    good_ = new Cert(make_cert(365 * 86400, "good"));
    other_ = new Cert(make_cert(365 * 86400, "other"));
    // Half a day past 5 days, so the whole-day count cannot tip over mid-test.
    expiring_ = new Cert(make_cert(5 * 86400 + 43200, "expiring"));
  }
  static void TearDownTestSuite() {
    for (Cert* c : {good_, other_, expiring_}) {
      std::remove(c->path.c_str());
      delete c;
    }
  }

  CheckResult run(const Cert& served, HttpParams p, std::string reply = kOk,
                  std::string* sni = nullptr) {
    asio::io_context io;
    TlsServer srv(io, served, std::move(reply));
    auto m = make_monitor(io, p);
    auto r = lb::run_check(io, *m, lb::loopback(srv.port()), 5s);
    if (sni != nullptr) *sni = srv.sni();
    return r;
  }

  static HttpParams https(bool verify, std::string ca = "", std::string sni = "lab.tandem.test") {
    HttpParams p;
    p.path = "/health";
    p.tls = TlsParams{std::move(sni), verify, std::move(ca), 0};
    return p;
  }

  static Cert* good_;
  static Cert* other_;
  static Cert* expiring_;
};

Cert* HttpsMonitor::good_ = nullptr;
Cert* HttpsMonitor::other_ = nullptr;
Cert* HttpsMonitor::expiring_ = nullptr;

TEST_F(HttpsMonitor, WithoutVerificationAnyCertificateWillDo) {
  std::string sni;
  auto r = run(*other_, https(false), kOk, &sni);
  EXPECT_TRUE(r.ok) << r.summary;
  EXPECT_EQ(r.summary, "HTTP 200");
  EXPECT_EQ(sni, "lab.tandem.test");
}

TEST_F(HttpsMonitor, VerifiedAgainstTheCaFile) {
  auto r = run(*good_, https(true, good_->path));
  EXPECT_TRUE(r.ok) << r.summary;
}

TEST_F(HttpsMonitor, UntrustedCertificateFails) {
  auto r = run(*other_, https(true, good_->path));
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.summary, StartsWith("TLS certificate not trusted: "));
}

TEST_F(HttpsMonitor, NameMismatchFails) {
  auto r = run(*good_, https(true, good_->path, "other.tandem.test"));
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.summary, StartsWith("TLS certificate not trusted: "));
}

TEST_F(HttpsMonitor, VerifiesTheIpAddressWithoutSni) {
  auto r = run(*good_, https(true, good_->path, ""));  // name: Host = 127.0.0.1
  EXPECT_TRUE(r.ok) << r.summary;
}

TEST_F(HttpsMonitor, ExpiryWarningIsInTheSummary) {
  auto p = https(false);
  p.tls->expiry_warning_days = 30;
  auto r = run(*expiring_, p);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.summary, "HTTP 200; certificate expires in 5 days");
  EXPECT_EQ(r.warning, "certificate expires in 5 days");  // the engine's cert_expiry event
  p.tls->expiry_warning_days = 5;
  r = run(*expiring_, p);
  EXPECT_EQ(r.summary, "HTTP 200");
  EXPECT_EQ(r.warning, "");
}

TEST_F(HttpsMonitor, StatusAndBodyRulesApplyOverTls) {
  auto p = https(false);
  auto r = run(*good_, p, "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.summary, "HTTP 500 (expected 200-299)");
  p.expect_body = "ready";
  EXPECT_EQ(run(*good_, p).summary, "HTTP 200 but body lacks \"ready\"");
}

TEST_F(HttpsMonitor, BodyDelimitedByCloseWithoutCloseNotify) {
  auto r = run(*good_, https(false), "HTTP/1.0 200 OK\r\n\r\nok until close");
  EXPECT_TRUE(r.ok) << r.summary;
}

TEST_F(HttpsMonitor, PlainHttpServerFailsTheHandshake) {
  asio::io_context io;
  lb::ScriptedTcpServer srv(io, "HTTP/1.1 400 Bad Request\r\n\r\n");
  auto m = make_monitor(io, https(false));
  auto r = lb::run_check(io, *m, lb::loopback(srv.port()), 5s);
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.summary, StartsWith("TLS handshake failed: "));
}

TEST_F(HttpsMonitor, MissingCaFileFailsEveryRun) {
  auto r = run(*good_, https(true, "/nonexistent/ca.pem"));
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.summary, StartsWith("cannot load CA file /nonexistent/ca.pem"));
}

}  // namespace
}  // namespace tandem::health
