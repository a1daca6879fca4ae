<?cs # chart_bars.cs: a horizontal bar chart as inline SVG, drawn from HDF values only (every
     number is computed in C; every text goes through var:, so the SVG stays well-formed XML).
     chart: .width .height .bar_x .label_x .bar_h and .Bars.N.{name label value href y ty w vx}.
     day_chart: one vertical bar per day that has rows, at its place in the date range, each a
     link to that day; chart: .width .height .left .axis_end .base .top .bar_w .max .scale_x
     .max_y .tick_y, .Bars.N.{day value href x y h}, .Ticks.N.{label day x}; .too_long (days)
     when the range is too long to draw. ?>
<?cs def:bar_chart(chart, title) ?>
<figure class="chart panel">
<figcaption><?cs var:title ?></figcaption>
<svg xmlns="http://www.w3.org/2000/svg" class="bars" width="<?cs var:chart.width ?>" height="<?cs var:chart.height ?>" viewBox="0 0 <?cs var:chart.width ?> <?cs var:chart.height ?>" role="img" aria-label="<?cs var:title ?>">
<?cs each:b = chart.Bars ?>
<a href="<?cs var:b.href ?>">
<text class="label" x="<?cs var:chart.label_x ?>" y="<?cs var:b.ty ?>"><?cs var:b.label ?></text>
<rect class="bar" x="<?cs var:chart.bar_x ?>" y="<?cs var:b.y ?>" width="<?cs var:b.w ?>" height="<?cs var:chart.bar_h ?>" data-value="<?cs var:b.value ?>"><title><?cs var:b.name ?>: <?cs var:b.value ?></title></rect>
<text class="value" x="<?cs var:b.vx ?>" y="<?cs var:b.ty ?>"><?cs var:b.value ?></text>
</a>
<?cs /each ?>
</svg>
</figure>
<?cs /def ?>

<?cs def:day_chart(chart, title) ?>
<figure class="chart panel" id="day-chart">
<figcaption><?cs var:title ?></figcaption>
<?cs if:chart.too_long ?>
<p class="muted">The chart covers at most <?cs var:chart.too_long ?> days: choose a shorter date range to see it.</p>
<?cs else ?>
<svg xmlns="http://www.w3.org/2000/svg" class="bars days" width="<?cs var:chart.width ?>" height="<?cs var:chart.height ?>" viewBox="0 0 <?cs var:chart.width ?> <?cs var:chart.height ?>" role="img" aria-label="<?cs var:title ?>">
<line class="axis" x1="<?cs var:chart.left ?>" y1="<?cs var:chart.base ?>" x2="<?cs var:chart.axis_end ?>" y2="<?cs var:chart.base ?>"/>
<text class="scale" x="<?cs var:chart.scale_x ?>" y="<?cs var:chart.max_y ?>"><?cs var:chart.max ?></text>
<text class="scale" x="<?cs var:chart.scale_x ?>" y="<?cs var:chart.base ?>">0</text>
<?cs each:t = chart.Ticks ?><text class="tick" x="<?cs var:t.x ?>" y="<?cs var:chart.tick_y ?>" data-day="<?cs var:t.day ?>"><?cs var:t.label ?></text>
<?cs /each ?>
<?cs each:b = chart.Bars ?>
<a href="<?cs var:b.href ?>">
<rect class="bar" x="<?cs var:b.x ?>" y="<?cs var:b.y ?>" width="<?cs var:chart.bar_w ?>" height="<?cs var:b.h ?>" data-day="<?cs var:b.day ?>" data-value="<?cs var:b.value ?>"><title><?cs var:b.day ?>: <?cs var:b.value ?></title></rect>
</a>
<?cs /each ?>
</svg>
<?cs /if ?>
</figure>
<?cs /def ?>
