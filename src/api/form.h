#pragma once
// The AWS query protocol's request body: application/x-www-form-urlencoded pairs whose keys
// flatten a structure (NOTES §3): `A.B` is member B of A, `A.member.N` element N (from 1) of
// list A, `A.entry.N.key|value` an entry of map A. FormToDocument() rebuilds the structure as
// a JSON document whose leaves are the raw strings, so one input reader (input_reader.h)
// serves the query and the JSON 1.0 protocol alike.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api_error.h"

namespace vigil::api {

// Decodes one form component: '+' becomes a space, then %XX becomes the byte XX (so "%2B" is
// '+'). False on a '%' not followed by two hex digits.
bool FormUnescape(std::string_view in, std::string* out);

using FormPairs = std::vector<std::pair<std::string, std::string>>;

// Splits the body on '&' and '=' and decodes both sides, in order. A pair without '=' has an
// empty value; empty components ("a=1&&b=2") are skipped. MalformedQueryString on a bad escape.
ApiOr<FormPairs> ParseFormPairs(std::string_view body);

// The nested document of the pairs: objects for structures, arrays for `member` lists (ordered
// by N; gaps are closed), objects for `entry` maps, strings at the leaves. A key whose value is
// empty and which has no nested keys stays the empty string: the reader takes it as an empty
// list where a list is expected (`AlarmActions=`). When a key is given twice the last value
// wins. MalformedQueryString when a list index is not a positive integer or a map entry lacks
// its key.
ApiOr<nlohmann::json> FormToDocument(const FormPairs& pairs);

}  // namespace vigil::api
