// Zip archives in memory with libzip, shared by .npz and .keras files:
// members listed and read with their sizes checked before anything is
// inflated, and archives written with a fixed member time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stride {

// A member name fit for a one-line message: control bytes as \xNN.
std::string printable_member_name(std::string_view name);

class ZipReader {
 public:
  struct Member {
    std::string name;  // the raw bytes the archive holds
    std::uint64_t size = 0;
    bool is_directory = false;  // a name ending in '/' holding no data
  };

  // Opens `bytes` (which must outlive the reader); `file` names the archive
  // in errors and `what` says what it should be ("a .npz (zip) archive").
  // Refuses a corrupt archive and two members with one name.
  ZipReader(std::string_view bytes, const std::string& file, const std::string& what);
  ~ZipReader();
  ZipReader(const ZipReader&) = delete;
  ZipReader& operator=(const ZipReader&) = delete;

  const std::vector<Member>& members() const { return members_; }
  // The index of the member called `name`, or -1.
  std::int64_t find(std::string_view name) const;
  // The member's bytes: stored or deflated, at most max_bytes, exactly the
  // declared size, CRC checked. Errors are located at "FILE<sep>MEMBER".
  std::string read(std::size_t index, std::uint64_t max_bytes, const std::string& where) const;

 private:
  struct Archive;
  std::unique_ptr<Archive> archive_;
  std::vector<Member> members_;
};

// An archive of these members in this order, stored or deflated, every
// member dated 1980-01-01 so that the same input gives the same bytes.
using ZipMembers = std::vector<std::pair<std::string, std::string>>;
std::string serialize_zip(const ZipMembers& members, bool compressed);

}  // namespace stride
