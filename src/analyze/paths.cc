#include "analyze/paths.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_set>
#include <utility>

namespace tollgate::analyze {
namespace {

std::vector<std::string_view> split(std::string_view p) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    if (j > i) out.push_back(p.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// Applies the components of `rel` to the absolute component stack `stack`.
void apply(std::vector<std::string>& stack, std::string_view rel) {
  for (auto c : split(rel)) {
    if (c == ".") continue;
    if (c == "..") {
      if (!stack.empty()) stack.pop_back();
      continue;
    }
    stack.emplace_back(c);
  }
}

std::string join(const std::vector<std::string>& stack) {
  if (stack.empty()) return "/";
  std::string out;
  for (const auto& c : stack) {
    out += '/';
    out += c;
  }
  return out;
}

std::string lexical(std::string_view abs) {
  std::vector<std::string> stack;
  apply(stack, abs);
  return join(stack);
}

// Replaces a leading `~`, `~/…` or `~user…`; other paths come back as is.
std::string expand_tilde(std::string_view path, std::string_view home) {
  if (path.empty() || path[0] != '~') return std::string(path);
  size_t slash = path.find('/');
  std::string_view user = path.substr(1, slash == std::string_view::npos ? std::string_view::npos : slash - 1);
  std::string_view rest = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  std::string base;
  if (user.empty()) {
    base = std::string(home.empty() ? std::string_view("/") : home);
  } else if (user == "root") {
    base = "/root";
  } else {
    base = "/home/" + std::string(user);
  }
  return base + std::string(rest);
}

bool process_served(std::string_view type) { return type.rfind("fuse", 0) == 0; }

// Room for thousands of mounts with long names; past it, see MountTable.
constexpr size_t kMaxMountTable = 16u << 20;

// One mount of /proc/self/mountinfo: its ID (which stays when a directory
// above it is renamed), its mount point and its file-system type.
struct Mount {
  uint64_t id = 0;
  std::string point;
  std::string_view type;
};

std::vector<Mount> parse_mounts(std::string_view mountinfo) {
  std::vector<Mount> out;
  size_t at = 0;
  while (at < mountinfo.size()) {
    size_t nl = std::min(mountinfo.find('\n', at), mountinfo.size());
    std::string_view line = mountinfo.substr(at, nl - at);
    at = nl + 1;
    // ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL…] - FSTYPE SOURCE SUPER-OPTIONS
    std::vector<std::string_view> f;
    for (size_t p = 0; p < line.size() && f.size() < 64;) {
      size_t sp = std::min(line.find(' ', p), line.size());
      f.push_back(line.substr(p, sp - p));
      p = sp + 1;
    }
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || dash + 1 == f.end()) continue;
    uint64_t id = 0;
    for (char ch : f[0]) id = ch >= '0' && ch <= '9' && id < UINT64_MAX / 10 ? id * 10 + (ch - '0') : id;
    std::string point;
    std::string_view raw = f[4];
    for (size_t k = 0; k < raw.size(); ++k) {
      auto octal = [&](size_t j) { return raw[j] >= '0' && raw[j] <= '7'; };
      if (raw[k] == '\\' && k + 3 < raw.size() && octal(k + 1) && octal(k + 2) && octal(k + 3)) {
        point += static_cast<char>((raw[k + 1] - '0') * 64 + (raw[k + 2] - '0') * 8 + (raw[k + 3] - '0'));
        k += 3;
      } else {
        point += raw[k];
      }
    }
    out.push_back({id, std::move(point), *(dash + 1)});
  }
  return out;
}

// The FUSE mounts: their points as the table names them ("/" alone: every
// path counts as on one) and their IDs; with the NFS and SMB mounts too.
struct Served {
  std::vector<std::string> points;
  std::unordered_set<uint64_t> ids;
  std::vector<std::string> with_network;  // and NFS and SMB mounts' points
};
using Mounts = std::shared_ptr<const Served>;

Mounts served_from(std::string_view text) {
  auto s = std::make_shared<Served>();
  for (auto& m : parse_mounts(text)) {
    if (!served_or_network_type(m.type)) continue;
    if (process_served(m.type)) {
      s->ids.insert(m.id);
      s->points.push_back(m.point);
    }
    s->with_network.push_back(std::move(m.point));
  }
  return s;
}

Mounts everything() {
  auto s = std::make_shared<Served>();
  s->points = {"/"};
  s->with_network = {"/"};
  return s;
}

// Read again from /proc/self/mountinfo only when the mount table changed
// (the kernel flags the open file POLLPRI then) or the last read failed.
class MountTable {
 public:
  Mounts served() {
    std::lock_guard lock(mu_);
    if (testing_) return served_;
    if (fd_ < 0) fd_ = ::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      // No /proc at all: nothing known to avoid. Any other failure (out of
      // descriptors): every path counts as on such a file system.
      if (errno == ENOENT) return nullptr;
      return everything();
    }
    pollfd p{fd_, POLLPRI, 0};
    int n;
    while ((n = ::poll(&p, 1, 0)) < 0 && errno == EINTR) {
    }
    if (served_ && n == 0 && !retry_) return served_;
    std::string text;
    char buf[65536];
    (void)::lseek(fd_, 0, SEEK_SET);
    bool whole = false;
    while (text.size() < kMaxMountTable) {
      ssize_t got = ::read(fd_, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        whole = got == 0;
        break;
      }
      text.append(buf, static_cast<size_t>(got));
    }
    // A table not read to its end may hide a mount (new ones come last):
    // then every path is taken to be on one (and the table read again next
    // time, unless it is too large).
    retry_ = !whole && text.size() < kMaxMountTable;
    served_ = whole ? served_from(text) : everything();
    moved_.clear();
    return served_;
  }
  // A mount point path resolution found by its ID.
  void moved(const std::string& point) {
    std::lock_guard lock(mu_);
    if (moved_.size() < 1024) moved_.insert(point);
  }
  bool on_moved(std::string_view path) {
    std::lock_guard lock(mu_);
    return std::any_of(moved_.begin(), moved_.end(), [&](const std::string& m) { return within_dir(path, m); });
  }
  void use(std::optional<std::string> text) {
    std::lock_guard lock(mu_);
    testing_ = text.has_value();
    served_ = text ? served_from(*text) : nullptr;
    moved_.clear();
  }

