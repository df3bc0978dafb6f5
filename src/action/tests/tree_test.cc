// Directories that shell commands read whole (action/tree_walk.cc,
// shell_actions.cc: tree_scope_of, expand_trees): the labelled files beneath
// them are read too, as the program reads the tree — what it skips (dot-files,
// ignored names, excluded names, links it does not follow) is not.
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "action/action.h"
#include "action/action_internal.h"
#include "analyze/paths.h"

namespace tollgate::action {
namespace {

namespace fs = std::filesystem;
const auto kForever = std::chrono::steady_clock::time_point::max();

// Stands in for the label table: secrets and personal data by name.
std::string secret_name(const std::string& path) {
  std::string name = path.substr(path.rfind('/') + 1);
  for (const char* g : {".env", "*.pem", "id_rsa", "credentials.json"})
    if (::fnmatch(g, name.c_str(), 0) == 0) return "secret";
  return ::fnmatch("users*.csv", name.c_str(), 0) == 0 ? "pii" : "";
}

class Trees : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("tollgate-tree-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "project" / "src");
    fs::create_directories(root_ / "home" / ".ssh");
    root_ = fs::canonical(root_);
    touch("project/src/app.py");
    touch("project/.env");
    touch("home/.ssh/id_rsa");
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string project() const { return (root_ / "project").string(); }
  void touch(const std::string& rel) { std::ofstream(root_ / rel) << "x\n"; }

  Environment env(size_t max_entries = 0) const {
    Environment e{project(), (root_ / "home").string(), false, file_script_reader(0), file_glob_expander()};
    e.tree = file_tree_lister(secret_name);
    if (max_entries) {
      e.tree = [inner = e.tree, max_entries](const std::string& r, const TreeScope& s, size_t,
                                             std::chrono::steady_clock::time_point until) {
        return inner(r, s, max_entries, until);
      };
    }
    return e;
  }

  std::vector<Action> run(const std::string& cmd, size_t max_entries = 0) const {
    return shell_actions(cmd, "Bash", env(max_entries));
  }

  // The files read, but not the trees themselves, nor the paths an option
  // names (`--exclude=.env`, decided only for credentials).
  static std::vector<std::string> reads(const std::vector<Action>& acts) {
    std::vector<std::string> out;
    for (const auto& a : acts)
      if (a.kind == Kind::FileRead && !a.tree && !a.incidental) out.push_back(a.path);
    std::sort(out.begin(), out.end());
    return out;
  }
  // A file read that is not known (a list not read, a tree not looked through).
  static bool unknown_read(const std::vector<Action>& acts) {
    return std::any_of(acts.begin(), acts.end(), [](const Action& a) { return a.kind == Kind::FileRead && a.opaque; });
  }
  bool reads_env(const std::vector<Action>& acts) const {
    auto r = reads(acts);
    return std::find(r.begin(), r.end(), project() + "/.env") != r.end();
  }

  fs::path root_;
};

TEST_F(Trees, RecursiveGrepReadsTheDotEnvBeneath) {
  for (const char* cmd : {"grep -rn TODO .", "grep -r TODO", "egrep -R 'x|y' src ..", "grep --recursive x ."}) {
    auto acts = run(cmd);
    EXPECT_TRUE(reads_env(acts)) << cmd;
    for (const auto& a : acts) EXPECT_FALSE(a.opaque) << cmd << ": " << a.summary;
  }
  // The summary says where it lies and why it is read.
  auto acts = run("grep -rn TODO .");
  auto it = std::find_if(acts.begin(), acts.end(), [&](const Action& a) { return a.path == project() + "/.env"; });
  ASSERT_NE(it, acts.end());
  EXPECT_NE(it->summary.find("beneath " + project()), std::string::npos) << it->summary;
  // Only what lies beneath the roots named.
  EXPECT_FALSE(reads_env(run("grep -rn TODO src")));
  // Reading one file is no tree read.
  EXPECT_EQ(reads(run("grep -n TODO src/app.py")), std::vector<std::string>{project() + "/src/app.py"});
}

TEST_F(Trees, ExcludedNamesAndDirectoriesAreNotRead) {
  fs::create_directories(root_ / "project" / "keys");
  touch("project/keys/server.pem");
  auto acts = run("grep -rn --exclude=.env --exclude-dir=keys TODO .");
  EXPECT_FALSE(reads_env(acts));
  EXPECT_TRUE(reads(acts).empty());
  EXPECT_FALSE(reads_env(run("grep -rn --exclude '.e*' TODO .")));
  // Excluding something else leaves them read.
  acts = run("grep -rn --exclude=*.log TODO .");
  EXPECT_TRUE(reads_env(acts));
  EXPECT_EQ(reads(acts).size(), 2u);  // .env and keys/server.pem
}

TEST_F(Trees, ASearchKeptToNamesReadsFilesOfThoseNames) {
  // No look beneath: the names are labelled by what they match.
  auto acts = run("grep -rn --include='*.py' TODO .");
  EXPECT_FALSE(reads_env(acts));
  EXPECT_EQ(reads(acts), std::vector<std::string>{project() + "/*.py"});
  // Kept to names, the tree is looked through for files of those names too.
  acts = run("grep -rn --include='.env*' KEY .");
  EXPECT_EQ(reads(acts), (std::vector<std::string>{project() + "/.env", project() + "/.env*"}));
  acts = run("rg -uu -g '*.py' TODO");
  EXPECT_EQ(reads(acts), std::vector<std::string>{project() + "/*.py"});
  // A name that says nothing selects every file.
  EXPECT_TRUE(reads_env(run("grep -rn --include='*' TODO .")));
}

TEST_F(Trees, RipgrepSkipsDotFilesUnlessToldNotTo) {
  // rg obeys ignore files and skips dot-files: not looked at.
  EXPECT_FALSE(reads_env(run("rg TODO")));
  EXPECT_FALSE(reads_env(run("rg -n TODO .")));
  EXPECT_FALSE(reads_env(run("rg --files")));
  EXPECT_FALSE(reads_env(run("ag TODO")));
  // Told to read everything, it reads the .env.
  for (const char* cmd : {"rg -uu TODO", "rg -uuu TODO .", "rg --hidden --no-ignore TODO", "rg -u -u TODO",
                          "rg --hidden TODO", "ag -u TODO", "ag --hidden TODO"})
    EXPECT_TRUE(reads_env(run(cmd))) << cmd;
  // Skipping dot-files still, `-u` alone reads ignored files but not .env.
  EXPECT_FALSE(reads_env(run("rg -u TODO")));
  // A glob that names files selects them by name.
  auto acts = run("rg -g '*.env' TODO");
  EXPECT_EQ(reads(acts), (std::vector<std::string>{project() + "/*.env", project() + "/.env"}));
  EXPECT_FALSE(reads_env(run("rg -uu -g '!.env' TODO")));
}

TEST_F(Trees, RipgrepTakenOutOfItsDefaultsReadsWhatItIsTold) {
  // Its ignore files are not read: --hidden reads every dot-file.
  std::ofstream(root_ / "project" / ".gitignore") << ".env\n";
  fs::create_directories(root_ / "project" / ".git");
  EXPECT_TRUE(reads_env(run("rg --hidden TODO")));
  // A glob that keeps names in overrides the skipping of dot-files.
  for (const char* cmd : {"rg -g '*' AWS", "rg -g '.*' AWS", "rg --iglob '*' AWS", "rg --hidden -g '*' AWS"})
    EXPECT_TRUE(reads_env(run(cmd))) << cmd;
  // Links are followed with -L / --follow.
  fs::create_directories(root_ / "secrets");
  touch("secrets/.env");
  fs::remove(root_ / "project" / ".env");
  fs::create_directory_symlink(root_ / "secrets", root_ / "project" / "linked");
  auto linked = [&](const std::vector<Action>& acts) {
    auto r = reads(acts);
    return std::find(r.begin(), r.end(), (root_ / "secrets" / ".env").string()) != r.end();
  };
  EXPECT_FALSE(linked(run("rg -uu AWS")));
  EXPECT_TRUE(linked(run("rg -uu -L AWS")));
  EXPECT_TRUE(linked(run("rg --hidden --follow AWS")));
}

TEST_F(Trees, ShortenedLongOptionsAreTheOptionsTheyShorten) {
  for (const char* cmd :
       {"grep --recur AWS .", "grep --rec AWS .", "grep -d rec AWS .", "grep --directories=recu AWS .",
        "grep --deref AWS .", "cp --recu . /tmp/c2", "cp --ar . /tmp/c2", "tar --cre . -f /tmp/x.tar"})
    EXPECT_TRUE(reads_env(run(cmd))) << cmd;
}

TEST_F(Trees, AnExclusionAnotherOptionCanUndoIsNotTaken) {
  for (const char* cmd :
       {"grep -r --exclude=.env --include='*' AWS .", "tar -cf - --anchored --exclude=.env .",
        "rsync -a --include=.env --exclude=.env . /tmp/o/", "rsync -a --exclude='+ .env' --exclude=.env . /tmp/o/",
        "rsync -r --filter='+ .env' --exclude=.env . /tmp/o/"})
    EXPECT_TRUE(reads_env(run(cmd))) << cmd;
  // Anchored at the top, an exclusion leaves the nested ones read.
  fs::create_directories(root_ / "project" / "sub");
  touch("project/sub/.env");
  for (const char* cmd :
       {"tar czf /tmp/x.tgz --exclude=./.env .", "rsync -a --exclude=/.env . /tmp/o/", "zip -r /tmp/x.zip . -x .env"}) {
    auto acts = run(cmd);
    EXPECT_FALSE(reads_env(acts)) << cmd;
    EXPECT_EQ(reads(acts), std::vector<std::string>{project() + "/sub/.env"}) << cmd;
  }
  EXPECT_TRUE(reads(run("zip -r /tmp/x.zip . -x '*.env'")).empty());
  // (`*/.env` leaves the top one in, and is not taken: the nested one counts.)
  EXPECT_EQ(reads(run("zip -r /tmp/x.zip . -x '*/.env' .env")), std::vector<std::string>{project() + "/sub/.env"});
}

TEST_F(Trees, AnArchiveOnStandardOutputAndANameListAreReads) {
  EXPECT_TRUE(reads_env(run("zip -qr - .")));
  // A list of names in a file: what it names is read.
  std::ofstream(root_ / "project" / "list") << "src/app.py\n.env\n";
  for (const char* cmd : {"tar -cf - -T list", "tar --files-from=list -cf -"}) {
    auto acts = run(cmd);  // (taken whole, as a directory named would be)
    EXPECT_TRUE(std::any_of(acts.begin(), acts.end(), [&](const Action& a) {
      return a.kind == Kind::FileRead && a.path == project() + "/.env";
    })) << cmd;
  }
  // One that cannot be read leaves them unknown.
  auto acts = run("tar -cf - -T missing-list");
  EXPECT_TRUE(unknown_read(acts));
}

TEST_F(Trees, FindsAlternativesAndLinksDoNotHideFiles) {
  for (const char* cmd : {"find . -name node_modules -prune -o -type f -exec cat {} +",
                          "find . -name '*.py' -o -type f -exec cat {} +", "find . -type f -exec grep -H AWS {} +"})
    EXPECT_TRUE(reads_env(run(cmd))) << cmd;
  // cat opens the link find names.
  fs::create_directories(root_ / "secrets");
  std::ofstream(root_ / "secrets" / ".env") << "K=v\n";
  fs::create_symlink(root_ / "secrets" / ".env", root_ / "project" / "src" / "notes.txt");
  auto r = reads(run("find src -exec cat {} +"));
  EXPECT_NE(std::find(r.begin(), r.end(), (root_ / "secrets" / ".env").string()), r.end());
}

TEST_F(Trees, EveryKindOfLabelledFileIsNamedHoweverManyOfOne) {
  fs::create_directories(root_ / "project" / "a");
  for (int i = 0; i < 100; ++i) touch("project/a/users" + std::to_string(i) + ".csv");
  fs::create_directories(root_ / "project" / "z");
  touch("project/z/.env");
  auto r = reads(run("grep -r AWS ."));  // (one tree: the kinds share its bounds)
  EXPECT_NE(std::find(r.begin(), r.end(), project() + "/z/.env"), r.end());
  EXPECT_LE(r.size(), 16u);
}

TEST_F(Trees, TooManyLinksAreNotFollowedToTheEnd) {
  fs::create_directories(root_ / "project" / "links");
  for (int i = 0; i < 1100; ++i)
    fs::create_symlink(root_ / "project" / "src" / "app.py", root_ / "project" / "links" / ("l" + std::to_string(i)));
  auto acts = run("grep -R x links");
  EXPECT_TRUE(unknown_read(acts));
  // Not followed, they cost nothing.
  for (const auto& a : run("grep -r x links")) EXPECT_FALSE(a.opaque) << a.summary;
}

TEST_F(Trees, ArchivesAndCopiesReadEverythingBeneath) {
  for (const char* cmd : {"tar czf /tmp/x.tgz .", "tar -czf /tmp/x.tgz .", "zip -r /tmp/x.zip .", "cp -r . /tmp/copy",
                          "rsync -a ./ /tmp/copy", "scp -r . host:/tmp/x", "find . -type f -exec cat {} +"})
    EXPECT_TRUE(reads_env(run(cmd))) << cmd;
  for (const char* cmd : {"tar --exclude=.env -czf /tmp/x.tgz .", "tar -czf /tmp/x.tgz --exclude .env .",
                          "rsync -a --exclude=.env ./ /tmp/copy", "find . -name '*.py' -exec cat {} +"})
    EXPECT_FALSE(reads_env(run(cmd))) << cmd;
}

TEST_F(Trees, LinksAreFollowedOnlyWhereTheReaderFollowsThem) {
  fs::create_directory_symlink(root_ / "home" / ".ssh", root_ / "project" / "keys");
  const std::string key = (root_ / "home" / ".ssh" / "id_rsa").string();
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  // grep -r, tar and cp -r take links as links.
  for (const char* cmd : {"grep -r x .", "tar czf /tmp/x.tgz .", "cp -r . /tmp/copy"})
    EXPECT_FALSE(has(reads(run(cmd)), key)) << cmd;
  // grep -R, cp -L, zip follow them: the key is read.
  for (const char* cmd : {"grep -R x .", "cp -rL . /tmp/copy", "zip -r /tmp/x.zip ."})
    EXPECT_TRUE(has(reads(run(cmd)), key)) << cmd;
  // So is a key a link to a file leads to, whatever the link's name.
  fs::remove(root_ / "project" / "keys");
  fs::create_symlink(key, root_ / "project" / "src" / "notes.txt");
  EXPECT_TRUE(has(reads(run("grep -R x .")), key));
  EXPECT_FALSE(has(reads(run("grep -r x .")), key));
  // A loop of links ends.
  fs::create_directory_symlink(root_ / "project", root_ / "project" / "src" / "up");
  auto acts = run("grep -R x .");
  EXPECT_TRUE(reads_env(acts));
  for (const auto& a : acts) EXPECT_FALSE(a.opaque) << a.summary;
}

TEST_F(Trees, ATreeTooLargeToLookThroughIsNotKnown) {
  for (int i = 0; i < 40; ++i) touch("project/src/f" + std::to_string(i) + ".txt");
  auto acts = run("grep -rn TODO .", 20);
  EXPECT_TRUE(std::any_of(acts.begin(), acts.end(), [](const Action& a) {
    return a.kind == Kind::FileRead && a.opaque && a.summary.find("not all looked at") != std::string::npos;
  }));
  // Within the bound it is known.
  acts = run("grep -rn TODO .", 100);
  for (const auto& a : acts) EXPECT_FALSE(a.opaque) << a.summary;
}

TEST_F(Trees, SpecialFilesAndDeepTreesDoNotStallTheLook) {
  ASSERT_EQ(::mkfifo((root_ / "project" / "pipe").c_str(), 0600), 0);
  auto lister = file_tree_lister(secret_name);
  TreeListing l = lister(project(), TreeScope{}, 1000, kForever);
  EXPECT_TRUE(l.complete);
  EXPECT_EQ(l.paths, std::vector<std::string>{project() + "/.env"});
  // Deeper than 64 levels: not all looked at.
  fs::path deep = root_ / "project";
  for (int i = 0; i < 70; ++i) deep /= "d";
  fs::create_directories(deep);
  l = lister(project(), TreeScope{}, 100000, kForever);
  EXPECT_FALSE(l.complete);
  // A file given as the root, or a root that does not exist: nothing beneath.
  l = lister(project() + "/src/app.py", TreeScope{}, 1000, kForever);
  EXPECT_TRUE(l.complete);
  EXPECT_TRUE(l.paths.empty());
  l = lister(project() + "/missing", TreeScope{}, 1000, kForever);
  EXPECT_TRUE(l.complete);
}

TEST_F(Trees, AHarnessSearchWithACatchAllGlobReadsDotFiles) {
  auto grep = [&](const std::string& input) {
    HookEvent ev;
    ev.harness = Harness::ClaudeCode;
    ev.tool_name = "Grep";
    ev.tool_input = input;
    auto acts = to_actions(ev, env());
    EXPECT_TRUE(acts.ok());
    return acts.ok() ? *acts : std::vector<Action>{};
  };
  // Ripgrep under the tool skips dot-files; a glob of `*` keeps them in.
  EXPECT_FALSE(reads_env(grep(R"({"pattern":"AWS"})")));
  EXPECT_FALSE(reads_env(grep(R"({"pattern":"AWS","glob":"*.py"})")));
  EXPECT_TRUE(reads_env(grep(R"({"pattern":"AWS","glob":"*"})")));
  EXPECT_TRUE(reads_env(grep(R"({"pattern":"AWS","glob":"**/*","path":"."})")));
}

TEST_F(Trees, MoreProgramsThatReadTreesWhole) {
  fs::create_directories(root_ / "empty");
  for (const char* cmd :
       {"ack AWS", "ack AWS .", "gtar czf /tmp/x.tgz .", "bsdtar -cf - .", "git grep --no-index AWS",
        "git grep --untracked -n AWS", "git grep --no-index -e AWS -- .", "git diff --no-index . ../empty"})
    EXPECT_TRUE(reads_env(run(cmd)) || [&] {
      auto acts = run(cmd);
      return std::any_of(acts.begin(), acts.end(), [&](const Action& a) {
        return a.kind == Kind::FileRead && a.tree && a.path == project() && a.tree_scope;
      });
    }()) << cmd;
  // Plain `git grep` searches what git tracks: not looked at here.
  EXPECT_FALSE(reads_env(run("git grep AWS")));
  // A name list given inside a cluster is not known.
  std::ofstream(root_ / "project" / "list") << ".env\n";
  for (const char* cmd : {"tar -czT list -f /tmp/x.tgz", "tar cvzfT /tmp/x.tgz list"}) {
    auto acts = run(cmd);
    EXPECT_TRUE(unknown_read(acts)) << cmd;
  }
}

TEST_F(Trees, NamesAnchoredAtTheTopCountOnlyForTheDirectoryTheCommandRunsIn) {
  fs::create_directories(root_ / "project" / "sub");
  touch("project/sub/.env");
  for (const char* cmd : {"zip -r /tmp/z.zip sub -x .env", "tar -czf /tmp/t.tgz --exclude=./.env sub",
                          "rsync -a --exclude=/.env sub /tmp/r1"}) {
    auto r = reads(run(cmd));
    EXPECT_NE(std::find(r.begin(), r.end(), project() + "/sub/.env"), r.end()) << cmd;
  }
}

TEST_F(Trees, ReviewRoundTwo) {
  // A search kept to a kind of file reads the single names of that kind.
  std::ofstream(root_ / "project" / "credentials.json") << "{}";
  auto r = reads(run("grep -r --include='*.json' private_key ."));
  EXPECT_NE(std::find(r.begin(), r.end(), project() + "/credentials.json"), r.end());
  // git grep's option values are no paths.
  EXPECT_TRUE(reads_env(run("git grep --no-index -e AWS_")));
  EXPECT_TRUE(reads_env(run("git grep --no-index -A 2 AWS_")));
  // The same tree read two ways is walked both ways.
  EXPECT_TRUE(reads_env(run("grep -r --exclude=.env x . ; rsync -a --exclude=.env/ . /tmp/d")));
  // find -exec taking a named directory whole reads what is in it.
  fs::create_directories(root_ / "project" / "config");
  touch("project/config/.env");
  r = reads(run("find . -name config -exec tar czf /tmp/o.tgz {} +"));
  EXPECT_NE(std::find(r.begin(), r.end(), project() + "/config/.env"), r.end());
  // grep leaves out by base name: a glob with a slash leaves nothing out.
  EXPECT_TRUE(reads_env(run("grep -r --exclude=./.env AWS .")));
  EXPECT_TRUE(reads_env(run("grep -nd recurse AWS .")));
  // A name list with an option in it, or split on NULs, is not known.
  std::ofstream(root_ / "project" / "list") << "-C\n/\netc\n";
  for (const char* cmd : {"tar -cf - -T list", "tar --null -cf - -T list"}) {
    auto acts = run(cmd);
    EXPECT_TRUE(unknown_read(acts)) << cmd;
  }
}

TEST_F(Trees, TheSameTreeNamedManyTimesIsWalkedOnce) {
  std::string cmd = "grep -R x";
  for (int i = 0; i < 200; ++i) cmd += " .";
  auto acts = run(cmd);
  EXPECT_EQ(std::count_if(acts.begin(), acts.end(), [&](const Action& a) { return a.path == project() + "/.env"; }), 1);
  for (const auto& a : acts) EXPECT_FALSE(a.opaque) << a.summary;
}

TEST(TreeMounts, FileSystemsServedByAProcessOrTheNetworkAreFound) {
  const std::string info =
      "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
      "27 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw\n"
      "40 27 0:40 / /home/dev/mnt/remote\\040box rw,nosuid shared:5 - fuse.sshfs dev@box: rw,user_id=1000\n"
      "41 27 0:41 / /srv/nfs rw - nfs4 server:/export rw\n"
      "42 27 0:42 / /work rw - 9p share rw\n"
      "garbage line\n"
      "43 27 0:43 / /x rw -\n";
  EXPECT_EQ(remote_mount_points(info), (std::vector<std::string>{"/home/dev/mnt/remote box", "/srv/nfs"}));
  EXPECT_TRUE(remote_mount_points("").empty());
}

TEST_F(Trees, ALinkIntoAFileSystemServedByAProcessIsNotFollowed) {
  // `l` leads onto a FUSE mount: its server may never answer a look-up, so
  // the glob, the script reader and the walk do not go there (not known).
  fs::create_directories(root_ / "mnt");
  touch("mnt/.env");
  std::ofstream(root_ / "mnt/x.sh") << "cat ~/.ssh/id_rsa\n";
  fs::create_directory_symlink(root_ / "mnt", root_ / "project/l");
  const std::string mnt = (root_ / "mnt").string();
  auto read = [](const std::vector<Action>& acts, const std::string& path) {
    auto r = reads(acts);
    return std::find(r.begin(), r.end(), path) != r.end();
  };
  auto opaque = [](const std::vector<Action>& acts) {
    return std::any_of(acts.begin(), acts.end(), [](const Action& a) { return a.opaque; });
  };
  // Before the mount, all three look through the link.
  auto glob = run("cat l/*");
  EXPECT_TRUE(read(glob, project() + "/l/x.sh"));
  EXPECT_FALSE(opaque(run("bash l/x.sh")));
  auto walk = run("grep -R KEY .");
  EXPECT_TRUE(read(walk, mnt + "/.env"));

  analyze::use_mount_table_for_testing("900040 25 0:44 / " + mnt + " rw - fuse.sshfs dev@box:/ rw\n");
  glob = run("cat l/*");
  EXPECT_TRUE(opaque(glob));
  EXPECT_FALSE(read(glob, project() + "/l/x.sh"));
  EXPECT_TRUE(opaque(run("bash l/x.sh")));
  // Climbing out again with `..` is the server's to say too.
  EXPECT_TRUE(opaque(run("cat l/sub/../../*")));
  walk = run("grep -R KEY .");
  EXPECT_TRUE(unknown_read(walk));
  EXPECT_FALSE(read(walk, mnt + "/.env"));
  analyze::use_mount_table_for_testing(std::nullopt);
}

TEST_F(Trees, AServedMountMovedByARenameIsKnownByItsId) {
  // The table names the mount elsewhere (a directory above it was renamed
  // since); its ID is the tree's: not walked, nor globbed, nor read.
  struct statx sx {};
  ASSERT_EQ(::statx(AT_FDCWD, project().c_str(), 0, STATX_MNT_ID, &sx), 0);
  if (!(sx.stx_mask & STATX_MNT_ID)) GTEST_SKIP() << "no mount IDs from statx";
  std::ofstream(root_ / "project/x.sh") << "echo hi\n";
  analyze::use_mount_table_for_testing(std::to_string(sx.stx_mnt_id) + " 1 0:44 / /before/rename rw - fuse.x x rw\n");
  auto walk = run("grep -r KEY .");
  EXPECT_TRUE(unknown_read(walk));
  EXPECT_TRUE(reads(walk).empty());
  auto acts = run("cat *.py; bash x.sh");
  EXPECT_TRUE(std::any_of(acts.begin(), acts.end(), [](const Action& a) { return a.opaque; }));
  analyze::use_mount_table_for_testing(std::nullopt);
  walk = run("grep -r KEY .");
  EXPECT_FALSE(unknown_read(walk));
  EXPECT_FALSE(reads(walk).empty());
}

TEST_F(Trees, WithoutAListerNothingIsLookedAt) {
  Environment e{project(), (root_ / "home").string(), false, {}, {}};
  auto acts = shell_actions("grep -rn TODO .", "Bash", e);
  EXPECT_TRUE(reads(acts).empty());
}

}  // namespace
}  // namespace tollgate::action
