// A shell command line as canonical actions: one shell.exec per simple
// command (src/analyze/shell.h finds them wherever they hide), file.read /
// file.write / file.delete for the files the commands name, and net.fetch
// for every host contacted. The argument conventions of the common file
// tools are encoded here; an argument the analyser could not resolve makes
// its action opaque rather than guessed.
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "action/action.h"
#include "action/action_internal.h"
#include "analyze/paths.h"
#include "analyze/shell.h"
#include "analyze/url.h"
#include "base/json.h"

namespace tollgate::action {

namespace {

bool is_option(std::string_view a) { return a.size() > 1 && a[0] == '-'; }

// Whether `word` (up to an `=`) is the long option `name` or, as GNU
// programs take it, an abbreviation of it at least `shortest` characters
// long (`--outp` for `--output`; `--i` for sed's `--in-place`).
bool long_option_is(std::string_view word, std::string_view name, size_t shortest = 4) {
  std::string_view opt = word.substr(0, word.find('='));
  return opt.size() >= shortest && opt.rfind("--", 0) == 0 && name.rfind(opt, 0) == 0;
}

// Programs whose operands (arguments that are not options) are files they
// read, write or delete. The first operand of grep/rg/sed/awk is a pattern
// or script, not a file.
// ArchiveFirst: the first operand is an archive written, the others read (zip).
enum class Role { Read, Write, Delete, ReadSkipFirst, CopyLike, MoveLike, ArchiveFirst, None };

Role role_of(std::string_view name, const std::vector<std::string>& args) {
  static const std::set<std::string_view> readers = {
      "cat", "tac", "head", "tail", "less", "more", "bat", "batcat", "nl", "base64", "base32", "xxd", "od", "hexdump",
      "strings", "wc", "sort", "uniq", "cut", "diff", "cmp", "file", "stat", "md5sum", "sha1sum", "sha256sum",
      "sha512sum", "source", ".", "gpg", "view", "zcat", "gunzip", "tar", "unzip",
      // Text and data utilities that print what they read (or write it
      // next to it: the compressors), and the hashes.
      "paste", "fold", "rev", "column", "pr", "iconv", "comm", "join", "fmt", "expand", "unexpand", "split", "csplit",
      "shuf", "tsort", "gzip", "bzip2", "bunzip2", "bzcat", "xz", "unxz", "xzcat", "lzma", "unlzma", "zstd", "unzstd",
      "zstdcat", "lz4", "lz4cat", "brotli", "cksum", "sum", "b2sum", "sha224sum", "sha384sum", "ed", "ex", "vim", "vi",
      "nvim", "nano", "emacs", "xmllint", "cpp", "sdiff", "basenc", "uuencode", "hd", "ptx", "gtar", "bsdtar"};
  // jq and yq take their filter first, then the files.
  static const std::set<std::string_view> pattern_first = {"grep", "egrep", "fgrep", "rg",   "ag",  "ack", "awk",
                                                           "gawk", "look",  "jq",    "gojq", "jaq", "yq"};
  static const std::set<std::string_view> writers = {"touch", "mkdir", "truncate", "chmod",  "chown",
                                                     "chgrp", "ln",    "install",  "mkfifo", "shred"};
  static const std::set<std::string_view> deleters = {"rm", "rmdir", "unlink"};
  if (readers.count(name)) {
    // `tar -x`/`unzip` also write, but into the working directory; the archive is what is read.
    return Role::Read;
  }
  if (name == "awk" || name == "gawk") {
    // gawk's in-place extension (`-i inplace`, `--include=inplace`) writes its file operands.
    auto inplace = [](std::string_view v) { return v == "inplace" || v == "inplace.awk"; };
    for (size_t i = 0; i < args.size(); ++i) {
      std::string_view w = args[i];
      if (w == "--") break;
      bool value_next = w == "-i" || long_option_is(w, "--include", 5);
      if ((value_next && w.find('=') != std::string_view::npos && inplace(w.substr(w.find('=') + 1))) ||
          (value_next && w.find('=') == std::string_view::npos && i + 1 < args.size() && inplace(args[i + 1])) ||
          (w.size() > 2 && w.substr(0, 2) == "-i" && inplace(w.substr(2))))
        return Role::Write;
    }
  }
  if (name == "yq") {
    // `yq -i '.a = 1' f.yaml` edits its files in place.
    for (const auto& a : args) {
      if (a == "--") break;
      if (a == "--inplace" || (a.size() > 1 && a[0] == '-' && a[1] != '-' && a.find('i') != std::string::npos))
        return Role::Write;
    }
  }
  if (pattern_first.count(name)) return Role::ReadSkipFirst;
  if (name == "sed") {
    // In place: `-i[SUFFIX]`, `i` in a cluster before an option with a
    // value (`-Ei`, `-ni`; not `-es/i/`), `--in-place` or any abbreviation
    // of it down to `--i`.
    bool in_place = std::any_of(args.begin(), args.end(), [](const std::string& a) {
      if (long_option_is(a, "--in-place", 3)) return true;
      if (a.size() < 2 || a[0] != '-' || a[1] == '-') return false;
      for (size_t k = 1; k < a.size(); ++k) {
        if (a[k] == 'i') return true;
        if (a[k] == 'e' || a[k] == 'f' || a[k] == 'l') return false;
      }
      return false;
    });
    return in_place ? Role::Write : Role::ReadSkipFirst;
  }
  if (writers.count(name)) return name == "shred" ? Role::Delete : Role::Write;
  if (deleters.count(name)) return Role::Delete;
  if (name == "cp" || name == "scp" || name == "rsync") return Role::CopyLike;
  if (name == "mv") return Role::MoveLike;
  if (name == "zip") return Role::ArchiveFirst;
  return Role::None;
}

// Whether a word is one process substitution, `<(cmd)` or `>(cmd)`: a
// pipe to a command the analyser decides on its own, not a file.
bool process_substitution(std::string_view w) {
  return w.size() > 3 && (w[0] == '<' || w[0] == '>') && w[1] == '(' && w.back() == ')';
}

// Whether any option before `--` is one of the one-letter `flags` (in any
// cluster) or one of the long options `longs`.
bool has_flag(const std::vector<std::string>& args, std::string_view flags,
              std::initializer_list<std::string_view> longs) {
  for (const auto& a : args) {
    if (a == "--") break;
    if (std::find(longs.begin(), longs.end(), a) != longs.end() ||
        (a.size() > 1 && a[0] == '-' && a[1] != '-' && a.find_first_of(flags, 1) != std::string::npos))
      return true;
  }
  return false;
}

// Whether `ln` makes symbolic links (`-s`, `--symbolic`); for `cp`, whether
// it makes them rather than copies (`-s`, `--symbolic-link`).
bool symbolic_link(const std::vector<std::string>& args) { return has_flag(args, "s", {"--symbolic"}); }
bool cp_symbolic(const std::vector<std::string>& args) { return has_flag(args, "s", {"--symbolic-link"}); }

// Whether the command makes links: `ln`, and `cp -s`/`-l` (`--link`).
bool makes_links(const analyze::SimpleCommand& c) {
  return c.name == "ln" || (c.name == "cp" && has_flag(c.args, "sl", {"--link", "--symbolic-link"}));
}

// Whether `word` is the long option `name` as GNU getopt takes it: whole,
// or shortened to at least two letters (`--rec` for `--recursive`), with
// or without `=VALUE`. An ambiguous shortening fails the command; taking it
// for each option it shortens errs on the safe side.
bool abbreviates(std::string_view word, std::string_view name) {
  std::string_view opt = word.substr(0, word.find('='));
  return opt.size() >= 4 && opt.size() <= name.size() && opt.rfind("--", 0) == 0 && name.substr(0, opt.size()) == opt;
}

// Whether the program takes its file operands whole — every file beneath a
// directory operand is read, copied, archived or removed: `grep -r`, `rg`,
// `tar -c`, `zip -r`, `cp -r`, `rsync -a`, `scp -r`, `diff -r`, `rm -r`,
// `chmod -R`, `mv` (a directory moves with its contents). Over-approximated
// where an option's value could look like a flag (`grep -e -r`).
bool whole_operands(std::string_view name, const std::vector<std::string>& args) {
  if (name == "rg" || name == "ag" || name == "ack" || name == "mv") return true;
  // The short flags that recurse, and the long options that do.
  std::string_view flags;
  std::vector<std::string_view> longs;
  if (name == "grep" || name == "egrep" || name == "fgrep") {
    flags = "rR";
    longs = {"--recursive", "--dereference-recursive"};
  } else if (name == "cp") {
    flags = "rRa";
    longs = {"--recursive", "--archive"};
  } else if (name == "rsync") {
    flags = "ra";
    longs = {"--recursive", "--archive"};
  } else if (name == "scp") {
    flags = "r";
  } else if (name == "rm") {
    flags = "rR";
    longs = {"--recursive"};
  } else if (name == "chmod" || name == "chown" || name == "chgrp") {
    flags = "R";
    longs = {"--recursive"};
  } else if (name == "diff") {
    flags = "r";
    longs = {"--recursive"};
  } else if (name == "zip") {
    flags = "rR";
    longs = {"--recurse-paths", "--recurse-patterns"};
  } else if (name == "tar" || name == "gtar" || name == "bsdtar") {
    // Creating, appending or updating archives the operands with what is
    // in them, unless told not to recurse.
    bool creates = false;
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& w = args[i];
      if (w == "--no-recursion") return false;
      for (std::string_view l : {"--create", "--append", "--update"})
        if (abbreviates(w, l)) creates = true;
      bool cluster = (w.size() > 1 && w[0] == '-' && w[1] != '-') || (i == 0 && !w.empty() && w[0] != '-');
      if (cluster && w.find_first_of("cru", w[0] == '-' ? 1 : 0) != std::string::npos) creates = true;
    }
    return creates;
  } else {
    return false;
  }
  const bool grep = name == "grep" || name == "egrep" || name == "fgrep";
  // A value of `--directories` that GNU's argmatch takes for `recurse`.
  auto recurse = [](std::string_view v) {
    return v.size() >= 3 && std::string_view("recurse").substr(0, v.size()) == v;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    if (w == "--") break;
    for (std::string_view l : longs)
      if (abbreviates(w, l)) return true;
    if (grep && (w == "-d" || abbreviates(w, "--directories")) && w.find('=') == std::string::npos &&
        i + 1 < args.size() && recurse(args[i + 1]))
      return true;
    if (grep && abbreviates(w, "--directories") && w.find('=') != std::string::npos &&
        recurse(w.substr(w.find('=') + 1)))
      return true;
    if (grep && w.size() > 2 && w.rfind("-d", 0) == 0 && recurse(w.substr(2))) return true;
    // `-nd recurse`: d last in a cluster takes the next word.
    if (grep && w.size() > 2 && w[0] == '-' && w[1] != '-' && w.back() == 'd' && i + 1 < args.size() &&
        recurse(args[i + 1]))
      return true;
    if (w.size() > 1 && w[0] == '-' && w[1] != '-' && w.find_first_of(flags, 1) != std::string::npos) return true;
  }
  return false;
}

// How a program that reads directories whole picks the files beneath them
// (TreeScope), from its options; nullopt when that is up to ignore files and
// it skips dot-files (`rg`, `ag` without -u/--hidden/--no-ignore or a glob:
// a `.env` is not read), or it reads names only (`rg --files`). Where an
// option could keep a file in as well as out (an include rule, a filter, an
// anchored pattern), its exclusions are not taken: more is read, never less.
std::optional<TreeScope> tree_scope_of(std::string_view name, const std::vector<std::string>& args) {
  TreeScope s;
  // `--opt=V` or `--opt V` (and `-o V`, `-oV` for a one-letter `shortopt`).
  auto value = [&](size_t& i, std::string_view opt, char shortopt = 0) -> std::optional<std::string> {
    const std::string& w = args[i];
    if (w.size() > opt.size() && w.compare(0, opt.size(), opt) == 0 && w[opt.size()] == '=')
      return w.substr(opt.size() + 1);
    if ((w == opt || (shortopt && w.size() == 2 && w[0] == '-' && w[1] == shortopt)) && i + 1 < args.size())
      return args[++i];
    if (shortopt && w.size() > 2 && w[0] == '-' && w[1] == shortopt) return w.substr(2);
    return std::nullopt;
  };
  auto short_has = [](const std::string& w, char f) {
    return w.size() > 1 && w[0] == '-' && w[1] != '-' && w.find(f, 1) != std::string::npos;
  };
  bool keeps_in = false;  // an option that can keep a file in: exclusions are not taken
  // A name glob (`.env`, `*.pem`), a directory's with a trailing `/`
  // (`node_modules/`), one anchored at the root (`/.env`, `./.env`); others
  // (`a/b`) are not taken.
  auto add_exclude = [&](std::string g, bool anchored_by_slash) {
    bool top = false;
    if (g.rfind("./", 0) == 0) {
      g.erase(0, 2);
      top = true;
    } else if (anchored_by_slash && !g.empty() && g[0] == '/') {
      g.erase(0, 1);
      top = true;
    }
    const bool dir = !g.empty() && g.back() == '/';
    if (dir) g.pop_back();
    if (g.empty() || g.find('/') != std::string::npos) return;
    (top ? s.exclude_top : dir ? s.exclude_dir : s.exclude).push_back(std::move(g));
  };
  if (name == "grep" || name == "egrep" || name == "fgrep") {
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--") break;
      if (auto v = value(i, "--include")) {
        s.include.push_back(*v);
      } else if (auto v = value(i, "--exclude-dir")) {
        if (v->find('/') == std::string::npos) s.exclude_dir.push_back(*v);
      } else if (auto v = value(i, "--exclude")) {
        // grep matches the files it finds by their base name: a glob with a
        // `/` leaves none out.
        if (v->find('/') == std::string::npos) add_exclude(*v, false);
      } else if (abbreviates(args[i], "--dereference-recursive") || short_has(args[i], 'R')) {
        s.follow_links = true;
      }
    }
    // The last of --include and --exclude that matches a name wins.
    if (!s.include.empty()) s.exclude.clear();
  } else if (name == "rg" || name == "ag") {
    int unrestricted = 0;
    bool hidden = false, no_ignore = false;
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& w = args[i];
      if (w == "--") break;
      if (name == "rg" && (w == "--files" || w == "--type-list")) return std::nullopt;  // names only
      if (w == "--hidden" || w == "-." || (name == "ag" && (w == "-u" || w == "--unrestricted"))) hidden = true;
      if (w == "--no-hidden") hidden = false;
      if (w.rfind("--no-ignore", 0) == 0 || w == "--skip-vcs-ignores" ||
          (name == "ag" && (w == "-U" || w == "-a" || w == "-t" || w == "--all-types" || w == "--all-text")))
        no_ignore = true;
      if (w == "--unrestricted") ++unrestricted;
      if (w == "--follow" || (name == "rg" && w == "-L") || (name == "ag" && w == "-f")) s.follow_links = true;
      if (w.size() > 1 && w[0] == '-' && w[1] != '-') {
        if (name == "rg" && (w[1] == 'g' || w[1] == 'e' || w[1] == 'f' || w[1] == 't' || w[1] == 'T')) {
          // -g takes a glob, -e/-f a pattern, -t/-T a type: the rest is their value.
          if (w[1] != 'g' && w.size() == 2) ++i;
          if (w[1] != 'g') continue;
        } else {
          unrestricted += static_cast<int>(std::count(w.begin() + 1, w.end(), 'u'));
          if (name == "rg" && w.find('L', 1) != std::string::npos) s.follow_links = true;
        }
      }
      std::optional<std::string> g = value(i, "--glob", 'g');
      if (!g && name == "rg") g = value(i, "--iglob");
      if (!g) continue;
      if (!g->empty() && (*g)[0] == '!') {
        add_exclude(g->substr(1), true);
        continue;
      }
      s.include.push_back(g->substr(g->rfind('/') == std::string::npos ? 0 : g->rfind('/') + 1));
    }
    if (unrestricted >= 1) no_ignore = true;
    if (unrestricted >= 2) hidden = true;
    // A glob that keeps names in overrides the ignore files and the skipping
    // of dot-files for what it matches (`rg -g '*' KEY` reads `.env`).
    const bool globbed = !s.include.empty();
    if (!hidden && !no_ignore && !globbed) return std::nullopt;
    s.hidden = hidden || globbed;
    return s;
  } else {
    const bool archive = name == "tar" || name == "gtar" || name == "bsdtar";
    bool zip_list = false;  // in zip's -x/-i list
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& w = args[i];
      if (w == "--") break;
      if (name == "zip") {
        // `zip -r a.zip . -x PATTERN…`: patterns match the whole stored path,
        // `*` across `/`: `.env` is the top one, `*.env` any.
        if (w == "-x" || w == "--exclude" || w == "-i" || w == "--include") {
          zip_list = w == "-x" || w == "--exclude";
          keeps_in = keeps_in || !zip_list;
          continue;
        }
        if (!w.empty() && w[0] == '-') {
          zip_list = false;
        } else if (zip_list) {
          // (`*/.env` leaves the top one in: not taken.)
          if (w[0] == '*' && w.find('/') == std::string::npos)
            add_exclude(w, false);
          else if (w.find_first_of("*?[/") == std::string::npos)
            s.exclude_top.push_back(w);
          continue;
        }
      }
      if (archive || name == "rsync" || name == "diff") {
        if (auto v = value(i, "--exclude")) {
          // rsync's `+ x` is a rule that keeps x in; `- x` leaves it out.
          if (name == "rsync" && v->rfind("+ ", 0) == 0) keeps_in = true;
          add_exclude(name == "rsync" && v->rfind("- ", 0) == 0 ? v->substr(2) : *v, name == "rsync");
          continue;
        }
      }
      if (name == "rsync" && (abbreviates(w, "--include") || abbreviates(w, "--filter") || w == "-f" || w == "-F" ||
                              w.rfind("-f", 0) == 0))
        keeps_in = true;
      if (archive && abbreviates(w, "--anchored")) keeps_in = true;
      if (name == "diff") {
        if (auto v = value(i, "-x")) add_exclude(*v, false);
      }
      // Links beneath are followed by `cp -L`, `rsync -L`/`-k`, `tar -h`, and
      // always by `zip` (unless -y), `scp -r` and `diff -r`.
      if ((name == "cp" && (abbreviates(w, "--dereference") || short_has(w, 'L'))) ||
          (name == "rsync" && (abbreviates(w, "--copy-links") || abbreviates(w, "--copy-unsafe-links") ||
                               abbreviates(w, "--copy-dirlinks") || short_has(w, 'L') || short_has(w, 'k'))) ||
          (archive &&
           (abbreviates(w, "--dereference") || short_has(w, 'h') || (i == 0 && w.find('h') != std::string::npos))))
        s.follow_links = true;
    }
    if (name == "scp" || name == "diff" ||
        (name == "zip" && std::none_of(args.begin(), args.end(),
                                       [&](const std::string& w) { return w == "--symlinks" || short_has(w, 'y'); })))
      s.follow_links = true;
  }
  if (keeps_in) {
    s.exclude.clear();
    s.exclude_dir.clear();
    s.exclude_top.clear();
  }
  return s;
}

// `$HOME/x`, `${HOME}/x` and `$PWD/x` are known to Tollgate; expand them so
// the common spellings of a path are not needlessly opaque. `$PWD` is
// wherever the command is when it runs (after a `cd` in it, not the
// session's directory): it becomes `.`, a relative path taken in every
// directory the command may be in.
std::optional<std::string> expand_known(std::string_view word, const Environment& env) {
  for (auto [var, value] :
       {std::pair{std::string_view("$HOME"), env.home}, std::pair{std::string_view("${HOME}"), env.home},
        std::pair{std::string_view("$PWD"), std::string(".")},
        std::pair{std::string_view("${PWD}"), std::string(".")}}) {
    if (word.substr(0, var.size()) == var && (word.size() == var.size() || word[var.size()] == '/')) {
      std::string rest(word.substr(var.size()));
      if (rest.find_first_of("$`*?[{") != std::string::npos) return std::nullopt;
      return value + rest;
    }
  }
  return std::nullopt;
}

