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
    : io_(io), deadlines_(Poller::of(io)), deadline_(deadline), done_(std::move(done)) {}

Session::~Session() {
  deadlines_->unschedule(*this);
}

void Session::run(const net::Endpoint& target) {
  started_ = std::chrono::steady_clock::now();
  // The poller keeps this run alive until its deadline or its end, as a
  // timer's pending wait did.
  deadlines_->schedule(*this, deadline_, shared_from_this());
  begin(target);
}

void Session::expire() {
  if (!finished_) on_deadline();
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
  auto keep = shared_from_this();  // the poller may hold the last reference
  deadlines_->unschedule(*this);
  close();
}

void Session::finish(bool ok, std::string summary, std::string detail) {
  if (finished_) return;
  finished_ = true;
  auto keep = shared_from_this();  // the poller may hold the last reference
  deadlines_->unschedule(*this);
  close();
  CheckResult r{ok, std::move(summary),
                std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - started_),
                std::move(detail), std::move(warning_)};
  // Posted so the caller's handler never runs inside start() or a socket
  // handler of ours; keeps `this` alive until then.
  asio::post(io_, [s = std::move(keep), r = std::move(r)]() mutable { s->done_(std::move(r)); });
}

}  // namespace tandem::health
