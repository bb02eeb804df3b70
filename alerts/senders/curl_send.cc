#include "alerts/senders/curl_send.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>

#include "alerts/senders/message.h"

namespace tandem::alerts {

namespace {

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using List = std::unique_ptr<curl_slist, ListDeleter>;

struct Upload {
  const std::string* data;
  std::size_t offset = 0;
};

std::size_t read_cb(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  std::size_t room = size * n;
  std::size_t left = up->data->size() - up->offset;
  std::size_t take = std::min(room, left);
  std::memcpy(buf, up->data->data() + up->offset, take);
  up->offset += take;
  return take;
}

std::size_t discard_cb(char*, std::size_t size, std::size_t n, void*) {
  return size * n;
}

long timeout_ms(Duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return static_cast<long>(std::clamp<std::int64_t>(ms, 100, 600000));
}

bool append(List& list, const std::string& s) {
  curl_slist* next = curl_slist_append(list.get(), s.c_str());
  if (next == nullptr) return false;
  (void)list.release();
  list.reset(next);
  return true;
}

std::string read_password(const std::string& path, bool& ok) {
  ok = true;
  if (path.empty()) return {};
  std::ifstream f(path);
  std::string line;
  if (!f || !std::getline(f, line)) {
    ok = false;
    return {};
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  return line;
}

int progress_cb(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel != nullptr && cancel->load() ? 1 : 0;
}

void set_cancel(CURL* c, const std::atomic<bool>* cancel) {
  if (cancel == nullptr) return;
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(cancel));
}

SendResult finish(CURL* c, CURLcode rc, const char* errbuf) {
  if (rc != CURLE_OK) {
    return {false, std::string(curl_easy_strerror(rc)) + (errbuf[0] ? ": " : "") + errbuf};
  }
  (void)c;
  return {true, {}};
}

}  // namespace

SendResult send_mail(const config::MailSender& cfg, const Job& job,
                     const std::atomic<bool>* cancel) {
  Easy c(curl_easy_init());
  if (!c) return {false, "curl_easy_init failed"};
  bool pw_ok = true;
  std::string password = read_password(cfg.password_file, pw_ok);
  if (!pw_ok) return {false, "cannot read password_file " + cfg.password_file};

  std::string host =
      cfg.server.find(':') != std::string::npos ? "[" + cfg.server + "]" : cfg.server;
  std::string url = "smtp://" + host + ":" + std::to_string(cfg.port);
  std::string from = "<" + cfg.from + ">";
  List rcpt;
  for (const std::string& r : cfg.to) {
    if (!append(rcpt, "<" + r + ">")) return {false, "out of memory"};
  }
  std::string message = build_mail(MailEnvelope{cfg.from, cfg.to}, job);
  Upload up{&message};
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "smtp");
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, timeout_ms(cfg.timeout));
  curl_easy_setopt(c.get(), CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c.get(), CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(c.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c.get(), CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(c.get(), CURLOPT_READDATA, &up);
  curl_easy_setopt(c.get(), CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  // STARTTLS when asked is mandatory: never fall back to plain text.
  curl_easy_setopt(c.get(), CURLOPT_USE_SSL, cfg.starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE);
  if (!cfg.ca_file.empty()) curl_easy_setopt(c.get(), CURLOPT_CAINFO, cfg.ca_file.c_str());
  if (!cfg.user.empty()) {
    curl_easy_setopt(c.get(), CURLOPT_USERNAME, cfg.user.c_str());
    curl_easy_setopt(c.get(), CURLOPT_PASSWORD, password.c_str());
  }
  set_cancel(c.get(), cancel);
  CURLcode rc = curl_easy_perform(c.get());
  // Name the account: "Login denied" alone does not tell the operator which
  // password_file to fix. The job stays spooled and is retried, so fixing the
  // file (no reload needed: it is read per attempt) delivers it.
  if (rc == CURLE_LOGIN_DENIED) {
    SendResult r = finish(c.get(), rc, errbuf);
    r.error = "SMTP AUTH as " + cfg.user + " refused by " + cfg.server + " (" + r.error + ")";
    return r;
  }
  return finish(c.get(), rc, errbuf);
}

SendResult send_page(const config::PageSender& cfg, const Job& job,
                     const std::atomic<bool>* cancel) {
  Easy c(curl_easy_init());
  if (!c) return {false, "curl_easy_init failed"};
  std::string body = build_page_json(job);
  List headers;
  if (!append(headers, "Content-Type: application/json")) return {false, "out of memory"};
  for (const auto& [k, v] : cfg.headers) {
    std::string line = k + ": " + v;
    if (line.find_first_of("\r\n") != std::string::npos) continue;
    if (!append(headers, line)) return {false, "out of memory"};
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c.get(), CURLOPT_URL, cfg.url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, timeout_ms(cfg.timeout));
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, discard_cb);
  set_cancel(c.get(), cancel);
  CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) return finish(c.get(), rc, errbuf);
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) return {false, "HTTP status " + std::to_string(status)};
  return {true, {}};
}

}  // namespace tandem::alerts
