/*
 * fmt_parquet_int.h - private to format/'s Parquet code: the footer and page
 * header as C structs, their Thrift compact-protocol codec (fmt_thrift.c),
 * the RLE/bit-packed hybrid and the compression codecs shared by the reader
 * and the writer.
 */
#ifndef METAFS_FMT_PARQUET_INT_H
#define METAFS_FMT_PARQUET_INT_H

#include "fmt_parquet.h"
#include "textbuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Append V as an unsigned LEB128 varint (Thrift's compact integers, the
 * RLE/bit-packed run headers). */
void pq_put_uleb(textbuf *b, uint64_t v);

/* Thrift nesting the footer parser follows before refusing the file. */
#define PQ_THRIFT_MAX_DEPTH 32

/* Encodings (Parquet's numbers). */
enum {
	PQ_ENC_PLAIN = 0,
	PQ_ENC_PLAIN_DICTIONARY = 2,
	PQ_ENC_RLE = 3,
	PQ_ENC_BIT_PACKED = 4,
	PQ_ENC_DELTA_BINARY_PACKED = 5,
	PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
	PQ_ENC_DELTA_BYTE_ARRAY = 7,
	PQ_ENC_RLE_DICTIONARY = 8,
	PQ_ENC_BYTE_STREAM_SPLIT = 9,
};

/* Page types. */
enum {
	PQ_PAGE_DATA = 0,
	PQ_PAGE_INDEX = 1,
	PQ_PAGE_DICTIONARY = 2,
	PQ_PAGE_DATA_V2 = 3,
};

/* FieldRepetitionType. */
enum { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };

/* One SchemaElement; -1 (or NULL) marks an absent optional field. */
typedef struct pq_schema {
	char *name;                  /* owned */
	int32_t physical;            /* -1: a group */
	int32_t type_length;
	int32_t repetition;
	int32_t num_children;
	int32_t converted;
	int32_t scale, precision;
	int32_t field_id;
	/* LogicalType: the union's field id, then the members some carry */
	int32_t logical;
	int32_t l_scale, l_precision;     /* DECIMAL */
	int32_t l_unit;                   /* TIME / TIMESTAMP: fmt_pq_time_unit */
	bool l_utc;
	int32_t l_bits;                   /* INTEGER */
	bool l_signed;
} pq_schema;

typedef struct pq_kv {
	char *key;                   /* owned */
	char *value;                 /* owned, NULL when absent */
} pq_kv;

/*
 * FileMetaData.  Decoded: strings are owned copies, statistics point into the
 * decoded bytes (keep them alive).  Encoded: everything is read, nothing kept.
 */
typedef struct pq_footer {
	int32_t version;
	pq_schema *schema;
	size_t nschema;
	int64_t num_rows;
	fmt_parquet_rowgroup *rowgroups;    /* chunks and their paths owned */
	size_t nrowgroups;
	pq_kv *kv;
	size_t nkv;
	char *created_by;            /* owned, NULL when absent */
	size_t ncolumn_orders;       /* encode: write TYPE_ORDER for this many leaves */
} pq_footer;

/* Parse LEN bytes of a FileMetaData into F (zeroed first).  On failure F is
 * freed and MSG (CAP bytes) says what is wrong.  Returns 0 or -EINVAL/-ENOMEM. */
int pq_footer_decode(const uint8_t *b, size_t len, pq_footer *f, char *msg, size_t cap);
void pq_footer_free(pq_footer *f);
/* Append F's Thrift encoding to OUT (textbuf_error() tells of a failure). */
void pq_footer_encode(const pq_footer *f, textbuf *out);

typedef struct pq_page_header {
	int32_t type;
	int32_t uncompressed_size;
	int32_t compressed_size;
	bool has_data, has_v2, has_dict;
	/* DataPageHeader, DataPageHeaderV2, DictionaryPageHeader */
	int32_t num_values;
	int32_t num_nulls;           /* v2 */
	int32_t num_rows;            /* v2 */
	int32_t encoding;
	int32_t def_encoding, rep_encoding;     /* v1 */
	int32_t def_len, rep_len;               /* v2 */
	bool is_compressed;                     /* v2, default true */
} pq_page_header;

/* Parse the PageHeader at the start of the LEN bytes at B; *USED gets its
 * length.  Returns 0 or -EINVAL with MSG filled. */
int pq_page_header_decode(const uint8_t *b, size_t len, pq_page_header *h, size_t *used,
			  char *msg, size_t cap);
void pq_page_header_encode(const pq_page_header *h, textbuf *out);

/* ---- RLE / bit-packed hybrid (fmt_parquet_read.c, fmt_parquet_write.c) ---- */

/* Decode N values of WIDTH bits (0..32) from the hybrid run data at B (LEN
 * bytes) into OUT.  Returns 0, or -EINVAL when the data ends early or is
 * malformed. */
int pq_rle_decode(const uint8_t *b, size_t len, unsigned width, uint32_t *out, size_t n);
/* Append the hybrid encoding of the N values of WIDTH bits to OUT. */
void pq_rle_encode(textbuf *out, const uint32_t *v, size_t n, unsigned width);

/* ---- compression (fmt_parquet_read.c) ---- */

/* Decompress the LEN bytes at SRC with CODEC into exactly OUTLEN bytes at DST.
 * Returns 0, -ENOTSUP for a codec metafs does not read, -EINVAL when the data
 * is corrupt or its size is not OUTLEN. */
int pq_decompress(fmt_pq_codec codec, const uint8_t *src, size_t len, uint8_t *dst, size_t outlen);
/* Compress LEN bytes with CODEC (LEVEL 0: default) and append them to OUT. */
int pq_compress(fmt_pq_codec codec, int level, const uint8_t *src, size_t len, textbuf *out);
const char *pq_codec_name(fmt_pq_codec codec);

#endif
