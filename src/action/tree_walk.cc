// Looking beneath a directory that a command reads whole for the labelled
// files it would read too (action.h, TreeLister).

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "action/action.h"
#include "action/action_internal.h"
#include "analyze/paths.h"

namespace tollgate::action {

namespace {

constexpr int kMaxDepth = 64;
// Links followed per walk: each costs a resolution of up to 40 links.
constexpr size_t kMaxLinks = 1000;
// Of the files of one kind (their labels), those named: enough to decide on,
// and a file of another kind still finds room.
constexpr size_t kMaxPerKind = 8;
// Time a walk may take, checked as it goes: past it, not all is looked at.
constexpr auto kMaxWalkTime = std::chrono::milliseconds(250);

bool within(std::string_view path, std::string_view dir) { return analyze::within_dir(path, dir); }

bool matches_any(const std::vector<std::string>& globs, const char* name) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return ::fnmatch(g.c_str(), name, 0) == 0; });
}

}  // namespace

std::vector<std::string> remote_mount_points(std::string_view mountinfo) {
  return analyze::mount_points(mountinfo, analyze::served_or_network_type);
}

bool leads_onto_remote_mount(const std::string& path, const std::vector<std::string>& mounts) {
  if (on_remote_mount(path, mounts)) return true;
  // Resolved without a look-up on a FUSE mount, which it recognises by ID
  // as well as by path.
  std::string resolved = analyze::normalize_path(path, "/", "", true);
  return on_remote_mount(resolved, mounts) || analyze::on_process_served_mount(resolved);
}

bool on_remote_mount(std::string_view path, const std::vector<std::string>& mounts) {
  for (const auto& m : mounts)
    if (within(path, m)) return true;
  return false;
}

std::vector<std::string> remote_mounts() { return analyze::served_or_network_mounts(); }