 private:
  std::mutex mu_;
  int fd_ = -1;  // kept open: its poll says when the table changed
  bool testing_ = false;
  bool retry_ = false;
  Mounts served_;
  std::set<std::string> moved_;  // points path resolution found by ID, moved by a rename since the read
};

MountTable& mount_table() {
  static MountTable* t = new MountTable();  // never destroyed: used until exit
  return *t;
}

bool on_any(std::string_view path, const std::vector<std::string>& mounts) {
  return std::any_of(mounts.begin(), mounts.end(), [&](const std::string& m) { return within_dir(path, m); });
}

// Resolves symlinks component by component, as the kernel does when it
// opens `abs`: each existing component is lstat'ed and a symlink is replaced
// by its target (relative targets against the directory holding the link),
// so `link/..` means the parent of the link's target. Beneath a component
// that does not exist the rest is applied lexically — until `..` leaves
// it again: `missing/../link/x` (which `mkdir -p missing` earlier on the
// line, or a harness that resolves `..` first, makes real) goes through
// `link`. A dangling symlink still maps to where a write through it would
// land. Gives up following after 40 links. On a file system served by a
// process nothing is looked up: the path is that mount's point followed by
// the rest as written (`..` included: what it leaves is the server's to
// say), so that it is seen to be on the mount.
std::string resolve(std::string_view abs) {
  const Mounts served = mount_table().served();
  std::vector<std::string> todo;  // remaining components, next one last
  for (auto c : split(abs)) todo.emplace_back(c);
  std::reverse(todo.begin(), todo.end());
  std::vector<std::string> stack;
  // The depth of the first component that does not exist (or could not be
  // followed); SIZE_MAX while every one does. Past 40 links: never again.
  size_t missing = SIZE_MAX;
  bool gave_up = false;
  int hops = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.back());
    todo.pop_back();
    if (c == ".") continue;
    if (c == "..") {
      if (!stack.empty()) stack.pop_back();
      if (!gave_up && stack.size() <= missing) missing = SIZE_MAX;
      continue;
    }
    if (gave_up || missing != SIZE_MAX || c.find('\0') != std::string::npos) {
      missing = std::min(missing, stack.size());
      stack.push_back(std::move(c));
      continue;
    }
    stack.push_back(c);
    std::string cand = join(stack);
    // Found by the table's path, or by the mount's ID (it stays when a
    // directory above the mount is renamed). The attributes are the cached
    // ones (AT_STATX_DONT_SYNC): a FUSE mount's root is not asked.
    bool on_served = served && on_any(cand, served->points);
    struct statx sx {};
    if (!on_served) {
      if (::statx(AT_FDCWD, cand.c_str(), AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MNT_ID, &sx) !=
          0) {
        missing = stack.size() - 1;
        continue;
      }
      if (served && (sx.stx_mask & STATX_MNT_ID) && served->ids.count(sx.stx_mnt_id)) {
        on_served = true;
        mount_table().moved(cand);
      }
    }
    if (on_served) {
      std::string out = cand;
      for (size_t i = todo.size(); i-- > 0;) {
        out += '/';
        out += todo[i];
      }
      return out;
    }
    if (!S_ISLNK(sx.stx_mode)) continue;
    if (++hops > 40) {
      gave_up = true;
      continue;
    }
    std::string target(PATH_MAX, '\0');
    ssize_t n = readlink(cand.c_str(), target.data(), target.size());
    if (n <= 0 || static_cast<size_t>(n) >= target.size()) {
      missing = stack.size() - 1;
      continue;
    }
    target.resize(static_cast<size_t>(n));
    stack.pop_back();
    if (target[0] == '/') stack.clear();
    auto parts = split(target);
    for (size_t i = parts.size(); i-- > 0;) todo.emplace_back(parts[i]);
  }
  return join(stack);
}

}  // namespace

