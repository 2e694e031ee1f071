#include "metricmath/lexer.h"

#include <charconv>
#include <system_error>

namespace vigil::metricmath {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsWordChar(char c) { return IsLower(c) || IsUpper(c) || IsDigit(c) || c == '_'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The length of the number starting at s[i]: digits, an optional fraction, an optional
// exponent. The caller has checked that s[i] is a digit, or a '.' followed by one.
size_t NumberLength(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && IsDigit(s[j])) ++j;
  if (j < s.size() && s[j] == '.') {
    ++j;
    while (j < s.size() && IsDigit(s[j])) ++j;
  }
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
    size_t k = j + 1;
    if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
    if (k < s.size() && IsDigit(s[k])) {
      j = k;
      while (j < s.size() && IsDigit(s[j])) ++j;
    }
  }
  return j - i;
}

struct Punct {
  std::string_view text;
  TokenKind kind;
};

// Longest first, so that "<=" wins over "<".
constexpr Punct kPuncts[] = {
    {"==", TokenKind::kEq},    {"!=", TokenKind::kNe},      {"<=", TokenKind::kLe},
    {">=", TokenKind::kGe},    {"&&", TokenKind::kAnd},     {"||", TokenKind::kOr},
    {"<", TokenKind::kLt},     {">", TokenKind::kGt},       {"(", TokenKind::kLParen},
    {")", TokenKind::kRParen}, {"[", TokenKind::kLBracket}, {"]", TokenKind::kRBracket},
    {",", TokenKind::kComma},  {"+", TokenKind::kPlus},     {"-", TokenKind::kMinus},
    {"*", TokenKind::kStar},   {"/", TokenKind::kSlash},    {"^", TokenKind::kCaret},
};

std::string UnexpectedCharMessage(char c) {
  switch (c) {
    case '=':
      return "unexpected '='; comparison is written '=='";
    case '!':
      return "unexpected '!'; not-equal is written '!=' (there is no NOT)";
    case '&':
      return "unexpected '&'; logical and is written '&&' or AND";
    case '|':
      return "unexpected '|'; logical or is written '||' or OR";
    default:
      break;
  }
  const auto byte = static_cast<unsigned char>(c);
  if (byte >= 0x20 && byte < 0x7f) return std::string("unexpected character '") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("unexpected byte 0x") + kHex[byte >> 4] + kHex[byte & 15];
}

}  // namespace

std::string DescribeToken(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd:
      return "the end of the expression";
    case TokenKind::kString:
      return "the string \"" + std::string(token.text) + "\"";
    default:
      return "'" + std::string(token.text) + "'";
  }
}

StatusOr<std::vector<Token>> Lex(std::string_view s) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (true) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    Token token;
    token.pos = i + 1;
    if (i == s.size()) {
      tokens.push_back(token);  // kEnd
      return tokens;
    }
    const char c = s[i];
    if (IsDigit(c) || (c == '.' && i + 1 < s.size() && IsDigit(s[i + 1]))) {
      const size_t len = NumberLength(s, i);
      token.kind = TokenKind::kNumber;
      token.text = s.substr(i, len);
      const auto [end, ec] = std::from_chars(s.data() + i, s.data() + i + len, token.number);
      if (ec == std::errc::result_out_of_range) {
        return SyntaxError(s, token.pos, "number " + std::string(token.text) + " is out of range");
      }
      if (ec != std::errc() || end != s.data() + i + len) {
        return SyntaxError(s, token.pos, "malformed number " + std::string(token.text));
      }
      i += len;
    } else if (IsLower(c) || IsUpper(c)) {
      size_t j = i;
      while (j < s.size() && IsWordChar(s[j])) ++j;
      token.text = s.substr(i, j - i);
      if (token.text == "AND") {
        token.kind = TokenKind::kAnd;
      } else if (token.text == "OR") {
        token.kind = TokenKind::kOr;
      } else {
        token.kind = IsLower(c) ? TokenKind::kId : TokenKind::kName;
      }
      i = j;
    } else if (c == '"') {
      const size_t close = s.find('"', i + 1);
      if (close == std::string_view::npos) {
        return SyntaxError(s, token.pos, "unterminated string");
      }
      token.kind = TokenKind::kString;
      token.text = s.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      const Punct* match = nullptr;
      for (const Punct& p : kPuncts) {
        if (s.substr(i, p.text.size()) == p.text) {
          match = &p;
          break;
        }
      }
      if (match == nullptr) return SyntaxError(s, token.pos, UnexpectedCharMessage(c));
      token.kind = match->kind;
      token.text = match->text;
      i += match->text.size();
    }
    tokens.push_back(token);
  }
}

}  // namespace vigil::metricmath
