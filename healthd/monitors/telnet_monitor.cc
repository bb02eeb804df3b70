// telnet: connect, refuse every option the server proposes, and look for the
// expected text (a banner or login prompt) in what is left.
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "healthd/monitors/factories.h"
#include "healthd/monitors/session.h"
#include "healthd/monitors/telnet_filter.h"

namespace tandem::health {

namespace {

namespace asio = boost::asio;
using Ec = boost::system::error_code;

std::string printable_head(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (out.size() >= 60) {
      out += "...";
      break;
    }
    if (c == '\r' || c == '\n') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
      continue;
    }
    out.push_back(static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e ? '?'
                                                                                               : c);
  }
  return out;
}

class TelnetSession final : public Session {
 public:
  TelnetSession(asio::io_context& io, MonoTime deadline, Callback done,
                std::shared_ptr<const TelnetParams> p)
      : Session(io, deadline, std::move(done)), p_(std::move(p)), socket_(io) {}

 private:
  void begin(const net::Endpoint& target) override {
    phase_ = "connecting";
    socket_.async_connect(to_tcp(target), [s = self<TelnetSession>()](const Ec& ec) {
      if (s->finished()) return;
      if (ec) return s->finish(false, connect_error_summary(ec));
      if (s->p_->expect.empty() && s->p_->send.empty()) return s->finish(true, "connected");
      s->phase_ = "waiting for banner";
      if (!s->p_->send.empty()) s->write(s->p_->send);
      s->receive();
    });
  }

  void on_deadline() override {
    finish(false, "timeout (no \"" + p_->expect + "\" in \"" + printable_head(text_) + "\")",
           text_);
  }

  // Replies queue up behind a write in flight: one async_write at a time.
  void write(const std::string& bytes) {
    outbox_ += bytes;
    if (writing_) return;
    flush();
  }

  void flush() {
    if (outbox_.empty()) return;
    writing_ = true;
    sending_ = std::exchange(outbox_, {});
    asio::async_write(socket_, asio::buffer(sending_),
                      [s = self<TelnetSession>()](const Ec& ec, std::size_t) {
                        if (s->finished()) return;
                        s->writing_ = false;
                        if (ec) return s->finish(false, "send failed: " + ec.message(), s->text_);
                        if (s->p_->expect.empty() && s->outbox_.empty()) {
                          return s->finish(true, "connected, sent");
                        }
                        s->flush();
                      });
  }

  void receive() {
    socket_.async_read_some(
        asio::buffer(buf_),
        [s = self<TelnetSession>()](const Ec& ec, std::size_t n) { s->on_read(ec, n); });
  }

  void on_read(const Ec& ec, std::size_t n) {
    if (finished()) return;
    std::string reply;
    filter_.feed(std::string_view(buf_.data(), n), text_, reply);
    if (text_.size() > p_->max_bytes) {
      // Keep the tail: the expected text may straddle the cut.
      text_.erase(0, text_.size() - p_->max_bytes);
    }
    if (!p_->expect.empty() && text_.find(p_->expect) != std::string::npos) {
      return finish(true, "found \"" + p_->expect + "\"", text_);
    }
    if (ec) {
      const std::string why = ec == asio::error::eof ? "closed" : ec.message();
      return finish(false,
                    why + " before \"" + p_->expect + "\" (got \"" + printable_head(text_) + "\")",
                    text_);
    }
    if (!reply.empty()) write(reply);
    receive();
  }

  void close() override {
    Ec ignored;
    socket_.close(ignored);
  }

  std::shared_ptr<const TelnetParams> p_;
  asio::ip::tcp::socket socket_;
  TelnetFilter filter_;
  std::string text_;
  std::string outbox_, sending_;
  bool writing_ = false;
  std::array<char, 2048> buf_{};
};

}  // namespace

std::unique_ptr<Monitor> make_telnet_monitor(asio::io_context& io, const TelnetParams& p) {
  return std::make_unique<SessionMonitor<TelnetSession, TelnetParams>>(io, p);
}

}  // namespace tandem::health
