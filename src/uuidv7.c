/*-------------------------------------------------------------------------
 *
 * uuidv7.c
 *	  Time-ordered ids: UUID version 7 (RFC 9562) in text form.
 *
 * The rows leadstore creates get their ids here rather than from a column
 * default (the application's tables have none: its ORM generates ids on the
 * client).  Version 7 puts a 48-bit Unix millisecond timestamp first, so ids
 * sort in creation order and B-tree inserts stay at the right edge.  Within
 * one millisecond the 12-bit rand_a field is a counter seeded at random
 * (RFC 9562 section 6.2, method 1), so the ids one backend generates are
 * strictly increasing; rand_b is 62 random bits.
 *
 * IDENTIFICATION
 *	  src/uuidv7.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "leadstore.h"

static int64 last_ms = 0;
static uint32 last_counter = 0;

/*
 * ls_uuidv7_text -- write a new UUIDv7 as 36 lower-case hex characters and
 *		dashes plus a NUL into buf (LS_UUID_TEXT_LEN + 1 bytes)
 */
void
ls_uuidv7_text(char *buf)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char u[16];
	int64		ms;
	uint32		counter;
	int			i;
	char	   *p = buf;

	/* microseconds since 2000-01-01 to milliseconds since 1970-01-01 */
	ms = GetCurrentTimestamp() / 1000 +
		(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;

	if (!pg_strong_random(u + 6, 10))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values")));

	if (ms > last_ms)
	{
		/* new millisecond: seed the counter, leaving room to count up */
		counter = ((uint32) u[6] << 8 | u[7]) & 0x7FF;
	}
	else
	{
		/* same millisecond, or the clock went back: count on */
		ms = last_ms;
		counter = last_counter + 1;
		if (counter > 0xFFF)
		{
			ms++;
			counter = 0;
		}
	}
	last_ms = ms;
	last_counter = counter;

	for (i = 0; i < 6; i++)
		u[i] = (unsigned char) (ms >> (40 - 8 * i));
	u[6] = 0x70 | (unsigned char) (counter >> 8);
	u[7] = (unsigned char) (counter & 0xFF);
	u[8] = 0x80 | (u[8] & 0x3F);

	for (i = 0; i < 16; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[u[i] >> 4];
		*p++ = hex[u[i] & 0x0F];
	}
	*p = '\0';
}
