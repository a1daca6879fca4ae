<?cs include:"layout.cs" ?>
<?cs call:page_start("Changes awaiting approval") ?>
<?cs if:Count == "0" ?>
<div class="panel">Nothing is waiting for approval. Changes post by themselves unless your billing policy
(<a href="/settings/billing">Billing settings</a>) or a link asks for approval, or someone edited the PSA directly.</div>
<?cs else ?>
<form method="post" action="/approvals">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <table>
    <thead><tr><th></th><th>Company</th><th>Subscription · resource</th><th>PSA contract · service</th>
      <th class="num">From</th><th class="num">To</th><th class="num">Change</th><th>Effective</th><th class="num">Estimate</th><th>Note</th></tr></thead>
    <tbody>
    <?cs each:r = Rows ?>
    <tr>
      <td><input type="checkbox" name="pick" value="<?cs var:r.id ?>" aria-label="Select change <?cs var:r.id ?>"></td>
      <td><?cs var:r.company ?></td>
      <td><?cs var:r.subscription ?> · <?cs var:r.resource ?></td>
      <td><?cs var:r.account ?> · <?cs var:r.contract ?> · <?cs var:r.service ?></td>
      <?cs if:r.cost ?>
      <td colspan="3" class="cost-change"><strong>Cost change</strong>: <?cs var:r.cost ?></td>
      <?cs else ?>
      <td class="num"><?cs var:r.from ?></td><td class="num"><?cs var:r.to ?></td><td class="num"><strong><?cs var:r.change ?></strong></td>
      <?cs /if ?>
      <td><?cs var:r.effective ?></td><td class="num"><?cs var:r.amount ?></td>
      <td><?cs if:r.note ?><span class="badge warn">review</span> <?cs var:r.note ?><?cs /if ?></td>
    </tr>
    <?cs /each ?>
    </tbody>
    <tfoot><tr><th colspan="8"><?cs var:Count ?> changes</th><th class="num"><?cs var:TotalAmount ?></th><th></th></tr></tfoot>
  </table>
  <p class="muted">Estimates are prorated over the billing period (actual days, both ends counted); the PSA computes the invoice.</p>
  <div class="filters">
    <button type="submit" name="action" value="approve">Approve selected</button>
    <div class="field"><label for="f-reason">Reason (for a rejection)</label><input id="f-reason" name="reason" maxlength="500"></div>
    <button type="submit" name="action" value="reject" class="danger">Reject selected</button>
  </div>
</form>
<?cs /if ?>
<?cs call:page_end() ?>