TreeLister file_tree_lister(std::function<std::string(const std::string& path)> kind_of) {
  return [kind_of = std::move(kind_of)](const std::string& root, const TreeScope& scope, std::size_t max_entries,
                                        std::chrono::steady_clock::time_point until) {
    TreeListing out;
    if (root.empty() || root[0] != '/') return out;
    const auto deadline = std::min(until, std::chrono::steady_clock::now() + kMaxWalkTime);
    if (std::chrono::steady_clock::now() > deadline) return out;  // (not complete)
    struct Dir {
      std::string path;
      int depth;
    };
    // A file system whose directories are served by a process or over the
    // network (FUSE, NFS, SMB …) can keep an open or a read waiting for
    // ever: what is on one is not looked at, and so not known.
    const std::vector<std::string> remote = remote_mounts();
    auto on_remote = [&](const std::string& dir, bool root_dir) {
      return std::any_of(remote.begin(), remote.end(),
                         [&](const std::string& m) { return root_dir ? within(dir, m) : dir == m; });
    };
    if (leads_onto_remote_mount(root, remote)) return out;  // (not complete)
    std::vector<Dir> todo = {{root, 0}};
    std::set<std::pair<dev_t, ino_t>> seen;  // directories entered, when links are followed
    std::map<std::string, size_t> per_kind;
    size_t links = 0;
    bool complete = true;
    // A file read: kept when it is of a kind (labelled), within the bounds.
    auto consider = [&](const std::string& path) {
      std::string kind = kind_of(path);
      if (kind.empty()) return;
      size_t& n = per_kind[kind];
      if (n >= kMaxPerKind || (out.paths.size() >= kMaxTreeFound && n > 0)) return;
      ++n;
      out.paths.push_back(path);
    };
    while (!todo.empty() && complete) {
      Dir d = std::move(todo.back());
      todo.pop_back();
      if (d.depth > 0 &&
          ((!remote.empty() && on_remote(d.path, d.path.rfind(root, 0) != 0)) || analyze::served_by_process(d.path))) {
        complete = false;
        break;
      }
      // The root may be a link named on the command line (its reader follows
      // those); beneath it, a link is entered by its target's path.
      int fd = ::open(d.path.c_str(), O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC | (d.depth > 0 ? O_NOFOLLOW : 0));
      if (fd < 0) {
        // A directory its reader may not read is skipped by it too; one gone
        // meanwhile, or a file, holds nothing beneath.
        if (errno == EACCES || errno == EPERM || errno == ENOENT || errno == ENOTDIR || errno == ELOOP) continue;
        complete = false;
        break;
      }
      struct stat dst {};
      if (::fstat(fd, &dst) != 0) {
        ::close(fd);
        complete = false;
        break;
      }
      if (scope.follow_links && !seen.insert({dst.st_dev, dst.st_ino}).second) {
        ::close(fd);
        continue;
      }
      DIR* dh = ::fdopendir(fd);
      if (!dh) {
        ::close(fd);
        complete = false;
        break;
      }
      const std::string prefix = d.path == "/" ? "" : d.path;
      for (;;) {
        errno = 0;
        const dirent* e = ::readdir(dh);
        if (!e) {
          if (errno != 0) complete = false;
          break;
        }
        const char* name = e->d_name;
        if (std::string_view(name) == "." || std::string_view(name) == "..") continue;
        if (++out.scanned > max_entries || ((out.scanned & 63) == 0 && std::chrono::steady_clock::now() > deadline)) {
          complete = false;
          break;
        }
        if (!scope.hidden && name[0] == '.') continue;
        unsigned char type = e->d_type;
        if (type == DT_UNKNOWN) {
          struct stat st {};
          if (on_remote(prefix + "/" + name, false)) {  // a mount point: its root would be asked
            complete = false;
            break;
          }
          if (::fstatat(::dirfd(dh), name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
          type = S_ISDIR(st.st_mode)   ? DT_DIR
                 : S_ISREG(st.st_mode) ? DT_REG
                 : S_ISLNK(st.st_mode) ? DT_LNK
                                       : DT_UNKNOWN;
        }
        std::string path = prefix + "/" + name;
        if (type == DT_LNK) {
          if (!scope.follow_links) continue;
          // (Names left out cost nothing: `node_modules/.bin` excluded.)
          if (matches_any(scope.exclude_dir, name) && matches_any(scope.exclude, name)) continue;
          if (++links > kMaxLinks || std::chrono::steady_clock::now() > deadline) {
            complete = false;
            break;
          }
          // Where it leads, resolved without a look-up on a file system a
          // process serves; one that leads onto such a system, or a remote
          // one, is not followed there (a look-up can wait for ever).
          std::string resolved = analyze::normalize_path(path, "/", "", true);
          if (on_remote(resolved, true) || analyze::on_process_served_mount(resolved)) {
            complete = false;
            break;
          }
          // Resolved whole, it is no link; one still is after 40 links (the
          // program gets ELOOP), and is not followed afresh here.
          struct stat st {};
          if (::lstat(resolved.c_str(), &st) != 0 || S_ISLNK(st.st_mode)) continue;  // dangling
          const bool is_dir = S_ISDIR(st.st_mode);
          if (!is_dir && !S_ISREG(st.st_mode)) continue;
          if (is_dir ? matches_any(scope.exclude_dir, name) : matches_any(scope.exclude, name)) continue;
          if (is_dir) {
            if (d.depth + 1 > kMaxDepth) {
              complete = false;
              break;
            }
            todo.push_back({resolved, d.depth + 1});
          } else {
            // What it leads to is read, by the link's name and its own.
            consider(path);
            consider(resolved);
          }
          continue;
        }
        if (type == DT_DIR) {
          if (matches_any(scope.exclude_dir, name) || (d.depth == 0 && matches_any(scope.exclude_top, name))) continue;
          if (d.depth + 1 > kMaxDepth) {
            complete = false;
            break;
          }
          todo.push_back({std::move(path), d.depth + 1});
          continue;
        }
        if (type != DT_REG) continue;  // FIFOs, sockets, devices: not read
        if (matches_any(scope.exclude, name) || (d.depth == 0 && matches_any(scope.exclude_top, name))) continue;
        if (!scope.include.empty() && !matches_any(scope.include, name)) continue;
        consider(path);
      }
      ::closedir(dh);
    }
    std::sort(out.paths.begin(), out.paths.end());
    out.paths.erase(std::unique(out.paths.begin(), out.paths.end()), out.paths.end());
    out.complete = complete;
    return out;
  };
}

}  // namespace tollgate::action
