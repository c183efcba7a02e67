#!/usr/bin/env bash
# Set up and run metafs end to end on the embedded defaults: install the
# dependencies, build, create a home with the platforms 'warehouse' and
# 'lake', mount it, create a partitioned table through the mount and show
# the catalog.  The mount stays up; unmount with: fusermount3 -u demo/mnt
#
# DEMO_DIR (default ./demo) holds the home and the mount point.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
[ -f build/build.ninja ] || meson setup build -Dwerror=true >/dev/null
ninja -C build >/dev/null

demo=${DEMO_DIR:-demo}
home=$demo/home
mnt=$demo/mnt
metafs=build/tools/metafs
metafsd=build/fs/metafsd
mkdir -p "$mnt"
if mountpoint -q "$mnt"; then fusermount3 -u "$mnt"; fi
[ -f "$home/metafs.ini" ] || $metafs init "$home"
$metafsd --home "$home" "$mnt"
echo "mounted $home on $mnt"

wh=$mnt/warehouse
if [ ! -d "$wh/sales/orders" ]; then
  mkdir -p "$wh/sales/orders"
  cat > "$wh/sales/orders/.schema" <<'SCHEMA'
format csv
header true
column order_id bigint
column region string
column amount double
partition dt date
SCHEMA
  for day in 01 02 03; do
    part=$wh/sales/orders/dt=2024-05-$day
    mkdir "$part"
    {
      echo "order_id,region,amount"
      for i in $(seq 1 50); do
        printf '%d,%s,%d.%02d\n' "$((10#$day * 1000 + i))" \
          "$(case $((i % 3)) in 0) echo emea;; 1) echo amer;; *) echo apac;; esac)" \
          "$((i * 7 % 300))" "$((i % 100))"
      done
    } > "$demo/part-00000.csv"
    cp "$demo/part-00000.csv" "$part/"
  done
  rm -f "$demo/part-00000.csv"
fi

echo
echo "\$ ls $mnt"; ls "$mnt"
echo "\$ ls $wh/sales/orders"; ls "$wh/sales/orders"
echo "\$ cat $wh/sales/orders/.schema"; cat "$wh/sales/orders/.schema"
echo "\$ cat $wh/sales/orders/.table"; cat "$wh/sales/orders/.table"
echo "\$ cat $wh/sales/orders/dt=2024-05-01/.partition"; cat "$wh/sales/orders/dt=2024-05-01/.partition"
echo "\$ tail -n 5 $mnt/.metafs/events"; tail -n 5 "$mnt/.metafs/events"
echo
echo "the mount stays up; unmount with: fusermount3 -u $mnt"
