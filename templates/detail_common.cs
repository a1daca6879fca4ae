<?cs # detail_common.cs: what the detail pages of one adjustment and one charge share: the
     labelled fields (Fields.N) and every attempt, oldest first (Attempts.N), each value
     escaped by var:. ?>
<?cs def:detail_back() ?>
<nav class="tabs" aria-label="Adjustment reports">
  <a href="/reports/adjustments">Adjustment log</a>
  <a href="/reports/failures">Failure log</a>
</nav>
<?cs /def ?>

<?cs def:detail_fields() ?>
<div class="panel">
<dl class="detail-fields" id="detail-fields">
<?cs each:f = Fields ?>
  <div class="detail-field" data-key="<?cs var:f.key ?>"><dt><?cs var:f.label ?></dt><dd<?cs if:f.cls ?> class="<?cs var:f.cls ?>"<?cs /if ?>><?cs var:f.value ?></dd></div>
<?cs /each ?>
</dl>
</div>
<?cs /def ?>

<?cs def:detail_attempts(noun) ?>
<h2>Attempts</h2>
<?cs if:AttemptCount == "0" ?>
<div class="panel muted" id="attempts-empty">No attempt yet: billsync has not tried to post this <?cs var:noun ?>.</div>
<?cs else ?>
<div class="table-scroll">
<table class="report attempts" id="attempts">
  <thead><tr><th class="num">#</th><th>Time</th><th>Request</th><th>PSA answer</th><th>Outcome</th></tr></thead>
  <tbody>
  <?cs each:a = Attempts ?><tr data-outcome="<?cs var:a.outcome ?>"><td class="num"><?cs var:a.n ?></td><td class="nowrap"><?cs var:a.at ?></td><td class="wrap"><?cs var:a.summary ?></td><td class="wrap<?cs if:a.error ?> error-text<?cs /if ?>"><?cs if:a.error ?><?cs var:a.error ?><?cs else ?><?cs var:a.response ?><?cs /if ?></td><td class="outcome-<?cs var:a.outcome ?>"><?cs var:a.label ?></td></tr>
  <?cs /each ?>
  </tbody>
</table>
</div>
<?cs /if ?>
<?cs /def ?>
