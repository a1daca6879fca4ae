<?cs include:"layout.cs" ?>
<?cs call:page_start(Page.title) ?>
<p><a href="/review">Another month</a> · <a href="<?cs var:Export ?>">Export CSV</a></p>

<section class="panel review-state" aria-label="Review">
  <p>Review status: <strong class="review-status"><?cs var:Review.status ?></strong>.
  <?cs if:Review.id ?>Opened by <?cs var:Review.created_by ?> on <?cs var:Review.created_at ?>.<?cs else ?>Not opened yet: the first action on this month opens it.<?cs /if ?>
  <?cs if:Review.approved_by ?>Approved by <span class="review-approved-by"><?cs var:Review.approved_by ?></span> on <?cs var:Review.approved_at ?>.<?cs /if ?>
  <?cs if:Review.applied_by ?>Applied by <span class="review-applied-by"><?cs var:Review.applied_by ?></span> on <?cs var:Review.applied_at ?>.<?cs /if ?></p>
  <form method="post" action="<?cs var:Self ?>" class="inline">
    <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
    <button type="submit" name="action" value="retrieve">Retrieve billing lines</button>
  </form>
  <p class="pull pull-<?cs var:Review.pull_state ?>">Retrieval: <strong><?cs if:Review.pull_state == "none" ?>not started<?cs else ?><?cs var:Review.pull_state ?><?cs /if ?></strong>
  <?cs if:Review.pull_at ?>(<?cs var:Review.pull_at ?> UTC)<?cs /if ?>
  <?cs if:Review.pull_message ?> — <?cs var:Review.pull_message ?><?cs /if ?>
  <?cs if:Review.pull_state == "queued" || Review.pull_state == "running" ?> <a href="<?cs var:Self ?>">Refresh</a><?cs /if ?></p>
  <ul class="review-sources">
  <?cs each:s = Sources ?><li><?cs var:s.name ?>: <?cs var:s.lines ?> billing lines</li><?cs /each ?>
  </ul>
  <p class="muted">Files uploaded to a CSV connection are already here; Retrieve reads the distributors connected through their API.</p>
</section>

<?cs if:Total == "0" ?>
<div class="panel">No billing lines for <?cs var:Month ?> yet. Retrieve them, or upload the distributor's file on
<a href="/settings/connections">Configuration</a>.</div>
<?cs else ?>
<p class="review-tally"><?cs each:t = Tally ?><span class="badge status-<?cs var:t.class ?>"><?cs var:t.label ?>: <?cs var:t.count ?></span> <?cs /each ?>
<?cs if:PsaConnection == "0" ?><span class="badge warn">no PSA connection: every line is unmapped</span><?cs /if ?></p>

<form method="post" action="<?cs var:Self ?>" id="review-bulk" class="bulk-actions panel">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <div class="field"><label for="f-note">Note (needed to ignore)</label><input id="f-note" name="note" maxlength="500"></div>
  <button type="submit" name="action" value="approve">Review and approve selected lines</button>
  <button type="submit" name="action" value="ignore" class="secondary">Ignore selected lines</button>
</form>

<div class="table-scroll">
<table class="report review-grid">
  <thead><tr><th class="select"><span class="visually-hidden">Select</span></th>
    <th><?cs var:Cols.customer ?></th><th><?cs var:Cols.subscription ?></th><th><?cs var:Cols.contract ?></th>
    <th><?cs var:Cols.product ?></th><th><?cs var:Cols.plan ?></th><th><?cs var:Cols.period ?></th>
    <th><?cs var:Cols.cycle ?></th><th class="num"><?cs var:Cols.term ?></th><th class="num"><?cs var:Cols.qty ?></th>
    <th class="num"><?cs var:Cols.units ?></th><th class="num"><?cs var:Cols.unit_cost ?></th><th class="num"><?cs var:Cols.cost ?></th>
    <th><?cs var:Cols.effective ?></th><th><?cs var:Cols.status ?></th><th><?cs var:Cols.decision ?></th>
    <th><?cs var:Cols.decided_by ?></th><th><?cs var:Cols.decided_at ?></th><th><?cs var:Cols.note ?></th>
    <th><?cs var:Cols.result ?></th><th>Actions</th></tr></thead>
  <tbody>
  <?cs each:l = Lines ?>
  <tr class="line-<?cs var:l.status_class ?>">
    <td class="select"><input type="checkbox" name="pick" value="<?cs var:l.key ?>" form="review-bulk" aria-label="Select line <?cs var:l.key ?>"></td>
    <td><?cs var:l.customer ?></td><td><?cs var:l.subscription ?></td><td><?cs var:l.contract ?></td>
    <td><?cs var:l.product ?></td><td><?cs var:l.plan ?></td><td class="period"><?cs var:l.period ?></td>
    <td><?cs var:l.cycle ?></td><td class="num"><?cs var:l.term ?></td><td class="num"><?cs var:l.qty ?></td>
    <td class="num"><?cs var:l.units ?></td><td class="num"><?cs var:l.unit_cost ?></td><td class="num"><?cs var:l.cost ?></td>
    <td class="date"><?cs var:l.effective ?></td>
    <td><span class="badge status-<?cs var:l.status_class ?>"><?cs var:l.status ?></span><span class="review-detail small muted"><?cs var:l.detail ?></span></td>
    <td><?cs var:l.decision ?></td><td><?cs var:l.decided_by ?></td><td><?cs var:l.decided_at ?></td><td><?cs var:l.note ?></td>
    <td class="review-result"><?cs var:l.result ?></td>
    <td class="row-actions">
      <?cs if:l.can_update || l.can_link || l.can_create ?>
      <form method="post" action="<?cs var:Self ?>" class="row-actions">
        <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
        <input type="hidden" name="line" value="<?cs var:l.key ?>">
        <?cs if:l.can_update ?><button type="submit" name="action" value="update" class="small-button">Update quantity</button><?cs /if ?>
        <?cs if:l.can_link ?><button type="submit" name="action" value="link" class="small-button secondary">Link as suggested</button><?cs /if ?>
        <?cs if:l.can_create ?><button type="submit" name="action" value="create" class="small-button secondary">Create in PSA</button><?cs /if ?>
      </form>
      <?cs /if ?>
    </td>
  </tr>
  <?cs /each ?>
  </tbody>
</table>
</div>
<?cs if:Page.count != "1" ?>
<nav class="pager" aria-label="Pages"><?cs if:Page.prev ?><a href="<?cs var:Page.prev ?>">Previous</a><?cs /if ?>
 Page <?cs var:Page.number ?> of <?cs var:Page.count ?> (<?cs var:Total ?> lines)
 <?cs if:Page.next ?><a href="<?cs var:Page.next ?>">Next</a><?cs /if ?></nav>
<?cs /if ?>

<form method="post" action="<?cs var:Self ?>" class="panel review-apply">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <p>Apply sends the approved lines' quantity updates to the PSA through the adjustment log. Applying again sends nothing twice.</p>
  <button type="submit" name="action" value="apply">Apply</button>
</form>
<?cs /if ?>
<?cs call:page_end() ?>
