/* svg_chart.h: the numbers of the server-rendered SVG bar charts (templates/chart_bars.cs
 * draws them; the template escapes every text). Shared by the reports and the dashboard so a
 * chart on the home page is drawn exactly like the one on the report it links to. */
#ifndef BILLSYNC_WEB_SVG_CHART_H
#define BILLSYNC_WEB_SVG_CHART_H

#include "core/cdate.h"
#include "core/strbuf.h"
#include "db/series.h"
#include "web/web.h"

#include <stdint.h>

/* Writes into url (empty on entry) the link of the bar named name (a company, a product, a
 * day "YYYY-MM-DD"). */
typedef void (*chart_href_fn)(struct strbuf *url, const char *name, void *ctx);

/* Text for SVG: C0 controls (not allowed in XML) become spaces; at most max_chars code
 * points (0 = all), the last replaced by an ellipsis when cut. */
void svg_text(const char *in, size_t max_chars, char *out, size_t n);

/* Horizontal bars, one per point of top (name, quantity in 1/1000), the longest bar for the
 * largest value: <prefix>.Bars.N.{name,label,value,href,y,ty,w,vx} and
 * <prefix>.{n,width,height,bar_x,label_x,bar_h}. */
void chart_hbars(struct web *w, const char *prefix, const struct series_list *top, chart_href_fn href, void *ctx);

/* Vertical bars per day over ndays days from `from`: points of per are (day, count), days
 * out of the range skipped. <prefix>.Bars.N.{day,value,x,y,h,href}, <prefix>.Ticks.N.{label,day,x}
 * and <prefix>.{n,max,width,height,bar_w,base,top,left,axis_end,scale_x,max_y,tick_y}. */
void chart_days(struct web *w, const char *prefix, cdate_t from, int64_t ndays, const struct series_list *per,
                chart_href_fn href, void *ctx);

/* Appends ?key=value (or &key=value) with the value URL-escaped. */
void url_add_param(struct strbuf *sb, const char *key, const char *val);

#endif
