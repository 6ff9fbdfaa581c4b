#!/usr/bin/env bash
# A disk that fills up (issue 16 section 5), on a small tmpfs mounted for the test: it needs root
# (CI runs as root) and is skipped elsewhere (exit 77). At np=1 and np=2:
# 1. the final archive does not fit: revest exits 1 with one message that says the disk is full,
#    where, and how to resume (it used to die in H5F__close_cb during MPI_Finalize); no .tmp is
#    left, the work file keeps every task, and --resume on a larger disk gives the archive of an
#    undisturbed run;
# 2. with --ignore-free-space (nothing reserved) the disk really fills up while the final archive
#    is written, or while the work file's rows are: the same kind of message, and a resume;
# 3. --force over a complete archive on a disk too small for the new one: the old archive survives
#    byte for byte, and --resume on a larger disk replaces it.
# Disk sizes come from the job's own files (measured first), so they follow the archive's layout.
set -uo pipefail
REVEST=$1 SRC=$2 OUT=$3 MPIEXEC=$4
rm -rf "$OUT" && mkdir -p "$OUT"
fail() { echo "FAIL: $*"; exit 1; }
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: mounting a tmpfs needs root"; exit 77; fi
DISK="$OUT/disk"
mkdir -p "$DISK"
mount -t tmpfs -o size=64m tmpfs "$DISK" 2> "$OUT/mount.err" || { cat "$OUT/mount.err"; echo "SKIP: cannot mount a tmpfs here"; exit 77; }
trap 'umount "$DISK" 2>/dev/null' EXIT
size() { mount -o "remount,size=$1k" "$DISK" || fail "cannot resize the tmpfs to $1 kB"; }
JOB="$SRC/tests/driver/disk_full.toml"
DEF="$SRC/config/defaults.toml"
revest_run() { "$MPIEXEC" -n "$1" "$REVEST" run "$JOB" --defaults "$DEF" -q -o "$DISK/a.h5" "${@:2}"; }

