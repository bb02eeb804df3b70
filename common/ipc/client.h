#pragma once
// Clients of a control socket. `call` is the blocking one-shot that tandemctl
// uses; ControlClient is the long-lived asynchronous link between daemons,
// which reconnects with capped exponential backoff and resubscribes.

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "common/ipc/message.h"
#include "common/util/clock.h"

namespace tandem::ipc {

// A client reads replies, which may be listings of thousands of servers, so
// it accepts what a server may send (the server bounds its requests).
inline constexpr std::size_t kDefaultMaxMessage = kMaxReplyBytes;

// Connects to `path`, sends one request, waits for its response. The whole
// exchange is bounded by `timeout`; on failure returns the reason.
std::variant<Response, std::string> call(const std::string& path, const std::string& cmd,
                                         const Json& args, Duration timeout,
                                         std::size_t max_message = kDefaultMaxMessage);

struct ClientOptions {
  std::vector<std::string> topics;  // subscribed again after every connect
  Duration initial_backoff = std::chrono::milliseconds(100);
  Duration max_backoff = std::chrono::seconds(10);
  std::size_t max_message = kDefaultMaxMessage;
};

class ControlClient {
 public:
  using EventFn = std::function<void(const Event&)>;
  using StateFn = std::function<void(bool connected, const std::string& reason)>;
  using ResponseFn = std::function<void(const Response&)>;

  ControlClient(boost::asio::io_context& io, std::string path, ClientOptions options);
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  void on_event(EventFn fn);
  void on_state(StateFn fn);

  void start();
  void stop();
  bool connected() const;

  // Sends a request on the current connection. If there is none, or it drops
  // before the answer, `done` gets a response with ok=false and the reason.
  void request(const std::string& cmd, const Json& args, ResponseFn done);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace tandem::ipc
