#include "healthd/monitors/session.h"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

namespace tandem::health {

namespace asio = boost::asio;

asio::ip::tcp::endpoint to_tcp(const net::Endpoint& e) {
  return {asio::ip::address_v4(e.address.value), e.port};
}

std::string connect_error_summary(const boost::system::error_code& ec) {
  if (ec == asio::error::connection_refused) return "connection refused";
  if (ec == asio::error::host_unreachable) return "host unreachable";
  if (ec == asio::error::network_unreachable) return "network unreachable";
  if (ec == asio::error::connection_reset) return "connection reset";
  return "connect failed: " + ec.message();
}

std::string millis(std::chrono::steady_clock::duration d) {
  return std::to_string(std::chrono::round<std::chrono::milliseconds>(d).count()) + " ms";
}

Session::Session(asio::io_context& io, MonoTime deadline, Callback done)
    : io_(io), timer_(io), deadline_(deadline), done_(std::move(done)) {}

void Session::run(const net::Endpoint& target) {
  started_ = std::chrono::steady_clock::now();
  timer_.expires_at(deadline_);
  timer_.async_wait([s = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && !s->finished_) s->on_deadline();
  });
  begin(target);
}

void Session::on_deadline() {
  // The summary stays the same from run to run (alerts repeat only when it
  // changes); how long the run took goes in the detail.
  finish(false, std::string("timeout (") + phase_ + ")",
         "deadline passed after " + millis(deadline_ - started_));
}

void Session::cancel() {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  close();
}

void Session::finish(bool ok, std::string summary, std::string detail) {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  close();
  CheckResult r{ok, std::move(summary),
                std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - started_),
                std::move(detail), std::move(warning_)};
  // Posted so the caller's handler never runs inside start() or a socket
  // handler of ours; keeps `this` alive until then.
  asio::post(io_, [s = shared_from_this(), r = std::move(r)]() mutable { s->done_(std::move(r)); });
}

}  // namespace tandem::health
