/*
 * base_date.h - proleptic Gregorian calendar dates as days since 1970-01-01.
 *
 * The SQL engine stores DATE values as days since the epoch and the demo
 * data generator walks date ranges; both convert with these (Howard
 * Hinnant's days_from_civil and civil_from_days), which are exact for every
 * year an int64_t day count can reach, before 1970 and before year 1 too.
 */
#ifndef METAFS_BASE_DATE_H
#define METAFS_BASE_DATE_H

#include <stdbool.h>
#include <stdint.h>

/* Days since 1970-01-01 of Y-M-D (M 1..12, D 1..31; not checked). */
int64_t base_date_to_days(int64_t y, unsigned m, unsigned d);

/* The date DAYS days after 1970-01-01 (negative: before). */
void base_date_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

bool base_date_leap_year(int64_t y);

/* Days in month M (1..12) of year Y. */
unsigned base_date_month_days(int64_t y, unsigned m);

#endif
