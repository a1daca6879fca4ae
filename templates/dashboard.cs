<?cs # dashboard.cs: the home page: getting-started steps (until all are done; alone when the
     tenant has no connection yet), tiles (Tiles.N, each a link to its report: value and an
     optional unit, or Amounts per currency with the Annual part apart), three SVG
     charts (Customers, Products: bar_chart; Days: day_chart) and the connections' health. ?>
<?cs include:"layout.cs" ?>
<?cs include:"chart_bars.cs" ?>
<?cs call:page_start("Dashboard") ?>
<p class="lead">Welcome to billsync, <?cs var:User.email ?>.</p>

<?cs if:Setup.show ?>
<section class="panel getting-started" id="getting-started" aria-labelledby="gs-title">
  <h2 id="gs-title">Getting started</h2>
  <p class="muted"><?cs var:Setup.done ?> of 4 steps done. Billing changes reach your PSA once all four are.</p>
  <ol class="steps">
  <?cs each:s = Setup.Steps ?>
    <li id="step-<?cs var:s.key ?>" class="step<?cs if:s.done == "1" ?> done<?cs /if ?>" data-done="<?cs var:s.done ?>">
      <span class="tick" aria-hidden="true"><?cs if:s.done == "1" ?>✓<?cs /if ?></span>
      <span class="visually-hidden"><?cs if:s.done == "1" ?>Done:<?cs else ?>To do:<?cs /if ?></span>
      <a href="<?cs var:s.href ?>"><?cs var:s.label ?></a>
      <span class="muted small"><?cs var:s.hint ?></span>
    </li>
  <?cs /each ?>
  </ol>
</section>
<?cs /if ?>

<?cs if:!Dash.empty ?>
<section class="tiles" id="tiles" aria-label="Key figures">
<?cs each:t = Tiles ?>
  <a class="tile <?cs var:t.level ?>" id="tile-<?cs var:t.key ?>" href="<?cs var:t.href ?>">
    <span class="tile-label"><?cs var:t.label ?></span>
    <?cs if:subcount(t.Amounts) > #0 ?>
    <?cs each:m = t.Amounts ?><span class="tile-value amount" data-currency="<?cs var:m.currency ?>" data-value="<?cs var:m.value ?>"><?cs var:m.text ?> <span class="currency"><?cs var:m.currency ?></span></span><?cs /each ?>
    <?cs else ?>
    <span class="tile-value" data-value="<?cs var:t.value ?>"><?cs var:t.value ?><?cs if:t.unit ?> <span class="currency unit"><?cs var:t.unit ?></span><?cs /if ?></span>
    <?cs /if ?>
    <span class="tile-note"><?cs var:t.note ?></span>
    <?cs if:subcount(t.Annual) > #0 ?><span class="tile-note tile-annual">of which <?cs var:t.annual_label ?>, a twelfth of the yearly cost:<?cs each:m = t.Annual ?>
      <span class="annual-amount" data-currency="<?cs var:m.currency ?>" data-month="<?cs var:m.month_value ?>" data-year="<?cs var:m.year_value ?>"><?cs var:m.month_text ?> <?cs var:m.currency ?> a month (<?cs var:m.year_text ?> <?cs var:m.currency ?> a year)</span><?cs /each ?></span><?cs /if ?>
  </a>
<?cs /each ?>
</section>

<?cs include:"dashboard_new_subs.cs" ?>

<div class="chart-grid">
<section id="chart-customers" class="chart-box">
<?cs if:#Customers.n > #0 ?><?cs call:bar_chart(Customers, "Licences per customer (top 10 by seats; usage left out)") ?>
<?cs else ?><div class="panel muted">Licences per customer: no licences yet.</div><?cs /if ?>
</section>
<section id="chart-products" class="chart-box">
<?cs if:#Products.n > #0 ?><?cs call:bar_chart(Products, "Top products by seats (top 10; usage left out)") ?>
<?cs else ?><div class="panel muted">Top products by seats: no licences yet.</div><?cs /if ?>
</section>
</div>
<section id="chart-days" class="chart-box">
<?cs if:#Days.n > #0 ?><?cs call:day_chart(Days, "Adjustments per day (last 30 days, UTC)") ?>
<?cs else ?><div class="panel muted">Adjustments per day: none from <?cs var:Days.from ?> to <?cs var:Days.to ?>.</div><?cs /if ?>
</section>

<section class="panel" id="sync-health" aria-labelledby="sync-title">
  <h2 id="sync-title">Connections and sync</h2>
  <p id="last-sync"><?cs if:Sync.finished ?>Last sync finished <?cs var:Sync.finished ?>: <?cs var:Sync.result ?>
  <?cs elif:Sync.started ?>Sync running since <?cs var:Sync.started ?>: <?cs var:Sync.result ?>
  <?cs else ?>No sync has run yet.<?cs /if ?></p>
  <div class="table-scroll">
  <table class="compact" id="connections-health">
    <thead><tr><th>Connection</th><th>Kind</th><th>Health</th><th>Credentials</th><th>Last refresh</th></tr></thead>
    <tbody>
    <?cs each:k = Conns ?>
    <tr data-id="<?cs var:k.id ?>" data-health="<?cs var:k.health ?>">
      <td><a href="/settings/connections"><?cs var:k.name ?></a> <span class="muted small"><?cs var:k.system ?></span></td>
      <td><?cs var:k.kind_label ?></td>
      <td><span class="badge <?cs var:k.health ?>"><?cs var:k.health_label ?></span></td>
      <td><span class="status"><?cs var:k.status ?></span><?cs if:k.tested_at ?> <span class="muted small">tested <?cs var:k.tested_at ?></span><?cs /if ?><?cs if:k.status_message ?><div class="muted small"><?cs var:k.status_message ?></div><?cs /if ?></td>
      <td><span class="refresh-status"><?cs var:k.refresh_status ?></span><?cs if:k.refreshed_at ?> <span class="refreshed-at"><?cs var:k.refreshed_at ?></span><?cs /if ?><?cs if:k.refresh_message ?><div class="muted small"><?cs var:k.refresh_message ?></div><?cs /if ?></td>
    </tr>
    <?cs /each ?>
    </tbody>
  </table>
  </div>
  <p class="small"><a href="/checklist">Pre-invoicing checklist</a></p>
</section>
<?cs /if ?>
<?cs call:page_end() ?>
