// normalize_path and path_ancestors: lexical rules, home expansion, and
// symlink resolution against a real temporary directory tree.
#include "analyze/paths.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace tollgate::analyze {
namespace {

namespace fs = std::filesystem;
using V = std::vector<std::string>;

TEST(NormalizePath, MakesRelativePathsAbsoluteAgainstCwd) {
  EXPECT_EQ(normalize_path("src/a.cc", "/home/dev/repo", "/home/dev", false), "/home/dev/repo/src/a.cc");
  EXPECT_EQ(normalize_path("a", "relative/cwd", "/h", false), "/relative/cwd/a");
}

TEST(ProcessLinks, PathsThroughAProcesssOwnLinksAreTheAgentsView) {
  for (const char* p : {"/proc/self/cwd/../.aws/credentials", "/proc/self/root/home/dev/.ssh/id_rsa",
                        "/proc/thread-self/fd/3", "/proc/1234/cwd", "/dev/fd/3", "proc/self/cwd/x", "/proc/self/exe",
                        "/proc/42/task/42/cwd/.env", "/proc/self/map_files/x"})
    EXPECT_TRUE(through_process_links(p)) << p;
  // (A path that merely ends in such a name, `src/proc/self/cwd`, counts as well: `..` can make it one.)
  for (const char* p : {"/proc/self/environ", "/proc/cpuinfo", "/proc/self/status", "/srv/myproc/self/cwd",
                        "/proc/sys/kernel/hostname"})
    EXPECT_FALSE(through_process_links(p)) << p;
}

TEST(NormalizePath, ExpandsTilde) {
  EXPECT_EQ(normalize_path("~", "/x", "/home/dev", false), "/home/dev");
  EXPECT_EQ(normalize_path("~/.ssh/id_rsa", "/x", "/home/dev", false), "/home/dev/.ssh/id_rsa");
  EXPECT_EQ(normalize_path("~root/.bashrc", "/x", "/home/dev", false), "/root/.bashrc");
  EXPECT_EQ(normalize_path("~alice/notes", "/x", "/home/dev", false), "/home/alice/notes");
  EXPECT_EQ(normalize_path("a/~/b", "/x", "/home/dev", false), "/x/a/~/b");
}

TEST(NormalizePath, CollapsesDotsAndSlashes) {
  EXPECT_EQ(normalize_path("/a//b/./c/../d/", "/", "/h", false), "/a/b/d");
  EXPECT_EQ(normalize_path("../../../../etc/passwd", "/home/dev/repo", "/h", false), "/etc/passwd");
  EXPECT_EQ(normalize_path("/..", "/", "/h", false), "/");
  EXPECT_EQ(normalize_path(".", "/home/dev/", "/h", false), "/home/dev");
}

TEST(NormalizePath, EmptyPathIsEmpty) { EXPECT_EQ(normalize_path("", "/x", "/h", false), ""); }

class SymlinkTree : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tollgate-paths-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = fs::canonical(tmpl).string();
    fs::create_directories(root_ + "/real/deep");
    std::ofstream(root_ + "/real/deep/file") << "x";
    fs::create_directory_symlink(root_ + "/real/deep", root_ + "/link");
    fs::create_directory_symlink("real", root_ + "/rel");
    fs::create_symlink(root_ + "/outside/target", root_ + "/dangling");
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string root_;
};

TEST_F(SymlinkTree, ResolvesSymlinkedDirectoriesForExistingAndNewFiles) {
  EXPECT_EQ(normalize_path(root_ + "/link/file", "/", "/h", true), root_ + "/real/deep/file");
  EXPECT_EQ(normalize_path("link/new/file.txt", root_, "/h", true), root_ + "/real/deep/new/file.txt");
  EXPECT_EQ(normalize_path("rel/deep/file", root_, "/h", true), root_ + "/real/deep/file");
  EXPECT_EQ(normalize_path("link/file", root_, "/h", false), root_ + "/link/file") << "lexical when asked";
}

TEST_F(SymlinkTree, DotDotAfterSymlinkFollowsTheTarget) {
  // The kernel resolves link first: link/.. is real/, not root_.
  EXPECT_EQ(normalize_path(root_ + "/link/../x", "/", "/h", true), root_ + "/real/x");
}

TEST_F(SymlinkTree, DotDotOutOfAMissingDirectoryFollowsLinksAgain) {
  // `mkdir -p nx && cp x nx/../link/settings.json` writes through the link.
  EXPECT_EQ(normalize_path("nx/../link/settings.json", root_, "/h", true), root_ + "/real/deep/settings.json");
  EXPECT_EQ(normalize_path("a/b/../../link/file", root_, "/h", true), root_ + "/real/deep/file");
  // Still beneath the missing directory: lexical.
  EXPECT_EQ(normalize_path("a/b/../link/file", root_, "/h", true), root_ + "/a/link/file");
}

