#!/usr/bin/env bash
# test_readdir.sh - a listing resumed at any position (telldir/seekdir, or
# the kernel continuing a listing it partly cached) goes on from that entry:
# no entry is repeated or left out, at every catalog level (databases,
# tables, partition directories, files) and across many readdir batches.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mf_setup
command -v perl >/dev/null || mf_skip "perl is missing"

N=3000
T=$W/big/t
mf_make_table "$T" $'column a bigint\npartition dt string\n'
for i in 1 2 3 4 5; do
	mf_run mkdir "$W/db$i" || fail "setup: mkdir db$i" "$MF_OUT"
	mf_run mkdir "$W/big/t$i" || fail "setup: mkdir big/t$i" "$MF_OUT"
done
mkdir "$T/dt=small" || mf_abort "mkdir dt=small"
for i in 1 2 3 4 5 6; do
	printf '%s\n' "$i" >"$T/dt=small/part-$i.csv" || fail "setup: cp part-$i.csv"
done
# Many partitions at once: directories in the data store, then repair.
mf_umount || mf_abort "unmount"
(cd "$DS/big/t" && seq -f 'dt=p%07g' 1 "$N" | xargs mkdir) || mf_abort "mkdir in the data store"
mf_run "$METAFS" repair --home "$H" warehouse.big.t || mf_abort "repair" "$MF_OUT"
mf_mount || mf_abort "remount"

# seek_check DIR : read DIR once recording telldir after each entry, then
# from several of those positions with a fresh handle; each read must be
# exactly the rest of the full listing.
seek_check() {
	perl -e '
		my $d = shift;
		opendir(my $h, $d) or die "opendir $d: $!";
		my (@names, @pos);
		while (defined(my $x = readdir $h)) { push @names, $x; push @pos, telldir $h }
		closedir $h;
		my $n = @names;
		my $bad = 0;
		for my $k (1, 2, 3, int($n / 3), int($n / 2), $n - 2) {
			next if $k < 0 || $k >= $n - 1;
			opendir(my $g, $d) or die;
			seekdir($g, $pos[$k]);
			my @rest = readdir $g;
			closedir $g;
			my $want = join(" ", @names[$k + 1 .. $n - 1]);
			my $got = join(" ", @rest);
			if ($got ne $want) {
				$bad++;
				print "after entry $k (", $names[$k], "): got ", scalar(@rest),
				    " entries starting ", ($rest[0] // "(none)"), ", want ",
				    $n - $k - 1, " starting ", $names[$k + 1], "\n";
			}
		}
		exit($bad ? 1 : 0);' "$1"
}

# Once with the kernel caching listings, once shared (allow_other), where
# the daemon serves every resumed listing itself.
for mode in cached shared; do
	if [ "$mode" = shared ]; then
		mf_umount || mf_abort "unmount"
		mf_mount "$H" "$M" -o allow_other || mf_abort "mount with allow_other"
	fi
	for dir in "$W" "$W/big" "$T" "$T/dt=small"; do
		if out=$(timeout -k 5 120 bash -c "$(declare -f seek_check); seek_check '$dir'" 2>&1); then
			pass "$mode: a listing of ${dir#"$M"/} resumed at a telldir position goes on from there"
		else
			fail "$mode: a listing of ${dir#"$M"/} resumed at a telldir position goes on from there" "$out"
		fi
	done

	# Everyday walks see every partition once (the kernel may cache part of a
	# listing and ask for the rest).
	for run in 1 2 3; do
		got=$(timeout -k 5 120 ls -l "$T" | grep -c ' dt=')
		assert_eq "$mode: ls -l lists each of the $((N + 1)) partitions once (run $run)" "$((N + 1))" "$got"
	done
	got=$(timeout -k 5 120 find "$T" -mindepth 1 -maxdepth 1 -type d | sort | uniq -d | wc -l)
	assert_eq "$mode: find repeats no partition" 0 "$got"
done

mf_finish
