#pragma once
// The bytes each sender puts on the wire, built without I/O so they are
// checked byte for byte in tests. Header text is already sanitised by
// format_alert; these functions still refuse CR/LF in anything they place
// in a header, since addresses come from the config file.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/spool/spool.h"
#include "common/util/clock.h"

namespace tandem::alerts {

struct MailEnvelope {
  std::string from;
  std::vector<std::string> to;
};

// RFC 5322 message: From, To, Subject (RFC 2047 base64 when not ASCII), Date
// and Message-ID from the job (so a retry is recognisably the same message),
// MIME headers, blank line, body with CRLF line ends. Dot-stuffing is left to
// libcurl's SMTP upload, which does it on the wire.
std::string build_mail(const MailEnvelope& env, const Job& job);

// "Sat, 21 Nov 2026 22:40:46 +0000".
std::string rfc5322_date(std::int64_t unix_seconds);
std::string encode_header_word(std::string_view text);

// The page webhook's JSON body.
std::string build_page_json(const Job& job);

// Delay before retry number `attempts` (1-based): 5s doubled per failure,
// capped at 10 minutes, so a dead server is polled gently but not forgotten.
Duration retry_delay(std::uint32_t attempts);

}  // namespace tandem::alerts
