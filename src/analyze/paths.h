// Path normalisation for file targets (tool calls and redirections found in
// shell commands), so that policies compare one spelling of each file.
//
// normalize_path expands `~` and `~/…` against `home` (and `~user/…` to
// /root or /home/user, the usual layout, rather than leaving it relative),
// makes a relative path absolute against `cwd` (itself made absolute against
// `/` if it is not), and collapses `.`, `..` and repeated slashes; `..` at
// the root stays at the root. With resolve_symlinks, the path is resolved
// the way the kernel opens it: the longest existing prefix has its symlinks
// replaced by their targets, component by component (so `link/..` is the
// parent of the link's target, and a dangling link maps to where a write
// through it would land), and the part that does not exist yet is appended
// and collapsed lexically. The result is absolute with no trailing slash
// except for "/"; an empty path yields an empty string. Pure apart from
// the file-system reads that resolve_symlinks asks for; thread-safe; never
// throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::analyze {

std::string normalize_path(std::string_view path, std::string_view cwd, std::string_view home, bool resolve_symlinks);

// Whether `path` goes through a process's own links — /proc/self/cwd,
// /proc/<pid>/root, /proc/thread-self/fd/3, /dev/fd/3 …: what they lead to
// is the agent's process's view, which the daemon cannot resolve (it would
// resolve its own), so such a path names no file Tollgate knows.
bool through_process_links(std::string_view path);

// File systems served by a process (FUSE: any user can mount one, and its
// server may never answer a lookup). normalize_path does not resolve links
// on them: what a path there leads to is the serving process's to say, so
// it names no file Tollgate knows.
bool on_process_served_mount(std::string_view abs);
// As on_process_served_mount, and also by the mount ID of `abs` itself, for
// a directory about to be opened whose ancestors are known not to be on
// such a mount (its attributes are the cached ones: nothing is asked of a
// FUSE server).
bool served_by_process(const std::string& abs);
// Their mount points and those of NFS and SMB file systems, whose look-ups
// can wait for ever too ("/" alone when the mount table could not be read
// whole). Thread-safe; the table is read again only when it changed.
std::vector<std::string> served_or_network_mounts();
// Whether a mountinfo file-system type is one of those (FUSE, NFS, SMB).
bool served_or_network_type(std::string_view type);
// The mount points of a /proc/self/mountinfo text whose file-system type
// `keep` accepts, with their octal escapes (`\040`) undone.
std::vector<std::string> mount_points(std::string_view mountinfo, bool (*keep)(std::string_view type));
// Whether `path` is `dir` or beneath it (both absolute and normalised).
bool within_dir(std::string_view path, std::string_view dir);
// Tests: the mount table as this text instead of /proc/self/mountinfo;
// std::nullopt goes back to /proc.
void use_mount_table_for_testing(std::optional<std::string> mountinfo);

// The directories containing an absolute normalised path, nearest first:
// "/a/b/c" → {"/a/b", "/a", "/"}; "/" has none.
std::vector<std::string> path_ancestors(std::string_view abs);

}  // namespace tollgate::analyze
