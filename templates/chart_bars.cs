<?cs # chart_bars.cs: a horizontal bar chart as inline SVG, drawn from HDF values only (every
     number is computed in C; every text goes through var:, so the SVG stays well-formed XML).
     chart: .width .height .bar_x .label_x .bar_h and .Bars.N.{name label value href y ty w vx}. ?>
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
