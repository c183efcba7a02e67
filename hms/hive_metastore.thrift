// hive_metastore.thrift - the subset of Hive's metastore API that metafsd
// serves ([hms] listen in metafs.ini; see metafsd(8)).  Names, field ids,
// types and requiredness are those of Apache Hive's
// standalone-metastore/metastore-common/src/main/thrift/hive_metastore.thrift
// (checked against apache/hive commit
// 0078f1f0aafe72428411112d63c7005a63c3ea42) and of fb303.thrift (checked
// against apache/thrift contrib/fb303/if/fb303.thrift, commit
// 0b7d6fa5ee27dcfe60ed946c99fbc1c664bb4057), so a client generated from
// this file and Hive's own clients speak the same bytes.  Every struct,
// exception, enum and method below has the ids, types, requiredness and
// declared exceptions of those files.  Optional fields metafs never sends
// or reads are left out (Table 13-16 and 19-28, Database 5 and 9-13,
// StorageDescriptor 11: skewedInfo, SerDeInfo 4-7,
// GetTableRequest 6-11, GetTableResult 2: isStatsCompliant, Partition 8
// and 10-13): a client skips
// fields it does not know, and metafsd skips those a client sends.  None
// of Hive's required fields of a reply is left out.  hms/hms_calls.c
// writes these field ids by number.

namespace py hive_metastore

// fb303 (share/fb303/if/fb303.thrift, the file Hive includes); only the
// methods metafsd serves are declared.
enum fb_status {
  DEAD = 0,
  STARTING = 1,
  ALIVE = 2,
  STOPPING = 3,
  STOPPED = 4,
  WARNING = 5,
}

service FacebookService {
  string getName(),
  string getVersion(),
  fb_status getStatus(),
  i64 aliveSince(),
}

enum PrincipalType {
  USER  = 1,
  ROLE  = 2,
  GROUP = 3,
}

struct FieldSchema {
  1: string name,
  2: string type,
  3: string comment
}

struct Database {
  1: string name,
  2: string description,
  3: string locationUri,
  4: map<string, string> parameters,
  6: optional string ownerName,
  7: optional PrincipalType ownerType,
  8: optional string catalogName
}

struct SerDeInfo {
  1: string name,
  2: string serializationLib,
  3: map<string, string> parameters
}

struct Order {
  1: string col,
  2: i32 order
}

struct StorageDescriptor {
  1: list<FieldSchema> cols,
  2: string location,
  3: string inputFormat,
  4: string outputFormat,
  5: bool compressed,
  6: i32 numBuckets,
  7: SerDeInfo serdeInfo,
  8: list<string> bucketCols,
  9: list<Order> sortCols,
  10: map<string, string> parameters,
  12: optional bool storedAsSubDirectories
}

struct Table {
  1: string tableName,
  2: string dbName,
  3: string owner,
  4: i32 createTime,
  5: i32 lastAccessTime,
  6: i32 retention,
  7: StorageDescriptor sd,
  8: list<FieldSchema> partitionKeys,
  9: map<string, string> parameters,
  10: string viewOriginalText,
  11: string viewExpandedText,
  12: string tableType,
  17: optional string catName,
  18: optional PrincipalType ownerType = PrincipalType.USER
}

enum ClientCapability {
  TEST_CAPABILITY = 1,
  INSERT_ONLY_TABLES = 2
}

struct ClientCapabilities {
  1: required list<ClientCapability> values
}

struct GetTableRequest {
  1: required string dbName,
  2: required string tblName,
  3: optional ClientCapabilities capabilities,
  4: optional string catName
}

struct GetTableResult {
  1: required Table table
}

struct Partition {
  1: list<string> values,
  2: string dbName,
  3: string tableName,
  4: i32 createTime,
  5: i32 lastAccessTime,
  6: StorageDescriptor sd,
  7: map<string, string> parameters,
  9: optional string catName
}

exception MetaException {
  1: string message
}

exception NoSuchObjectException {
  1: string message
}

exception ConfigValSecurityException {
  1: string message
}

// ---- structs and exceptions of the partition calls (hms/hms_parts.c)

// ---- end of the partition calls' structs

// ---- structs and exceptions of the write calls (hms/hms_write.c)

