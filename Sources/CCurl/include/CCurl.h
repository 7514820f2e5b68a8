#ifndef CCURL_H
#define CCURL_H

// libcurl for Swift: the library's header plus typed, non-variadic wrappers around the
// variadic `curl_easy_setopt`, `curl_easy_getinfo` and `curl_multi_setopt`, which Swift
// cannot call directly, and the handful of macros Swift does not import.

#include <curl/curl.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The value a write callback returns to pause the transfer (`CURL_WRITEFUNC_PAUSE`).
size_t ccurl_writefunc_pause(void);
/// `CURLPAUSE_CONT`: resume both directions of a paused transfer.
int ccurl_pause_cont(void);
/// `CURL_GLOBAL_DEFAULT`.
long ccurl_global_default(void);

CURLcode ccurl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode ccurl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode ccurl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode ccurl_easy_setopt_write_function(CURL *handle, CURLoption option, curl_write_callback value);
CURLcode ccurl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);

CURLcode ccurl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode ccurl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLcode ccurl_easy_getinfo_pointer(CURL *handle, CURLINFO info, char **value);

CURLMcode ccurl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);

/// The easy handle and result of a `CURLMSG_DONE` message; returns 0 for other messages.
int ccurl_msg_done(const CURLMsg *message, CURL **handle, CURLcode *result);

#ifdef __cplusplus
}
#endif

#endif
