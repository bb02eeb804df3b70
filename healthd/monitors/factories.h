#pragma once
// One constructor per monitor type; make_monitor picks by the params' type.

#include <boost/asio/io_context.hpp>
#include <memory>

#include "healthd/monitors/monitor.h"

namespace tandem::health {

std::unique_ptr<Monitor> make_tcp_monitor(boost::asio::io_context& io, const TcpParams& p);
std::unique_ptr<Monitor> make_http_monitor(boost::asio::io_context& io, const HttpParams& p);
std::unique_ptr<Monitor> make_telnet_monitor(boost::asio::io_context& io, const TelnetParams& p);
std::unique_ptr<Monitor> make_dns_monitor(boost::asio::io_context& io, const DnsParams& p);
std::unique_ptr<Monitor> make_ping_monitor(boost::asio::io_context& io, const PingParams& p);
std::unique_ptr<Monitor> make_exec_monitor(boost::asio::io_context& io, const ExecParams& p);

}  // namespace tandem::health
