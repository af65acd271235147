/* Dates (RFC 5322 3.3 date-time, and the obsolete forms of 4.3): a
 * tolerant parser that also reads asctime() order and missing seconds or
 * weekday, and the writer used for Date fields.
 * SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/str.h"
#include "mime.h"

struct dtok {
	const char	*p;
	size_t		 len;
	char		 kind;	/* 'a' letters, 'd' digits, or the char */
};

static const char *const months[12] = { "jan", "feb", "mar", "apr", "may",
    "jun", "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
    "Fri", "Sat" };
static const char *const mnames[] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* The next token after blanks, commas' neighbours and comments. */
static bool
dtok_next(const char **pp, const char *end, struct dtok *t)
{
	const char *p = *pp;
	int depth = 0;

	while (p < end && (depth > 0 || *p == ' ' || *p == '\t' ||
	    *p == '\r' || *p == '\n' || *p == '(')) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (*p == '\\' && depth > 0 && p + 1 < end)
			p++;
		p++;
	}
	if (p >= end)
		return false;
	t->p = p;
	if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') {
		while (p < end && (*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')
			p++;
		t->kind = 'a';
	} else if (*p >= '0' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		t->kind = 'd';
	} else {
		t->kind = *p++;
	}
	t->len = (size_t)(p - t->p);
	*pp = p;
	return true;
}

static int
month_of(const struct dtok *t)
{
	size_t i;

	for (i = 0; i < 12; i++)
		if (str_iprefix(t->p, t->len, months[i]))
			return (int)i;
	return -1;
}

/* RFC 5322 4.3 obs-zone; military and unknown zones mean -0000. */
static bool
zone_alpha(const struct dtok *t, int *tz)
{
	static const struct { const char *n; int off; } z[] = {
		{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
		{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 },
		{ "CDT", -300 }, { "MST", -420 }, { "MDT", -360 },
		{ "PST", -480 }, { "PDT", -420 },
	};
	size_t i;

	for (i = 0; i < sizeof(z) / sizeof(z[0]); i++)
		if (str_ieq(t->p, t->len, z[i].n)) {
			*tz = z[i].off;
			return true;
		}
	*tz = 0;
	return t->len <= 5;
}

static int
num(const struct dtok *t)
{
	const char *errstr;

	return (int)str_to_uint_n(t->p, t->len > 9 ? 9 : t->len, 0,
	    999999999, &errstr);
}

struct dparts {
	int	 day, mon, year, h, m, s, tz;
	bool	 has_time, has_zone;
};

/* "hh:mm[:ss]" starting at the digits token t. */
static bool
time_parse(const char **pp, const char *end, const struct dtok *t,
    struct dparts *d)
{
	const char *p = *pp;
	struct dtok a, b;

	if (!dtok_next(&p, end, &a) || a.kind != ':' ||
	    !dtok_next(&p, end, &b) || b.kind != 'd')
		return false;
	d->h = num(t);
	d->m = num(&b);
	d->s = 0;
	*pp = p;
	if (dtok_next(&p, end, &a) && a.kind == ':' &&
	    dtok_next(&p, end, &b) && b.kind == 'd') {
		d->s = num(&b);
		*pp = p;
	}
	d->has_time = true;
	return true;
}

/* A numeric zone "+hhmm" after the sign token. */
static bool
zone_num(const char **pp, const char *end, char sign, struct dparts *d)
{
	const char *p = *pp;
	struct dtok t;
	int v;

	if (!dtok_next(&p, end, &t) || t.kind != 'd' || t.len != 4)
		return false;
	v = num(&t);
	if (v % 100 > 59)
		return false;
	d->tz = (v / 100 * 60 + v % 100) * (sign == '-' ? -1 : 1);
	d->has_zone = true;
	*pp = p;
	return true;
}

static void
number(const struct dtok *t, struct dparts *d)
{
	int v = num(t);

	if (d->day < 0 && t->len <= 2 && v >= 1 && v <= 31) {
		d->day = v;
		return;
	}
	if (d->year >= 0)
		return;
	/* RFC 5322 4.3: two digits from 50 are 19xx, else 20xx; three
	 * digits are added to 1900. */
	if (t->len == 2)
		v += v < 50 ? 2000 : 1900;
	else if (t->len == 3)
		v += 1900;
	d->year = v;
}

static void
dparts_scan(const char *p, size_t len, struct dparts *d)
{
	const char *end = p + len;
	struct dtok t;
	int mon;

	while (dtok_next(&p, end, &t)) {
		if (t.kind == 'a') {
			if (d->mon < 0 && (mon = month_of(&t)) >= 0)
				d->mon = mon;
			else if (d->has_time && !d->has_zone &&
			    zone_alpha(&t, &d->tz))
				d->has_zone = true;
		} else if (t.kind == 'd') {
			if (!d->has_time && time_parse(&p, end, &t, d))
				continue;
			number(&t, d);
		} else if ((t.kind == '+' || t.kind == '-') && d->has_time &&
		    !d->has_zone) {
			zone_num(&p, end, t.kind, d);
		}
	}
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
mdays(int year, int mon)
{
	static const int n[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return n[mon] + (mon == 1 && leap);
}

int
mime_date_parse(const char *p, size_t len, time_t *t_out, int *tz_out)
{
	struct dparts d = { -1, -1, -1, 0, 0, 0, 0, false, false };
	long long days;

	dparts_scan(p, len, &d);
	if (d.day < 0 || d.mon < 0 || d.year < 0 || d.year > 9999)
		return -1;
	if (d.day > mdays(d.year, d.mon) || d.h > 23 || d.m > 59 || d.s > 60)
		return -1;
	days = days_from_civil(d.year, d.mon + 1, d.day);
	*t_out = (time_t)(days * 86400 + d.h * 3600 + d.m * 60 + d.s -
	    (long long)d.tz * 60);
	*tz_out = d.tz;
	return 0;
}

bool
mime_date_format(time_t t, int tz, char *out, size_t size)
{
	struct tm tm;
	time_t local = t + (time_t)tz * 60;
	int atz = tz < 0 ? -tz : tz, n;

	if (gmtime_r(&local, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0)
		return false;
	n = snprintf(out, size, "%s, %d %s %04d %02d:%02d:%02d %c%02d%02d",
	    wdays[tm.tm_wday], tm.tm_mday, mnames[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    tz < 0 ? '-' : '+', atz / 60 % 100, atz % 60);
	return n > 0 && (size_t)n < size;
}

void
mime_date_now(char *out, size_t size)
{
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	mime_date_format(now, (int)(tm.tm_gmtoff / 60), out, size);
}
