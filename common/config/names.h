#pragma once
// The spelling of every enumerated config value, in one table per enum, so
// the parser, the error messages, the effective-config dump and the daemons'
// status output all agree on one name.

#include <array>
#include <optional>
#include <span>
#include <string_view>

#include "common/config/schema.h"

namespace tandem::config {

template <class E>
struct EnumName {
  std::string_view name;
  E value;
};

template <class E>
struct Names;  // Names<E>::all: every value with its config spelling

#define TANDEM_CONFIG_NAMES(E, ...)                           \
  template <>                                                 \
  struct Names<E> {                                           \
    static constexpr EnumName<E> table[] = {__VA_ARGS__};     \
    static constexpr std::span<const EnumName<E>> all{table}; \
  }

TANDEM_CONFIG_NAMES(LogLevel, {"debug", LogLevel::debug}, {"info", LogLevel::info},
                    {"notice", LogLevel::notice}, {"warning", LogLevel::warning},
                    {"error", LogLevel::error});
TANDEM_CONFIG_NAMES(Protocol, {"tcp", Protocol::tcp}, {"udp", Protocol::udp});
TANDEM_CONFIG_NAMES(Scheduler, {"rr", Scheduler::rr}, {"wrr", Scheduler::wrr},
                    {"lc", Scheduler::lc}, {"wlc", Scheduler::wlc}, {"sed", Scheduler::sed},
                    {"nq", Scheduler::nq}, {"dh", Scheduler::dh}, {"sh", Scheduler::sh},
                    {"mh", Scheduler::mh}, {"lblc", Scheduler::lblc}, {"lblcr", Scheduler::lblcr},
                    {"fo", Scheduler::fo}, {"ovf", Scheduler::ovf}, {"twos", Scheduler::twos});
TANDEM_CONFIG_NAMES(SchedulerFlag, {"sh-fallback", SchedulerFlag::sh_fallback},
                    {"sh-port", SchedulerFlag::sh_port},
                    {"mh-fallback", SchedulerFlag::mh_fallback},
                    {"mh-port", SchedulerFlag::mh_port});
TANDEM_CONFIG_NAMES(Forwarding, {"dr", Forwarding::dr}, {"nat", Forwarding::nat},
                    {"tun", Forwarding::tun});
TANDEM_CONFIG_NAMES(OnFailure, {"remove", OnFailure::remove}, {"quiesce", OnFailure::quiesce});
TANDEM_CONFIG_NAMES(InterfaceRole, {"outside", InterfaceRole::outside},
                    {"inside", InterfaceRole::inside});
TANDEM_CONFIG_NAMES(MonitorType, {"http", MonitorType::http}, {"https", MonitorType::https},
                    {"telnet", MonitorType::telnet}, {"dns", MonitorType::dns},
                    {"tcp", MonitorType::tcp}, {"ping", MonitorType::ping},
                    {"exec", MonitorType::exec});
TANDEM_CONFIG_NAMES(HttpMethod, {"GET", HttpMethod::get}, {"HEAD", HttpMethod::head});
TANDEM_CONFIG_NAMES(DnsType, {"A", DnsType::a}, {"AAAA", DnsType::aaaa}, {"CNAME", DnsType::cname},
                    {"MX", DnsType::mx}, {"NS", DnsType::ns}, {"PTR", DnsType::ptr},
                    {"SOA", DnsType::soa}, {"SRV", DnsType::srv}, {"TXT", DnsType::txt});
TANDEM_CONFIG_NAMES(DnsRcode, {"NOERROR", DnsRcode::noerror}, {"FORMERR", DnsRcode::formerr},
                    {"SERVFAIL", DnsRcode::servfail}, {"NXDOMAIN", DnsRcode::nxdomain},
                    {"NOTIMP", DnsRcode::notimp}, {"REFUSED", DnsRcode::refused});
TANDEM_CONFIG_NAMES(DnsTransport, {"udp", DnsTransport::udp}, {"tcp", DnsTransport::tcp});
TANDEM_CONFIG_NAMES(VrrpAuthType, {"none", VrrpAuthType::none},
                    {"hmac-sha256", VrrpAuthType::hmac_sha256});
TANDEM_CONFIG_NAMES(TrackDaemon, {"director", TrackDaemon::director},
                    {"healthd", TrackDaemon::healthd}, {"syncd", TrackDaemon::syncd});
TANDEM_CONFIG_NAMES(SyncTransport, {"multicast", SyncTransport::multicast},
                    {"unicast", SyncTransport::unicast});
TANDEM_CONFIG_NAMES(SenderType, {"mail", SenderType::mail}, {"page", SenderType::page},
                    {"exec", SenderType::exec});
TANDEM_CONFIG_NAMES(Severity, {"info", Severity::info}, {"warning", Severity::warning},
                    {"critical", Severity::critical});
TANDEM_CONFIG_NAMES(EventKind, {"server_down", EventKind::server_down},
                    {"server_up", EventKind::server_up}, {"quorum_lost", EventKind::quorum_lost},
                    {"quorum_restored", EventKind::quorum_restored},
                    {"vrrp_master", EventKind::vrrp_master},
                    {"vrrp_backup", EventKind::vrrp_backup}, {"vrrp_fault", EventKind::vrrp_fault},
                    {"sync_peer_lost", EventKind::sync_peer_lost},
                    {"sync_peer_restored", EventKind::sync_peer_restored},
                    {"cert_expiry", EventKind::cert_expiry},
                    {"daemon_down", EventKind::daemon_down}, {"daemon_up", EventKind::daemon_up});
TANDEM_CONFIG_NAMES(Weekday, {"mon", Weekday::mon}, {"tue", Weekday::tue}, {"wed", Weekday::wed},
                    {"thu", Weekday::thu}, {"fri", Weekday::fri}, {"sat", Weekday::sat},
                    {"sun", Weekday::sun});

#undef TANDEM_CONFIG_NAMES

template <class E>
constexpr std::string_view to_string(E value) {
  for (const auto& entry : Names<E>::all) {
    if (entry.value == value) return entry.name;
  }
  return "?";
}

// Case-insensitive: operators write "WLC" and "get" too.
template <class E>
constexpr std::optional<E> from_string(std::string_view text) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (const auto& entry : Names<E>::all) {
    if (entry.name.size() != text.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < text.size() && same; ++i)
      same = lower(entry.name[i]) == lower(text[i]);
    if (same) return entry.value;
  }
  return std::nullopt;
}

}  // namespace tandem::config
