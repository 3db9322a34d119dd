// The SHA-256 of a whole file, which identifies a capture in the store.
// Computed here rather than in JavaScript so that it runs on a thread of
// Node's pool: the JavaScript thread stays free for the database while the
// next capture of an ingest is hashed.
#pragma once
#include <string>

namespace mommy {

// Returns true and the digest in lower-case hex, or false and a message that
// names the file.
bool sha256_file(const std::string& path, std::string& hex, std::string& error);

}  // namespace mommy
