#!/usr/bin/env node
/*
 * duckdb_fixtures.js - Parquet interoperability with DuckDB, both ways.
 *
 *   node duckdb_fixtures.js gen DIR     DuckDB writes the fixtures that
 *                                       test_fmt_parquet reads (committed in
 *                                       tests/unit/parquet/, each under 10 KB)
 *   node duckdb_fixtures.js check FILE  DuckDB reads FILE, written by metafs
 *                                       (fmt_parquet_sample FILE), and compares
 *                                       its rows and types with the same table
 *                                       computed by DuckDB itself
 *   node duckdb_fixtures.js roundtrip SAMPLE
 *                                       runs SAMPLE (fmt_parquet_sample) for
 *                                       every codec, v1 and v2 pages, and checks
 *                                       each file; exit 77 (skip) without
 *                                       @duckdb/node-api
 *
 * @duckdb/node-api is looked up in $DUCKDB_NODE_MODULES, else
 * tests/data/tpch/.node/node_modules (tools/deps.sh --bench-tpch), else
 * /tmp/duck/node_modules.
 *
 * The table, for i in 0 .. 119 (test_fmt_parquet.c checks the same values),
 * made of ranges of 40 rows so that DuckDB (one thread) can end a row group
 * at 40 rows: it cuts row groups between its chunks only.
 */
const NROWS = 120;
const RANGES = [0, 40, 80].map((a) => `SELECT * FROM range(${a}, ${a + 40}) t(i)`)
	.join(' UNION ALL ');
const TABLE = `SELECT i::BIGINT AS id,
  CASE WHEN i % 5 = 0 THEN NULL ELSE i * 1.5 END::DOUBLE AS d,
  CASE WHEN i % 7 = 0 THEN NULL ELSE 'name' || (i % 13) END AS s,
  (i % 2 = 0) AS b,
  (DATE '2024-01-01' + i::INTEGER) AS dt,
  CASE WHEN i % 11 = 0 THEN NULL ELSE TIMESTAMP '2024-01-01 00:00:00' + to_seconds(i) END AS ts,
  (i * 3.25)::DECIMAL(9,2) AS dec9,
  (i * 1000.125)::DECIMAL(18,3) AS dec18,
  CASE WHEN i % 3 = 0 THEN NULL ELSE (i * 12345678901.5)::DECIMAL(38,4) END AS dec38,
  (i - 500)::INTEGER AS i32,
  'user-' || (i * 7919) AS u
FROM (${RANGES})`;

const path = require('path');
const fs = require('fs');

function loadDuckdb() {
	const dirs = [process.env.DUCKDB_NODE_MODULES,
		path.join(__dirname, '..', '..', 'data', 'tpch', '.node', 'node_modules'),
		'/tmp/duck/node_modules'].filter(Boolean);
	for (const d of dirs) {
		const p = path.join(d, '@duckdb', 'node-api');
		if (fs.existsSync(p))
			return require(p);
	}
	throw new Error('@duckdb/node-api not found in ' + dirs.join(', '));
}

async function main() {
	const [mode, arg] = process.argv.slice(2);
	if (!mode || !arg || !['gen', 'check', 'roundtrip'].includes(mode)) {
		console.error('usage: duckdb_fixtures.js gen DIR | check FILE | roundtrip SAMPLE');
		process.exit(2);
	}
	let duck;
	try {
		duck = loadDuckdb();
	} catch (e) {
		console.error(e.message);
		process.exit(mode === 'roundtrip' ? 77 : 1);
	}
	const { DuckDBInstance } = duck;
	const db = await DuckDBInstance.create(':memory:');
	const con = await db.connect();
	const q = (s) => con.runAndReadAll(s);
	await q('SET threads = 1');
	if (mode === 'gen') {
		const files = {
			'duckdb_default.parquet': '',
			'duckdb_uncompressed.parquet': ', COMPRESSION uncompressed',
			'duckdb_gzip.parquet': ', COMPRESSION gzip',
			'duckdb_zstd.parquet': ', COMPRESSION zstd',
			'duckdb_row_groups.parquet': ', ROW_GROUP_SIZE 40',
			'duckdb_v2.parquet': ", PARQUET_VERSION v2",
		};
		for (const [name, opts] of Object.entries(files)) {
			const out = path.join(arg, name);
			await q(`COPY (${TABLE}) TO '${out}' (FORMAT parquet${opts})`);
			console.log(`${name}: ${fs.statSync(out).size} bytes`);
		}
		return;
	}
	if (mode === 'roundtrip') {
		const os = require('os');
		const { execFileSync } = require('child_process');
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metafs-parquet-'));
		let bad = 0;
		try {
			for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd']) {
				for (const v2 of ['', 'v2']) {
					const f = path.join(dir, `${codec}${v2}.parquet`);
					execFileSync(arg, [f, codec, ...(v2 ? [v2] : [])], { stdio: 'inherit' });
					bad += await check(q, f);
				}
			}
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}
		process.exit(bad ? 1 : 0);
	}
	process.exit(await check(q, arg));
}