// Where the arguments of the script `run` start in `c`'s words, when `c`
// runs it as a file (`./deploy.sh a b`: 0; `python3 -u x.py a`: 2); those
// words go to the script, not to its interpreter.
std::optional<size_t> script_args_from(const analyze::SimpleCommand& c, const analyze::ScriptRun& run) {
  if (run.dynamic) return std::nullopt;
  if (run.runner.empty()) return c.program == run.path ? std::optional<size_t>(0) : std::nullopt;
  if (c.name != run.runner) return std::nullopt;
  for (size_t k = 0; k < c.args.size(); ++k) {
    if (c.args[k] == run.path && std::find(c.dynamic_args.begin(), c.dynamic_args.end(), k) == c.dynamic_args.end())
      return k + 1;
  }
  return std::nullopt;
}

// Whether a shell script may replace its positional arguments with `set`:
// `set -- a b`, `set a b`, `set -e a` (options alone — `set -euo pipefail`,
// `set -x` — do not).
bool sets_positional_arguments(std::string_view text) {
  for (size_t at = text.find("set"); at != std::string_view::npos; at = text.find("set", at + 1)) {
    bool start = at == 0 || std::string_view(" \t\n;&|(){}").find(text[at - 1]) != std::string_view::npos;
    if (!start || at + 3 >= text.size() || (text[at + 3] != ' ' && text[at + 3] != '\t')) continue;
    size_t i = at + 3;
    bool option_value = false;
    for (;;) {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
      if (i >= text.size() || std::string_view("\n;&|)#").find(text[i]) != std::string_view::npos) break;
      size_t j = i;
      while (j < text.size() && std::string_view(" \t\n;&|)").find(text[j]) == std::string_view::npos) ++j;
      std::string_view tok = text.substr(i, j - i);
      i = j;
      if (tok == "--") return true;
      if (option_value) {
        option_value = false;
        continue;
      }
      if (tok[0] == '-' || tok[0] == '+') {
        option_value = tok == "-o" || tok == "+o";
        continue;
      }
      return true;  // a word: a positional argument
    }
  }
  return false;
}

// Whether a script reads its command-line arguments: a shell script's `$1`,
// `${2}`, `$@`, `$*`; any other language is taken to (argv reaches it
// through too many libraries to tell).
bool reads_arguments(std::string_view lang, std::string_view text) {
  if (lang != "source" && lang != "." && !analyze::runs_shell_code(lang)) return true;
  for (size_t at = text.find('$'); at != std::string_view::npos; at = text.find('$', at + 1)) {
    size_t k = at + 1;
    if (k < text.size() && text[k] == '{') ++k;
    if (k < text.size() && (std::isdigit(static_cast<unsigned char>(text[k])) || text[k] == '@' || text[k] == '*'))
      return true;
  }
  return false;
}

// Programs whose arguments, whatever they turn out to be at run time, run
// nothing, reach no network and neither reveal nor change what a file
// holds (none has an option that reads a file's contents into its output):
// an argument Tollgate cannot know (`echo "$HOME"`, `ls "$DIR"`, `ls
// src/*.c`) leaves such a command understood. A computed file they are
// given is still an opaque file action where they have one (role_of).
bool inert_whatever_args(std::string_view name) {
  static const std::set<std::string_view> inert = {
      "echo", "printf", "basename", "dirname", "ls",  "realpath", "readlink", "stat", "test", "[",
      "true", "false",  "pwd",      "sleep",   "seq", "expr",     "which",    "type", ":",    "mkdir"};
  return inert.count(name) != 0;
}

// Programs, besides those whose file operands role_of models, whose globbed
// arguments are decided on the names they match: disk usage, compilers
// given sources. A glob expands to names that start with no `-` (or it is
// not decided), so it cannot turn into an option; a computed argument can,
// which is why wc, du and file are not inert: `--files0-from=F` and `-f F`
// print what F holds.
bool decided_on_glob_matches(std::string_view name) {
  static const std::set<std::string_view> programs = {"du", "gcc", "g++", "cc", "c++", "clang", "clang++"};
  return programs.count(name) != 0;
}

// `path` as a glob pattern that matches only itself.
std::string glob_escape(const std::string& path) {
  std::string out;
  for (char ch : path) {
    if (ch == '*' || ch == '?' || ch == '[' || ch == ']' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

// `~+` and `~-` are the shell's current and previous directories, which
// a command can move (`cd ~/.aws && cat ~+/credentials`): not known here.
bool moving_tilde(std::string_view word) {
  return word.size() > 1 && word[0] == '~' && (word[1] == '+' || word[1] == '-') &&
         (word.size() == 2 || word[2] == '/');
}

// Whether argument `i` of `c` holds an expansion or a glob.
bool is_dynamic(const analyze::SimpleCommand& c, size_t i) {
  return std::find(c.dynamic_args.begin(), c.dynamic_args.end(), i) != c.dynamic_args.end();
}

// Scripts read for one command line, all nesting levels together.
struct ScriptBudget {
  int files = 0;
  size_t bytes = 0;
  // Something changed during the session was not understood, at any depth:
  // the whole command is opaque, even if an older script ran it.
  bool recent_opaque = false;
  // Variables the command line sets to values that are not plain text
  // (plain_value): a script that uses one runs what the agent chose, so it
  // is held to the standard of the agent's own work, however old it is.
  std::vector<std::string> agent_values;
  bool agent_values_overflow = false;  // more than 64: every script is taken to use one
  // The static values the command line sets (NAME=value, once each): what
  // the scripts it runs are analysed with.
  analyze::KnownVariables agent_env;
  // Set by an analysis in which a script assigned a variable it was given.
  bool known_overridden = false;
  bool uses_agent_value(std::string_view text) const {
    return agent_values_overflow || std::any_of(agent_values.begin(), agent_values.end(),
                                                [&](const std::string& name) { return mentions_word(text, name); });
  }
  // The parsing time of the command line and every script it runs.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
};
constexpr int kMaxScriptDepth = 3;
constexpr int kMaxScriptFiles = 16;
constexpr size_t kMaxScriptBytes = 256 * 1024;
constexpr size_t kMaxScriptBytesTotal = 1024 * 1024;

// The program a `#!` line names: `#!/bin/bash -e` → bash, `#!/usr/bin/env
// -S python3 -u` → python3. Empty when there is none.
std::string shebang_program(std::string_view text, bool* runs = nullptr) {
  if (text.substr(0, 2) != "#!") return {};
  std::string_view line = text.substr(2, text.find('\n') == std::string_view::npos ? text.npos : text.find('\n') - 2);
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) words.emplace_back(line.substr(i, j - i));
    i = j;
  }
  auto base = [](std::string_view w) {
    return w.substr(w.rfind('/') == std::string_view::npos ? 0 : w.rfind('/') + 1);
  };
  size_t k = 0;
  if (k < words.size() && base(words[k]) == "env") {
    for (++k; k < words.size(); ++k) {
      std::string_view w = words[k];
      if (w == "-u" || w == "--unset" || w == "-C" || w == "--chdir") {
        ++k;
        continue;
      }
      if (w[0] == '-' || w.find('=') != std::string_view::npos) continue;
      break;
    }
  }
  // Arguments beyond the program's own flags (`-c "…"`, a script, `-S`
  // splitting more words in) run something of their own.
  if (runs) {
    for (size_t j = k + 1; j < words.size(); ++j)
      if (words[j][0] != '-' || words[j] == "-c" || words[j].find('=') != std::string_view::npos) *runs = true;
    for (size_t j = 1; j < k; ++j)
      if (words[j].substr(0, 2) == "-S" || words[j] == "--split-string") *runs = *runs || k + 1 < words.size();
  }
  return k < words.size() ? std::string(base(words[k])) : std::string();
}

// Whether this command line itself writes or deletes `path`.
bool changed_here(const std::vector<Action>& out, const std::string& path) {
  return std::any_of(out.begin(), out.end(), [&](const Action& a) {
    return (a.kind == Kind::FileWrite || a.kind == Kind::FileDelete) && (a.opaque || a.path == path);
  });
}

std::vector<Action> shell_actions_in(std::string_view command, std::string_view tool, const Environment& env, int depth,
                                     ScriptBudget& budget, const analyze::KnownVariables* args = nullptr);

// Where a command that prints a tool's stored credentials takes them from
// (`gh auth token` → ~/.config/gh/hosts.yml): printing them is reading
// that file, and its labels (credentials, secret) follow.
std::optional<std::string> credential_store(const analyze::SimpleCommand& c) {
  std::vector<std::string_view> ops;  // the operands, in order
  bool raw = false, show_token = false;
  for (const auto& a : c.args) {
    if (a == "--raw" || a == "--flatten") raw = true;
    if (a == "-t" || a == "--show-token") show_token = true;
    if (!is_option(a)) ops.push_back(a);
  }
  // The words in a row among the operands (an option's value, which is
  // not told apart from an operand here, may come before them).
  size_t at = 0;
  auto ops_are = [&](std::initializer_list<std::string_view> want) {
    for (size_t i = 0; i + want.size() <= ops.size(); ++i) {
      if (std::equal(want.begin(), want.end(), ops.begin() + static_cast<std::ptrdiff_t>(i))) {
        at = i + want.size();
        return true;
      }
    }
    return false;
  };
  auto next_op = [&]() -> std::string_view { return at < ops.size() ? ops[at] : std::string_view(); };
  const std::string& n = c.name;
  if (n == "gh" && (ops_are({"auth", "token"}) || (ops_are({"auth", "status"}) && show_token)))
    return "~/.config/gh/hosts.yml";
  auto names_secret = [](std::string_view key) {
    std::string k(key);
    std::transform(k.begin(), k.end(), k.begin(), [](unsigned char ch) { return std::tolower(ch); });
    return k.find("secret") != std::string::npos || k.find("token") != std::string::npos ||
           k.find("key") != std::string::npos || k.find("auth") != std::string::npos ||
           k.find("password") != std::string::npos;
  };
  if (n == "aws" &&
      ((ops_are({"configure", "get"}) && names_secret(next_op())) || ops_are({"configure", "export-credentials"})))
    return "~/.aws/credentials";
  if (n == "gcloud" &&
      (ops_are({"auth", "print-access-token"}) || ops_are({"auth", "print-identity-token"}) ||
       ops_are({"auth", "application-default", "print-access-token"}) || ops_are({"config", "config-helper"})))
    return "~/.config/gcloud/credentials.db";
  if ((n == "kubectl" || n == "oc" || n == "k3s") && raw && std::find(ops.begin(), ops.end(), "view") != ops.end() &&
      std::find(ops.begin(), ops.end(), "config") != ops.end())
    return "~/.kube/config";
  if (n == "az" && ops_are({"account", "get-access-token"})) return "~/.azure/msal_token_cache.json";
  if (n == "vault" && ops_are({"print", "token"})) return "~/.vault-token";
  if (n == "git" && (ops_are({"credential", "fill"}) || ops_are({"credential-store", "get"})))
    return "~/.git-credentials";
  if (n.rfind("docker-credential-", 0) == 0 && ops_are({"get"})) return "~/.docker/config.json";
  if ((n == "npm" || n == "pnpm") &&
      ((n == "npm" && ops_are({"token"})) || (ops_are({"config", "get"}) && names_secret(next_op()))))
    return "~/.npmrc";
  if (n == "yarn" && ops_are({"config", "get"}) && names_secret(next_op())) return "~/.yarnrc.yml";
  if (n == "glab" && ops_are({"auth", "status"}) && show_token) return "~/.config/glab-cli/config.yml";
  if (n == "vault" && ops_are({"token", "lookup"})) return "~/.vault-token";
  if (n == "op" && (ops_are({"read"}) || ops_are({"item", "get"}) || ops_are({"inject"})))
    return "~/.config/op/secrets";
  if (n == "security" && (ops_are({"find-generic-password"}) || ops_are({"find-internet-password"})) &&
      std::any_of(c.args.begin(), c.args.end(), [](const std::string& a) { return a == "-w" || a == "-g"; }))
    return "~/Library/Keychains/login.keychain-db";
  if (n == "heroku" && ops_are({"auth:token"})) return "~/.netrc";
  // Tokens minted or state printed from credentials a tool holds.
  if (n == "aws" &&
      (ops_are({"ecr", "get-login-password"}) || ops_are({"sts", "get-session-token"}) ||
       ops_are({"ecr-public", "get-login-password"}) || ops_are({"codeartifact", "get-authorization-token"})))
    return "~/.aws/credentials";
  if (n == "gh" && ops_are({"auth", "git-credential"})) return "~/.config/gh/hosts.yml";
  if (n == "terraform" && (ops_are({"state", "pull"}) || ops_are({"show"}) || ops_are({"output"})))
    return "terraform.tfstate";  // the workspace's state, with its secrets
  if ((n == "kubectl" || n == "oc") && (ops_are({"get", "secret"}) || ops_are({"get", "secrets"})) &&
      std::any_of(c.args.begin(), c.args.end(), [](const std::string& a) {
        return a == "-o" || a.rfind("-o", 0) == 0 || a.rfind("--output", 0) == 0;
      }))
    return "~/.kube/config";  // the cluster's secrets, with what the config grants
  if (n == "secret-tool" && ops_are({"lookup"})) return "~/.local/share/keyrings/login.keyring";
  static const std::set<std::string_view> pass_commands = {"init",   "ls",   "list",     "find", "search", "insert",
                                                           "add",    "edit", "generate", "rm",   "remove", "mv",
                                                           "rename", "cp",   "copy",     "git",  "help",   "version"};
  if (n == "pass" &&
      ((!ops.empty() && (ops[0] == "show" || ops[0] == "grep")) || (!ops.empty() && !pass_commands.count(ops[0]))))
    return "~/.password-store";
  if ((n == "gpg" || n == "gpg2") && std::any_of(c.args.begin(), c.args.end(), [](const std::string& a) {
        return a.rfind("--export-secret", 0) == 0;
      }))
    return "~/.gnupg/private-keys-v1.d";
  return std::nullopt;
}

// A variable name that says it holds a credential (GITHUB_TOKEN,
// AWS_SECRET_ACCESS_KEY, DB_PASSWORD, OPENAI_API_KEY …).
// Taken word by word (`_`-separated), so `GIT_AUTHOR_NAME`, `NEXTAUTH_URL`,
// `MAX_TOKENS` and `TOKENIZERS_PARALLELISM` are not: a word that is or ends
// in TOKEN, SECRET, PASSWORD, PASSWD, APIKEY, or is AUTH, AUTHORIZATION,
// CREDENTIAL(S); API/ACCESS/PRIVATE followed by KEY.
bool credential_name(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char ch) { return std::toupper(ch); });
  std::vector<std::string_view> words;
  for (size_t at = 0; at <= n.size();) {
    size_t end = std::min(n.find('_', at), n.size());
    if (end > at) words.push_back(std::string_view(n).substr(at, end - at));
    at = end + 1;
  }
  auto ends = [](std::string_view w, std::string_view s) {
    return w.size() >= s.size() && w.substr(w.size() - s.size()) == s;
  };
  // Where a credential is, or a setting about one, is none
  // (`NEXTAUTH_URL`, `PASSWORD_MIN_LENGTH`, `DB_PASSWORD_FILE`).
  // Connection strings hold their password (`DATABASE_URL`, `REDIS_URL`,
  // `SENTRY_DSN`, `*_CONNECTION_STRING`).
  static const std::set<std::string_view> stores = {"DATABASE", "DB",   "REDIS",    "MONGO", "MONGODB", "POSTGRES",
                                                    "PG",       "AMQP", "RABBITMQ", "MYSQL", "BROKER",  "CACHE"};
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i] == "DSN" || words[i] == "PAT" || words[i] == "CREDS") return true;
    if (i + 1 < words.size() && words[i] == "CONNECTION" && words[i + 1] == "STRING") return true;
    if (i + 1 < words.size() && stores.count(words[i]) && (words[i + 1] == "URL" || words[i + 1] == "URI")) return true;
    if (words[i] == "PWD" && words.size() > 1) return true;  // MYSQL_PWD (not the directory)
    if (i + 1 < words.size() && (words[i] == "SIGNING" || words[i] == "ENCRYPTION") && words[i + 1] == "KEY")
      return true;
  }
  static const std::set<std::string_view> about = {
      "URL",    "URI",    "HOST",     "HOSTNAME",  "PORT",   "LENGTH",  "FILE",     "PATH",   "DIR",  "ENDPOINT",
      "DOMAIN", "ISSUER", "ENABLED",  "TTL",       "EXPIRY", "EXPIRES", "TIMEOUT",  "REGION", "MODE", "TYPE",
      "NAME",   "USER",   "USERNAME", "ALGORITHM", "SCOPE",  "SCOPES",  "PROVIDER", "VERSION"};
  // (An ID is about a credential — `AWS_ACCESS_KEY_ID` — unless a secret's:
  // `VAULT_SECRET_ID`.)
  const bool id_of_secret = words.size() > 1 && words.back() == "ID" && words[words.size() - 2] == "SECRET";
  if (words.size() > 1 && (about.count(words.back()) || (words.back() == "ID" && !id_of_secret))) return false;
  if (n == "GOOGLE_APPLICATION_CREDENTIALS") return false;  // a file's path
  for (size_t i = 0; i < words.size(); ++i) {
    std::string_view w = words[i];
    while (w.size() > 1 && std::isdigit(static_cast<unsigned char>(w.back()))) w.remove_suffix(1);  // TOKEN2
    for (std::string_view k : {"TOKEN", "SECRET", "SECRETS", "PASSWORD", "PASSWORDS", "PASSWD", "APIKEY", "APIKEYS",
                               "ACCESSKEY", "PRIVATEKEY", "SECRETKEY", "BASICAUTH"})
      if (ends(w, k)) return true;
    if (w == "AUTH" || w == "AUTHORIZATION" || w == "CREDENTIAL" || w == "CREDENTIALS" || w == "SECRETS" ||
        w == "PASS" || w == "PWD_HASH")
      return true;
    if (i + 1 < words.size() && (words[i + 1] == "KEY" || words[i + 1] == "KEYS") &&
        (w == "API" || w == "ACCESS" || w == "PRIVATE" || w == "SECRET"))
      return true;
  }
  return false;
}

// The word of `c` that holds code given inline: `perl -ne '…'`, `ruby
// -pe`, `python3 -c '…'`, `node -e`/`-p`, `php -r`. Nullopt when there is
// none.
std::optional<size_t> inline_code_at(const analyze::SimpleCommand& c) {
  const bool perlish = c.name == "perl" || c.name == "ruby";
  const bool pythonish = c.name.rfind("python", 0) == 0 || c.name.rfind("pypy", 0) == 0;
  const bool nodeish = c.name == "node" || c.name == "nodejs" || c.name == "bun" || c.name == "deno";
  for (size_t i = 0; i < c.args.size(); ++i) {
    const std::string& w = c.args[i];
    if (w == "--") break;
    bool takes = false;
    if (perlish && w.size() > 1 && w[0] == '-' && w[1] != '-') {
      size_t e = w.find_first_of("eE", 1);
      if (e != std::string::npos) {
        if (e + 1 < w.size()) return i;  // attached: the word itself
        takes = true;
      }
    }
    takes = takes || (pythonish && w == "-c") ||
            (nodeish && (w == "-e" || w == "--eval" || w == "-p" || w == "--print" || w == "-pe" || w == "-ep")) ||
            (c.name == "php" && w == "-r") || (c.name == "deno" && i == 0 && w == "eval");
    if (takes) return i + 1 < c.args.size() ? std::optional<size_t>(i + 1) : std::nullopt;
  }
  return std::nullopt;
}

// Which spellings of the environment apply: awk has only ENVIRON, jq only
// `env` and `$ENV`; code in the other languages any of theirs.
enum class Dialect { Code, Awk, Jq };

