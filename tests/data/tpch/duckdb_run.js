#!/usr/bin/env node
// duckdb_run.js - run TPC-H queries in DuckDB over the CSV files metafs-tpch
// wrote, for the reference answers and the benchmark.
//
//   node duckdb_run.js [--threads N] [--out-dir DIR] [--schema FILE]
//                      [--format csv|parquet] CSVDIR QUERY.sql...
//
// CSVDIR is metafs-tpch's --out directory (or a metafs data store's tpch
// database directory, which holds the same files): its schema.sql (or FILE)
// gives each table's columns and types (DECIMAL stays DECIMAL, STRING is
// VARCHAR), and each table becomes a view tpch.TABLE over read_csv of its
// files (header line, Hive partition directories for orders and lineitem),
// so every query reads the CSV files again, as a metafs job does.  With
// --format parquet, DIR is the directory of a database of Parquet tables (a
// metafs data store's, written by CREATE TABLE ... STORED AS PARQUET AS
// SELECT from the CSV tables) and each view is a read_parquet of its
// *.parquet files (the column types are the files'; names and partition
// keys still come from schema.sql, which --schema then names).
//
// Each query file is split into statements at ';' (Q15 creates, uses and
// drops a view); the rows of the statements that return rows are its result.
// With --out-dir, QUERY.sql's result goes to DIR/QUERY.csv (a header line,
// then RFC 4180 rows: NULL an empty field, an empty string "") and its column
// types, one "name type" line each, to DIR/QUERY.types; without it the single
// query's result goes to stdout.  Each query's wall time (statements run,
// rows read) is printed to stderr as "time QUERY SECONDS".
//
// @duckdb/node-api is looked up next to this script, in .node/node_modules
// (npm install --prefix tests/data/tpch/.node @duckdb/node-api), or in the
// directory named by METAFS_DUCKDB_DIR.
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

function loadDuckDB() {
	const dirs = [process.env.METAFS_DUCKDB_DIR, path.join(__dirname, '.node')].filter(Boolean);
	for (const d of dirs) {
		try {
			return createRequire(path.join(path.resolve(d), 'index.js'))('@duckdb/node-api');
		} catch (e) {
			if (e.code !== 'MODULE_NOT_FOUND')
				throw e;
		}
	}
	return require('@duckdb/node-api');
}

function usage() {
	process.stderr.write('usage: node duckdb_run.js [--threads N] [--out-dir DIR] [--schema FILE] [--format csv|parquet] CSVDIR QUERY.sql...\n');
	process.exit(2);
}

// The CREATE TABLE statements of schema.sql as { name, cols: [[name, type]], part: [name, type] }.
function readSchema(file) {
	const text = fs.readFileSync(file, 'utf8');
	const tables = [];
	const re = /CREATE TABLE tpch\.(\w+) \((.*?)\)(?: PARTITIONED BY \((\w+) (\w+)\))? STORED AS CSV/g;
	let m;
	while ((m = re.exec(text)) !== null) {
		const cols = m[2].split(/,\s*(?![^()]*\))/).map((c) => {
			const i = c.trim().indexOf(' ');
			const name = c.trim().slice(0, i);
			let type = c.trim().slice(i + 1);
			if (type === 'STRING')
				type = 'VARCHAR';
			return [name, type];
		});
		tables.push({ name: m[1], cols, part: m[3] ? [m[3], m[4]] : null });
	}
	if (tables.length !== 8)
		throw new Error(`${file}: expected 8 tables, found ${tables.length}`);
	return tables;
}