TEST_F(SymlinkTree, DanglingSymlinkMapsToWhereAWriteWouldLand) {
  EXPECT_EQ(normalize_path(root_ + "/dangling", "/", "/h", true), root_ + "/outside/target");
}

TEST_F(SymlinkTree, SymlinkLoopDoesNotHang) {
  fs::create_symlink(root_ + "/loop2", root_ + "/loop1");
  fs::create_symlink(root_ + "/loop1", root_ + "/loop2");
  std::string r = normalize_path(root_ + "/loop1/x", "/", "/h", true);
  EXPECT_FALSE(r.empty());
}

TEST_F(SymlinkTree, NothingIsLookedUpOnAFileSystemServedByAProcess) {
  // A FUSE mount's server answers every lookup there, or never: a link on
  // it is not followed (and the mount point is not stat'ed).
  fs::create_directories(root_ + "/mnt dir");
  fs::create_symlink(root_ + "/real/deep/file", root_ + "/mnt dir/key");
  EXPECT_EQ(normalize_path(root_ + "/mnt dir/key", "/", "/h", true), root_ + "/real/deep/file");
  std::string mnt = root_ + "/mnt\\040dir";  // mountinfo escapes a space
  use_mount_table_for_testing(
      "900036 25 0:31 / /proc rw - proc proc rw\n"
      "900040 25 0:44 / " +
      mnt +
      " rw,nosuid,nodev - fuse.sshfs dev@box:/ rw,user_id=0\n"
      "900041 25 0:45 / " +
      root_ + "/link rw - nfs4 srv:/x rw\n");
  EXPECT_EQ(normalize_path(root_ + "/mnt dir/key", "/", "/h", true), root_ + "/mnt dir/key");
  // `..` beneath it is the server's to say too (`key` may be a link): kept
  // as written, on the mount.
  EXPECT_EQ(normalize_path("key/../x", root_ + "/mnt dir", "/h", true), root_ + "/mnt dir/key/../x");
  EXPECT_TRUE(on_process_served_mount(normalize_path("key/../../link/file", root_ + "/mnt dir", "/h", true)));
  EXPECT_TRUE(on_process_served_mount(root_ + "/mnt dir/key"));
  EXPECT_TRUE(on_process_served_mount(root_ + "/mnt dir"));
  EXPECT_FALSE(on_process_served_mount(root_ + "/mnt"));
  EXPECT_FALSE(on_process_served_mount(root_ + "/mnt dirt/key"));
  // NFS is served by the kernel: links there are followed.
  EXPECT_EQ(normalize_path(root_ + "/link/file", "/", "/h", true), root_ + "/real/deep/file");
  EXPECT_FALSE(on_process_served_mount(root_ + "/link/file"));
  use_mount_table_for_testing(std::nullopt);
  EXPECT_EQ(normalize_path(root_ + "/mnt dir/key", "/", "/h", true), root_ + "/real/deep/file");
}

TEST_F(SymlinkTree, AServedMountIsKnownByItsIdAfterARenameAboveIt) {
  // The table names the mount where it was before a directory above it was
  // renamed; its ID names it still.
  struct statx sx {};
  ASSERT_EQ(::statx(AT_FDCWD, root_.c_str(), 0, STATX_MNT_ID, &sx), 0);
  if (!(sx.stx_mask & STATX_MNT_ID)) GTEST_SKIP() << "no mount IDs from statx";
  use_mount_table_for_testing(std::to_string(sx.stx_mnt_id) + " 1 0:44 / /before/rename rw - fuse.sshfs x rw\n");
  std::string p = normalize_path(root_ + "/link/file", "/", "/h", true);
  EXPECT_NE(p, root_ + "/real/deep/file") << "nothing on it is looked up";
  EXPECT_TRUE(on_process_served_mount(p));
  use_mount_table_for_testing(std::nullopt);
  EXPECT_EQ(normalize_path(root_ + "/link/file", "/", "/h", true), root_ + "/real/deep/file");
}

TEST(MountPoints, ReadsTheTypesAskedForWithEscapesUndone) {
  const std::string info =
      "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
      "40 22 0:44 / /home/dev/a\\040b rw - fuse.sshfs x rw\n"
      "41 22 0:45 / /srv/blk rw shared:1 - fuseblk /dev/sdb1 rw\n"
      "garbage line\n"
      "42 22 0:46 / /srv/nfs rw - nfs4 s:/ rw";
  auto fuse = [](std::string_view t) { return t.rfind("fuse", 0) == 0; };
  EXPECT_EQ(mount_points(info, fuse), (V{"/home/dev/a b", "/srv/blk"}));
  EXPECT_TRUE(mount_points("", fuse).empty());
}

TEST(PathAncestors, ListsEveryContainingDirectoryNearestFirst) {
  EXPECT_EQ(path_ancestors("/a/b/c"), (V{"/a/b", "/a", "/"}));
  EXPECT_EQ(path_ancestors("/a"), (V{"/"}));
  EXPECT_TRUE(path_ancestors("/").empty());
}

}  // namespace
}  // namespace tollgate::analyze
