// A small strict JSON parser for the tests of lfmpool-stat's --json output:
// objects, arrays, strings (with \uXXXX escapes below 0x100, all the tool
// emits), numbers, true, false, null. Parse() fails on anything else,
// including trailing text, so "parses" in a test means valid JSON.
#ifndef LFMPOOL_TESTS_TOOLS_MINI_JSON_H
#define LFMPOOL_TESTS_TOOLS_MINI_JSON_H

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <utility>
#include <vector>

namespace lfmtest {

struct Json {
  enum Type { kNull, kBool, kNum, kStr, kArr, kObj } type = kNull;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> arr;
  std::vector<std::pair<std::string, Json>> obj;

  bool Has(const std::string &k) const {
    for (const auto &kv : obj)
      if (kv.first == k) return true;
    return false;
  }
  // The member named k (a null value when absent).
  const Json &operator[](const std::string &k) const {
    static const Json none;
    for (const auto &kv : obj)
      if (kv.first == k) return kv.second;
    return none;
  }
  unsigned long long U() const { return static_cast<unsigned long long>(num); }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string &s)
      : p_(s.c_str()), e_(p_ + s.size()) {}

  bool Parse(Json *out) {
    if (!Value(out, 0)) return false;
    Ws();
    return p_ == e_;
  }

 private:
  void Ws() {
    while (p_ < e_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'))
      p_++;
  }
  bool Lit(const char *w) {
    size_t n = strlen(w);
    if (static_cast<size_t>(e_ - p_) < n || strncmp(p_, w, n) != 0)
      return false;
    p_ += n;
    return true;
  }
  bool Str(std::string *s) {
    if (p_ >= e_ || *p_ != '"') return false;
    p_++;
    while (p_ < e_ && *p_ != '"') {
      unsigned char c = static_cast<unsigned char>(*p_);
      if (c < 0x20) return false;
      if (c != '\\') {
        s->push_back(static_cast<char>(c));
        p_++;
        continue;
      }
      if (++p_ >= e_) return false;
      char x = *p_++;
      switch (x) {
        case '"':
          s->push_back('"');
          break;
        case '\\':
          s->push_back('\\');
          break;
        case '/':
          s->push_back('/');
          break;
        case 'b':
          s->push_back('\b');
          break;
        case 'f':
          s->push_back('\f');
          break;
        case 'n':
          s->push_back('\n');
          break;
        case 'r':
          s->push_back('\r');
          break;
        case 't':
          s->push_back('\t');
          break;
        case 'u': {
          if (e_ - p_ < 4) return false;
          std::string hex(p_, 4);
          char *end;
          unsigned long v = strtoul(hex.c_str(), &end, 16);
          if (*end != '\0' || v >= 0x100) return false;
          s->push_back(static_cast<char>(v));
          p_ += 4;
          break;
        }
        default:
          return false;
      }
    }
    if (p_ >= e_) return false;
    p_++;
    return true;
  }
  bool Value(Json *v, int depth) {
    if (depth > 64) return false;
    Ws();
    if (p_ >= e_) return false;
    if (*p_ == '{') {
      p_++;
      v->type = Json::kObj;
      Ws();
      if (p_ < e_ && *p_ == '}') return ++p_, true;
      for (;;) {
        Ws();
        std::pair<std::string, Json> kv;
        if (!Str(&kv.first)) return false;
        Ws();
        if (p_ >= e_ || *p_++ != ':') return false;
        if (!Value(&kv.second, depth + 1)) return false;
        v->obj.push_back(std::move(kv));
        Ws();
        if (p_ >= e_) return false;
        if (*p_ == ',') {
          p_++;
          continue;
        }
        if (*p_ == '}') return ++p_, true;
        return false;
      }
    }
    if (*p_ == '[') {
      p_++;
      v->type = Json::kArr;
      Ws();
      if (p_ < e_ && *p_ == ']') return ++p_, true;
      for (;;) {
        Json x;
        if (!Value(&x, depth + 1)) return false;
        v->arr.push_back(std::move(x));
        Ws();
        if (p_ >= e_) return false;
        if (*p_ == ',') {
          p_++;
          continue;
        }
        if (*p_ == ']') return ++p_, true;
        return false;
      }
    }
    if (*p_ == '"') {
      v->type = Json::kStr;
      return Str(&v->str);
    }
    if (Lit("true")) return v->type = Json::kBool, v->b = true, true;
    if (Lit("false")) return v->type = Json::kBool, v->b = false, true;
    if (Lit("null")) return v->type = Json::kNull, true;
    // A number, as JSON spells it: -?digits[.digits][e[+-]digits].
    const char *s = p_;
    if (p_ < e_ && *p_ == '-') p_++;
    if (p_ >= e_ || !isdigit(static_cast<unsigned char>(*p_))) return false;
    while (p_ < e_ && isdigit(static_cast<unsigned char>(*p_))) p_++;
    if (p_ < e_ && *p_ == '.') {
      p_++;
      if (p_ >= e_ || !isdigit(static_cast<unsigned char>(*p_))) return false;
      while (p_ < e_ && isdigit(static_cast<unsigned char>(*p_))) p_++;
    }
    if (p_ < e_ && (*p_ == 'e' || *p_ == 'E')) {
      p_++;
      if (p_ < e_ && (*p_ == '+' || *p_ == '-')) p_++;
      if (p_ >= e_ || !isdigit(static_cast<unsigned char>(*p_))) return false;
      while (p_ < e_ && isdigit(static_cast<unsigned char>(*p_))) p_++;
    }
    v->type = Json::kNum;
    v->num = strtod(std::string(s, p_).c_str(), nullptr);
    return true;
  }

  const char *p_;
  const char *e_;
};

inline bool ParseJson(const std::string &s, Json *out) {
  *out = Json();
  return JsonParser(s).Parse(out);
}

}  // namespace lfmtest

#endif  // LFMPOOL_TESTS_TOOLS_MINI_JSON_H
