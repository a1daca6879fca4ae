<?cs include:"layout.cs" ?>
<?cs call:page_start("Manage Relations") ?>
<section class="panel">
  <p>Check the relations you want to set or clear, then choose the action. Set uses the chain shown (what is
  linked already, else the suggestion); a row without one is linked on the <a href="/mapping">Billing page</a>.</p>
  <form method="get" action="/mapping/relations" class="inline">
    <label><input type="checkbox" name="mapped" value="1"<?cs if:Filter.mapped == "1" ?> checked<?cs /if ?>> Show mapped resources</label>
    <button type="submit" class="secondary">Filter</button>
  </form>
  <a class="button secondary" href="/mapping">Go back</a>
</section>
<form method="post" action="/mapping/relations?mapped=<?cs var:Filter.mapped ?>">
  <input type="hidden" name="csrf" value="<?cs var:CSRF ?>">
  <div class="filters">
    <button type="submit" name="action" value="set">Set Relations</button>
    <button type="submit" name="action" value="clear" class="danger" data-confirm="Clear the checked relations?">Clear Relations</button>
  </div>
  <?cs if:Total == "0" ?><div class="panel">Nothing here. <?cs if:Filter.mapped != "1" ?>Every resource is linked.<?cs /if ?></div><?cs else ?>
  <table>
    <thead><tr><th></th><th>Company</th><th>Subscription</th><th>Resource</th><th>Account &amp; Contract</th><th>Service</th><th>Score</th></tr></thead>
    <tbody>
    <?cs each:r = Rows ?>
    <tr>
      <td><input type="checkbox" name="pick" value="<?cs var:r.id ?>" aria-label="Select <?cs var:r.resource ?>"></td>
      <td><?cs var:r.company ?></td><td><?cs var:r.subscription ?></td><td><?cs var:r.resource ?></td>
      <td><?cs if:r.account ?><?cs var:r.account ?> · <?cs var:r.contract ?><?cs else ?><span class="muted">no suggestion</span><?cs /if ?></td>
      <td><?cs if:r.charges == "1" ?><span class="muted">annual: one-time charges on the contract, no service</span><?cs else ?><?cs var:r.service ?><?cs /if ?><?cs if:r.linked == "1" ?> <span class="badge ok">linked</span><?cs /if ?></td>
      <td><?cs if:r.score ?><?cs var:r.score ?>%<?cs /if ?></td>
    </tr>
    <?cs /each ?>
    </tbody>
  </table>
  <p class="muted">Page <?cs var:Page ?> of <?cs var:Pages ?> · <?cs var:Total ?> resources</p>
  <?cs /if ?>
</form>
<?cs call:page_end() ?>
