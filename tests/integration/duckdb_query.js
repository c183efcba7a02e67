// duckdb_query.js [-h] [-s SEP] SQL... : run the statements in one in-memory
// DuckDB connection, in order, and print the rows each returns, one line a
// row, the fields joined by SEP (default ","), NULL as an empty field; with
// -h, each result's column names first.  An error goes to stderr, exit 1.
// The integration tests' one way to ask DuckDB (lib.sh: mf_duckdb).
const { DuckDBInstance } = require("@duckdb/node-api");

(async () => {
  const args = process.argv.slice(2);
  let sep = ",", header = false;
  while (args.length && args[0].startsWith("-")) {
    const o = args.shift();
    if (o === "-h") header = true;
    else if (o === "-s") sep = args.shift();
    else throw new Error("unknown option " + o);
  }
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  for (const sql of args) {
    const r = await c.runAndReadAll(sql);
    if (header) process.stdout.write(r.columnNames().join(sep) + "\n");
    for (const row of r.getRows())
      process.stdout.write(row.map(v => (v === null ? "" : String(v))).join(sep) + "\n");
  }
})().catch(e => { process.stderr.write(String(e.message || e) + "\n"); process.exit(1); });