// Whether code reads the whole environment or a variable named like a
// credential: `process.env` (not `process.env.NODE_ENV`), `os.environ`,
// `os.getenv("API_TOKEN")`, Perl's `%ENV`, Ruby's `ENV.to_h`, awk's
// `for (k in ENVIRON)`, jq's `env` and `$ENV`. A variable chosen at run
// time (`ENVIRON[k]`, `getenv('AWS_' + x)`) is taken to be any of them.
bool code_reads_environment(std::string_view code, Dialect dialect) {
  auto ident = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
  // The literal name at `from` (`"NAME"`, `'NAME'`, Perl's bare `NAME}`),
  // when it is the whole argument; empty otherwise.
  auto quoted = [&](size_t from) -> std::string {
    while (from < code.size() && code[from] == ' ') ++from;
    if (from >= code.size()) return {};
    const char q = code[from];
    const bool quote = q == '"' || q == '\'';
    size_t start = from + (quote ? 1 : 0), end = start;
    while (end < code.size() && ident(code[end])) ++end;
    if (end == start || end >= code.size()) return {};
    if (quote ? code[end] != q : code[end] != '}') return {};
    size_t after = end + (quote ? 1 : 0);
    while (after < code.size() && code[after] == ' ') ++after;
    if (after < code.size() && code[after] != ')' && code[after] != ']' && code[after] != '}' && code[after] != ',')
      return {};  // more follows: a name built from pieces
    return std::string(code.substr(start, end - start));
  };
  // What follows the accessor at `at`: the one variable it names, or empty
  // for the whole environment (or one chosen at run time). `props`: a
  // member is a variable (`process.env.NAME`); otherwise members are methods
  // (`ENV.fetch("NAME")`, `os.environ.get("NAME")`, `ENV.to_h`).
  auto name_at = [&](size_t at, bool props) -> std::string {
    if (at >= code.size()) return {};
    if (code[at] == '.') {
      size_t end = at + 1;
      while (end < code.size() && ident(code[end])) ++end;
      std::string_view member = code.substr(at + 1, end - at - 1);
      size_t next = end;
      while (next < code.size() && code[next] == ' ') ++next;
      const bool call = next < code.size() && code[next] == '(';
      if (member == "get" || member == "fetch" || member == "getenv" || member == "has_key")
        return call ? quoted(next + 1) : std::string();
      if (props && !call && !member.empty()) return std::string(member);
      return {};
    }
    if (code[at] == '[' || code[at] == '{' || code[at] == '(') return quoted(at + 1);
    return {};
  };
  if (dialect == Dialect::Code) {
    // Spellings that reach the whole environment however they go on.
    for (std::string_view whole :
         {"process['env']", "process[\"env\"]", "environb", "Deno.env.toObject", "os.environ.copy", "printenv",
          "process\").env", "process').env", "node:process\").env", "node:process').env"})
      if (code.find(whole) != std::string_view::npos) return true;
    // `getattr(os, 'env' + 'iron')`: an attribute of os chosen at run time.
    for (size_t at = code.find("getattr(os"); at != std::string_view::npos; at = code.find("getattr(os", at + 1)) {
      size_t arg = code.find(',', at);
      if (arg == std::string_view::npos || quoted(arg + 1).empty()) return true;
    }
    // `const {env} = process`, `{ env: e } = process`.
    std::string flat;
    for (char c : code)
      if (c != ' ' && c != '\t' && c != '\n') flat += c;
    for (size_t at = flat.find("}=process"); at != std::string::npos; at = flat.find("}=process", at + 1)) {
      size_t open = flat.rfind('{', at);
      if (open != std::string::npos && mentions_word(std::string_view(flat).substr(open, at - open), "env"))
        return true;
    }
  }
  struct Token {
    std::string_view text;
    bool props;
  };
  static const Token code_tokens[] = {{"process.env", true}, {"Bun.env", true},  {"Deno.env", false},
                                      {"os.environ", false}, {"environ", false}, {"getenv", false},
                                      {"ENV", false},        {"$_ENV", false},   {"$_SERVER", false}};
  static const Token awk_tokens[] = {{"ENVIRON", false}};
  static const Token jq_tokens[] = {{"env", false}, {"$ENV", true}};
  const auto tokens = dialect == Dialect::Awk  ? std::vector<Token>(std::begin(awk_tokens), std::end(awk_tokens))
                      : dialect == Dialect::Jq ? std::vector<Token>(std::begin(jq_tokens), std::end(jq_tokens))
                                               : std::vector<Token>(std::begin(code_tokens), std::end(code_tokens));
  const bool from_os_import = code.find("from os import") != std::string_view::npos;
  for (const auto& [t, props] : tokens) {
    for (size_t at = code.find(t); at != std::string_view::npos; at = code.find(t, at + 1)) {
      const size_t end = at + t.size();
      if (end < code.size() && ident(code[end])) continue;
      if (at > 0 && ident(code[at - 1])) continue;
      const bool dotted = at > 0 && code[at - 1] == '.';
      const bool spread = at >= 3 && code.substr(at - 3, 3) == "...";
      // `.env`, `x.ENV` are members, not the environment — but any
      // module's `.environ` (`import os as o; o.environ`), `os.getenv`, and
      // a spread `...process.env` are; a bare `environ` only as imported.
      if (t == "environ" && !dotted && !from_os_import) continue;
      if (dotted && t != "environ" && t != "getenv" && !spread) continue;
      if (t == "env") {
        size_t next = code.find_first_not_of(' ', end);
        if (next != std::string_view::npos && code[next] == ':') continue;  // an object key: `{env: 1}`
      }
      std::string name = name_at(end, props);
      if (name.empty() || credential_name(name)) return true;
    }
  }
  return false;
}

// Whether a command prints the whole environment (`env`, `printenv`,
// `export -p`, `declare -x`, `set` with nothing to run or set) or a variable
// named like a credential (`printenv GITHUB_TOKEN`, `echo $AWS_SECRET_ACCESS_KEY`),
// in the shell or in code given inline (`node -p process.env`, `python3 -c
// 'print(os.environ)'`, `awk 'BEGIN{for (k in ENVIRON) …}'`, `jq -n env`),
// or shows processes with their environments (`ps eww`).
bool prints_environment(const analyze::SimpleCommand& c) {
  const std::string& n = c.name;
  if (auto code = inline_code_at(c)) return code_reads_environment(c.args[*code], Dialect::Code);
  // A program read on stdin (`python3 <<'EOF' … print(os.environ) … EOF`).
  static const std::set<std::string_view> interpreters = {"python", "python2", "python3", "node", "nodejs", "bun",
                                                          "deno",   "ruby",    "perl",    "php",  "tsx",    "ts-node"};
  if (!c.stdin_code.empty() && interpreters.count(n) && code_reads_environment(c.stdin_code, Dialect::Code))
    return true;
  const bool jq = n == "jq" || n == "gojq" || n == "jaq";
  if (jq || n == "awk" || n == "gawk" || n == "mawk" || n == "nawk") {
    // The program is one of the operands.
    for (const auto& w : c.args)
      if (!is_option(w) && code_reads_environment(w, jq ? Dialect::Jq : Dialect::Awk)) return true;
    return false;
  }
  if (n == "ps") {
    // BSD-style option words (no dash): `e` shows each process's environment.
    static const std::set<std::string_view> valued = {"-p",     "-C",     "-u",     "-U",     "-g", "-G",
                                                      "-t",     "-o",     "-O",     "-q",     "-s", "--pid",
                                                      "--ppid", "--sort", "--user", "--group"};
    for (size_t i = 0; i < c.args.size(); ++i) {
      const std::string& w = c.args[i];
      if (w.empty() || w[0] == '-' || (i > 0 && valued.count(c.args[i - 1]))) continue;
      if (w.find('e') != std::string::npos && w.find_first_not_of("aAcdefhjlmnrsStTuvwxXgHLZ") == std::string::npos)
        return true;
    }
    return false;
  }
  if (n == "env" || n == "printenv") {
    // env's own options with values (`-u NAME`, `-C DIR`) and NAME=VALUE
    // words leave it printing; any other word is a command it runs.
    bool operand = false;
    for (size_t i = 0; i < c.args.size(); ++i) {
      const std::string& a = c.args[i];
      if (n == "env" && (a == "-u" || a == "--unset" || a == "-C" || a == "--chdir")) {
        ++i;
        continue;
      }
      if (is_option(a) || (n == "env" && a.find('=') != std::string::npos)) continue;
      operand = true;
      if (n == "printenv" && credential_name(a)) return true;
    }
    return !operand;
  }
  // make -p prints its database, the environment's variables included.
  if (n == "make" && std::any_of(c.args.begin(), c.args.end(), [](const std::string& a) {
        return a == "--print-data-base" ||
               (a.size() > 1 && a[0] == '-' && a[1] != '-' && a.find('p') != std::string::npos &&
                a.find_first_of("fCIjlo") == std::string::npos);
      }))
    return true;
  // (`declare -f`/`-F` print functions.)
  if ((n == "declare" || n == "typeset") && std::any_of(c.args.begin(), c.args.end(), [](const std::string& a) {
        return a.size() > 1 && a[0] == '-' && a.find_first_of("fF") != std::string::npos;
      }))
    return false;
  if ((n == "export" || n == "declare" || n == "typeset") &&
      std::all_of(c.args.begin(), c.args.end(), [](const std::string& a) { return is_option(a); }))
    return true;
  if (n == "set" && c.args.empty()) return true;
  if (n == "echo" || n == "printf") {
    for (size_t i = 0; i < c.args.size(); ++i) {
      if (!is_dynamic(c, i)) continue;
      const std::string& a = c.args[i];
      for (size_t at = a.find('$'); at != std::string::npos; at = a.find('$', at + 1)) {
        size_t from = at + 1 + (at + 1 < a.size() && a[at + 1] == '{' ? 1 : 0);
        size_t to = from;
        while (to < a.size() && (std::isalnum(static_cast<unsigned char>(a[to])) || a[to] == '_')) ++to;
        // `${TOKEN:+set}` prints whether it is set, not what it holds.
        const bool presence = from > at + 1 && (a.compare(to, 2, ":+") == 0 || a.compare(to, 1, "+") == 0);
        if (to > from && !presence && credential_name(std::string_view(a).substr(from, to - from))) return true;
      }
    }
  }
  return false;
}

// Contacting `host`, with the first of `urls` that names it.
Action fetch_action(const std::string& host, const std::vector<std::string>& urls, std::string_view tool) {
  Action a;
  a.kind = Kind::NetFetch;
  a.tool = std::string(tool);
  a.host = a.resource = host;
  for (const auto& u : urls) {
    if (auto p = analyze::parse_url(u); p && p->host == host) {
      a.url = u;
      break;
    }
  }
  a.summary = "contact " + host;
  return a;
}

// Marks the command line's own programs as not understood.
void mark_opaque(std::vector<Action>& out) {
  for (auto& a : out)
    if (a.kind == Kind::ShellExec) a.opaque = true;
}

// The actions of shell text a command runs from a file, labelled with
// where it came from; `opaque` when any of them is.
std::vector<Action> nested_shell(const std::string& text, const std::string& label, const std::string& cwd,
                                 std::string_view tool, const Environment& env, int depth, ScriptBudget& budget,
                                 bool& opaque, const analyze::KnownVariables* args = nullptr) {
  Environment at = env;
  at.cwd = cwd;
  std::vector<Action> found = shell_actions_in(text, tool, at, depth + 1, budget, args);
  for (auto& a : found) {
    if (a.opaque) opaque = true;
    if (a.command) a.command->wrappers.insert(a.command->wrappers.begin(), label);
  }
  return found;
}

// Adds what a file the command runs does to the command's actions: all of
// it from a file changed during the session (and the command is opaque
// where it is), only what is plainly understood from an older one.
void merge_found(std::vector<Action> found, bool opaque, bool recent, const std::string& full, std::vector<Action>& out,
                 ScriptBudget& budget) {
  if (recent) {
    if (opaque) {
      mark_opaque(out);
      budget.recent_opaque = true;
    }
  } else {
    std::erase_if(found, [](const Action& a) { return a.opaque; });
    for (auto& a : found) a.download_exec = false;
  }
  for (auto& a : found) {
    a.full_command = full;
    out.push_back(std::move(a));
  }
}

// What the local modules of a script in another language add (see
// script_actions): the actions of those changed during the session.
struct ModuleScan {
  std::vector<Action> found;
  bool opaque = false;  // a recent module not understood, or too many to read
  bool recent = false;  // a module changed during the session was loaded
};

// Python's extension modules in a directory (`name.cpython-311-x86_64-
// linux-gnu.so`), listed once per directory however many imports ask.
struct ExtensionModules {
  std::map<std::string, std::vector<std::string>> by_dir;
  bool incomplete = false;  // a directory could not be listed in full
  int dirs = 0;
  std::vector<std::string> named(const std::string& module, const Environment& env) {
    std::vector<std::string> out;
    if (!env.glob) return out;
    std::string dir = parent_dir(module), prefix = module + ".cpython-";
    auto it = by_dir.find(dir);
    if (it == by_dir.end()) {
      if (++dirs > 16) {
        incomplete = true;
        return out;
      }
      GlobMatches m = env.glob(glob_escape(dir == "/" ? "" : dir) + "/*.so");
      if (!m.complete) incomplete = true;
      it = by_dir.emplace(dir, std::move(m.paths)).first;
    }
    for (const auto& p : it->second)
      if (p.rfind(prefix, 0) == 0) out.push_back(p);
    return out;
  }
};

// The files a package.json says load: `main`, `module`, and every path in
// `exports` (a string, or conditions and subpaths nested in objects).
std::vector<std::string> package_entry_points(const nlohmann::json& pkg) {
  std::vector<std::string> out;
  for (const char* field : {"main", "module"}) {
    auto it = pkg.find(field);
    if (it != pkg.end() && it->is_string()) out.push_back(it->get<std::string>());
  }
  std::vector<std::pair<const nlohmann::json*, int>> todo;
  if (auto it = pkg.find("exports"); it != pkg.end()) todo.emplace_back(&*it, 0);
  while (!todo.empty() && out.size() < 32) {
    auto [node, depth] = todo.back();
    todo.pop_back();
    if (node->is_string()) {
      out.push_back(node->get<std::string>());
    } else if ((node->is_object() || node->is_array()) && depth < 4) {
      for (const auto& v : *node) todo.emplace_back(&v, depth + 1);
    }
  }
  return out;
}

// The entry points the package.json in directory `p` names, with the
// extensions Node (or tsx) would try, added to `step`. Whether there is a
// package.json there.
bool add_package_entries(const std::string& p, const Environment& env, std::vector<std::string>& step) {
  if (!env.read_script) return false;
  ScriptFile pkg = env.read_script(p + "/package.json");
  if (pkg.state != ScriptFile::State::Text) return false;
  auto j = parse_json(pkg.text, p + "/package.json", 8);
  if (j && j->is_object()) {
    for (const auto& entry : package_entry_points(*j)) {
      std::string main = analyze::normalize_path(entry, p, "/nonexistent", false);
      for (const char* ext : {"", ".js", ".mjs", ".cjs", ".ts", "/index.js"}) step.push_back(main + ext);
    }
  }
  return true;
}

// The files an import may load. Rather than follow each language's search
// order (where a package directory beats a module file for Python, and
// Node skips `.ts` that tsx would take), every file that could be the one
// loaded is taken: Python's dotted names against the main script's
// directory (leading dots against the importing file's) as packages,
// modules, extension modules and bytecode; Node's and Ruby's relative
// specifiers against the importing file's directory, with the extensions,
// `index` files and a package.json's `main`. One step per dotted
// component; a Python name continues into a package directory.
std::vector<std::vector<std::string>> module_candidates(std::string_view lang, const std::string& import,
                                                        const std::string& root, const std::string& here,
                                                        const Environment& env, ExtensionModules& so_files) {
  std::vector<std::vector<std::string>> out;
  if (lang.substr(0, 6) == "python" || lang.substr(0, 4) == "pypy") {
    size_t dots = import.find_first_not_of('.');
    if (dots == std::string::npos) return out;
    std::string base = dots == 0 ? root : here;
    for (size_t up = 1; up < dots; ++up) base = parent_dir(base);
    std::string rest = import.substr(dots);
    std::string at = base == "/" ? "" : base;
    for (size_t from = 0; from <= rest.size();) {
      size_t dot = rest.find('.', from);
      std::string comp = rest.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
      if (comp.empty()) break;
      at += "/" + comp;
      std::vector<std::string> step = {at + "/__init__.py", at + "/__init__.pyc", at + "/__init__.so", at + ".py",
                                       at + ".pyc",         at + ".so",           at + ".abi3.so"};
      for (auto& x : so_files.named(at, env)) step.push_back(std::move(x));
      out.push_back(std::move(step));
      if (dot == std::string::npos) break;
      from = dot + 1;
    }
    return out;
  }
  if (import.rfind("node_modules/", 0) == 0) {
    // A package, in the nearest node_modules at or above the importing
    // file: its entry point (package.json's main, index.js) is what loads.
    std::vector<std::string> step;
    for (std::string dir = here;; dir = parent_dir(dir)) {
      std::string p = (dir == "/" ? "" : dir) + "/" + import;
      for (const char* ext : {"/index.js", "/index.mjs", "/index.cjs", ".js"}) step.push_back(p + ext);
      if (add_package_entries(p, env, step)) break;  // the nearest package wins
      if (dir == "/" || step.size() > 64) break;
    }
    out.push_back(std::move(step));
    return out;
  }
  std::string p = analyze::normalize_path(import, here, "/nonexistent", false);
  if (p.empty()) return out;
  if (lang == "ruby" || lang == "irb") {
    out.push_back({p + ".rb", p, p + ".so"});
    return out;
  }
  std::vector<std::string> step;
  for (const char* ext : {"", ".js", ".json", ".node", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".mts", ".cts"})
    step.push_back(p + ext);
  for (const char* ext : {".js", ".json", ".node", ".mjs", ".cjs", ".ts", ".tsx"}) step.push_back(p + "/index" + ext);
  // A directory's package.json names its entry point.
  add_package_entries(p, env, step);
  out.push_back(std::move(step));
  return out;
}

// Absolute Python imports are looked for in the script's directory and the
// working directory `cwd` (`python3 -m pkg.main` puts it first), where the
// paths a module names are taken too. The project's older modules are read
// only for what they import (16 of them at most besides the recent ones):
// an older module importing a recent one is how a change two levels down
// is reached.
ModuleScan local_modules(std::string_view lang, const std::string& script, std::vector<std::string> imports,
                         const std::string& cwd, std::string_view tool, const Environment& env, ScriptBudget& budget) {
  constexpr int kMaxModules = 16, kMaxOlderModules = 64, kMaxModuleDepth = 6, kMaxProbes = 1024;
  ModuleScan m;
  std::vector<std::string> roots = {parent_dir(script)};
  if (cwd != roots.front()) roots.push_back(cwd);
  struct Pending {
    std::string import, here, root;
    int depth;
  };
  std::vector<Pending> queue;
  auto enqueue = [&](std::string import, const std::string& here, int depth) {
    if (import.empty()) return;
    for (const auto& r : roots) {
      queue.push_back({import, here, r, depth});
      if (import[0] == '.' || import[0] == '/') break;  // relative: one place only
    }
  };
  for (auto& i : imports) enqueue(std::move(i), roots.front(), 1);
  // Python looks in the script's directory first for every import, the
  // standard library's own included (a `traceback.py` there is what
  // `import logging` loads): every module file there counts.
  if ((lang.substr(0, 6) == "python" || lang.substr(0, 4) == "pypy") && env.glob) {
    for (const auto& r : roots) {
      GlobMatches beside = env.glob(glob_escape(r == "/" ? "" : r) + "/*.py");
      for (const auto& f : beside.paths) {
        std::string name = f.substr(f.rfind('/') + 1);
        enqueue(name.substr(0, name.size() - 3), r, 1);
      }
      if (!beside.complete) m.opaque = true;
    }
  }
  std::set<std::string> seen = {script};
  int modules = 0, older = 0, probes = 0;
  ExtensionModules so_files;
  for (size_t q = 0; q < queue.size(); ++q) {
    const Pending p = queue[q];
    for (const auto& step : module_candidates(lang, p.import, p.root, p.here, env, so_files)) {
      bool any = false;
      for (const auto& path : step) {
        if (++probes > kMaxProbes || so_files.incomplete) {
          m.opaque = true;
          return m;
        }
        if (seen.count(path)) {
          any = true;
          continue;
        }
        ScriptFile f = env.read_script(path);
        if (f.state == ScriptFile::State::Missing || f.state == ScriptFile::State::Directory) continue;
        any = true;
        seen.insert(path);
        if (!f.recent) {
          // The project's own: followed for its imports, not decided.
          if (f.state == ScriptFile::State::Text && p.depth <= kMaxModuleDepth && ++older <= kMaxOlderModules) {
            analyze::ShellAnalysis code = analyze::analyze_code(lang, f.text);
            // (A package's own dependencies are not followed: a tree that
            // size would exhaust the budget on the project's own code.)
            for (auto& i : code.imports)
              if (i.rfind("node_modules/", 0) != 0) enqueue(std::move(i), parent_dir(path), p.depth + 1);
          }
          continue;
        }
        m.recent = true;
        if (f.state != ScriptFile::State::Text || p.depth > kMaxModuleDepth || ++modules > kMaxModules ||
            budget.bytes + f.text.size() > kMaxScriptBytesTotal) {
          m.opaque = true;  // compiled, unreadable, or past the limits
          continue;
        }
        budget.bytes += f.text.size();
        analyze::ShellAnalysis code = analyze::analyze_code(lang, f.text);
        m.opaque = m.opaque || code.opaque;
        for (const auto& h : code.hosts) m.found.push_back(fetch_action(h, code.urls, tool));
        for (const auto& r : code.redirections) {
          Action a;
          a.kind = Kind::FileRead;
          a.tool = std::string(tool);
          a.path = analyze::normalize_path(r.path, cwd, env.home, env.resolve_symlinks);  // the process's directory
          if (a.path.empty()) continue;
          a.resource = a.path;
          a.summary = "read " + a.path + " (module " + path + ")";
          m.found.push_back(std::move(a));
        }
        for (auto& i : code.imports) enqueue(std::move(i), parent_dir(path), p.depth + 1);
      }
      // A Python name goes on into a package directory; where nothing of
      // this step exists (not even a directory), it ends.
      if (!any && !(env.read_script && env.read_script(step.front().substr(0, step.front().rfind('/'))).state ==
                                           ScriptFile::State::Directory))
        break;
    }
  }
  return m;
}

