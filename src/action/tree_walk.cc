// Looking beneath a directory that a command reads whole for the labelled
// files it would read too (action.h, TreeLister).

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "action/action.h"

namespace tollgate::action {

namespace {

constexpr int kMaxDepth = 64;
constexpr size_t kMaxIgnoreBytes = 64 * 1024;

struct Ignore {
  std::string glob;
  bool dir_only = false;
};
using Ignores = std::vector<Ignore>;

bool matches_any(const std::vector<std::string>& globs, const char* name) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return ::fnmatch(g.c_str(), name, 0) == 0; });
}

// Reads at most kMaxIgnoreBytes of a regular file in `dir`; nullopt when it
// is missing, no regular file, or larger.
std::optional<std::string> small_file(const std::string& dir, const char* name) {
  std::string path = dir + "/" + name;
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > static_cast<off_t>(kMaxIgnoreBytes)) {
    ::close(fd);
    return std::nullopt;
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t r = ::read(fd, text.data() + got, text.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  text.resize(got);
  return text;
}

// Adds the patterns of `dir/.gitignore` that name files by their name alone
// (`node_modules`, `*.log`, `.env`, `dist/`) to `beneath`, and those anchored
// to `dir` (`/build`, which apply only to its own entries) to `here`.
// Patterns with a slash inside name paths, not names: left out. A negation
// (`!keep.env`) or an escape can bring back what an outer file ignores, and
// ripgrep's own `.ignore`/`.rgignore` files (not read here) can too: then
// nothing from outside is obeyed for this directory and beneath. What is
// left out is looked at — more, never less, than the reader reads.
void read_ignores(const std::string& dir, Ignores& beneath, Ignores& here) {
  struct stat st {};
  if (::lstat((dir + "/.ignore").c_str(), &st) == 0 || ::lstat((dir + "/.rgignore").c_str(), &st) == 0) {
    beneath.clear();
    here.clear();
    return;
  }
  auto text = small_file(dir, ".gitignore");
  if (!text) return;
  Ignores b, h;
  size_t at = 0;
  while (at <= text->size()) {
    size_t nl = std::min(text->find('\n', at), text->size());
    std::string line = text->substr(at, nl - at);
    at = nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '!' || line.find('\\') != std::string::npos) {
      beneath.clear();
      here.clear();
      return;
    }
    Ignore ig;
    if (line.back() == '/') {
      ig.dir_only = true;
      line.pop_back();
    }
    const bool anchored = !line.empty() && line[0] == '/';
    if (anchored) line.erase(0, 1);
    if (line.empty() || line.find('/') != std::string::npos || line.find("**") != std::string::npos) continue;
    ig.glob = std::move(line);
    (anchored ? h : b).push_back(std::move(ig));
  }
  beneath.insert(beneath.end(), b.begin(), b.end());
  here.insert(here.end(), h.begin(), h.end());
}

bool ignored(const Ignores& patterns, const char* name, bool is_dir) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const Ignore& ig) {
    return (is_dir || !ig.dir_only) && ::fnmatch(ig.glob.c_str(), name, 0) == 0;
  });
}

// The directory at or above `dir` that holds `.git` (a git repository's
// top), or "" when there is none: ripgrep obeys `.gitignore` only inside one.
std::string repository_top(std::string dir) {
  for (;;) {
    struct stat st {};
    if (::lstat((dir + "/.git").c_str(), &st) == 0) return dir;
    if (dir.empty() || dir == "/") return "";
    size_t slash = dir.rfind('/');
    dir = slash == 0 ? "/" : dir.substr(0, slash);
  }
}

}  // namespace

