# Sourced by the bench scripts: a cgroup v1 blkio cgroup whose reads of one
# device are throttled, standing in for slow storage.
#
#   throttle_setup FILE RATE   # throttles reads of FILE's device to RATE B/s;
#                              # sets $cgroup ("" when it cannot, and says so)
#   in_cgroup CMD ARGS...      # runs CMD in it, in the foreground
#   in_cgroup_bg CMD ARGS...   # the same in the background; $bg_pid is CMD's
#                              # own pid (a function run with & would give a
#                              # subshell's)
# The cgroup is removed on exit (trap set by throttle_setup).

cgroup=""

throttle_setup() {
  local file=$1 rate=$2 source device blkio=/sys/fs/cgroup/blkio
  source=$(findmnt -no SOURCE --target "$(dirname "$file")")
  device=$(lsblk -no MAJ:MIN "$source" 2>/dev/null | head -1 | tr -d ' ')
  if [[ -n "$device" && -w "$blkio" ]]; then
    cgroup=$blkio/sluice-throttle-$$
    if mkdir "$cgroup" &&
        echo "$device $rate" >"$cgroup/blkio.throttle.read_bps_device"; then
      trap 'throttle_cleanup' EXIT
      echo "reads of $source ($device) throttled to $rate bytes/s"
      return 0
    fi
    rmdir "$cgroup" 2>/dev/null
    cgroup=""
  fi
  echo "NOT THROTTLED: no writable cgroup v1 blkio here; cold reads run at the disk's own speed"
}

# The script's own bench_cleanup (its processes) first: a cgroup with
# processes in it cannot be removed.
throttle_cleanup() {
  [[ -n "$(type -t bench_cleanup)" ]] && bench_cleanup
  [[ -n "$cgroup" ]] && rmdir "$cgroup" 2>/dev/null
  return 0
}

in_cgroup() {
  if [[ -n "$cgroup" ]]; then
    sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cgroup" "$@"
  else
    "$@"
  fi
}

in_cgroup_bg() {
  if [[ -n "$cgroup" ]]; then
    sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cgroup" "$@" &
  else
    "$@" &
  fi
  bg_pid=$!
}
