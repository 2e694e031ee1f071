#pragma once
// Syntax errors of the query languages (metric math, Metrics Insights), in one shape.
#include <cstddef>
#include <string_view>

#include "common/status.h"

namespace vigil {

// InvalidArgument "Syntax error at position <pos> (after '<text before pos>'): <message>".
// pos is 1-based. The quoted context is at most the last 20 characters before pos, without
// trailing blanks, and is left out at pos 1.
Status SyntaxError(std::string_view text, size_t pos, std::string_view message);

}  // namespace vigil