TreeLister file_tree_lister(std::function<bool(const std::string& path)> wanted) {
  return [wanted = std::move(wanted)](const std::string& root, const TreeScope& scope, std::size_t max_entries) {
    TreeListing out;
    if (root.empty() || root[0] != '/') return out;
    struct Dir {
      std::string path;
      int depth;
      std::shared_ptr<const Ignores> ignores;  // inherited name patterns
    };
    Ignores start;
    std::string top = scope.gitignore ? repository_top(root == "/" ? "" : root) : "";
    const bool obey_ignores = scope.gitignore && !top.empty();
    if (obey_ignores && top != root) {
      // The ignore files above the root, from the repository's top down.
      std::vector<std::string> above;
      for (std::string dir = root; dir != top && dir.size() > top.size();) {
        dir = dir.substr(0, dir.rfind('/'));
        above.push_back(dir.empty() ? "/" : dir);
      }
      for (auto it = above.rbegin(); it != above.rend(); ++it) {
        Ignores unused;
        read_ignores(*it, start, unused);
      }
    }
    std::vector<Dir> todo = {{root, 0, std::make_shared<const Ignores>(std::move(start))}};
    std::set<std::pair<dev_t, ino_t>> seen;  // directories entered, when links are followed
    bool complete = true;
    auto found = [&](std::vector<std::string>& into, std::string path) {
      if (into.size() < kMaxTreeFound) into.push_back(std::move(path));
    };
    while (!todo.empty()) {
      Dir d = std::move(todo.back());
      todo.pop_back();
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
      std::shared_ptr<const Ignores> inherited = d.ignores;
      Ignores here;
      if (obey_ignores) {
        Ignores mine = *d.ignores;
        read_ignores(d.path, mine, here);
        if (mine.size() != d.ignores->size()) inherited = std::make_shared<const Ignores>(std::move(mine));
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
        if (++out.scanned > max_entries) {
          complete = false;
          break;
        }
        if (!scope.hidden && name[0] == '.') continue;
        unsigned char type = e->d_type;
        if (type == DT_UNKNOWN) {
          struct stat st {};
          if (::fstatat(::dirfd(dh), name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
          type = S_ISDIR(st.st_mode)   ? DT_DIR
                 : S_ISREG(st.st_mode) ? DT_REG
                 : S_ISLNK(st.st_mode) ? DT_LNK
                                       : DT_UNKNOWN;
        }
        std::string path = prefix + "/" + name;
        bool is_dir = type == DT_DIR;
        if (type == DT_LNK) {
          if (!scope.follow_links) continue;
          struct stat st {};
          if (::fstatat(::dirfd(dh), name, &st, 0) != 0) continue;  // dangling
          char resolved[PATH_MAX];
          if (!::realpath(path.c_str(), resolved)) continue;
          is_dir = S_ISDIR(st.st_mode);
          if (!is_dir && !S_ISREG(st.st_mode)) continue;
          if (obey_ignores && (ignored(*inherited, name, is_dir) || ignored(here, name, is_dir))) continue;
          if (is_dir ? matches_any(scope.exclude_dir, name) : matches_any(scope.exclude, name)) continue;
          // What it leads to is read, by the link's name and its own.
          if (!is_dir && wanted(path)) found(out.paths, path);
          if (!is_dir && wanted(resolved)) found(out.paths, resolved);
          if (is_dir) {
            if (d.depth + 1 > kMaxDepth) {
              complete = false;
              break;
            }
            todo.push_back({resolved, d.depth + 1, inherited});
          }
          continue;
        }
        if (!is_dir && type != DT_REG) continue;  // FIFOs, sockets, devices: not read
        if (obey_ignores && (ignored(*inherited, name, is_dir) || ignored(here, name, is_dir))) continue;
        if (is_dir) {
          if (matches_any(scope.exclude_dir, name)) continue;
          if (d.depth + 1 > kMaxDepth) {
            complete = false;
            break;
          }
          todo.push_back({std::move(path), d.depth + 1, inherited});
          continue;
        }
        if (matches_any(scope.exclude, name)) continue;
        if (!scope.include.empty() && !matches_any(scope.include, name)) continue;
        if (wanted(path)) found(out.paths, std::move(path));
      }
      ::closedir(dh);
      if (!complete) break;
    }
    std::sort(out.paths.begin(), out.paths.end());
    out.paths.erase(std::unique(out.paths.begin(), out.paths.end()), out.paths.end());
    out.complete = complete;
    return out;
  };
}

}  // namespace tollgate::action