// What one script a command runs does, read and analysed (its path
// resolved in each directory the command may run in): a shell script's
// actions as if they were on the command line, the network targets and
// named files of another language's code. A script changed during the
// session may be the agent's own work, so whatever of it is not understood
// (too large, unreadable, nested too deep, an interpreter Tollgate does not
// read, computed parts) makes the command opaque. An older script is the
// workspace's own: what it plainly does is decided, but what is not
// understood in it is not asked about, nor is a download it runs.
void script_actions(const analyze::ScriptRun& run, std::string_view tool, const Environment& env,
                    const std::vector<std::string>& cwds, bool cwd_unknown, int depth, ScriptBudget& budget,
                    const std::string& full, std::vector<Action>& out,
                    const std::optional<std::vector<std::pair<std::string, bool>>>& argv = std::nullopt) {
  std::string word = run.path;
  if (run.dynamic) {
    auto expanded = expand_known(word, env);
    if (!expanded) {
      if (!run.runner.empty()) mark_opaque(out);  // `bash "$X"`: the script run is computed
      return;
    }
    word = *expanded;
  }
  const bool relative = word[0] != '/' && word[0] != '~';
  if ((relative && cwd_unknown) || moving_tilde(word)) return mark_opaque(out);
  for (size_t k = 0; k < (relative ? cwds.size() : 1); ++k) {
    // Read through the path as written: a link made in the session is seen
    // as such (the reader follows it).
    std::string path = analyze::normalize_path(word, cwds[k], env.home, false);
    if (path.empty()) continue;
    if (budget.files >= kMaxScriptFiles) return mark_opaque(out);
    ++budget.files;
    ScriptFile f = env.read_script(path);
    if (f.state == ScriptFile::State::Missing || f.state == ScriptFile::State::Directory) continue;
    if (f.state == ScriptFile::State::Binary) {
      // A program, or a file a shell refuses to run; an interpreter given
      // one (compiled code) runs what Tollgate cannot read.
      if (f.recent && !run.runner.empty() && analyze::runs_other_code(run.runner)) mark_opaque(out);
      continue;
    }
    if (f.state == ScriptFile::State::Unreadable || depth + 1 > kMaxScriptDepth ||
        budget.bytes + f.text.size() > kMaxScriptBytesTotal) {
      if (f.recent) mark_opaque(out);
      continue;
    }
    budget.bytes += f.text.size();
    std::string lang = run.runner;
    bool shebang_runs = false;
    if (lang.empty()) {
      lang = shebang_program(f.text, &shebang_runs);
      if (lang.empty()) lang = "sh";  // no `#!`: the shell runs it
    }
    const std::string label = "script " + path;
    std::vector<Action> found;
    bool opaque = false;
    bool recent_module = false;
    // What the command line passes it: its arguments (`argv`, each with
    // whether it is computed), as `$1` … `$9`, `"$@"`, `$*` where they can
    // be given exactly — static, no expansion characters, the script does
    // not move them (`shift`, `set --`, `getopts`), one word each for `$@`.
    // A script that reads arguments it could not be given exactly, and that
    // are not simple words, is the agent's own work (`driven`).
    analyze::KnownVariables args;
    bool driven = budget.uses_agent_value(f.text);
    if (argv && !argv->empty()) {
      const bool shell_lang = lang == "source" || lang == "." || analyze::runs_shell_code(lang);
      const bool moves = mentions_word(f.text, "shift") || mentions_word(f.text, "getopts") ||
                         mentions_word(f.text, "OPTIND") || sets_positional_arguments(f.text);
      bool exact = shell_lang && !moves && argv->size() <= 9, one_word = true, simple = true;
      std::string all;
      for (const auto& [v, dyn] : *argv) {
        exact = exact && !dyn && v.find_first_of("$`[") == std::string::npos;
        one_word = one_word && !v.empty() && v.find_first_of(" \t\n*?") == std::string::npos;
        simple = simple && !dyn && plain_value(v) && v.find_first_of(" \t/@:") == std::string::npos;
        all += (all.empty() ? "" : " ") + v;
      }
      const bool uses_all = f.text.find("$@") != std::string::npos || f.text.find("$*") != std::string::npos ||
                            f.text.find("${@") != std::string::npos || f.text.find("${*") != std::string::npos;
      if (exact) {
        for (size_t n = 0; n < argv->size(); ++n) args.emplace_back(std::to_string(n + 1), (*argv)[n].first);
        if (one_word) {
          args.emplace_back("@", all);
          args.emplace_back("*", all);
        }
      }
      const bool given_exactly = exact && (one_word || !uses_all);
      // Shell syntax, quotes or expansions in them (`./deploy.sh 'curl … |
      // sh'`), or paths and addresses given to another language, make the
      // script the agent's work even when they are substituted.
      bool unplain = false;
      for (const auto& [v, dyn] : *argv)
        unplain = unplain || dyn || !plain_value(v) || (!shell_lang && v.find_first_of("/@:") != std::string::npos);
      if ((unplain || (!simple && !given_exactly)) && reads_arguments(lang, f.text)) driven = true;
    }
    if (lang == "source" || lang == "." || analyze::runs_shell_code(lang)) {
      const bool overridden_before = budget.known_overridden;
      budget.known_overridden = false;
      found = nested_shell(f.text, label, cwds[k], tool, env, depth, budget, opaque, &args);
      // The script set a variable it was given a value for: what it uses
      // later is no longer what was substituted.
      if (budget.known_overridden) driven = true;
      budget.known_overridden = overridden_before;
    } else if (analyze::runs_other_code(lang)) {
      analyze::ShellAnalysis code = analyze::analyze_code(lang, f.text);
      opaque = code.opaque;
      // The script as a program of its own, with the paths it names as its
      // arguments: the built-in protections see them (Tollgate's files, the
      // hook settings), as they see a command line's.
      Action exec;
      exec.kind = Kind::ShellExec;
      exec.tool = std::string(tool);
      exec.opaque = code.opaque;
      CommandInfo ci;
      ci.program = ci.name = lang;
      ci.args.push_back(path);
      ci.wrappers.push_back(label);
      // An older program's strings are its own business (routes, formats,
      // the .env it loads); one written in the session names what it reads.
      for (const auto& r : code.redirections) {
        if (!f.recent) break;
        Action a;
        a.kind = Kind::FileRead;
        a.tool = std::string(tool);
        a.path = analyze::normalize_path(r.path, cwds[k], env.home, env.resolve_symlinks);
        if (a.path.empty()) continue;
        a.resource = a.path;
        a.summary = "read " + a.path;
        ci.args.push_back(r.path);
        found.push_back(std::move(a));
      }
      ci.line = lang + " " + path;
      exec.resource = lang;
      exec.summary = ci.line;
      exec.command = std::move(ci);
      found.insert(found.begin(), std::move(exec));
      for (const auto& h : code.hosts) found.push_back(fetch_action(h, code.urls, tool));
      // The local modules it loads run with it. Those changed during the
      // session are decided as part of it, at the agent's standard; the
      // project's older modules are its own.
      ModuleScan m = local_modules(lang, path, std::move(code.imports), cwds[k], tool, env, budget);
      opaque = opaque || m.opaque;
      recent_module = m.recent;
      for (auto& a : m.found) found.push_back(std::move(a));
    } else {
      opaque = true;  // an interpreter Tollgate does not read (make -f, awk -f, expect …)
    }
    // The `#!` line's own arguments run too (`#!/usr/bin/env -S bash -c "…"`).
    if (shebang_runs) opaque = true;
    // A script this command line changes before it runs it (`cp x s.sh &&
    // sh s.sh`, `sed -i … s.sh`) is not what was read.
    for (const auto& a : out)
      if ((a.kind == Kind::FileWrite || a.kind == Kind::FileDelete) && (a.opaque || a.path == path)) opaque = true;
    merge_found(std::move(found), opaque, f.recent || recent_module || changed_here(out, path) || driven, full, out,
                budget);
  }
}

// The commands a project task runs (package.json scripts, Makefile
// recipes), decided like a script file's: held to the command line's
// standard when the project file changed during the session.
void task_actions(const analyze::TaskRun& t, std::string_view tool, const Environment& env,
                  const std::vector<std::string>& cwds, bool cwd_unknown, int depth, ScriptBudget& budget,
                  const std::string& full, std::vector<Action>& out) {
  const bool relative = t.dir.empty() || (t.dir[0] != '/' && t.dir[0] != '~');
  if (relative && cwd_unknown) return mark_opaque(out);
  for (size_t k = 0; k < (relative ? cwds.size() : 1); ++k) {
    if (budget.files >= kMaxScriptFiles) return mark_opaque(out);
    ++budget.files;
    TaskScripts ts = project_task_scripts(t, cwds[k], env);
    if (ts.opaque && ts.recent) mark_opaque(out);
    for (const auto& [label, text] : ts.scripts) {
      if (depth + 1 > kMaxScriptDepth || budget.bytes + text.size() > kMaxScriptBytesTotal) {
        if (ts.recent) mark_opaque(out);
        continue;
      }
      budget.bytes += text.size();
      bool opaque = false;
      std::vector<Action> found = nested_shell(text, label, ts.dir, tool, env, depth, budget, opaque);
      merge_found(std::move(found), opaque, ts.recent || budget.uses_agent_value(text), full, out, budget);
    }
  }
}

}  // namespace

