# Helpers shared by the bench scripts (sourced; they need $PYTHON and $WORK).

# calc EXPR: a Python expression's value
calc() { "$PYTHON" -c "print($1)"; }

# measure NAME CMD...: runs CMD once under GNU time, its output in
# $WORK/NAME.log (shown, and the script stopped, if it fails); wall seconds
# and peak RSS (MiB) into $NAME_s / $NAME_mb
measure() {
  local name=$1; shift
  local out="$WORK/$name.time"
  sync
  /usr/bin/time -f "%e %M" -o "$out" "$@" > "$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log"; exit 1; }
  read -r secs kb < "$out"
  printf -v "${name}_s" '%s' "$secs"
  printf -v "${name}_mb" '%.0f' "$(calc "$kb / 1024")"
  printf '%-26s %8.2f s %8s MiB\n' "$name" "$secs" "$(eval echo \$${name}_mb)"
}