/* 0 when DuckDB reads FILE as the table, with the types metafs writes. */
async function check(q, arg) {
	/* check: the same columns, types as metafs writes them, the same rows */
	const want = {
		id: 'BIGINT', d: 'DOUBLE', s: 'VARCHAR', b: 'BOOLEAN', dt: 'DATE',
		ts: 'TIMESTAMP WITH TIME ZONE', dec9: 'DECIMAL(9,2)', dec18: 'DECIMAL(18,3)',
		dec38: 'DECIMAL(38,4)', i32: 'BIGINT', u: 'VARCHAR',
	};
	const desc = (await q(`DESCRIBE SELECT * FROM read_parquet('${arg}')`)).getRowObjects();
	let bad = 0;
	for (const r of desc) {
		if (want[r.column_name] !== r.column_type) {
			console.error(`column ${r.column_name}: ${r.column_type}, expected ${want[r.column_name]}`);
			bad++;
		}
	}
	if (desc.length !== Object.keys(want).length) {
		console.error(`${desc.length} columns, expected ${Object.keys(want).length}`);
		bad++;
	}
	await q("SET TimeZone = 'UTC'");
	const expected = `SELECT id, d, s, b, dt, ts::TIMESTAMPTZ AS ts, dec9, dec18, dec38, i32::BIGINT AS i32, u FROM (${TABLE})`;
	const diff = (await q(`SELECT count(*)::INTEGER AS n FROM ((SELECT * FROM read_parquet('${arg}') EXCEPT ALL ${expected})
		UNION ALL (${expected} EXCEPT ALL SELECT * FROM read_parquet('${arg}')))`)).getRowObjects()[0].n;
	const rows = (await q(`SELECT count(*)::INTEGER AS n FROM read_parquet('${arg}')`)).getRowObjects()[0].n;
	console.log(`${arg}: ${rows} rows, ${diff} differing from DuckDB's own table`);
	if (diff !== 0 || rows !== NROWS)
		bad++;
	/* DuckDB skips row groups by the footer's min/max: wrong statistics
	 * would lose rows here */
	const preds = ["id BETWEEN 45 AND 55", "s = 'name3'", "s > 'name7'", "dt >= DATE '2024-04-01'",
		"ts < TIMESTAMPTZ '2024-01-01 00:00:30+00'", 'dec38 > 1000000000000', 'dec9 < 10',
		'd IS NULL', 'i32 > -420', "u < 'user-1'", 'b'];
	for (const pr of preds) {
		const a = (await q(`SELECT count(*)::INTEGER AS n FROM read_parquet('${arg}') WHERE ${pr}`)).getRowObjects()[0].n;
		const e = (await q(`SELECT count(*)::INTEGER AS n FROM (${expected}) WHERE ${pr}`)).getRowObjects()[0].n;
		if (a !== e) {
			console.error(`${arg}: WHERE ${pr}: ${a} rows, expected ${e}`);
			bad++;
		}
	}
	return bad ? 1 : 0;
}

main().catch((e) => {
	console.error(e.message || e);
	process.exit(1);
});