std::string normalize_path(std::string_view path, std::string_view cwd, std::string_view home, bool resolve_symlinks) {
  if (path.empty()) return std::string();
  std::string p = expand_tilde(path, home);
  std::string abs;
  if (!p.empty() && p[0] == '/') {
    abs = p;
  } else {
    std::string base = (!cwd.empty() && cwd[0] == '/') ? std::string(cwd) : "/" + std::string(cwd);
    abs = base + "/" + p;
  }
  if (!resolve_symlinks) return lexical(abs);

  return resolve(abs);
}

bool through_process_links(std::string_view path) {
  if (path.find("/dev/fd/") != std::string_view::npos || path.rfind("dev/fd/", 0) == 0) return true;
  for (size_t at = path.find("proc/"); at != std::string_view::npos; at = path.find("proc/", at + 1)) {
    if (at > 0 && path[at - 1] != '/') continue;
    std::string_view rest = path.substr(at + 5);
    size_t slash = rest.find('/');
    std::string_view who = rest.substr(0, slash);
    bool process = who == "self" || who == "thread-self" ||
                   (!who.empty() && who.find_first_not_of("0123456789") == std::string_view::npos);
    if (!process || slash == std::string_view::npos) continue;
    rest = rest.substr(slash + 1);
    std::string_view link = rest.substr(0, rest.find('/'));
    if (link == "cwd" || link == "root" || link == "fd" || link == "map_files" || link == "exe" || link == "task")
      return true;
  }
  return false;
}

bool served_or_network_type(std::string_view type) {
  // (9p and virtiofs, a virtual machine's host sharing, answer as a disk does.)
  return process_served(type) || type == "nfs" || type == "nfs4" || type == "cifs" || type == "smb3" || type == "smbfs";
}

bool within_dir(std::string_view path, std::string_view dir) {
  return dir == "/" || path == dir ||
         (path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/');
}

bool on_process_served_mount(std::string_view abs) {
  const Mounts served = mount_table().served();
  return served && (on_any(abs, served->points) || mount_table().on_moved(abs));
}

bool served_by_process(const std::string& abs) {
  const Mounts served = mount_table().served();
  if (!served) return false;
  if (on_any(abs, served->points) || mount_table().on_moved(abs)) return true;
  if (served->ids.empty()) return false;
  struct statx sx {};
  if (::statx(AT_FDCWD, abs.c_str(), AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, STATX_MNT_ID, &sx) != 0) return false;
  if (!(sx.stx_mask & STATX_MNT_ID) || !served->ids.count(sx.stx_mnt_id)) return false;
  mount_table().moved(abs);
  return true;
}

std::vector<std::string> served_or_network_mounts() {
  const Mounts served = mount_table().served();
  return served ? served->with_network : std::vector<std::string>{};
}

void use_mount_table_for_testing(std::optional<std::string> mountinfo) { mount_table().use(std::move(mountinfo)); }

std::vector<std::string> mount_points(std::string_view mountinfo, bool (*keep)(std::string_view type)) {
  std::vector<std::string> out;
  for (auto& m : parse_mounts(mountinfo))
    if (keep(m.type)) out.push_back(std::move(m.point));
  return out;
}

std::vector<std::string> path_ancestors(std::string_view abs) {
  std::vector<std::string> out;
  std::string p = lexical(abs);
  while (p != "/") {
    size_t slash = p.rfind('/');
    p = slash == 0 ? std::string("/") : p.substr(0, slash);
    out.push_back(p);
  }
  return out;
}

}  // namespace tollgate::analyze
