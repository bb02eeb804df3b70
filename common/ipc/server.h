#pragma once
// A daemon's control socket: JSON-lines request/response plus event
// subscriptions. Each connection is independent: a bad peer (garbage,
// oversized line, vanishing mid-message, not reading its events) loses its
// own connection with a logged reason and nothing else notices.

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/ipc/access.h"
#include "common/ipc/message.h"

namespace tandem::ipc {

namespace asio = boost::asio;
using UnixSocket = asio::local::stream_protocol::socket;

struct ServerLimits {
  std::size_t max_message = 64 * 1024;        // one request line
  std::size_t max_queue_bytes = 1024 * 1024;  // unsent replies + events per connection
  // One reply may exceed the queue limit (a `health` or `services` listing of
  // thousands of servers): the peer asked for it and is waiting to read it.
  // It is refused only when the peer has not read what was queued before.
  std::size_t max_reply_bytes = kMaxReplyBytes;
  std::size_t max_connections = 64;
  std::size_t max_topics = 64;
};

struct ServerStats {
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;          // credentials or connection limit
  std::uint64_t protocol_errors = 0;  // malformed, oversized, truncated
  std::uint64_t slow_dropped = 0;
  std::uint64_t requests = 0;
  std::uint64_t events_sent = 0;
};

// What a command handler answers. A handler may also throw: the server turns
// that into an error reply, so no exception reaches the event loop.
struct Reply {
  bool ok = true;
  Json result = Json::object();
  std::string error;

  static Reply success(Json result = Json::object()) { return {true, std::move(result), {}}; }
  static Reply failure(std::string error) { return {false, Json::object(), std::move(error)}; }
};

using Handler = std::function<Reply(const Json& args)>;

class ControlServer {
 public:
  ControlServer(asio::io_context& io, ServerLimits limits, AccessPolicy policy);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // `subscribe` is built in; registering it or a name twice replaces it.
  void add_command(std::string name, Handler handler);

  // Binds `path` (file mode `mode`, group `group` when given) and starts
  // accepting. Returns the reason on failure, e.g. another instance is
  // already running.
  std::optional<std::string> listen(const std::string& path, std::optional<gid_t> group,
                                    mode_t mode = 0660);

  // Serves an already connected socket (socketpair in tests); the credential
  // check applies as for accepted connections.
  void adopt(UnixSocket socket);

  // Sends {"event":topic,...} to every connection subscribed to a matching
  // pattern. `time` is seconds since the epoch.
  void publish(std::string_view topic, const Json& data, double time);

  // Stops accepting, closes every connection and removes the socket file.
  void close();

  std::size_t connection_count() const;
  ServerStats stats() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace tandem::ipc