function sqlString(s) {
	return "'" + s.replace(/'/g, "''") + "'";
}

function viewSQL(csvdir, t, format) {
	const dir = path.resolve(csvdir, t.name);
	const names = t.cols.map(([n]) => n).concat(t.part ? [t.part[0]] : []).join(', ');
	if (format === 'parquet') {
		const glob = t.part ? `${dir}/*/*.parquet` : `${dir}/*.parquet`;
		const opts = t.part
			? `hive_partitioning = true, hive_types = {${sqlString(t.part[0])}: ${sqlString(t.part[1])}}`
			: 'hive_partitioning = false';
		return `CREATE VIEW tpch.${t.name} AS SELECT ${names} FROM read_parquet(${sqlString(glob)}, ${opts})`;
	}
	const glob = t.part ? `${dir}/*/*.csv` : `${dir}/*.csv`;
	const cols = t.cols.map(([n, ty]) => `${sqlString(n)}: ${sqlString(ty)}`).join(', ');
	let opts = `header = true, delim = ',', quote = '"', escape = '"', auto_detect = false, columns = {${cols}}`;
	if (t.part)
		opts += `, hive_partitioning = true, hive_types = {${sqlString(t.part[0])}: ${sqlString(t.part[1])}}`;
	else
		opts += ', hive_partitioning = false';
	return `CREATE VIEW tpch.${t.name} AS SELECT ${names} FROM read_csv(${sqlString(glob)}, ${opts})`;
}

// Statements of a query file: comments dropped, split at ';' outside quotes.
function statements(text) {
	const out = [];
	let cur = '';
	let q = null;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (q) {
			cur += c;
			if (c === q)
				q = null;
		} else if (c === '-' && text[i + 1] === '-') {
			while (i < text.length && text[i] !== '\n')
				i++;
			cur += '\n';
		} else if (c === "'" || c === '"') {
			q = c;
			cur += c;
		} else if (c === ';') {
			if (cur.trim())
				out.push(cur.trim());
			cur = '';
		} else {
			cur += c;
		}
	}
	if (cur.trim())
		out.push(cur.trim());
	return out;
}

function csvField(v) {
	if (v === null || v === undefined)
		return '';
	const s = typeof v === 'string' ? v : String(v);
	if (typeof v === 'string' && (s === '' || /[",\r\n]/.test(s) || s !== s.trim()))
		return '"' + s.replace(/"/g, '""') + '"';
	return s;
}

async function main() {
	const args = process.argv.slice(2);
	let threads = null;
	let outDir = null;
	let schema = null;
	let format = 'csv';
	while (args.length && args[0].startsWith('--')) {
		const a = args.shift();
		if (a === '--threads')
			threads = parseInt(args.shift(), 10);
		else if (a === '--out-dir')
			outDir = args.shift();
		else if (a === '--schema')
			schema = args.shift();
		else if (a === '--format')
			format = args.shift();
		else
			usage();
	}
	if (format !== 'csv' && format !== 'parquet')
		usage();
	if (args.length < 2 || (!outDir && args.length > 2) || (threads !== null && !(threads > 0)))
		usage();
	const csvdir = args.shift();
	const { DuckDBInstance } = loadDuckDB();
	const instance = await DuckDBInstance.create(':memory:');
	const con = await instance.connect();
	if (threads !== null)
		await con.run(`SET threads = ${threads}`);
	await con.run('CREATE SCHEMA tpch');
	for (const t of readSchema(schema || path.join(csvdir, 'schema.sql')))
		await con.run(viewSQL(csvdir, t, format));
	for (const qfile of args) {
		const name = path.basename(qfile).replace(/\.sql$/, '');
		const lines = [];
		const types = [];
		const t0 = process.hrtime.bigint();
		for (const st of statements(fs.readFileSync(qfile, 'utf8'))) {
			const reader = await con.runAndReadAll(st);
			if (!/^(select|with)\b/i.test(st))
				continue;
			const names = reader.columnNames();
			reader.columnTypes().forEach((ty, i) => types.push(`${names[i]} ${ty.toString()}`));
			if (lines.length)
				lines.push('');
			lines.push(names.map(csvField).join(','));
			for (const row of reader.getRows())
				lines.push(row.map(csvField).join(','));
		}
		const secs = Number(process.hrtime.bigint() - t0) / 1e9;
		process.stderr.write(`time ${name} ${secs.toFixed(4)}\n`);
		const text = lines.map((l) => l + '\n').join('');
		if (outDir) {
			fs.writeFileSync(path.join(outDir, `${name}.csv`), text);
			fs.writeFileSync(path.join(outDir, `${name}.types`), types.map((l) => l + '\n').join(''));
		} else {
			process.stdout.write(text);
		}
	}
}

main().catch((e) => {
	process.stderr.write(`duckdb_run.js: ${e.message}\n`);
	process.exit(1);
});
