#include "healthd/monitors/monitor.h"

#include "healthd/monitors/factories.h"

namespace tandem::health {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

std::unique_ptr<Monitor> make_monitor(boost::asio::io_context& io, const MonitorParams& params) {
  return std::visit(Overloaded{[&](const TcpParams& p) { return make_tcp_monitor(io, p); },
                               [&](const HttpParams& p) { return make_http_monitor(io, p); },
                               [&](const TelnetParams& p) { return make_telnet_monitor(io, p); },
                               [&](const DnsParams& p) { return make_dns_monitor(io, p); },
                               [&](const PingParams& p) { return make_ping_monitor(io, p); },
                               [&](const ExecParams& p) { return make_exec_monitor(io, p); }},
                    params);
}

}  // namespace tandem::health
