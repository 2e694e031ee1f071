#pragma once
// Splits a metric math expression into tokens. Private to src/metricmath.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/syntax_error.h"

namespace vigil::metricmath {

enum class TokenKind {
  kEnd,  // after the last token
  kNumber,
  kId,      // lowercase first letter: m1
  kName,    // uppercase first letter: SUM, REPEAT
  kString,  // "..."
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kCaret,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,  // AND or &&
  kOr,   // OR or ||
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t pos = 0;         // 1-based byte offset of the first character
  std::string_view text;  // as written (a string's text excludes the quotes); points into
                          // the expression passed to Lex()
  double number = 0;      // kNumber only
};

// Tokenizes `expression`; the last token is always kEnd (at position size() + 1). The tokens
// point into `expression`, which must outlive them. InvalidArgument (a SyntaxError) on a
// character that starts no token, an unterminated string or a number out of double's range.
StatusOr<std::vector<Token>> Lex(std::string_view expression);

using vigil::SyntaxError;  // common/syntax_error.h

// The token for messages: "')'", "'m1'", "the string \"x\"", "the end of the expression".
std::string DescribeToken(const Token& token);

}  // namespace vigil::metricmath