ScriptReader file_script_reader(int64_t since_ms) {
  return [since_ms](const std::string& path) {
    ScriptFile f;
    auto unreadable = [&](std::string why) {
      f.state = ScriptFile::State::Unreadable;
      f.problem = std::move(why);
      return f;
    };
    // The contents' time: a chmod (+x after "Permission denied") changes only
    // the status time and leaves the script what it was. Setting the
    // contents' time back is asked about where the shell does it (touch
    // -d/-t/-r).
    auto changed_ms = [](const struct stat& st) {
      return int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    };
    // A file system served by a process can keep an open waiting for ever:
    // neither the path nor where its links lead may be on one.
    if (const auto remote = remote_mounts(); leads_onto_remote_mount(path, remote))
      return unreadable("on a file system served by a process or over the network");
    struct stat before {
    }, link{};
    if (::stat(path.c_str(), &before) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return f;  // Missing: the command fails
      return unreadable(std::strerror(errno));
    }
    // A symbolic link made during the session makes what it points to recent.
    f.recent = changed_ms(before) >= since_ms || (::lstat(path.c_str(), &link) == 0 && changed_ms(link) >= since_ms);
    if (S_ISDIR(before.st_mode)) {
      f.state = ScriptFile::State::Directory;
      return f;
    }
    if (!S_ISREG(before.st_mode)) return unreadable("not a regular file");
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return unreadable(std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_ino != before.st_ino || st.st_dev != before.st_dev) {
      ::close(fd);
      return unreadable("changed while it was read");
    }
    f.recent = f.recent || changed_ms(st) >= since_ms;
    std::string text;
    const size_t want = std::min<size_t>(static_cast<size_t>(st.st_size), kMaxScriptBytes) + 1;
    text.resize(std::min<size_t>(want, 4096));
    size_t got = 0;
    for (;;) {
      if (got == text.size()) {
        if (got == 4096 && (text.compare(0, 4,
                                         "\x7f"
                                         "ELF") == 0 ||
                            text.substr(0, text.find('\n')).find('\0') != std::string::npos))
          break;  // binary: the rest is not needed
        if (text.size() >= want) break;
        text.resize(want);
      }
      ssize_t r = ::read(fd, text.data() + got, text.size() - got);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        int e = errno;
        ::close(fd);
        return unreadable(std::strerror(e));
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    ::close(fd);
    text.resize(got);
    // Binary as a shell sees it: a NUL in the first line (bash runs a file
    // whose NULs come later), or an executable format.
    std::string_view head = std::string_view(text).substr(0, 4096);
    if (head.substr(0, 4) ==
            "\x7f"
            "ELF" ||
        head.substr(0, head.find('\n')).find('\0') != std::string_view::npos) {
      f.state = ScriptFile::State::Binary;
      return f;
    }
    if (text.size() > kMaxScriptBytes) return unreadable("larger than 256 KiB");
    f.state = ScriptFile::State::Text;
    f.text = std::move(text);
    return f;
  };
}

GlobExpander file_glob_expander() {
  return [](const std::string& pattern) {
    constexpr size_t kMaxMatches = 256, kMaxEntries = 20'000;
    GlobMatches m;
    if (pattern.empty() || pattern[0] != '/') return m;
    auto is_meta = [](std::string_view c) {
      for (size_t i = 0; i < c.size(); ++i) {
        if (c[i] == '\\') {
          ++i;
          continue;
        }
        if (c[i] == '*' || c[i] == '?' || c[i] == '[') return true;
      }
      return false;
    };
    auto unescape = [](std::string_view c) {
      std::string out;
      for (size_t i = 0; i < c.size(); ++i) {
        if (c[i] == '\\' && i + 1 < c.size()) ++i;
        out += c[i];
      }
      return out;
    };
    std::vector<std::string> paths = {""};  // "" stands for the root
    size_t entries = 0;
    const std::vector<std::string> remote = remote_mounts();
    auto failed = [&] {
      GlobMatches f;
      f.scanned = entries;  // what it cost, for the caller's budget
      return f;
    };
    bool last_globbed = false;
    size_t i = 1;
    while (i <= pattern.size()) {
      size_t j = pattern.find('/', i);
      if (j == std::string::npos) j = pattern.size();
      std::string_view comp(pattern.data() + i, j - i);
      i = j + 1;
      if (comp.empty()) continue;
      std::vector<std::string> next;
      if (!is_meta(comp)) {
        std::string name = unescape(comp);
        for (auto& p : paths) next.push_back(p + "/" + name);
        last_globbed = false;
      } else {
        std::string pat(comp);
        for (const auto& p : paths) {
          std::string dir = p.empty() ? "/" : p;
          // An open there can wait for ever, through a link too.
          if (leads_onto_remote_mount(dir, remote)) return failed();
          int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
          if (fd < 0) {
            if (errno == ENOENT || errno == ENOTDIR) continue;  // bash skips what is not a directory
            return failed();
          }
          DIR* d = ::fdopendir(fd);
          if (!d) {
            ::close(fd);
            return failed();
          }
          while (const dirent* e = ::readdir(d)) {
            if (++entries > kMaxEntries) {
              ::closedir(d);
              return failed();
            }
            std::string_view name = e->d_name;
            // bash 5.2 never matches `.` or `..`; dash, older bash and
            // make's shell do when the pattern starts with a dot (`.*`).
            if ((name == "." || name == "..") && pat[0] != '.') continue;
            if (::fnmatch(pat.c_str(), e->d_name, FNM_CASEFOLD) == 0) next.push_back(p + "/" + std::string(name));
          }
          ::closedir(d);
          if (next.size() > kMaxMatches) return failed();
        }
        last_globbed = true;
      }
      paths = std::move(next);
      if (paths.empty()) break;
    }
    // Literal names after the last glob (`*/Makefile`) match only where
    // they exist.
    if (!last_globbed) {
      if (std::any_of(paths.begin(), paths.end(),
                      [&](const std::string& p) { return leads_onto_remote_mount(p, remote); }))
        return failed();
      std::erase_if(paths, [](const std::string& p) {
        struct stat st {};
        return ::lstat(p.c_str(), &st) != 0;
      });
    }
    std::sort(paths.begin(), paths.end());
    m.complete = true;
    m.paths = std::move(paths);
    m.scanned = entries;
    return m;
  };
}

namespace {

// Directory entries looked at beneath the trees of one command line, and
// the time they may take together.
constexpr size_t kMaxTreeEntries = 50'000;
constexpr auto kMaxTreesTime = std::chrono::milliseconds(400);

}  // namespace

// Each directory a command reads whole, as its program reads it
// (TreeScope): the labelled files beneath it are read too, so that `grep -r
// TODO .` reads the `.env` there as `cat .env` does. A search kept to some
// names reads the files of those names, labelled by the name; a tree too
// large to look through in full is not known.
void expand_trees(std::vector<Action>& out, const Environment& env) {
  size_t budget = kMaxTreeEntries;
  // All the trees of a command line together: as long as one may take.
  const auto deadline = std::chrono::steady_clock::now() + kMaxTreesTime;
  std::set<std::string> walked;
  for (size_t k = 0, n = out.size(); k < n; ++k) {
    if (out[k].kind != Kind::FileRead || !out[k].tree || !out[k].tree_scope || out[k].opaque) continue;
    const Action root = out[k];  // (out grows below)
    TreeScope scope = *root.tree_scope;
    // Names anchored at the top are taken only for the directory the
    // command runs in (`tar --exclude=./.env .`); beneath another operand
    // the program matches them against other paths.
    if (root.path != env.cwd) scope.exclude_top.clear();
    // The same tree, read the same way, once (`grep -R x R R R`).
    std::string key = root.path + '\0' + (scope.hidden ? "h" : "") + (scope.follow_links ? "l" : "");
    char list = 'a';  // which list each glob is in
    for (const auto* v : {&scope.include, &scope.exclude, &scope.exclude_dir, &scope.exclude_top}) {
      for (const auto& g : *v) key += std::string(1, '\0') + list + g;
      ++list;
    }
    if (!walked.insert(key).second) continue;
    auto read = [&](const std::string& path, std::string summary) {
      Action a = root;
      a.tree = false;
      a.tree_scope.reset();
      a.path = a.resource = path;
      a.summary = std::move(summary);
      out.push_back(std::move(a));
      return &out.back();
    };
    // (Kept to some names, `--include='*.json'`, it is walked too: a kind of
    // file does not carry the labels of single names of that kind,
    // `service-account.json`; the walk keeps to the names.)
    if (!env.tree) continue;
    TreeListing l = env.tree(root.path, scope, budget, deadline);
    budget -= std::min(budget, l.scanned);
    for (const auto& p : l.paths) read(p, "read " + p + " (beneath " + root.path + ", which is read whole)");
    if (!l.complete) {
      Action* a = read(root.path, "read everything beneath " + root.path +
                                      " (too many entries or links, too long to look through, or a directory "
                                      "that could not be read: not all looked at)");
      a->tree = true;
      a->opaque = true;
    }
  }
}

std::vector<Action> shell_actions(std::string_view command, std::string_view tool, const Environment& env) {
  ScriptBudget budget;
  std::vector<Action> out = shell_actions_in(command, tool, env, 0, budget);
  if (budget.recent_opaque) mark_opaque(out);
  expand_trees(out, env);
  return out;
}

namespace {

std::vector<Action> shell_actions_in(std::string_view command, std::string_view tool, const Environment& env, int depth,
                                     ScriptBudget& budget, const analyze::KnownVariables* args) {
  // A script (depth > 0) is analysed with what the command line that runs
  // it gives it: its environment's values and its arguments ($1 …), so that
  // `eval "$DEPLOY_CMD"` is decided on the command it runs.
  analyze::KnownVariables known;
  if (depth > 0) {
    known = budget.agent_env;
    if (args) known.insert(known.end(), args->begin(), args->end());
  }
  // `$PWD` is the session's directory unless the command changes it.
  analyze::ShellAnalysis sa = analyze::analyze_shell(command, budget.deadline, env.home, env.cwd, known);
  // A sourced script runs in this shell: one that changes directory moves
  // every relative path after it (and `$PWD`) somewhere Tollgate does not
  // follow.
  bool sourced_moves = false;
  if (env.read_script) {
    for (const auto& run : sa.scripts) {
      if ((run.runner != "source" && run.runner != ".") || run.dynamic) continue;
      ScriptFile f = env.read_script(analyze::normalize_path(run.path, env.cwd, env.home, false));
      if (f.state == ScriptFile::State::Text &&
          (mentions_word(f.text, "cd") || mentions_word(f.text, "pushd") || mentions_word(f.text, "popd")))
        sourced_moves = true;
    }
  }
  if (sourced_moves || std::any_of(sa.commands.begin(), sa.commands.end(), [](const analyze::SimpleCommand& c) {
        return c.name == "cd" || c.name == "pushd" || c.name == "popd";
      }))
    sa = analyze::analyze_shell(command, budget.deadline, env.home, {}, known);
  if (depth > 0 && sa.known_overridden) budget.known_overridden = true;
  if (depth == 0) {
    // What the line sets, for the scripts it runs: the names given values
    // that are not plain text (agent_values), and the static values set
    // once each (agent_env).
    std::map<std::string, std::pair<std::string, int>> given;
    auto note = [&](const std::string& assignment) {
      size_t eq = assignment.find('=');
      if (eq == std::string::npos || eq == 0) return;
      std::string name = assignment.substr(0, eq);
      while (!name.empty() && (name.back() == '+' || name.back() == ':' || name.back() == '?')) name.pop_back();
      std::string value = assignment.substr(eq + 1);
      if (!plain_value(value)) {
        if (budget.agent_values.size() < 64)
          budget.agent_values.push_back(name);
        else
          budget.agent_values_overflow = true;
      }
      auto& g = given[name];
      g.first = std::move(value);
      g.second += assignment[eq - 1] == '+' ? 2 : 1;  // an append is no value of its own
    };
    for (const auto& a : sa.assignments) note(a);
    for (const auto& c : sa.commands)
      for (const auto& a : c.assignments) note(a);
    for (const auto& [name, g] : given) {
      if (g.second == 1 && g.first.find_first_of("$`") == std::string::npos) {
        if (budget.agent_env.size() < 64) budget.agent_env.emplace_back(name, g.first);
      } else if (std::find(budget.agent_values.begin(), budget.agent_values.end(), name) == budget.agent_values.end()) {
        // Set twice, or to something computed: no one value to give a
        // script, so one that uses it is the agent's work.
        if (budget.agent_values.size() < 64)
          budget.agent_values.push_back(name);
        else
          budget.agent_values_overflow = true;
      }
    }
  }
  std::vector<Action> out;
  std::string full(command);
  if (full.size() > 4096) full = full.substr(0, 4096) + "…";

  // The directories the command may run its parts in: the session's, and
  // every one a `cd`/`pushd` in it changes to (the order and the subshells
  // are not followed: a relative path is taken in each of them, so
  // `cd ~/.ssh && cat id_rsa` reads ~/.ssh/id_rsa). One that is computed
  // (`cd "$D"`, `cd -`) leaves every relative path unknown.
  std::vector<std::string> cwds = {env.cwd};
  bool cwd_unknown = sourced_moves;
  for (const auto& c : sa.commands) {
    if (c.name != "cd" && c.name != "pushd") continue;
    std::vector<size_t> operands;
    for (size_t i = 0; i < c.args.size(); ++i)
      if (c.args[i] != "--" && !(is_option(c.args[i]) && c.args[i] != "-")) operands.push_back(i);
    if (operands.empty()) {
      if (c.name == "cd") cwds.push_back(env.home);  // `cd` alone: home
      continue;
    }
    size_t i = operands.front();
    bool dynamic = is_dynamic(c, i);
    std::string target = c.args[i];
    if (dynamic) {
      auto expanded = expand_known(target, env);
      if (!expanded) {
        cwd_unknown = true;
        continue;
      }
      target = *expanded;
    }
    if (target == "-" || c.opaque || moving_tilde(target) || analyze::through_process_links(target)) {
      cwd_unknown = true;
      continue;
    }
    std::vector<std::string> next;
    for (const auto& base : cwds) {
      std::string dir = analyze::normalize_path(target, base, env.home, env.resolve_symlinks);
      if (!dir.empty() && std::find(cwds.begin(), cwds.end(), dir) == cwds.end() &&
          std::find(next.begin(), next.end(), dir) == next.end())
        next.push_back(dir);
    }
    for (auto& d : next)
      if (cwds.size() < 16) cwds.push_back(std::move(d));
  }

  // What `{}` stands for in the command being decided (find -exec).
  const std::vector<std::string>* found_now = nullptr;
  // How the command at hand reads the directories it takes whole.
  std::optional<TreeScope> scope_now;
  // File actions whose word goes up with `..`: through a link made on the
  // line it goes up from the link's target, which lexical `..` does not.
  std::vector<size_t> dotdot;
  auto file_one = [&](Kind kind, const std::string& word, bool dynamic, bool tree) {
    // The null device and the standard streams are no files an agent reads
    // or writes (`tar -cf /dev/null .`, `sort -o /dev/stdout`).
    if (!dynamic && (word == "/dev/null" || word == "/dev/stdout" || word == "/dev/stderr" || word == "/dev/stdin"))
      return;
    Action a;
    a.kind = kind;
    a.tool = std::string(tool);
    std::string text = word;
    if (dynamic) {
      auto expanded = expand_known(word, env);
      if (expanded)
        text = *expanded;
      else
        a.opaque = true;
    }
    const bool relative = !text.empty() && text[0] != '/' && text[0] != '~';
    if (relative && cwd_unknown) a.opaque = true;
    if (moving_tilde(text) || analyze::through_process_links(text)) a.opaque = true;
    a.full_command = full;
    const bool up = text.find("..") != std::string::npos;
    for (size_t k = 0; k < (relative ? cwds.size() : 1); ++k) {
      if (up) dotdot.push_back(out.size());
      Action each = a;
      each.path = analyze::normalize_path(text, cwds[k], env.home, env.resolve_symlinks);
      if (each.path.empty()) each.path = cwds[k].empty() ? "/" : cwds[k];
      each.resource = each.path;
      each.summary = std::string(kind == Kind::FileRead     ? "read "
                                 : kind == Kind::FileDelete ? "delete "
                                                            : "write ") +
                     (each.opaque ? word : each.path);
      if (tree) mark_tree(each);
      if (tree && kind == Kind::FileRead) each.tree_scope = scope_now;
      out.push_back(std::move(each));
    }
  };
  // A file a command names; `{}` under find -exec is each file find
  // selects: every file beneath its roots, and those of the names it asks for.
  auto file = [&](Kind kind, const std::string& word, bool dynamic, bool tree = false) {
    // A process substitution is a pipe to a command analysed on its own. (It
    // keeps its place among the operands: `cp <(…) ~/.bashrc` writes ~/.bashrc.)
    if (dynamic && process_substitution(word)) return;
    if (word != "{}" || !found_now || found_now->empty()) return file_one(kind, word, dynamic, tree);
    // find's -name patterns select the files by name (labelled by it); with
    // none, or one that says nothing (`-name '*'`), every file beneath is
    // looked at.
    bool named = false, any = false;
    for (const auto& f : *found_now) {
      if (f.size() > 3 && f.compare(f.size() - 3, 3, "/**") == 0) continue;
      (any_name(std::string_view(f).substr(f.rfind('/') + 1)) ? any : named) = true;
    }
    const std::optional<TreeScope> scope = scope_now;
    for (const auto& f : *found_now) {
      const bool beneath = f.size() > 3 && f.compare(f.size() - 3, 3, "/**") == 0;
      // Beneath the roots: the files find selects (by name, when named),
      // each opened as what its link leads to. A file of a name: as the
      // command reads it (`-exec tar czf x {} +` takes a directory whole).
      scope_now = scope;
      if (beneath && named && !any) scope_now.reset();
      if (beneath && scope_now) scope_now->follow_links = true;
      file_one(kind, beneath ? f.substr(0, f.size() - 3) : f, false, tree || beneath);
    }
    scope_now = scope;
  };

  // What a glob argument matches: the absolute paths, or the word itself
  // (unescaped, relative as written) when nothing matches. Nullopt when it
  // cannot be decided: no expander, a directory unknown or unreadable, too
  // many names, or a name that would begin with `-` and so be an option.
  int globs_expanded = 0;
  //
  // Globs are decided only where the names they match now are the names
  // they will match: no shell option in the line changes how bash globs
  // (`shopt -s globstar nullglob nocaseglob`, `set`), and nothing else in
  // the line creates files first (`tar xf a.tar && cat out/*`). `**` is left
  // undecided (globstar); matching ignores case, as nocaseglob would.
  bool globs_decidable = static_cast<bool>(env.glob);
  for (const auto& c : sa.commands) {
    if (c.name == "shopt" || c.name == "set") globs_decidable = false;
  }
  // Commands that may create files; a glob is decided only in a command
  // line where no other command does.
  auto may_create = [](const analyze::SimpleCommand& c) {
    static const std::set<std::string_view> moving = {"cd", "pushd", "popd"};
    static const std::set<std::string_view> writing_readers = {"tar",     "unzip", "gunzip", "zcat",
                                                               "openssl", "gpg",   "sort"};
    Role r = role_of(c.name, c.args);
    return !((inert_whatever_args(c.name) && c.name != "mkdir") || moving.count(c.name) ||
             ((r == Role::Read || r == Role::ReadSkipFirst) && !writing_readers.count(c.name)));
  };
  size_t creators = 0;
  for (const auto& c : sa.commands) creators += may_create(c) ? 1 : 0;
  for (const auto& r : sa.redirections) {
    if (r.write && r.path != "/dev/null" && r.path != "/dev/stdout" && r.path != "/dev/stderr") globs_decidable = false;
  }
  size_t glob_entries = 0;  // directory entries looked at for the whole line
  // Sets `matched` when a name matched (rather than the word as written).
  auto expand_glob = [&](const std::string& pattern, bool& matched) -> std::optional<std::vector<std::string>> {
    matched = false;
    // (A pattern that starts with `-` is an option as written; what it
    // matches is checked like any other name below.)
    if (!globs_decidable || pattern.empty() || ++globs_expanded > 32 || pattern.find("**") != std::string::npos)
      return std::nullopt;
    std::vector<std::string> bases;  // directories the pattern is relative to; {""} for an absolute one
    std::string rest = pattern;
    bool relative = false;
    if (pattern[0] == '/') {
      bases = {""};
    } else if (pattern == "~" || pattern.rfind("~/", 0) == 0) {
      bases = {env.home};
      rest = pattern.substr(1);
    } else if (pattern[0] == '~') {
      return std::nullopt;  // ~user
    } else {
      if (cwd_unknown) return std::nullopt;
      bases = cwds;
      rest = "/" + pattern;
      relative = true;
    }
    std::vector<std::string> paths;
    for (const auto& base : bases) {
      std::string b = base == "/" ? "" : base;
      GlobMatches m = env.glob(glob_escape(b) + rest);
      glob_entries += m.scanned;
      if (!m.complete || glob_entries > 40'000) return std::nullopt;
      for (auto& p : m.paths) {
        if (relative && p.size() > b.size() + 1 && p[b.size() + 1] == '-') return std::nullopt;
        paths.push_back(std::move(p));
      }
    }
    std::sort(paths.begin(), paths.end());
    paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
    matched = !paths.empty();
    if (paths.empty()) {
      std::string word;
      for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '\\' && i + 1 < pattern.size()) ++i;
        word += pattern[i];
      }
      paths.push_back(std::move(word));
    }
    return paths;
  };

  // A program whose arguments Tollgate does not model may read any file
  // it is given: each argument that could name one is a read, decided only
  // if it holds credentials (Action::incidental) — `paste`, `perl -ne`,
  // `git config --file`, `curl file://…` on ~/.ssh or ~/.aws read them.
  // Programs that use credentials without printing them are left alone,
  // and git's own ways of printing a file are reads of it outright.
  auto incidental_reads = [&](const analyze::SimpleCommand& c,
                              const std::vector<std::pair<size_t, std::vector<std::string>>>& globbed) {
    static const std::set<std::string_view> consumers = {
        "ssh",       "scp",     "sftp",   "ssh-add", "ssh-keygen", "ssh-copy-id", "sshfs",  "autossh",
        "mosh",      "kubectl", "helm",   "oc",      "k9s",        "kubectx",     "kubens", "minikube",
        "kind",      "docker",  "podman", "gcloud",  "aws",        "az",          "gh",     "glab",
        "terraform", "npm",     "yarn",   "pnpm",    "pip",        "pip3",        "twine",  "cargo"};
    if (c.name.empty() || inert_whatever_args(c.name) || consumers.count(c.name)) return;
    const bool git = c.name == "git";
    // Code given inline (`perl -ne '…' F`, `python3 -c '…' F`, `node -e`,
    // `ruby -pe`, `php -r`) reads what follows it as the code pleases:
    // those operands are reads outright, the code word none.
    const std::optional<size_t> code_at = inline_code_at(c);
    const bool inline_code = code_at.has_value();
    const size_t code_word = code_at.value_or(SIZE_MAX);
    const bool perlish = c.name == "perl" || c.name == "ruby";
    // `perl -pi -e …`, `ruby -i.bak -pe …` edit their operands in place.
    bool in_place = false;
    for (const auto& w : c.args) {
      if (w == "--") break;
      if (perlish && w.size() > 1 && w[0] == '-' && w[1] != '-') {
        size_t i_at = w.find('i', 1), e_at = w.find_first_of("eE", 1);
        in_place = in_place || (i_at != std::string::npos && (e_at == std::string::npos || i_at < e_at));
      }
    }
    std::string sub;
    bool no_index = false, untracked = false;
    // git's operands are taken in the directory -C or --work-tree names.
    std::string git_dir;
    for (size_t i = 0; i < c.args.size(); ++i) {
      const std::string& w = c.args[i];
      bool value = i > 0 && sub.empty() &&
                   (c.args[i - 1] == "-C" || c.args[i - 1] == "-c" || c.args[i - 1] == "--work-tree" ||
                    c.args[i - 1] == "--git-dir");  // git's global options
      if (git && sub.empty() && value && c.args[i - 1] != "-c" && c.args[i - 1] != "--git-dir")
        git_dir = git_dir.empty() || w.empty() || w[0] == '/' || w[0] == '~' ? w : git_dir + "/" + w;
      if (git && sub.empty() && w.rfind("--work-tree=", 0) == 0) git_dir = w.substr(12);
      if (sub.empty() && !is_option(w) && !value) sub = w;
      no_index = no_index || w == "--no-index";
      untracked = untracked || w == "--untracked";
      // A path outside the repository makes `git diff` compare files (`git diff /dev/null .env`).
      if (git && sub == "diff" && w != sub && !w.empty() && (w[0] == '/' || w[0] == '~')) no_index = true;
    }
    const bool httpie = c.name == "http" || c.name == "https" || c.name == "xh" || c.name == "xhs";
    // One word, or one name a glob matched (as written, absolute).
    auto one = [&](size_t i, std::string w) {
      bool definite = inline_code && i > code_word && !is_option(w);
      // `node --env-file=.env -e '…'`: the environment the code is given
      // comes from the file, and the code is the agent's own.
      const bool env_file = w.rfind("--env-file", 0) == 0 || (i > 0 && c.args[i - 1].rfind("--env-file", 0) == 0 &&
                                                              c.args[i - 1].find('=') == std::string::npos);
      if (env_file && (inline_code || c.stdin_seen)) definite = true;
      if (w.rfind("--", 0) == 0) {
        auto eq = w.find('=');
        if (eq == std::string::npos) return;
        w = w.substr(eq + 1);
      } else if (is_option(w)) {
        return;
      }
      if (auto uri = file_uri_path(w)) {
        w = *uri;
      } else if (git && (sub == "show" || sub == "cat-file") && w != sub && w.find(':') != std::string::npos &&
                 w.find("://") == std::string::npos) {
        w = w.substr(w.rfind(':') + 1);  // REV:PATH prints PATH as it was
        definite = true;
      } else if (auto at = w.find("=@"); at != std::string::npos) {
        w = w.substr(at + 2);
      } else if (!w.empty() && w[0] == '@') {
        w = w.substr(1);
      } else if (auto field = w.find('@'); httpie && field != std::string::npos && w.find("://") == std::string::npos) {
        w = w.substr(field + 1);  // httpie's `field@FILE` uploads FILE
        definite = true;
      }
      if (!git_dir.empty() && w != sub && !w.empty() && w[0] != '/' && w[0] != '~') w = git_dir + "/" + w;
      if (git && sub == "diff" && no_index && w != sub) definite = true;
      // What git stores (add, hash-object) it reads; staging a secret is
      // the first step of committing and printing it.
      if (git && (sub == "add" || sub == "hash-object" || sub == "stage") && w != sub) definite = true;
      if (w.empty() || w.find("://") != std::string::npos || (git && w == sub && !definite)) return;
      size_t first = out.size();
      // Directories `git diff --no-index` compares are read whole.
      file(in_place && definite ? Kind::FileWrite : Kind::FileRead, w, false, git && sub == "diff" && no_index);
      for (size_t k = first; k < out.size(); ++k) out[k].incidental = !definite;
    };
    // `git grep --no-index`/`--untracked` searches the files beneath its
    // paths (the directory it runs in when it names none), not git's.
    if (git && sub == "grep" && (no_index || untracked)) {
      std::vector<std::pair<std::string, bool>> paths;
      bool past_sub = false, pattern_given = false, pattern_skipped = false;
      for (size_t i = 0; i < c.args.size(); ++i) {
        const std::string& w = c.args[i];
        if (!past_sub) {
          past_sub = w == sub;
          continue;
        }
        if (w == "-e" || w == "-f" || w.rfind("--regexp", 0) == 0 || w.rfind("--file", 0) == 0) pattern_given = true;
        // Options whose value is the next word: a pattern, a file of them, a count.
        static const std::set<std::string_view> takes_value = {"-e",
                                                               "-f",
                                                               "-A",
                                                               "-B",
                                                               "-C",
                                                               "-m",
                                                               "--max-depth",
                                                               "--threads",
                                                               "--max-count",
                                                               "--regexp",
                                                               "--file",
                                                               "--after-context",
                                                               "--before-context",
                                                               "--context"};
        if (takes_value.count(w)) {
          ++i;
          continue;
        }
        if (is_option(w) || w == "--") continue;
        if (!pattern_given && !pattern_skipped) {
          pattern_skipped = true;  // the pattern
          continue;
        }
        paths.emplace_back(git_dir.empty() || w[0] == '/' || w[0] == '~' ? w : git_dir + "/" + w, is_dynamic(c, i));
      }
      if (paths.empty()) paths.emplace_back(git_dir.empty() ? "." : git_dir, false);
      for (const auto& [p, dyn] : paths) file(Kind::FileRead, p, dyn, true);
    }
    for (size_t i = 0; i < c.args.size(); ++i) {
      if (i == code_word) continue;
      if (!is_dynamic(c, i) || (c.args[i] == "{}" && !c.found.empty())) {
        one(i, c.args[i]);
        continue;
      }
      auto g = std::find_if(globbed.begin(), globbed.end(), [&](const auto& x) { return x.first == i; });
      if (g != globbed.end())
        for (const auto& p : g->second) one(i, p);
    }
  };

  // Files named by option values, in every spelling (`--files0-from=F`,
  // `--files0-from F`, `-TF`/`-T F`): lists of names or patterns a program
  // reads (and prints back in its errors), files it writes; where archives
  // are extracted; find's output files.
  auto option_file_actions = [&](const analyze::SimpleCommand& c) {
    struct FileOpt {
      std::string_view program, shorts, longs;  // shorts: the one-letter options; longs: space-separated
      Kind kind;
    };
    static const FileOpt file_opts[] = {
        {"wc", "", "--files0-from", Kind::FileRead},
        {"du", "", "--files0-from", Kind::FileRead},
        {"sort", "", "--files0-from --random-source", Kind::FileRead},
        {"file", "f", "--files-from --magic-file", Kind::FileRead},
        {"diff", "", "--from-file --to-file --exclude-from", Kind::FileRead},
        {"tar", "TX", "--files-from --exclude-from --add-file", Kind::FileRead},
        {"rsync", "", "--files-from --exclude-from --include-from", Kind::FileRead},
        {"iconv", "o", "--output", Kind::FileWrite},
        {"shuf", "o", "--output", Kind::FileWrite},
        {"zstd", "o", "", Kind::FileWrite},
        {"openssl", "", "-out -keyout", Kind::FileWrite},
        {"openssl", "",
         "-in -inkey -kfile -passin -key -CAkey -signkey -CA -cert -config -sign -signer -CAfile -keyfile -queryfile "
         "-prvkey",
         Kind::FileRead},
        {"openssl", "", "-writerand", Kind::FileWrite},
        {"git", "F", "--file", Kind::FileRead},  // git commit -F MSG
    };
    // A list read from standard input names files Tollgate never sees
    // (`find ~ … | tar -czf x.tgz -T -`).
    auto named = [&](Kind kind, const std::string& word, bool dynamic) {
      if (kind == Kind::FileRead && (word == "-" || word == "/dev/stdin"))
        file(kind, "(the files named on standard input)", true);
      else
        file(kind, word, dynamic);
    };
    for (const auto& fo : file_opts) {
      if (fo.program != c.name && !(fo.program == "tar" && (c.name == "gtar" || c.name == "bsdtar"))) continue;
      for (size_t i = 0; i < c.args.size(); ++i) {
        const std::string& w = c.args[i];
        if (w == "--") break;
        std::string_view longs = fo.longs;
        bool matched = false;
        for (size_t at = 0; at < longs.size();) {
          size_t end = longs.find(' ', at);
          std::string_view l = longs.substr(at, end == std::string_view::npos ? end : end - at);
          at = end == std::string_view::npos ? longs.size() : end + 1;
          const std::string_view opt = std::string_view(w).substr(0, w.find('='));
          // `--exclude=PATTERN` is an option of its own, no abbreviation of
          // `--exclude-from`.
          if (opt == "--exclude" || opt == "--include") continue;
          if (opt != l && !long_option_is(w, l)) continue;
          matched = true;
          if (w.find('=') != std::string::npos) {
            named(fo.kind, w.substr(w.find('=') + 1), is_dynamic(c, i));
          } else if (i + 1 < c.args.size()) {
            named(fo.kind, c.args[i + 1], is_dynamic(c, i + 1));
          }
        }
        if (matched || fo.shorts.empty() || w.size() < 2 || w[0] != '-' || w[1] == '-') continue;
        size_t k = w.find_first_of(fo.shorts, 1);
        if (k == std::string::npos) continue;
        if (k + 1 < w.size()) {
          named(fo.kind, w.substr(k + 1), is_dynamic(c, i));
        } else if (i + 1 < c.args.size()) {
          named(fo.kind, c.args[i + 1], is_dynamic(c, i + 1));
        }
      }
    }
    // A list of names read from a file (`tar -cf - -T list`, `rsync
    // --files-from=list`): each name in it is read (a directory whole, as
    // the operands are); a list that cannot be read (or of more than 256
    // names) leaves them unknown.
    if (c.name == "tar" || c.name == "gtar" || c.name == "bsdtar" || c.name == "rsync") {
      for (size_t i = 0; i < c.args.size(); ++i) {
        const std::string& w = c.args[i];
        if (w == "--") break;
        std::optional<std::string> list;
        size_t at = i + 1;  // the word that holds it
        if (abbreviates(w, "--files-from") && w.find('=') != std::string::npos) {
          list = w.substr(w.find('=') + 1);
          at = i;
        }
        if ((abbreviates(w, "--files-from") && w.find('=') == std::string::npos) || (c.name != "rsync" && w == "-T"))
          list = i + 1 < c.args.size() ? c.args[i + 1] : std::string();
        if (c.name != "rsync" && w.size() > 2 && w.rfind("-T", 0) == 0) {
          list = w.substr(2);
          at = i;
        } else if (c.name != "rsync" && w.find('T') != std::string::npos &&
                   ((w.size() > 2 && w[0] == '-' && w[1] != '-') || (i == 0 && !w.empty() && w[0] != '-'))) {
          // T in a cluster (`-czT list`, `cvzfT x.tgz list`): which word is
          // its list depends on the letters before it; not known.
          file(Kind::FileRead, "(the files named in a list given to " + c.name + " " + w + ")", true);
          continue;
        }
        if (!list || *list == "-" || *list == "/dev/stdin") continue;
        std::optional<std::vector<std::string>> names;
        // rsync takes the names beneath its source; `--null` lists are split
        // on NULs: neither is read here.
        const bool nul = std::any_of(c.args.begin(), c.args.end(),
                                     [](const std::string& a) { return a == "--null" || a == "-0" || a == "--from0"; });
        if (env.read_script && c.name != "rsync" && !nul && !list->empty() && at < c.args.size() &&
            !is_dynamic(c, at) && !cwd_unknown) {
          ScriptFile f = env.read_script(analyze::normalize_path(*list, env.cwd, env.home, env.resolve_symlinks));
          if (f.state == ScriptFile::State::Text) {
            names.emplace();
            for (size_t pos = 0; pos < f.text.size() && names;) {
              size_t nl = std::min(f.text.find('\n', pos), f.text.size());
              std::string n = f.text.substr(pos, nl - pos);
              pos = nl + 1;
              if (!n.empty() && n.back() == '\r') n.pop_back();
              if (n.empty()) continue;
              // A line that is an option (`-C DIR`) changes what the next ones are.
              if (names->size() >= 256 || n[0] == '-')
                names.reset();
              else
                names->push_back(std::move(n));
            }
          }
        }
        if (!names) {
          file(Kind::FileRead, "(the files named in " + *list + ")", true);
          continue;
        }
        const bool whole = whole_operands(c.name, c.args) || c.name != "rsync";
        for (const auto& n : *names) file(Kind::FileRead, n, false, whole);
      }
    }
    // A container given a directory can print all of it: bind mounts
    // (`-v ~/.aws:/root/.aws`, `--mount type=bind,src=…`) and `docker cp`
    // from the host read their source whole. Named volumes are no files.
    if (c.name == "docker" || c.name == "podman" || c.name == "nerdctl") {
      auto host_path = [](std::string_view p) {
        return !p.empty() && (p[0] == '/' || p[0] == '~' || p[0] == '.' || p[0] == '$');
      };
      bool copy = false;
      for (size_t i = 0; i < c.args.size(); ++i) {
        const std::string& w = c.args[i];
        std::optional<std::pair<std::string, bool>> spec;
        bool mount = false;
        if ((w == "-v" || w == "--volume" || w == "--mount") && i + 1 < c.args.size()) {
          spec = std::pair{c.args[i + 1], is_dynamic(c, i + 1)};
          mount = w == "--mount";
          ++i;
        } else if (w.rfind("--volume=", 0) == 0 || w.rfind("--mount=", 0) == 0) {
          spec = std::pair{w.substr(w.find('=') + 1), is_dynamic(c, i)};
          mount = w[2] == 'm';
        } else if (w.size() > 2 && w.rfind("-v", 0) == 0) {
          spec = std::pair{w.substr(2), is_dynamic(c, i)};
        } else if ((w == "-o" || w == "--opt") && i + 1 < c.args.size() && c.args[i + 1].rfind("device=", 0) == 0) {
          // `docker volume create -o o=bind -o device=DIR`: a volume that is DIR.
          if (host_path(c.args[i + 1].substr(7)))
            file(Kind::FileRead, c.args[i + 1].substr(7), is_dynamic(c, i + 1), true);
          ++i;
          continue;
        } else if (!is_option(w) && (w == "cp" || copy)) {
          if (copy && w.find(':') == std::string::npos) file(Kind::FileRead, w, is_dynamic(c, i), true);
          copy = true;
          continue;
        } else {
          continue;
        }
        std::string src;
        if (mount) {
          for (size_t at = 0; at < spec->first.size();) {
            size_t end = std::min(spec->first.find(',', at), spec->first.size());
            std::string_view kv = std::string_view(spec->first).substr(at, end - at);
            if (kv.rfind("source=", 0) == 0 || kv.rfind("src=", 0) == 0) src = std::string(kv.substr(kv.find('=') + 1));
            // A local volume bound to a host directory (`volume-opt=device=/home/dev/.ssh`).
            if (kv.rfind("volume-opt=device=", 0) == 0) src = std::string(kv.substr(18));
            at = end + 1;
          }
        } else {
          src = spec->first.substr(0, spec->first.find(':'));
        }
        if (host_path(src)) file(Kind::FileRead, src, spec->second, true);
      }
    }
    // zip -@ and cpio -o/-p archive or copy the files named on standard input.
    if (c.name == "zip" && std::any_of(c.args.begin(), c.args.end(), [](const std::string& w) {
          return w == "--names-stdin" ||
                 (w.size() > 1 && w[0] == '-' && w[1] != '-' && w.find('@') != std::string::npos);
        }))
      named(Kind::FileRead, "-", false);
    if (c.name == "cpio" && std::none_of(c.args.begin(), c.args.end(), [](const std::string& w) {
          return w == "--extract" || w == "-t" || w == "--list" ||
                 (w.size() > 1 && w[0] == '-' && w[1] != '-' && w.find('i') != std::string::npos);
        }))
      named(Kind::FileRead, "-", false);
    // Where an archive is extracted is written whole: `tar -x -C ~`,
    // `unzip -d ~` put whatever the archive holds there.
    const bool is_tar = c.name == "tar" || c.name == "gtar" || c.name == "bsdtar";
    bool extracts = c.name == "unzip";
    std::vector<std::pair<std::string, bool>> into;
    for (size_t i = 0; i < c.args.size(); ++i) {
      const std::string& w = c.args[i];
      if (w == "--") break;
      if (is_tar && (w == "--extract" || w == "--get" ||
                     (((w.size() > 1 && w[0] == '-' && w[1] != '-') || (i == 0 && !w.empty() && w[0] != '-')) &&
                      w.find('x') != std::string::npos)))
        extracts = true;
      std::string_view dir_opt = is_tar ? "C" : c.name == "unzip" ? "d" : "";
      if (dir_opt.empty()) continue;
      if (is_tar && abbreviates(w, "--directory") && w.find('=') != std::string::npos) {
        into.emplace_back(w.substr(w.find('=') + 1), is_dynamic(c, i));
      } else if ((is_tar && abbreviates(w, "--directory")) || w == std::string("-") + std::string(dir_opt)) {
        if (i + 1 < c.args.size()) into.emplace_back(c.args[i + 1], is_dynamic(c, i + 1));
      } else if (w.size() > 2 && w[0] == '-' && w[1] != '-' && w.find(dir_opt[0], 1) != std::string::npos) {
        // In a cluster: `-CDIR`, `-cC/home/dev`, `-xzC dir`.
        size_t at = w.find(dir_opt[0], 1);
        if (at + 1 < w.size()) {
          into.emplace_back(w.substr(at + 1), is_dynamic(c, i));
        } else if (i + 1 < c.args.size()) {
          into.emplace_back(c.args[i + 1], is_dynamic(c, i + 1));
        }
      }
    }
    // Listing, testing or printing to stdout extracts nothing.
    for (size_t k = 0; k < c.args.size(); ++k) {
      const std::string& w = c.args[k];
      if (w == "--") break;
      // `O` in a cluster of letters, before the one that takes a value
      // (`-xOf a.tar`; not `-xfOld.tar`, whose archive is `Old.tar`).
      auto o_in_cluster = [&] {
        if (w.size() < 2 || (w[0] == '-' && w[1] == '-') || (w[0] != '-' && k != 0)) return false;
        for (size_t j = w[0] == '-' ? 1 : 0; j < w.size(); ++j) {
          if (w[j] == 'O') return true;
          if (std::strchr("fCTXbgKLNVH", w[j])) return false;
        }
        return false;
      };
      if (is_tar && (w == "--to-stdout" || o_in_cluster())) extracts = false;
      if (c.name == "unzip" && (w == "-l" || w == "-t" || w == "-p" || w == "-v" || w == "-z" || w == "-lv" ||
                                w == "-tq" || w.rfind("-Z", 0) == 0))
        extracts = false;
    }
    // With no directory named, the one the command runs in.
    if (extracts && into.empty()) file(Kind::FileWrite, ".", false, true);
    if (extracts && !into.empty())
      for (const auto& [d, dyn] : into) file(Kind::FileWrite, d, dyn, true);
    // tar -c takes its operands in the directory -C names.
    if (is_tar && !extracts && whole_operands(c.name, c.args)) {
      for (const auto& [d, dyn] : into)
        for (size_t i = 0; i < c.args.size(); ++i)
          if (!is_option(c.args[i]) && i > 0 && c.args[i - 1] != "-C" && c.args[i - 1] != "--directory" &&
              c.args[i - 1] != "-f" && c.args[i - 1] != "--file" && c.args[i] != d && !c.args[i].empty() &&
              c.args[i][0] != '/')
            file(Kind::FileRead, d + "/" + c.args[i], dyn || is_dynamic(c, i), true);
    }
    // find's -fprint/-fprint0/-fprintf/-fls write the file that follows.
    if (c.name == "find")
      for (size_t i = 0; i + 1 < c.args.size(); ++i)
        if (c.args[i] == "-fprint" || c.args[i] == "-fprint0" || c.args[i] == "-fprintf" || c.args[i] == "-fls")
          file(Kind::FileWrite, c.args[i + 1], is_dynamic(c, i + 1));
    // find -delete removes what it selects: beneath each root, whole.
    if (c.name == "find" && std::find(c.args.begin(), c.args.end(), "-delete") != c.args.end()) {
      size_t i = 0;
      while (i < c.args.size() &&
             (c.args[i] == "-H" || c.args[i] == "-L" || c.args[i] == "-P" || c.args[i].rfind("-O", 0) == 0))
        ++i;
      if (i < c.args.size() && c.args[i] == "-D") i += 2;
      bool any = false;
      for (; i < c.args.size(); ++i) {
        const std::string& w = c.args[i];
        if (!is_dynamic(c, i) && (is_option(w) || w == "(" || w == "!" || w == ",")) break;
        file(Kind::FileDelete, w, is_dynamic(c, i), true);
        any = true;
      }
      if (!any) file(Kind::FileDelete, ".", false, true);
      if (std::find(c.args.begin(), c.args.end(), "-files0-from") != c.args.end())
        file(Kind::FileDelete, "(the files named by -files0-from)", true);
    }
  };

  // Cloud and forge clients that upload local files (consumers of keys,
  // otherwise left alone) read what they send: `aws s3 cp|mv|sync`,
  // `gsutil`/`gcloud storage cp|mv|rsync`, `az storage blob upload(-batch)`,
  // `rclone copy|sync|move`, `gh gist create`, `gh release upload|create`
  // assets, `--body-file`/`--input` files, aws's `file://`/`fileb://`
  // parameters. A directory synced or copied recursively is read whole.
  // aws's `--endpoint-url` is where the request goes. An upload of local
  // files is also egress to the storage service's host (`<bucket>.s3.
  // amazonaws.com`, `storage.googleapis.com`, `<account>.blob.core.
  // windows.net`, the forge); an rclone remote's host is not known here.
  auto upload_actions = [&](const analyze::SimpleCommand& c) {
    const std::string& n = c.name;
    if (n != "aws" && n != "gsutil" && n != "gcloud" && n != "az" && n != "rclone" && n != "gh") return;
    std::vector<size_t> operands;  // positions of words that are no options
    for (size_t i = 0; i < c.args.size(); ++i)
      if (!is_option(c.args[i])) operands.push_back(i);
    auto word = [&](size_t k) -> const std::string& { return c.args[operands[k]]; };
    auto has = [&](std::string_view o) { return std::find(c.args.begin(), c.args.end(), o) != c.args.end(); };
    const bool recursive = has("--recursive") || has("-r") || has("-R");
    auto local = [](const std::string& w) {
      return !w.empty() && w.find("://") == std::string::npos && w != "-" &&
             (w.find(':') == std::string::npos || w[0] == '/' || w[0] == '.' || w[0] == '~');
    };
    bool sends = false;  // a local file (or standard input) is sent
    auto read_local = [&](size_t k, bool whole) {
      if (k < operands.size() && word(k) == "-") sends = true;  // `aws s3 cp - s3://…`: what the pipe holds
      if (k < operands.size() && local(word(k))) {
        file(Kind::FileRead, word(k), is_dynamic(c, operands[k]), whole);
        sends = true;
      }
    };
    bool endpoint = false;  // aws --endpoint-url: the fetch is that host's
    auto send_to = [&](const std::string& host, bool unknown) {
      Action f = fetch_action(host, {}, tool);
      f.opaque = unknown;
      f.full_command = full;
      out.push_back(std::move(f));
    };
    // Options whose value is a file sent.
    for (size_t i = 0; i + 1 <= c.args.size(); ++i) {
      const std::string& w = c.args[i];
      for (std::string_view pre : {"file://", "fileb://"})
        if (auto at = w.find(pre); at != std::string::npos) {
          file(Kind::FileRead, w.substr(at + pre.size()), is_dynamic(c, i));
          sends = true;
        }
      if (i + 1 < c.args.size() && (w == "--body-file" || w == "--input" || w == "--file" || w == "-F" ||
                                    (n == "az" && w == "--source") || (n == "aws" && w == "--body"))) {
        std::string v = c.args[i + 1];
        if (w == "-F") {  // gh api -F field=@file
          auto at = v.find("=@");
          if (at == std::string::npos) continue;
          v = v.substr(at + 2);
        }
        file(Kind::FileRead, v, is_dynamic(c, i + 1), w == "--source");
        sends = true;
      }
      if (n == "aws" && (w == "--endpoint-url" || w.rfind("--endpoint-url=", 0) == 0)) {
        endpoint = true;
        std::string url = w.find('=') != std::string::npos ? w.substr(w.find('=') + 1)
                          : i + 1 < c.args.size()          ? c.args[i + 1]
                                                           : std::string();
        auto u = analyze::parse_url(url);
        Action f = fetch_action(u && !u->host.empty() ? u->host : "unknown", {url}, tool);
        if (!u || u->host.empty() || is_dynamic(c, i) || (i + 1 < c.args.size() && is_dynamic(c, i + 1)))
          f.opaque = true;
        f.full_command = full;
        out.push_back(std::move(f));
      }
    }
    auto sub_is = [&](size_t k, std::string_view v) { return k < operands.size() && word(k) == v; };
    if (n == "aws" && sub_is(0, "s3") && operands.size() >= 4 &&
        (sub_is(1, "cp") || sub_is(1, "mv") || sub_is(1, "sync")))
      read_local(2, recursive || sub_is(1, "sync"));
    if ((n == "gsutil" && (sub_is(0, "cp") || sub_is(0, "mv") || sub_is(0, "rsync"))) ||
        (n == "gcloud" && sub_is(0, "storage") && (sub_is(1, "cp") || sub_is(1, "mv") || sub_is(1, "rsync")))) {
      const size_t from = n == "gsutil" ? 1 : 2;
      for (size_t k = from; k + 1 < operands.size(); ++k) read_local(k, recursive || sub_is(from - 1, "rsync"));
    }
    if (n == "rclone" && operands.size() >= 3 &&
        (sub_is(0, "copy") || sub_is(0, "sync") || sub_is(0, "move") || sub_is(0, "copyto") || sub_is(0, "moveto")))
      read_local(1, !sub_is(0, "copyto") && !sub_is(0, "moveto"));
    if (n == "gh" && sub_is(0, "gist") && sub_is(1, "create"))
      for (size_t k = 2; k < operands.size(); ++k) read_local(k, false);
    if (n == "gh" && sub_is(0, "release") && (sub_is(1, "upload") || sub_is(1, "create")))
      for (size_t k = 3; k < operands.size(); ++k) read_local(k, false);  // after the tag
    if (!sends) return;
    // Where it goes: the bucket named by the last `s3://`/`gs://` operand
    // or by aws's `--bucket`, the storage account, the forge.
    auto value_of = [&](std::string_view opt) -> std::optional<size_t> {
      for (size_t i = 0; i < c.args.size(); ++i) {
        if (c.args[i] == opt && i + 1 < c.args.size()) return i + 1;
      }
      return std::nullopt;
    };
    if (n == "aws" && !endpoint) {
      std::string bucket;
      bool unknown = false;
      for (size_t k = 0; k < operands.size(); ++k) {
        if (word(k).rfind("s3://", 0) == 0) {
          bucket = word(k).substr(
              5, word(k).find('/', 5) == std::string::npos ? std::string::npos : word(k).find('/', 5) - 5);
          unknown = is_dynamic(c, operands[k]);
        }
      }
      if (auto v = value_of("--bucket")) {
        bucket = c.args[*v];
        unknown = is_dynamic(c, *v);
      }
      if (!bucket.empty()) {
        send_to(bucket + ".s3.amazonaws.com", unknown);
      } else {
        send_to("amazonaws.com", false);  // lambda payloads, SQS bodies…: some AWS service
      }
    } else if (n == "gsutil" || n == "gcloud") {
      send_to("storage.googleapis.com", false);
    } else if (n == "az") {
      auto v = value_of("--account-name");
      send_to(v ? c.args[*v] + ".blob.core.windows.net" : std::string("blob.core.windows.net"), v && is_dynamic(c, *v));
    } else if (n == "rclone") {
      send_to("unknown", true);
    } else if (n == "gh") {
      send_to(sub_is(0, "gist") ? "gist.github.com" : "api.github.com", false);
    }
  };

  // patch [OPTIONS] [FILE [PATCHFILE]]: FILE is written; with none, the
  // files the diff names, beneath the directory it runs in (GNU patch
  // refuses absolute names and `..`), so that directory is written whole.
  auto patch_actions = [&](const analyze::SimpleCommand& c) {
    struct Opt {
      std::string_view shortname, longname;
      std::optional<Kind> kind;  // the file the value names; nullopt: a value that is no file
    };
    static const Opt opts[] = {{"-i", "--input", Kind::FileRead},         {"-o", "--output", Kind::FileWrite},
                               {"-r", "--reject-file", Kind::FileWrite},  {"-d", "--directory", std::nullopt},
                               {"-p", "--strip", std::nullopt},           {"-B", "--prefix", std::nullopt},
                               {"-D", "--ifdef", std::nullopt},           {"-F", "--fuzz", std::nullopt},
                               {"-V", "--version-control", std::nullopt}, {"-z", "--suffix", std::nullopt},
                               {"-Y", "--basename-prefix", std::nullopt}, {"-g", "--get", std::nullopt}};
    std::vector<std::pair<std::string, bool>> operands;
    std::optional<std::pair<std::string, bool>> dir, output;
    bool dry = false, options_done = false;
    for (size_t i = 0; i < c.args.size(); ++i) {
      const std::string& w = c.args[i];
      if (!options_done && w == "--") {
        options_done = true;
        continue;
      }
      if (options_done || !is_option(w)) {
        operands.emplace_back(w, is_dynamic(c, i));
        continue;
      }
      dry = dry || w == "--dry-run" || w == "--check";
      for (const auto& o : opts) {
        std::optional<std::pair<std::string, bool>> value;
        if (w == o.shortname || w == o.longname) {
          if (i + 1 < c.args.size()) value = std::pair{c.args[i + 1], is_dynamic(c, i + 1)};
          ++i;
        } else if (w.rfind(std::string(o.longname) + "=", 0) == 0) {
          value = std::pair{w.substr(o.longname.size() + 1), is_dynamic(c, i)};
        } else if (w.size() > 2 && w[1] != '-' && w.compare(0, 2, o.shortname) == 0) {
          value = std::pair{w.substr(2), is_dynamic(c, i)};
        } else {
          continue;
        }
        if (value && o.shortname == "-d") dir = value;
        if (value && o.shortname == "-o") output = value;
        if (value && o.kind && !(o.shortname == "-o" && value->first == "-"))
          file(*o.kind, value->first, value->second);
        break;
      }
    }
    auto in_dir = [&](const std::pair<std::string, bool>& f) {
      if (!dir || f.first.empty() || f.first[0] == '/' || f.first[0] == '~') return f;
      return std::pair{dir->first + "/" + f.first, dir->second || f.second};
    };
    if (operands.size() > 1) file(Kind::FileRead, in_dir(operands[1]).first, in_dir(operands[1]).second);
    if (dry || output) return;
    if (!operands.empty()) {
      auto target = in_dir(operands[0]);
      file(Kind::FileWrite, target.first, target.second);
    } else {
      auto where = dir ? *dir : std::pair<std::string, bool>{".", false};
      file(Kind::FileWrite, where.first, where.second, true);
    }
  };

  // `git apply` and `git am` write the files their patches name in the
  // work tree (git refuses names outside it and in .git): the directory
  // they run in, or the one -C or --work-tree names, is written whole.
  auto worktree_writes = [&](const analyze::SimpleCommand& c) {
    if (c.name != "git") return;
    std::optional<std::pair<std::string, bool>> dir;
    std::string sub;
    size_t i = 0;
    for (; i < c.args.size() && sub.empty(); ++i) {
      const std::string& w = c.args[i];
      if (w == "-C" || w == "--work-tree") {
        if (i + 1 < c.args.size()) {
          auto next = std::pair{c.args[i + 1], is_dynamic(c, i + 1)};
          dir = dir && !next.first.empty() && next.first[0] != '/' && next.first[0] != '~'
                    ? std::pair{dir->first + "/" + next.first, dir->second || next.second}
                    : next;
        }
        ++i;
      } else if (w.rfind("--work-tree=", 0) == 0) {
        dir = std::pair{w.substr(12), is_dynamic(c, i)};
      } else if (w == "-c" || w == "--git-dir" || w == "--namespace") {
        ++i;
      } else if (!is_option(w)) {
        sub = w;
      }
    }
    if (sub != "apply" && sub != "am") return;
    std::optional<std::pair<std::string, bool>> root;  // --directory: prepended to every name
    bool unsafe = false;
    for (; i < c.args.size(); ++i) {
      const std::string& w = c.args[i];
      if (w == "--cached" || w == "--check" || w == "--stat" || w == "--numstat" || w == "--summary" ||
          w == "--show-files" || w == "--abort" || w == "--quit" || w == "--show-current-patch")
        return;
      unsafe = unsafe || w == "--unsafe-paths";
      if (w.rfind("--directory=", 0) == 0) root = std::pair{w.substr(12), is_dynamic(c, i)};
      if (w == "--directory" && i + 1 < c.args.size()) root = std::pair{c.args[i + 1], is_dynamic(c, i + 1)};
    }
    auto where = dir ? *dir : std::pair<std::string, bool>{".", false};
    if (root) {
      where = !root->first.empty() && (root->first[0] == '/' || root->first[0] == '~')
                  ? *root
                  : std::pair{where.first + "/" + root->first, where.second || root->second};
    }
    // --unsafe-paths lets a patch name files anywhere.
    file(Kind::FileWrite, unsafe ? "(the files a patch names)" : where.first, unsafe || where.second, true);
  };

  // Links this command line makes: a write through one, later on the
  // line, writes what it points at (`ln -sf ~/.bashrc x && echo … >> x`).
  // The link's own creation is no such write.
  std::vector<std::pair<std::string, std::string>> aliases;  // link, target (absolute)
  std::vector<std::pair<size_t, size_t>> ln_actions;         // what ln commands themselves did, in `out`
  std::optional<size_t> ln_from;
  auto alias = [&](const std::string& link, const std::string& target, bool symbolic) {
    const bool relative = !link.empty() && link[0] != '/' && link[0] != '~';
    if (link.empty() || target.empty() || (relative && cwd_unknown)) return;
    for (size_t k = 0; k < (relative ? cwds.size() : 1) && aliases.size() < 32; ++k) {
      std::string l = analyze::normalize_path(link, cwds[k], env.home, false);
      std::string t = analyze::normalize_path(target, symbolic ? parent_dir(l) : cwds[k], env.home, false);
      if (!l.empty() && !t.empty() && l != t) aliases.emplace_back(std::move(l), std::move(t));
    }
  };
  for (const auto& c : sa.commands) {
    found_now = &c.found;
    scope_now = tree_scope_of(c.name, c.args);
    if (ln_from) ln_actions.emplace_back(*ln_from, out.size());
    ln_from.reset();
    if (c.name == "ln") ln_from = out.size();
    Action a;
    a.kind = Kind::ShellExec;
    a.tool = std::string(tool);
    Role role = role_of(c.name, c.args);
    // A command opaque only for its arguments is understood when each of
    // them is harmless to it, or a glob decided on what it matches.
    std::vector<std::pair<size_t, std::vector<std::string>>> globbed;
    bool args_understood = !c.name.empty() && !c.opaque_beyond_args && !c.risky_args;
    if (c.opaque && args_understood && !inert_whatever_args(c.name)) {
      // A glob decides a word of another program too where it cannot
      // match a command word (`git *` could be `git push`): where it names
      // a directory (`src/*.ts`) or a kind of file (`test_*.py`).
      auto names_files = [](const std::string& pattern) {
        size_t wild = pattern.find_last_of("*?]");
        return pattern.find('/') != std::string::npos ||
               (wild != std::string::npos && pattern.find('.', wild) != std::string::npos);
      };
      // Words after a script file go to the script, which is read and
      // decided with what it is given (script_actions).
      size_t script_args = c.args.size();
      if (env.read_script) {
        for (const auto& run : sa.scripts)
          if (auto from = script_args_from(c, run)) script_args = std::min(script_args, *from);
      }
      for (size_t i : c.dynamic_args) {
        if (i >= script_args || process_substitution(c.args[i]) || (c.args[i] == "{}" && !c.found.empty())) continue;
        auto g = std::find_if(c.globs.begin(), c.globs.end(), [&](const analyze::GlobArg& x) { return x.arg == i; });
        std::optional<std::vector<std::string>> matches;
        bool matched = false;
        // (Not for shells and interpreters: their first file is the code they run.)
        const bool runs_files = analyze::runs_shell_code(c.name) || analyze::runs_other_code(c.name) ||
                                c.name == "deno" || c.name == "pwsh" || c.name == "osascript";
        if (g != c.globs.end() &&
            (role != Role::None || decided_on_glob_matches(c.name) || (names_files(g->pattern) && !runs_files)) &&
            creators <= (may_create(c) ? 1u : 0u))
          matches = expand_glob(g->pattern, matched);
        if (!matches) {
          args_understood = false;
          break;
        }
        // With nullglob a glob that matches nothing is no word at all, which
        // moves a copy's destination (`cp payload ~/.bashrc zz*`): decided
        // as written only where the position of a word does not matter.
        if (!matched &&
            (role == Role::CopyLike || role == Role::MoveLike || c.name == "cp" || c.name == "mv" || c.name == "ln" ||
             c.name == "install" || c.name == "chmod" || c.name == "chown" || c.name == "chgrp")) {
          args_understood = false;
          break;
        }
        globbed.emplace_back(i, std::move(*matches));
      }
    }
    a.opaque = c.name.empty() || (c.opaque && !args_understood);
    // Arguments from xargs are unknown, which matters when they are files
    // whose content the program reveals or changes; counting lines or
    // hashing them does neither.
    static const std::set<std::string_view> harmless_with_xargs = {
        "wc", "ls", "stat", "file", "du", "md5sum", "sha1sum", "sha256sum", "sha512sum", "echo", "basename", "dirname"};
    if (a.opaque && !c.name.empty() && harmless_with_xargs.count(c.name) &&
        std::find(c.wrappers.begin(), c.wrappers.end(), "xargs") != c.wrappers.end())
      a.opaque = false;
    a.download_exec = sa.download_exec;
    a.full_command = full;
    CommandInfo ci;
    ci.program = c.program;
    ci.name = c.name.empty() ? "?" : c.name;
    ci.args = c.args;
    ci.wrappers = c.wrappers;
    ci.line = c.program;
    for (const auto& arg : c.args) ci.line += " " + arg;
    for (const auto& arg : c.args) {
      if (arg == "--") break;
      if (is_option(arg)) {
        if (arg.size() > 2 && arg[1] != '-') {
          for (size_t i = 1; i < arg.size() && std::isalnum(static_cast<unsigned char>(arg[i])); ++i)
            ci.flags.push_back(std::string("-") + arg[i]);
        } else {
          ci.flags.push_back(arg.substr(0, arg.find('=')));
        }
      } else if (ci.subcommand.empty()) {
        ci.subcommand = arg;
      }
    }
    // A shell or interpreter started with nothing to run reads its program
    // from input Tollgate never sees (Codex's write_stdin has no hook).
    static const std::set<std::string_view> interactive = {
        "bash",    "sh",    "zsh",     "dash",      "ksh",     "fish", "csh",   "tcsh", "python",
        "python3", "node",  "irb",     "ruby",      "perl",    "php",  "lua",   "R",    "ghci",
        "psql",    "mysql", "sqlite3", "redis-cli", "mongosh", "ssh",  "telnet"};
    // Shells and the interpreters whose code the analyser reads take a
    // program on standard input that it saw (`python3 <<'EOF' … EOF`,
    // `bash < setup.sh`) as they take one given by name.
    static const std::set<std::string_view> reads_stdin_program = {"bash",   "sh",      "zsh",  "dash", "ksh",
                                                                   "python", "python3", "node", "ruby", "perl"};
    if (interactive.count(ci.name) && !(c.stdin_seen && reads_stdin_program.count(ci.name))) {
      bool has_operand = false;
      for (const auto& arg : c.args) {
        has_operand = has_operand || !is_option(arg) || arg == "-c" || arg == "-e";
        // Asked for its version or help, it prints that and exits.
        if (arg == "--version" || arg == "-V" || arg == "--help" || arg == "-h" ||
            (arg == "-v" && ci.name != "ssh" && ci.name != "telnet"))
          has_operand = true;
        // `node --test` runs the project's test files, `node --run` a package.json script.
        if (ci.name == "node" && (arg == "--test" || arg.rfind("--run", 0) == 0)) has_operand = true;
      }
      if (!has_operand) a.opaque = true;
    }
    a.resource = ci.name;
    a.summary = ci.line.size() > 200 ? ci.line.substr(0, 200) + "…" : ci.line;
    a.command = std::move(ci);
    out.push_back(std::move(a));

    // A command that prints a tool's stored credentials reads them; one
    // that prints the environment, or a variable named like a credential,
    // reads the process's environment.
    if (auto store = credential_store(c)) file(Kind::FileRead, *store, false);
    // (Not /proc/self: the daemon would resolve that to its own process.)
    if (prints_environment(c)) file(Kind::FileRead, "/proc/self/environ", false);

    // Files named by option values: what `sort -o` writes, and the archive
    // `tar -c`/`-r`/`-u` writes (`-x`/`-t` read it). The word is no operand.
    size_t option_file = std::string::npos;
    if (c.name == "sort" || c.name == "tar" || c.name == "gtar" || c.name == "bsdtar") {
      const bool is_tar = c.name != "sort";
      bool writes = !is_tar;
      std::optional<std::pair<std::string, bool>> named;
      for (size_t i = 0; i < c.args.size(); ++i) {
        const std::string& w = c.args[i];
        if (w == "--") break;
        std::string_view flag = is_tar ? "f" : "o";
        std::string_view longname = is_tar ? "--file" : "--output";
        if (is_tar && (w == "--create" || w == "--append" || w == "--update" || w == "--concatenate")) writes = true;
        const bool is_long = long_option_is(w, longname, 5);
        if (is_long && w.find('=') != std::string::npos) {
          named = std::pair{w.substr(w.find('=') + 1), is_dynamic(c, i)};
        } else if (is_long && i + 1 < c.args.size()) {
          named = std::pair{c.args[i + 1], is_dynamic(c, i + 1)};
          option_file = i + 1;
        } else if ((w.size() > 1 && w[0] == '-' && w[1] != '-') || (is_tar && i == 0 && !w.empty() && w[0] != '-')) {
          // A cluster (`-czf`, or tar's old `czf`): the value follows it,
          // or the rest of it (`-oout.txt`).
          size_t start = w[0] == '-' ? 1 : 0;
          if (is_tar && w.find_first_of("cruA", start) != std::string::npos) writes = true;
          size_t at = w.find(flag[0], start);
          if (at == std::string::npos) continue;
          if (at + 1 < w.size() && !is_tar) {
            named = std::pair{w.substr(at + 1), is_dynamic(c, i)};
          } else if (i + 1 < c.args.size()) {
            named = std::pair{c.args[i + 1], is_dynamic(c, i + 1)};
            option_file = i + 1;
          }
        }
      }
      if (named && named->first != "-") file(writes ? Kind::FileWrite : Kind::FileRead, named->first, named->second);
    }

    option_file_actions(c);
    upload_actions(c);
    if (c.name == "patch") {
      patch_actions(c);
      continue;
    }
    worktree_writes(c);

    // The files the program's operands name.
    if (role == Role::None) {
      incidental_reads(c, globbed);
      continue;
    }
    const bool whole = whole_operands(c.name, c.args);
    std::vector<std::pair<std::string, bool>> operands;  // word, dynamic
    bool options_done = false;
    // A pattern or script given by an option (`grep -e P`, `--regexp=P`,
    // `sed -ep`, `awk -f prog`): then the first operand is a file too. A
    // pattern or script file given so is read.
    bool pattern_by_option = false;
    const bool awk = c.name == "awk" || c.name == "gawk" || c.name == "mawk" || c.name == "nawk";
    const bool jqish = c.name == "jq" || c.name == "gojq" || c.name == "jaq" || c.name == "yq";
    const bool pattern_first =
        role == Role::ReadSkipFirst ||
        ((c.name == "sed" || c.name == "awk" || c.name == "gawk" || c.name == "yq") && role == Role::Write);
    bool jq_args = false;       // jq --args: the words after the filter are no files
    bool zip_patterns = false;  // in zip's -x/-i list
    for (size_t i = 0; i < c.args.size(); ++i) {
      const std::string& w = c.args[i];
      if (!options_done && w == "--") {
        options_done = true;
        continue;
      }
      if (!options_done && jqish && is_option(w)) {
        // jq's options: a filter file, named arguments, files bound to names.
        if (w == "-f" || w == "--from-file") {
          pattern_by_option = true;
          if (i + 1 < c.args.size()) file(Kind::FileRead, c.args[i + 1], is_dynamic(c, i + 1));
          ++i;
        } else if (w == "--slurpfile" || w == "--rawfile") {
          if (i + 2 < c.args.size()) file(Kind::FileRead, c.args[i + 2], is_dynamic(c, i + 2));
          i += 2;
        } else if (w == "--arg" || w == "--argjson") {
          i += 2;
        } else if (w == "--indent" || w == "-L" ||
                   (c.name == "yq" && (w == "-o" || w == "--output-format" || w == "-p" || w == "--input-format" ||
                                       w == "--front-matter"))) {
          ++i;
        } else if (w == "--args" || w == "--jsonargs") {
          jq_args = true;
        }
        continue;
      }
      if (!options_done && pattern_first && is_option(w)) {
        static const std::set<std::string_view> by_value = {"-e", "--regexp", "--expression", "--source"};
        static const std::set<std::string_view> by_file = {"-f", "--file"};
        auto eq = w.find('=');
        std::string_view opt = std::string_view(w).substr(0, eq);
        if (by_value.count(opt) || by_file.count(opt)) {
          pattern_by_option = true;
          if (by_file.count(opt) && eq != std::string::npos) file(Kind::FileRead, w.substr(eq + 1), is_dynamic(c, i));
          if (eq == std::string::npos && i + 1 < c.args.size()) {
            if (by_file.count(opt)) file(Kind::FileRead, c.args[i + 1], is_dynamic(c, i + 1));
            ++i;
          }
          continue;
        }
        if (w.size() > 2 && w[1] != '-') {
          // A cluster: `-he.` is -h and the pattern `.`; `-nf prog.sed`.
          size_t at = w.find_first_of("ef", 1);
          if (at != std::string::npos) {
            pattern_by_option = true;
            bool file_opt = w[at] == 'f';
            if (at + 1 < w.size()) {
              if (file_opt) file(Kind::FileRead, w.substr(at + 1), is_dynamic(c, i));
            } else if (i + 1 < c.args.size()) {
              if (file_opt) file(Kind::FileRead, c.args[i + 1], is_dynamic(c, i + 1));
              ++i;
            }
            continue;
          }
        }
      }
      if (c.name == "zip" && !options_done && is_option(w))
        zip_patterns = w == "-x" || w == "-i" || w == "--exclude" || w == "--include";
      if (!options_done && is_option(w)) {
        // Options whose value is the next word (install -m 755 …).
        static const std::set<std::string_view> install_values = {"-m",     "-o",      "-g",      "-S",
                                                                  "--mode", "--owner", "--group", "--suffix"};
        if ((c.name == "install" || c.name == "cp" || c.name == "mv" || c.name == "ln") && install_values.count(w) &&
            (c.name == "install" || w == "-S" || w == "--suffix"))
          ++i;
        // scp's and rsync's options with a value (an identity file is used, not copied).
        static const std::set<std::string_view> scp_values = {"-i", "-F", "-o", "-P", "-c", "-l", "-S", "-J"};
        if ((c.name == "scp" && scp_values.count(w)) || (c.name == "rsync" && (w == "-e" || w == "--rsh"))) ++i;
        // awk's options with a value (not its program, nor a file).
        static const std::set<std::string_view> awk_values = {"-v",       "-F",        "-i",     "-l",
                                                              "--assign", "--include", "--load", "--field-separator"};
        if (awk && awk_values.count(w)) ++i;
        // grep's and rg's options with a value (not a pattern, nor a file).
        static const std::set<std::string_view> search_values = {"-A",
                                                                 "-B",
                                                                 "-C",
                                                                 "-m",
                                                                 "-d",
                                                                 "--max-count",
                                                                 "--include",
                                                                 "--exclude",
                                                                 "--exclude-dir",
                                                                 "--glob",
                                                                 "--iglob",
                                                                 "-g",
                                                                 "-t",
                                                                 "-T",
                                                                 "--type",
                                                                 "--type-not",
                                                                 "-M",
                                                                 "--max-columns",
                                                                 "-j",
                                                                 "--threads",
                                                                 "--max-depth",
                                                                 "--context",
                                                                 "--after-context",
                                                                 "--before-context",
                                                                 "--directories",
                                                                 "--devices",
                                                                 "--label"};
        if (role == Role::ReadSkipFirst && !awk && c.name != "look" && search_values.count(w)) ++i;
        // zip's options with a value (the archive is its first operand).
        static const std::set<std::string_view> zip_values = {"-b", "-n", "-t", "-tt", "-P", "-Z", "-s", "-O", "--out"};
        if (c.name == "zip" && zip_values.count(w)) ++i;
        // The patterns archivers and copiers leave out (`tar --exclude .env`).
        const bool archiver = c.name == "tar" || c.name == "gtar" || c.name == "bsdtar" || c.name == "rsync";
        if ((archiver && (w == "--exclude" || w == "--include")) ||
            (c.name == "diff" && (w == "-x" || w == "--exclude")))
          ++i;
        continue;
      }
      // zip's -x/-i lists of patterns, up to the next option; `-` as the
      // archive is standard output (`zip -r - .`).
      if (c.name == "zip" && zip_patterns) continue;
      if (c.name == "zip" && w == "-" && operands.empty()) {
        operands.emplace_back("/dev/stdout", false);
        continue;
      }
      if (w == "-" || i == option_file) continue;  // standard input or output, or an option's file (above)
      // tar's old-style options (`tar czf out.tgz …`): no file.
      if (i == 0 && (c.name == "tar" || c.name == "gtar" || c.name == "bsdtar") && !w.empty() &&
          w.find_first_of("cxtruAd") != std::string::npos &&
          std::all_of(w.begin(), w.end(), [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)); }))
        continue;
      auto g = std::find_if(globbed.begin(), globbed.end(), [&](const auto& x) { return x.first == i; });
      if (g != globbed.end()) {
        for (const auto& path : g->second) operands.emplace_back(path, false);
        continue;
      }
      bool dynamic = is_dynamic(c, i);
      operands.emplace_back(w, dynamic);
    }
    // cp, mv, install and ln put their sources into a directory when the
    // destination is one — named by -t/--target-directory, or the last
    // operand: what is written there is DIR/<the source's name>.
    const bool copies = c.name == "cp" || c.name == "mv" || c.name == "install" || c.name == "ln";
    if (copies || c.name == "rsync" || c.name == "scp") {
      std::optional<std::pair<std::string, bool>> target;
      if (copies) {
        for (size_t i = 0; i < c.args.size() && !target; ++i) {
          const std::string& w = c.args[i];
          if (w == "--") break;
          auto value_at = [&](size_t k) -> std::optional<std::pair<std::string, bool>> {
            if (k >= c.args.size()) return std::nullopt;
            return std::pair{c.args[k], is_dynamic(c, k)};
          };
          if (w == "--target-directory") {
            target = value_at(i + 1);
          } else if (w.rfind("--target-directory=", 0) == 0) {
            target = std::pair{w.substr(19), is_dynamic(c, i)};
          } else if (w.size() > 1 && w[0] == '-' && w[1] != '-') {
            auto t = w.find('t', 1);
            if (t == std::string::npos) continue;
            if (t + 1 == w.size()) {
              target = value_at(i + 1);  // its value is no operand: taken out below
            } else {
              target = std::pair{w.substr(t + 1), is_dynamic(c, i)};
            }
          }
        }
        if (target) {
          auto it = std::find(operands.begin(), operands.end(), *target);
          if (it != operands.end()) operands.erase(it);
        }
      }
      auto base_name = [](std::string w) {
        while (w.size() > 1 && w.back() == '/') w.pop_back();
        auto slash = w.rfind('/');
        return slash == std::string::npos ? w : w.substr(slash + 1);
      };
      const size_t sources = target ? operands.size() : (operands.empty() ? 0 : operands.size() - 1);
      auto dest = target ? *target : (operands.empty() ? std::pair<std::string, bool>{} : operands.back());
      if (dest.first.find(':') != std::string::npos && dest.first[0] != '/') dest.first.clear();  // host:path
      if (target) file(Kind::FileWrite, dest.first, dest.second);
      // `cp a b` writes b/a only when b is a directory: where the file
      // system can be asked and b is none anywhere the command may run,
      // only b is written. (The expander checks literal names for
      // existence, and `b/.` exists only when b is a directory.)
      bool dest_may_be_directory = dest.first != "/dev/null";
      if (!target && sources == 1 && !dest.second && env.glob && !dest.first.empty() && dest.first.back() != '/') {
        const bool relative = dest.first[0] != '/' && dest.first[0] != '~';
        if (!(relative && cwd_unknown)) {
          dest_may_be_directory = false;
          for (size_t k = 0; k < (relative ? cwds.size() : 1) && !dest_may_be_directory; ++k) {
            std::string abs = analyze::normalize_path(dest.first, cwds[k], env.home, env.resolve_symlinks);
            GlobMatches m = env.glob(glob_escape(abs) + "/.");
            dest_may_be_directory = abs.empty() || !m.complete || !m.paths.empty();
          }
        }
      }
      for (size_t i = 0; i < sources && !dest.first.empty() && dest_may_be_directory; ++i) {
        std::string name = base_name(operands[i].first);
        if (name.empty() || name == "." || name == "..") continue;
        file(Kind::FileWrite, dest.first + "/" + name, dest.second || operands[i].second);
      }
      if (target) {  // every operand is a source
        for (const auto& [w, dyn] : operands) {
          if (c.name == "mv") file(Kind::FileRead, w, dyn, whole);
          file(c.name == "mv" ? Kind::FileDelete : Kind::FileRead, w, dyn, whole);
          if (makes_links(c) && !dyn && !target->second)
            alias(target->first + "/" + base_name(w), w, c.name == "ln" ? symbolic_link(c.args) : cp_symbolic(c.args));
        }
        continue;
      }
    }
    // yq's command words (`yq e '.a' f.yaml`).
    if (c.name == "yq" && !operands.empty() &&
        (operands[0].first == "e" || operands[0].first == "eval" || operands[0].first == "ea" ||
         operands[0].first == "eval-all"))
      operands.erase(operands.begin());
    if (jq_args && operands.size() > 1) operands.resize(pattern_by_option ? 0 : 1);
    if ((role == Role::ReadSkipFirst || (pattern_first && role == Role::Write)) && !pattern_by_option &&
        !operands.empty())
      operands.erase(operands.begin());
    // A recursive search kept to some names (`grep -r --include=.env ''
    // .`, `rg -g '*.pem' KEY`) reads the files of those names beneath each
    // directory it searches: labelled by those names.
    if (role == Role::ReadSkipFirst && whole) {
      std::vector<std::pair<std::string, bool>> names;
      for (size_t i = 0; i < c.args.size(); ++i) {
        const std::string& w = c.args[i];
        if (w == "--") break;
        std::optional<std::pair<std::string, bool>> v;
        for (std::string_view opt : {"--include", "--glob", "--iglob"}) {
          if (w == opt && i + 1 < c.args.size()) v = std::pair{c.args[i + 1], is_dynamic(c, i + 1)};
          if (w.size() > opt.size() && w.compare(0, opt.size(), opt) == 0 && w[opt.size()] == '=')
            v = std::pair{w.substr(opt.size() + 1), is_dynamic(c, i)};
        }
        if (c.name == "rg" && w == "-g" && i + 1 < c.args.size()) v = std::pair{c.args[i + 1], is_dynamic(c, i + 1)};
        if (c.name == "rg" && w.size() > 2 && w.rfind("-g", 0) == 0) v = std::pair{w.substr(2), is_dynamic(c, i)};
        // rg --type-add 'NAME:GLOB,GLOB' defines a type by names (then -t NAME).
        std::optional<std::pair<std::string, bool>> type;
        if (c.name == "rg" && w == "--type-add" && i + 1 < c.args.size())
          type = std::pair{c.args[i + 1], is_dynamic(c, i + 1)};
        if (c.name == "rg" && w.rfind("--type-add=", 0) == 0) type = std::pair{w.substr(11), is_dynamic(c, i)};
        if (type && type->first.find(':') != std::string::npos) {
          std::string globs = type->first.substr(type->first.rfind(':') + 1);
          for (size_t at = 0; at <= globs.size();) {
            size_t comma = std::min(globs.find(',', at), globs.size());
            if (comma > at) names.emplace_back(globs.substr(at, comma - at), type->second);
            at = comma + 1;
          }
        }
        if (!v || v->first.empty() || v->first[0] == '!') continue;
        v->first = v->first.substr(v->first.rfind('/') == std::string::npos ? 0 : v->first.rfind('/') + 1);
        if (!v->first.empty()) names.push_back(std::move(*v));
      }
      std::vector<std::pair<std::string, bool>> dirs = operands;
      if (dirs.empty()) dirs.emplace_back(".", false);
      for (const auto& [d, ddyn] : dirs)
        for (const auto& [n, ndyn] : names) file(Kind::FileRead, d + "/" + n, ddyn || ndyn);
    }
    // A recursive search given no file searches the directory it runs in
    // (`grep -r TODO`, `rg -uu KEY`).
    if (role == Role::ReadSkipFirst && whole && operands.empty()) file(Kind::FileRead, ".", false, true);
    if (c.name == "chmod" || c.name == "chown" || c.name == "chgrp") {
      if (!operands.empty()) operands.erase(operands.begin());  // the mode or owner
    }
    for (size_t i = 0; i < operands.size(); ++i) {
      const auto& [w, dyn] = operands[i];
      // scp/rsync remote operands (host:path) are network targets, found by the analyser.
      if ((c.name == "scp" || c.name == "rsync") && w.find(':') != std::string::npos && w[0] != '/') continue;
      bool last = i + 1 == operands.size();
      bool source = !last || operands.size() == 1;
      // `uniq IN OUT` and `xxd [-r] IN OUT` write their second operand.
      if ((c.name == "uniq" || c.name == "xxd") && i == 1) {
        file(Kind::FileWrite, w, dyn);
        continue;
      }
      switch (role) {
        case Role::Read:
        case Role::ReadSkipFirst: file(Kind::FileRead, w, dyn, whole); break;
        case Role::Write:
          if (c.name == "ln" && operands.size() == 1) {
            // `ln -s ../x`: the link is ./x.
            file(Kind::FileRead, w, dyn);
            std::string name = w.substr(w.rfind('/') == std::string::npos ? 0 : w.rfind('/') + 1);
            if (!name.empty() && name != "." && name != "..") {
              file(Kind::FileWrite, name, dyn);
              if (!dyn) alias(name, w, symbolic_link(c.args));
            }
            break;
          }
          if ((c.name == "ln" || c.name == "install") && !last) {
            // A link or an installed copy exposes its source under a new
            // name (and leaves it as it is); a symbolic link's relative
            // target is taken from the link's directory — the link's
            // parent, or the link operand itself when it is a directory.
            const auto& [link, link_dyn] = operands.back();
            if (c.name == "ln" && symbolic_link(c.args) && !w.empty() && w[0] != '/' && w[0] != '~') {
              std::string dir = link;
              while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
              auto slash = dir.rfind('/');
              file(Kind::FileRead, (slash == std::string::npos ? std::string(".") : dir.substr(0, slash)) + "/" + w,
                   dyn || link_dyn);
              file(Kind::FileRead, dir + "/" + w, dyn || link_dyn);
            } else {
              file(Kind::FileRead, w, dyn);
            }
            if (c.name == "ln" && !dyn && !link_dyn) {
              // The link, or the link of that name in it when it is a directory.
              alias(link, w, symbolic_link(c.args));
              std::string name = w.substr(w.rfind('/') == std::string::npos ? 0 : w.rfind('/') + 1);
              if (!name.empty() && name != "." && name != "..") alias(link + "/" + name, w, symbolic_link(c.args));
            }
            break;
          }
          file(Kind::FileWrite, w, dyn, whole);
          break;
        case Role::Delete: file(Kind::FileDelete, w, dyn, whole); break;
        case Role::CopyLike:
          file(source ? Kind::FileRead : Kind::FileWrite, w, dyn, whole && source);
          if (source && !last && makes_links(c) && !dyn && !operands.back().second) {
            // `cp -s`/`cp -l` link rather than copy.
            const std::string& dest = operands.back().first;
            alias(dest, w, cp_symbolic(c.args));
            std::string name = w.substr(w.rfind('/') == std::string::npos ? 0 : w.rfind('/') + 1);
            if (!name.empty()) alias(dest + "/" + name, w, cp_symbolic(c.args));
          }
          break;
        case Role::MoveLike:
          // A move takes the content along: its source is read, then gone.
          if (source) file(Kind::FileRead, w, dyn, whole);
          file(source ? Kind::FileDelete : Kind::FileWrite, w, dyn, whole && source);
          break;
        case Role::ArchiveFirst: file(i == 0 ? Kind::FileWrite : Kind::FileRead, w, dyn, whole && i > 0); break;
        case Role::None: break;
      }
    }
  }
  found_now = nullptr;
  if (ln_from) ln_actions.emplace_back(*ln_from, out.size());
  for (const auto& r : sa.redirections) {
    // /dev/null and friends are not files an agent reads or writes.
    if (r.path == "/dev/null" || r.path == "/dev/stdout" || r.path == "/dev/stderr" || r.path == "/dev/stdin") continue;
    file(r.write ? Kind::FileWrite : Kind::FileRead, r.path, r.dynamic);
  }
  auto made_by_ln = [&](size_t k) {
    return std::any_of(ln_actions.begin(), ln_actions.end(),
                       [&](const auto& r) { return k >= r.first && k < r.second; });
  };
  if (!aliases.empty())
    for (size_t k : dotdot)
      if (k < out.size() && !made_by_ln(k)) out[k].opaque = true;
  for (size_t k = 0, n = out.size(); k < n && !aliases.empty(); ++k) {
    if (out[k].kind != Kind::FileWrite && out[k].kind != Kind::FileDelete && out[k].kind != Kind::FileRead) continue;
    if (made_by_ln(k)) continue;
    const std::string p = out[k].path;  // (out grows below)
    for (const auto& [link, target] : aliases) {
      if (p != link && !(p.size() > link.size() && p.compare(0, link.size(), link) == 0 && p[link.size()] == '/'))
        continue;
      Action through = out[k];
      through.path = through.resource = target + p.substr(link.size());
      through.summary = std::string(through.kind == Kind::FileDelete ? "delete "
                                    : through.kind == Kind::FileRead ? "read "
                                                                     : "write ") +
                        through.path + " (through the link " + p + ")";
      if (through.tree) {
        through.tree = false;
        mark_tree(through);
      }
      out.push_back(std::move(through));
    }
  }
  for (const auto& h : sa.hosts) {
    Action a = fetch_action(h, sa.urls, tool);
    a.full_command = full;
    a.download_exec = sa.download_exec;
    out.push_back(std::move(a));
  }
  if (sa.opaque || (out.empty() && depth == 0)) {
    // Something was not understood: the policies see it as such. (A
    // script with no commands in it does nothing.)
    bool marked = false;
    for (auto& a : out) {
      if (a.kind == Kind::ShellExec) {
        a.opaque = true;
        marked = true;
      }
    }
    if (!marked) {
      Action a;
      a.kind = Kind::ShellExec;
      a.tool = std::string(tool);
      a.opaque = true;
      a.download_exec = sa.download_exec;
      a.full_command = full;
      CommandInfo ci;
      ci.name = ci.program = "?";
      ci.line = full;
      a.resource = "?";
      a.command = std::move(ci);
      a.summary = full.size() > 200 ? full.substr(0, 200) + "…" : full;
      out.insert(out.begin(), std::move(a));
    }
  }
  if (env.read_script) {
    // `set -- …` on the line sets the positional arguments a sourced script sees.
    const bool sets_positional =
        std::any_of(sa.commands.begin(), sa.commands.end(),
                    [](const analyze::SimpleCommand& c) { return c.name == "set" && !c.args.empty(); });
    for (const auto& run : sa.scripts) {
      // Its arguments, from the one command that runs it; a script run by
      // several commands, or sourced after `set`, gets unknown ones.
      std::vector<std::pair<std::string, bool>> argv;
      int runs = 0;
      for (const auto& c : sa.commands) {
        auto from = script_args_from(c, run);
        if (!from) continue;
        ++runs;
        for (size_t k = *from; k < c.args.size(); ++k) argv.emplace_back(c.args[k], is_dynamic(c, k));
      }
      if (runs > 1 || ((run.runner == "source" || run.runner == ".") && sets_positional)) argv = {{"$@", true}};
      script_actions(run, tool, env, cwds, cwd_unknown, depth, budget, full, out, argv);
    }
    for (const auto& t : sa.tasks) task_actions(t, tool, env, cwds, cwd_unknown, depth, budget, full, out);
    // Modules that code given on the command line imports (`python3 -c
    // "import helper"`): looked for in the working directory.
    if (!sa.imports.empty()) {
      std::string lang;
      for (const auto& c : sa.commands)
        if (lang.empty() && (c.name.rfind("python", 0) == 0 || c.name.rfind("pypy", 0) == 0 || c.name == "node" ||
                             c.name == "nodejs" || c.name == "bun" || c.name == "ruby"))
          lang = c.name;
      if (!lang.empty() && !cwd_unknown) {
        ModuleScan m =
            local_modules(lang, (env.cwd == "/" ? "" : env.cwd) + "/-c", sa.imports, env.cwd, tool, env, budget);
        for (auto& a : m.found) a.full_command = full;
        merge_found(std::move(m.found), m.opaque, m.recent, full, out, budget);
      } else if (!lang.empty()) {
        mark_opaque(out);
      }
    }
    // Remotes named only by name: their hosts are in the repository's
    // configuration.
    std::vector<std::string> seen = sa.hosts;
    for (const auto& r : sa.git_remotes) {
      for (size_t k = 0; k < (r.dir.empty() || r.dir[0] != '/' ? cwds.size() : 1); ++k) {
        if (cwd_unknown && (r.dir.empty() || r.dir[0] != '/')) {
          mark_opaque(out);
          break;
        }
        RemoteTargets t = git_remote_targets(r, cwds[k], env);
        if (t.opaque) mark_opaque(out);
        for (const auto& h : t.hosts) {
          if (std::find(seen.begin(), seen.end(), h) != seen.end()) continue;
          seen.push_back(h);
          Action a = fetch_action(h, t.urls, tool);
          a.full_command = full;
          out.push_back(std::move(a));
        }
      }
    }
  }
  return out;
}

}  // namespace

}  // namespace tollgate::action