# The sizes on disk of the work file (its rows are reserved when it is created) and of the final archive.
revest_run 1 --test-kill-after-checkpoint 1 > /dev/null 2>&1
WORK=$(du -k "$DISK/a.h5" | cut -f1)
rm -f "$DISK"/*
revest_run 2 > /dev/null 2>&1 || fail "reference run"
FINAL=$(du -k "$DISK/a.h5" | cut -f1)
cp "$DISK/a.h5" "$OUT/reference.h5"
echo "work file ${WORK} kB, final archive ${FINAL} kB"

# fill NP SIZE_KB [FLAGS...]: the job onto an empty disk of SIZE_KB; its output in $OUT/log.
fill() {
  local np=$1 kb=$2; shift 2
  rm -f "$DISK"/*
  size "$kb"
  revest_run "$np" "$@" > "$OUT/log" 2>&1
}
no_crash() {
  if grep -qE "Segmentation|signal 11|H5F__close_cb" "$OUT/log"; then cat "$OUT/log"; fail "$1: crashed"; fi
  [ "$(grep -c '^revest: error' "$OUT/log")" -eq 1 ] || { cat "$OUT/log"; fail "$1: expected exactly one error line"; }
}
resume_and_compare() {
  size 65536
  revest_run 1 --resume > "$OUT/resume.log" 2>&1 || { cat "$OUT/resume.log"; fail "$1: --resume on a larger disk failed"; }
  "$REVEST" compare "$OUT/reference.h5" "$DISK/a.h5" > "$OUT/cmp.log" || { cat "$OUT/cmp.log"; fail "$1: the resumed archive differs"; }
}

for np in 1 2; do
  # 1. Room for the work file and the final archive, but not for the final archive's reservation
  #    (its datasets uncompressed and a margin): stopped before anything is written.
  fill "$np" $((WORK + FINAL + 1000)) && fail "np=$np: a run on a full disk exited 0"
  no_crash "np=$np"
  grep -qE "^revest: error: disk full: no space left on $DISK: the final archive $DISK/a.h5 may take up to [0-9.]+ MB .* nothing was written" "$OUT/log" ||
    { cat "$OUT/log"; fail "np=$np: no disk-full message naming the directory"; }
  grep -q "is as it was. Free space on $DISK (writing the final archive reserves [0-9.]* MB; .*)\. Every task is done and kept in the work file $DISK/a.h5: \`revest run $JOB --resume -o $DISK/a.h5\` writes the final archive" "$OUT/log" ||
    { cat "$OUT/log"; fail "np=$np: the message does not say how to resume"; }
  [ ! -e "$DISK/a.h5.tmp" ] || fail "np=$np: the final archive's temporary file was left behind"
  "$REVEST" inspect "$DISK/a.h5" --rows 0 > "$OUT/inspect" 2>&1 || fail "np=$np: work file unreadable"
  grep -q "INCOMPLETE" "$OUT/inspect" && ! grep -q "not_run" "$OUT/inspect" || { cat "$OUT/inspect"; fail "np=$np: the work file lost tasks"; }
  resume_and_compare "np=$np"
  echo "np=$np: no room for the final archive: 'disk full', where, how to resume; resumed, identical"

  # 2. Nothing reserved: the disk fills up while the final archive is written ...
  fill "$np" $((WORK + FINAL - 300)) --ignore-free-space && fail "np=$np: a run on a full disk exited 0 (--ignore-free-space)"
  no_crash "np=$np --ignore-free-space"
  grep -qE "^revest: error: disk full: no space left on $DISK while writing the final archive $DISK/a.h5.tmp \([0-9.]+ MB written, then HDF5: .*\(No space left on device\); removed" "$OUT/log" ||
    { cat "$OUT/log"; fail "np=$np: no disk-full message while writing (--ignore-free-space)"; }
  grep -q -- "--resume -o $DISK/a.h5" "$OUT/log" || fail "np=$np: no resume advice (--ignore-free-space)"
  [ ! -e "$DISK/a.h5.tmp" ] || fail "np=$np: the half-written final archive was left behind (--ignore-free-space)"
  resume_and_compare "np=$np --ignore-free-space"
  # ... or while the rows are written into the work file (MPI-IO, collectively).
  fill "$np" $((WORK - 1000)) --ignore-free-space && fail "np=$np: a run whose rows do not fit exited 0"
  grep -qE "revest: error.*disk full: writing the rows of analysis 'index' in the work file $DISK/a.h5 failed, and $DISK has" "$OUT/log" ||
    { cat "$OUT/log"; fail "np=$np: no disk-full message for the rows"; }
  echo "np=$np: --ignore-free-space: a disk filling up under the final archive or the rows is reported as full"
done

# 3. --force over a complete archive, and no room for the new final archive: the old one survives.
fill 2 $((WORK + FINAL + 500)) --ignore-free-space || { cat "$OUT/log"; fail "the first run"; }
cp "$DISK/a.h5" "$OUT/complete.h5"
revest_run 2 --force --ignore-free-space > "$OUT/log" 2>&1 && fail "--force on a full disk exited 0"
no_crash "--force"
grep -q "^revest: error: disk full: .* $DISK/a.h5 is as it was. Free space on $DISK .* Every task is done and kept in the work file $DISK/a.h5.new" "$OUT/log" ||
  { cat "$OUT/log"; fail "--force: no disk-full message naming the kept archive and the work file"; }
cmp -s "$DISK/a.h5" "$OUT/complete.h5" || fail "a --force run that filled the disk changed the complete archive"
size 65536
revest_run 2 --resume > "$OUT/resume.log" 2>&1 || { cat "$OUT/resume.log"; fail "--force: resume"; }
[ ! -e "$DISK/a.h5.new" ] || fail "--force: the work file outlived the new archive"
"$REVEST" compare "$OUT/reference.h5" "$DISK/a.h5" > /dev/null || fail "--force: the new archive differs"
echo "--force on a full disk: the complete archive survived; --resume replaced it"
echo "disk full: all checks passed"
