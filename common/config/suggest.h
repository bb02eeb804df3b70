#pragma once
// "Did you mean ...?" for misspelt keys and enum values.

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tandem::config {

// Optimal-string-alignment distance: insertions, deletions, substitutions
// and adjacent transpositions ("wieght" -> "weight" is 1) each cost 1.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The closest candidate if it is close enough to be a plausible typo
// (distance at most a third of the word, at least 1, at most 3, and not a
// replacement of every letter); ties go to the earlier candidate so the
// answer is stable.
std::optional<std::string> did_you_mean(std::string_view word,
                                        std::span<const std::string_view> candidates);

}  // namespace tandem::config
