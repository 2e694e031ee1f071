#include "common/syntax_error.h"

#include <string>

namespace vigil {

Status SyntaxError(std::string_view text, size_t pos, std::string_view message) {
  std::string out = "Syntax error at position " + std::to_string(pos);
  std::string_view before = text.substr(0, pos > 0 ? pos - 1 : 0);
  constexpr std::string_view kBlanks = " \t\n\r";
  while (!before.empty() && kBlanks.find(before.back()) != std::string_view::npos) {
    before.remove_suffix(1);
  }
  constexpr size_t kContext = 20;
  if (!before.empty()) {
    out += " (after '";
    if (before.size() > kContext) {
      out += "...";
      before = before.substr(before.size() - kContext);
    }
    out.append(before);
    out += "')";
  }
  out += ": ";
  out.append(message);
  return InvalidArgumentError(std::move(out));
}

}  // namespace vigil
