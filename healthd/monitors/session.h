#pragma once
// Shared plumbing of one check run: the deadline (kept by the io_context's
// Poller), the single completion, latency, and the Monitor wrapper that
// keeps at most one run.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <string>

#include "healthd/monitors/monitor.h"
#include "healthd/monitors/poller.h"

namespace tandem::health {

boost::asio::ip::tcp::endpoint to_tcp(const net::Endpoint& e);
std::string connect_error_summary(const boost::system::error_code& ec);
std::string millis(std::chrono::steady_clock::duration d);

class Session : public std::enable_shared_from_this<Session>, private Poller::Expiring {
 public:
  Session(boost::asio::io_context& io, MonoTime deadline, Callback done);
  virtual ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Arms the deadline, then runs begin().
  void run(const net::Endpoint& target);
  // Stops the run without a callback.
  void cancel();
  bool finished() const { return finished_; }

 protected:
  virtual void begin(const net::Endpoint& target) = 0;
  // Closes sockets so pending handlers complete with operation_aborted.
  virtual void close() = 0;
  // Default: fail with "timeout after N ms (<phase>)".
  virtual void on_deadline();

  void finish(bool ok, std::string summary, std::string detail = {});
  template <class Self>
  std::shared_ptr<Self> self() {
    return std::static_pointer_cast<Self>(shared_from_this());
  }

  boost::asio::io_context& io_;
  std::shared_ptr<Poller> deadlines_;
  const char* phase_ = "starting";
  std::string warning_;  // copied into the result
  MonoTime started_;
  MonoTime deadline_;

 private:
  void expire() override;

  Callback done_;
  bool finished_ = false;
};

// Keeps the current run so cancel() and a new start() can end it.
template <class S, class P>
class SessionMonitor final : public Monitor {
 public:
  SessionMonitor(boost::asio::io_context& io, P params)
      : io_(io), params_(std::make_shared<const P>(std::move(params))) {}
  ~SessionMonitor() override { cancel(); }

  void start(const net::Endpoint& target, MonoTime deadline, Callback done) override {
    cancel();
    auto s = std::make_shared<S>(io_, deadline, std::move(done), params_);
    current_ = s;
    s->run(target);
  }
  void cancel() override {
    if (auto s = current_.lock()) s->cancel();
    current_.reset();
  }

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<const P> params_;
  std::weak_ptr<Session> current_;
};

}  // namespace tandem::health
