// tcp: a connect is the whole check; refused, unreachable and timeout are
// told apart because they point at different faults (service, network, host).
#include <boost/asio/ip/tcp.hpp>

#include "healthd/monitors/factories.h"
#include "healthd/monitors/session.h"

namespace tandem::health {

namespace {

namespace asio = boost::asio;

class TcpSession final : public Session {
 public:
  TcpSession(asio::io_context& io, MonoTime deadline, Callback done,
             std::shared_ptr<const TcpParams> /*params*/)
      : Session(io, deadline, std::move(done)), socket_(io) {}

 private:
  void begin(const net::Endpoint& target) override {
    phase_ = "connecting";
    socket_.async_connect(to_tcp(target),
                          [s = self<TcpSession>()](const boost::system::error_code& ec) {
                            if (s->finished()) return;
                            if (ec) return s->finish(false, connect_error_summary(ec));
                            s->finish(true, "connected");
                          });
  }
  void close() override {
    boost::system::error_code ignored;
    // RST rather than FIN: no TIME_WAIT socket left behind per check.
    if (socket_.is_open()) socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
  }

  asio::ip::tcp::socket socket_;
};

}  // namespace

std::unique_ptr<Monitor> make_tcp_monitor(asio::io_context& io, const TcpParams& p) {
  return std::make_unique<SessionMonitor<TcpSession, TcpParams>>(io, p);
}

}  // namespace tandem::health