// ---- end of the write calls' structs

// ---- structs of schema, statistics, functions, notifications (hms/hms_misc.c)

// ---- end of their structs

service ThriftHiveMetastore extends FacebookService {
  string get_config_value(1: string name, 2: string defaultValue)
      throws (1: ConfigValSecurityException o1)

  list<string> get_databases(1: string pattern) throws (1: MetaException o1)
  list<string> get_all_databases() throws (1: MetaException o1)
  Database get_database(1: string name)
      throws (1: NoSuchObjectException o1, 2: MetaException o2)

  list<string> get_tables(1: string db_name, 2: string pattern) throws (1: MetaException o1)
  list<string> get_all_tables(1: string db_name) throws (1: MetaException o1)
  Table get_table(1: string dbname, 2: string tbl_name)
      throws (1: MetaException o1, 2: NoSuchObjectException o2)
  GetTableResult get_table_req(1: GetTableRequest req)
      throws (1: MetaException o1, 2: NoSuchObjectException o2)

  // Returns group_names with user_name appended, as Hive's HMSHandler does.
  list<string> set_ugi(1: string user_name, 2: list<string> group_names)
      throws (1: MetaException o1)

  // ---- partitions (hms/hms_parts.c)
  // Hive's user_name and group_names of the _with_auth calls are read and
  // ignored: the set_ugi user decides.  max_parts < 0: all.
  list<Partition> get_partitions(1:string db_name, 2:string tbl_name, 3:i16 max_parts=-1)
      throws(1:NoSuchObjectException o1, 2:MetaException o2)
  list<Partition> get_partitions_with_auth(1:string db_name, 2:string tbl_name,
      3:i16 max_parts=-1, 4:string user_name, 5:list<string> group_names)
      throws(1:NoSuchObjectException o1, 2:MetaException o2)
  list<string> get_partition_names(1:string db_name, 2:string tbl_name, 3:i16 max_parts=-1)
      throws(1:NoSuchObjectException o1, 2:MetaException o2)
  list<Partition> get_partitions_ps(1:string db_name, 2:string tbl_name,
      3:list<string> part_vals, 4:i16 max_parts=-1)
      throws(1:MetaException o1, 2:NoSuchObjectException o2)
  list<Partition> get_partitions_ps_with_auth(1:string db_name, 2:string tbl_name,
      3:list<string> part_vals, 4:i16 max_parts=-1, 5:string user_name,
      6:list<string> group_names)
      throws(1:NoSuchObjectException o1, 2:MetaException o2)
  list<string> get_partition_names_ps(1:string db_name, 2:string tbl_name,
      3:list<string> part_vals, 4:i16 max_parts=-1)
      throws(1:MetaException o1, 2:NoSuchObjectException o2)
  list<Partition> get_partitions_by_filter(1:string db_name, 2:string tbl_name,
      3:string filter, 4:i16 max_parts=-1)
      throws(1:MetaException o1, 2:NoSuchObjectException o2)
  i32 get_num_partitions_by_filter(1:string db_name, 2:string tbl_name, 3:string filter)
      throws(1:MetaException o1, 2:NoSuchObjectException o2)
  list<Partition> get_partitions_by_names(1:string db_name, 2:string tbl_name,
      3:list<string> names)
      throws(1:MetaException o1, 2:NoSuchObjectException o2)
  Partition get_partition(1:string db_name, 2:string tbl_name, 3:list<string> part_vals)
      throws(1:MetaException o1, 2:NoSuchObjectException o2)
  Partition get_partition_with_auth(1:string db_name, 2:string tbl_name,
      3:list<string> part_vals, 4:string user_name, 5:list<string> group_names)
      throws(1:MetaException o1, 2:NoSuchObjectException o2)
  Partition get_partition_by_name(1:string db_name, 2:string tbl_name, 3:string part_name)
      throws(1:MetaException o1, 2:NoSuchObjectException o2)

  // ---- end of partitions

  // ---- writes: databases, tables, partitions (hms/hms_write.c)

  // ---- end of writes

  // ---- schema, statistics, functions, notifications (hms/hms_misc.c)

  // ---- end of schema, statistics, functions, notifications
}
