#!/usr/bin/env bash
# The repository stands alone (issue 17): no file the build, the tests, the benchmarks, the jobs
# or the docs use names a path outside it. Fails on
#  - the project's old sibling folder of shared material, or its variable REVEST_SHARED_DIR (any file);
#  - an absolute path into a home or work directory (/home/..., /root/..., /work/...) in code,
#    scripts, CMake and job files (the README quotes real output, which may show such paths);
#  - a relative path (../x) in a CMake or TOML file that, resolved from the file's own folder
#    (as CMake and revest resolve them), leaves the repository.
# Usage: self_contained.sh SOURCE_DIR
set -uo pipefail
src=$(cd "$1" && pwd -P)
cd "$src"
if git -C "$src" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  files=$(git -C "$src" ls-files --cached --others --exclude-standard)
else
  files=$(find . -type f -not -path './build*' -not -path './.git/*' | sed 's|^\./||')
fi
bad=0
report() { echo "$1: $2"; bad=1; }
while IFS= read -r f; do
  case "$f" in
    CMakeLists.txt|*/CMakeLists.txt|*.cmake|*.cmake.in|src/*|tests/*|bench/*|jobs/*|config/*|slurm/*|.ci/*|examples/*|README.md|data/README.md) ;;
    *) continue ;;
  esac
  [ -f "$f" ] || continue
  case "$f" in tests/repo/self_contained.sh) continue ;; esac   # this file names what it forbids
  grep -Iq . "$f" 2>/dev/null || continue                       # text files only
  while IFS= read -r hit; do report "$f" "names the sibling folder or its variable: $hit"; done \
    < <(grep -nE '\.\./shared|REVEST_SHARED_DIR' "$f")
  case "$f" in README.md|*/README.md|*.md) continue ;; esac
  while IFS= read -r hit; do report "$f" "absolute path into a home or work directory: $hit"; done \
    < <(grep -nE '(^|[^A-Za-z0-9_.])/(home|root|work)/[A-Za-z0-9_]' "$f")
  case "$f" in CMakeLists.txt|*/CMakeLists.txt|*.cmake|*.cmake.in|*.toml) ;; *) continue ;; esac
  dir=$(dirname "$f")
  while IFS=: read -r line tok; do
    # Resolve the ../ prefix from the file's folder (text, no filesystem access needed).
    path="$src/$dir/$tok"
    norm=$(realpath -m --no-symlinks "$path")
    case "$norm" in "$src"|"$src"/*) ;; *) report "$f:$line" "'$tok' leaves the repository (-> $norm)" ;; esac
  done < <(grep -noE '(\.\./)+[A-Za-z0-9_.-]+' "$f")
done <<< "$files"
if [ "$bad" -ne 0 ]; then
  echo "FAIL: the files above name paths outside the repository (copy what they need into it)"
  exit 1
fi
echo "OK: no path outside the repository in $(echo "$files" | wc -l) files"
