<?cs # dashboard_new_subs.cs: the dashboard's "New since last sync" card (web/dash_new_subs.c):
     NewSubs.n subscriptions found new since the last completed sync and still unlinked, their
     monthly value at cost per currency (NewSubs.Totals), the first ten (NewSubs.Items, each
     with a Map link to its company on the Billing page, for the roles that may map) and a link to the unlinked report
     filtered to them. ?>
<section class="panel new-subs<?cs if:#NewSubs.n > #0 ?> bad<?cs /if ?>" id="new-subs" aria-labelledby="new-subs-title" data-count="<?cs var:NewSubs.n ?>">
  <h2 id="new-subs-title">New since last sync</h2>
  <?cs if:#NewSubs.n == #0 ?>
  <p class="muted" id="new-subs-empty">No new unlinked subscriptions since the last sync.</p>
  <?cs else ?>
  <p id="new-subs-summary"><strong><?cs if:NewSubs.at_least ?>at least <?cs /if ?><?cs var:NewSubs.n ?> subscription<?cs if:#NewSubs.n != #1 ?>s<?cs /if ?></strong>,
    <?cs if:NewSubs.overflow ?>value too large or in several currencies to total<?cs else ?><?cs each:m = NewSubs.Totals ?><?cs if:name(m) != "0" ?> + <?cs /if ?><span class="amount" data-currency="<?cs var:m.currency ?>" data-value="<?cs var:m.value ?>"><?cs var:m.text ?> <span class="currency"><?cs var:m.currency ?></span></span><?cs /each ?><?cs if:subcount(NewSubs.Totals) == #0 ?>0.00<?cs /if ?>/month at cost<?cs /if ?>:
    found at your distributors and not linked to the PSA yet, so not billed.</p>
  <div class="table-scroll">
  <table class="compact" id="new-subs-list">
    <thead><tr><th>Company</th><th>Subscription</th><th>Source</th><th>Found</th><th class="num">Monthly value at cost</th><th></th></tr></thead>
    <tbody>
    <?cs each:i = NewSubs.Items ?>
    <tr data-subscription="<?cs var:i.source_id ?>" data-value="<?cs var:i.value ?>" data-currency="<?cs var:i.currency ?>">
      <td><?cs var:i.company ?></td>
      <td><?cs var:i.subscription ?></td>
      <td><?cs var:i.source ?></td>
      <td><?cs var:i.found ?></td>
      <td class="num"><?cs if:i.text ?><?cs var:i.text ?> <?cs var:i.currency ?><?cs else ?><span class="muted">—</span><?cs /if ?></td>
      <td><?cs if:User.role != "viewer" ?><a class="map-link" href="/mapping?q=<?cs var:url_escape(i.company) ?>&amp;mapped=1#company-<?cs var:i.company_id ?>">Map</a><?cs /if ?></td>
    </tr>
    <?cs /each ?>
    </tbody>
  </table>
  </div>
  <?cs if:#NewSubs.more > #0 ?><p class="muted small">and <?cs var:NewSubs.more ?> more.</p><?cs /if ?>
  <?cs /if ?>
  <p class="small"><a id="new-subs-report" href="/reports/unlinked?new=1">Unlinked report: new since the last sync</a></p>
</section>
