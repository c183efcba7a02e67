/*
 * fmt_text.h - the text of a typed value, as metafs writes it in CSV files
 * (and as the SQL engine prints it): the one text form every layer that
 * turns a value of a Parquet file into text uses, so that the same value
 * reads the same whichever format held it.
 *
 *   bigint     decimal digits, '-' when negative: -42
 *   double     as Java (and Spark) print a double: the shortest digits that
 *              read back to it, "12.3", "0.001", "1.0E7", "1.0E-4", "0.0",
 *              "-0.0", "NaN", "Infinity", "-Infinity"
 *   boolean    true / false
 *   date       YYYY-MM-DD (a negative year as -YYYY, 5 characters)
 *   timestamp  YYYY-MM-DD HH:MM:SS, then .FFFFFF without trailing zeros
 *              when there is a fraction (UTC)
 *   decimal    the digits with exactly the type's scale: 12.30 in (5,2)
 * Strings are their bytes and have no text form here.
 */
#ifndef METAFS_FMT_TEXT_H
#define METAFS_FMT_TEXT_H

#include "fmt_vector.h"

#include <stddef.h>
#include <stdint.h>

/* Room for the longest text (a decimal(38,s) with sign and point is 40). */
#define FMT_TEXT_MAX 64

/* The text of value I of V (not NULL, V not a STRING vector) into OUT
 * (NUL-terminated); returns its length. */
size_t fmt_value_text(const fmt_vector *v, size_t i, char out[FMT_TEXT_MAX]);

/* The same forms for one value (OUT at least 32 bytes; 48 for a decimal);
 * each returns the length and writes a NUL. */
size_t fmt_date_text(int64_t days, char *out);          /* days since 1970-01-01 */
size_t fmt_timestamp_text(int64_t micros, char *out);   /* micros since the epoch */
size_t fmt_double_text(double d, char *out);
size_t fmt_decimal_text(fmt_int128 v, unsigned scale, char *out);   /* v x 10^-scale */
/* The shortest decimal digits that read back as D (finite, > 0) into
 * DIGITS, without a point; returns E such that D = 0.DIGITS x 10^E. */
int fmt_double_digits(double d, char digits[24]);

#endif
